package bundle

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// AppendPageJSON appends p to b byte for byte as json.MarshalIndent(p,
// prefix, "  ") encodes it, without reflection or a second pass to indent:
// a build encodes a manifest entry a page, and at 100,000 pages that cost
// showed. TestAppendPageJSON holds it to encoding/json, field by field.
func AppendPageJSON(b []byte, p *Page, prefix string) []byte {
	e := &indented{b: b, prefix: prefix}
	e.open('{')
	e.str("id", p.ID)
	if p.Lang != "" {
		e.str("lang", p.Lang)
	}
	e.int("status", p.Status)
	if p.Variant != "" {
		e.str("variant", p.Variant)
	}
	if p.Fallback {
		e.key("fallback")
		e.b = append(e.b, "true"...)
	}
	if len(p.Aliases) > 0 {
		e.strings("aliases", p.Aliases)
	}
	e.str("source", p.Source)
	e.str("title", p.Title)
	e.str("summary", p.Summary)
	if p.Crashlog {
		e.key("crashlog")
		e.b = append(e.b, "true"...)
	}
	if p.RetryAfter != 0 {
		e.int("retry_after", p.RetryAfter)
	}
	e.key("files")
	switch {
	case p.Files == nil:
		e.b = append(e.b, "null"...)
	case len(p.Files) == 0:
		e.b = append(e.b, "{}"...)
	default:
		e.open('{')
		for _, format := range slices.Sorted(maps.Keys(p.Files)) {
			e.key(format)
			e.file(p.Files[format])
		}
		e.close('}')
	}
	e.close('}')
	return e.b
}

// indented writes JSON as json.Indent lays it out.
type indented struct {
	b      []byte
	prefix string
	depth  int
	first  bool // nothing written yet in the open object or array
}

func (e *indented) newline() {
	e.b = append(e.b, '\n')
	e.b = append(e.b, e.prefix...)
	for range e.depth {
		e.b = append(e.b, "  "...)
	}
}

func (e *indented) open(c byte) {
	e.b = append(e.b, c)
	e.depth++
	e.first = true
}

func (e *indented) close(c byte) {
	e.depth--
	e.newline()
	e.b = append(e.b, c)
	e.first = false
}

// elem starts an element of the open object or array.
func (e *indented) elem() {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
	e.newline()
}

func (e *indented) key(k string) {
	e.elem()
	e.b = appendJSONString(e.b, k)
	e.b = append(e.b, ": "...)
}

func (e *indented) str(k, v string) {
	e.key(k)
	e.b = appendJSONString(e.b, v)
}

func (e *indented) int(k string, v int) {
	e.key(k)
	e.b = strconv.AppendInt(e.b, int64(v), 10)
}

func (e *indented) strings(k string, list []string) {
	e.key(k)
	e.open('[')
	for _, s := range list {
		e.elem()
		e.b = appendJSONString(e.b, s)
	}
	e.close(']')
}

func (e *indented) file(f File) {
	e.open('{')
	e.str("name", f.Name)
	e.int("size", f.Size)
	e.str("sha256", f.SHA256)
	if len(f.Slots) > 0 {
		e.key("slots")
		e.open('[')
		for _, s := range f.Slots {
			e.elem()
			e.open('{')
			e.str("name", s.Name)
			e.int("offset", s.Offset)
			if s.Len != 0 {
				e.int("len", s.Len)
			}
			if s.Before != "" {
				e.str("before", s.Before)
			}
			if s.After != "" {
				e.str("after", s.After)
			}
			e.close('}')
		}
		e.close(']')
	}
	if len(f.Encodings) > 0 {
		e.strings("encodings", f.Encodings)
	}
	e.close('}')
}

// appendJSONString appends s quoted as encoding/json quotes it: printable
// ASCII that needs no escape is copied, and anything else is left to
// encoding/json itself (HTML characters, controls, non-ASCII, bad UTF-8).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
