package bundle

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// How a page goes out: the one definition of what a page's bytes become on
// the way to a visitor, used by ouchie serve, the preview, the static-host
// targets and the browser tests alike. A file's slots are filled with a
// request's values (Layout.Append), each value cleaned and escaped for the
// file's format (AppendValue), and the response carries Headers.

// Format is an output format, by index in Formats order; Name gives the
// name the manifest keys files by.
type Format uint8

// The formats, in Formats order.
const (
	FormatHTML Format = iota
	FormatJSON
	FormatText
	FormatXML
	FormatHTTP
	// NumFormats is the number of formats, for arrays indexed by Format.
	NumFormats
)

// Name returns the format's name ("html", "json", ...).
func (f Format) Name() string {
	if f < NumFormats {
		return Formats[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// String returns the format's name.
func (f Format) String() string { return f.Name() }

// ParseFormat returns the format with the given name.
func ParseFormat(name string) (Format, bool) {
	for i, n := range Formats {
		if n == name {
			return Format(i), true
		}
	}
	return 0, false
}

// SlotKind is what a slot holds.
type SlotKind uint8

// The slot kinds, in SlotNames order.
const (
	// KindCrashlog is the app's sanitized crashlog: newlines and tabs stay.
	KindCrashlog SlotKind = iota
	// KindRequestID is the request's id, from a request header: every
	// control and bidirectional-formatting character is dropped.
	KindRequestID
	// KindStatus is the status a fallback page answers for.
	KindStatus
	numKinds
)

// Name returns the slot kind's name, as the manifest and themes spell it.
func (k SlotKind) Name() string {
	if int(k) < len(SlotNames) {
		return SlotNames[k]
	}
	return "slot(" + strconv.Itoa(int(k)) + ")"
}

// ParseSlotKind returns the slot kind with the given name.
func ParseSlotKind(name string) (SlotKind, bool) {
	for i, n := range SlotNames {
		if n == name {
			return SlotKind(i), true
		}
	}
	return 0, false
}

// Caps on slot values, in bytes of cleaned input.
const (
	MaxRequestID = 200
	MaxCrashlog  = 1 << 20
)

// CSP is the Content-Security-Policy of every page: no script, no request
// of any kind, inline styles and data: images only.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// Headers are the response headers every page carries wherever it is
// served, besides its Content-Type: ouchie serve sends them, and the static
// targets write them into the hosts' header files.
var Headers = [...]struct{ Name, Value string }{
	{"X-Content-Type-Options", "nosniff"},
	{"X-Robots-Tag", "noindex"},
	{"Content-Security-Policy", CSP},
}

// Values are a request's slot values. Zero values leave a slot at its
// default.
type Values struct {
	// Status is the status a fallback page answers for; 0 keeps the default.
	Status int
	// RequestID is the raw request id; AppendValue cleans and escapes it.
	RequestID string
	// Crashlog is the crashlog already escaped for the file's format (see
	// AppendValue), so a log escaped once serves many requests; nil keeps
	// the default.
	Crashlog []byte
}

// Wrap is what a slot's value is written between, only when there is a
// value (Slot.Before and Slot.After).
type Wrap struct{ Before, After []byte }

// Append appends the value of one slot of kind k, for a file of format f,
// between w's before and after; or the slot's default bytes def when v has
// no value for it, or one that cleans to nothing.
func (v *Values) Append(dst []byte, f Format, k SlotKind, def []byte, w Wrap) []byte {
	start := len(dst)
	dst = append(dst, w.Before...)
	at := len(dst)
	switch {
	case k == KindStatus && v.Status != 0:
		dst = strconv.AppendInt(dst, int64(v.Status), 10)
	case k == KindRequestID && v.RequestID != "":
		dst = AppendValue(dst, f, KindRequestID, v.RequestID, MaxRequestID)
	case k == KindCrashlog && v.Crashlog != nil:
		dst = append(dst, v.Crashlog...)
	}
	if len(dst) == at {
		return append(dst[:start], def...)
	}
	return append(dst, w.After...)
}

// Layout is a file split at its slots: Segs[0] slot 0 Segs[1] ... Segs[n],
// each slot's kind, default bytes, and the bytes around a value.
type Layout struct {
	Format   Format
	Segs     [][]byte
	Kinds    []SlotKind
	Defaults [][]byte
	Wraps    []Wrap
	has      [numKinds]bool
}

// NewLayout splits data, the bytes of file f in format format, at its slots.
func NewLayout(data []byte, f File, format Format) (*Layout, error) {
	l := &Layout{Format: format, Segs: Segments(data, f)}
	for _, s := range f.Slots {
		k, ok := ParseSlotKind(s.Name)
		if !ok {
			return nil, fmt.Errorf("%s: unknown slot %q", f.Name, s.Name)
		}
		if s.Offset < 0 || s.Len < 0 || s.Offset+s.Len > len(data) {
			return nil, fmt.Errorf("%s: slot %s out of range", f.Name, s.Name)
		}
		l.Kinds = append(l.Kinds, k)
		l.Defaults = append(l.Defaults, data[s.Offset:s.Offset+s.Len])
		l.Wraps = append(l.Wraps, Wrap{[]byte(s.Before), []byte(s.After)})
		l.has[k] = true
	}
	return l, nil
}

// Has reports whether the file has a slot of kind k.
func (l *Layout) Has(k SlotKind) bool { return l.has[k] }

// Append appends the file with its slots filled from v.
func (l *Layout) Append(dst []byte, v *Values) []byte {
	for i, seg := range l.Segs {
		dst = append(dst, seg...)
		if i == len(l.Kinds) {
			break
		}
		dst = v.Append(dst, l.Format, l.Kinds[i], l.Defaults[i], l.Wraps[i])
	}
	return dst
}

// AppendValue appends v, cleaned for a slot of kind k, cut to at most max
// bytes of cleaned input (at a character boundary), and escaped for format
// f: HTML and XML character references, a JSON string body, or text as is.
// Invalid UTF-8 becomes U+FFFD. It allocates only to grow dst.
func AppendValue[T string | []byte](dst []byte, f Format, k SlotKind, v T, max int) []byte {
	used := 0
	for i := 0; i < len(v); {
		c := v[i]
		// Runs of plain ASCII are copied as they are.
		if plainByte[c] {
			j := i + 1
			for j+4 <= len(v) && plainByte[v[j]] && plainByte[v[j+1]] && plainByte[v[j+2]] && plainByte[v[j+3]] {
				j += 4
			}
			for j < len(v) && plainByte[v[j]] {
				j++
			}
			if used+(j-i) > max {
				j = i + max - used
			}
			dst = append(dst, v[i:j]...)
			used += j - i
			i = j
			if used >= max {
				break
			}
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = decodeRune(v[i:min(i+utf8.UTFMax, len(v))])
		}
		i += size
		if drop(r, k) {
			continue
		}
		n := size
		if r == utf8.RuneError && size == 1 {
			n = 3 // replaced by U+FFFD
		}
		if used+n > max {
			break
		}
		used += n
		dst = appendRune(dst, f, r)
	}
	return dst
}

// plainByte says, for each byte, whether it is ASCII that no format escapes
// and no slot kind drops: printable ASCII but & < > " ' and \. A table
// lookup is the whole per-byte test of the common case (a third faster than
// a switch over a 64 KiB log).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range []byte(`&<>"'\`) {
		t[c] = false
	}
	return t
}()

// decodeRune decodes the first character of v (at most utf8.UTFMax bytes).
func decodeRune[T string | []byte](v T) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], v)
	return utf8.DecodeRune(buf[:n])
}

// drop reports whether r is removed from a value of slot kind k: C0 and C1
// controls (newline and tab survive in crashlogs), bidirectional overrides
// and isolates (which can disguise text), and noncharacters XML forbids.
func drop(r rune, k SlotKind) bool {
	switch {
	case r == '\n' || r == '\t':
		return k != KindCrashlog
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	case r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// appendRune appends one character escaped for format f.
func appendRune(dst []byte, f Format, r rune) []byte {
	switch f {
	case FormatHTML, FormatXML:
		switch r {
		case '&':
			return append(dst, "&amp;"...)
		case '<':
			return append(dst, "&lt;"...)
		case '>':
			return append(dst, "&gt;"...)
		case '"':
			return append(dst, "&#34;"...)
		case '\'':
			return append(dst, "&#39;"...)
		}
	case FormatJSON:
		switch r {
		case '"':
			return append(dst, `\"`...)
		case '\\':
			return append(dst, `\\`...)
		case '\n':
			return append(dst, `\n`...)
		case '\t':
			return append(dst, `\t`...)
		case '<', '>', '&', '\'', 0x2028, 0x2029:
			const hex = "0123456789abcdef"
			return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		}
	}
	return utf8.AppendRune(dst, r)
}
