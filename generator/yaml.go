package generator

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// yamlDoc is a parsed YAML document that remembers where its values are, so
// checks made after decoding can still point at a line and column.
type yamlDoc struct {
	file    string // site-relative path, for messages
	lineOff int    // lines before the YAML text in file (front matter: 1)
	ast     *ast.File
	// fieldsHint is the hint given for an unknown field.
	fieldsHint string
	// A document quickDecode read has no tree until a message needs a
	// position: src is its text, keys the keys it sets.
	src  []byte
	keys [][]byte
}

// decodeYAML strictly decodes src into v. Syntax errors, unknown fields and
// type mismatches are added to c at their positions; it reports whether v is
// usable for further checks.
func decodeYAML(c *errs, file string, lineOff int, src []byte, v any, fieldsHint string) (*yamlDoc, bool) {
	src = bytes.TrimPrefix(src, []byte(byteOrderMark)) // as editors on Windows write it
	if keys, ok := quickDecode(src, v); ok {
		return &yamlDoc{file: file, lineOff: lineOff, fieldsHint: fieldsHint, src: src, keys: keys}, true
	}
	return decodeTree(c, file, lineOff, src, v, fieldsHint)
}

// decodeTree is decodeYAML through go-yaml's syntax tree, for what
// quickDecode does not read.
func decodeTree(c *errs, file string, lineOff int, src []byte, v any, fieldsHint string) (*yamlDoc, bool) {
	doc := &yamlDoc{file: file, lineOff: lineOff, fieldsHint: fieldsHint}
	f, err := parser.ParseBytes(src, parser.ParseComments)
	if err != nil {
		doc.report(c, err)
		return doc, false
	}
	doc.ast = f
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return doc, true // empty document: all defaults
	}
	if len(f.Docs) > 1 {
		c.add(file, lineOff+1, 1, "", "more than one YAML document")
		return doc, false
	}
	// Every unknown field and every value lost to a comment is reported;
	// the known fields still decode, so the rest can be checked too.
	doc.walk(c, f.Docs[0].Body, reflect.TypeOf(v).Elem(), "")
	if err := yaml.NodeToValue(f.Docs[0].Body, v); err != nil {
		doc.report(c, err)
		return doc, false
	}
	return doc, true
}

// walk reports what strict decoding cannot: every unknown field (decoding
// stops at the first), with "did you mean" over the names the mapping takes,
// and a value that YAML read as a comment ("accent: #0a7d4f"). t is the Go
// type node decodes into; within is the dotted key of the mapping, "" at
// the top.
func (d *yamlDoc) walk(c *errs, node ast.Node, t reflect.Type, within string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if seq, ok := node.(*ast.SequenceNode); ok && t.Kind() == reflect.Slice {
		for i, v := range seq.Values {
			d.walk(c, v, t.Elem(), fmt.Sprintf("%s[%d]", within, i))
		}
		return
	}
	m, ok := node.(ast.MapNode)
	if !ok || t.Kind() != reflect.Struct {
		return
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
	}
	for it := m.MapRange(); it.Next(); {
		key, val := it.Key(), it.Value()
		name := key.GetToken().Value
		pos := key.GetToken().Position
		ft, known := fields[name]
		if !known {
			hint := d.fieldsHint
			if within != "" {
				hint = within + " takes " + strings.Join(names, ", ")
			}
			if near := closest(name, names); near != "" {
				hint = fmt.Sprintf("did you mean %q? %s", near, hint)
			}
			c.add(d.file, d.lineOff+pos.Line, pos.Column, hint, "unknown field %q", name)
			continue
		}
		dotted := name
		if within != "" {
			dotted = within + "." + name
		}
		if _, null := val.(*ast.NullNode); null {
			if cm := val.GetComment(); cm != nil && lostValue.MatchString(cm.String()) {
				at := cm.GetToken().Position
				c.add(d.file, d.lineOff+at.Line, at.Column,
					fmt.Sprintf("# starts a YAML comment: quote the value, as %s: %q", name, strings.TrimSpace(cm.String())),
					"%s is empty", dotted)
			}
			continue
		}
		d.walk(c, val, ft, dotted)
	}
}

// lostValue matches a comment that was meant as a value: "#" directly
// followed by text, as in an unquoted colour, where a comment has a space.
var lostValue = regexp.MustCompile(`^#[^\s#]`)

// closest returns the name in names nearest to s, if it is near enough to be
// a misspelling of it, or "".
func closest(s string, names []string) string {
	best, bestD := "", len(s)/3+1
	for _, n := range names {
		if d := editDistance(s, n); d <= bestD && (best == "" || d < editDistance(s, best)) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}

// report turns a go-yaml error into positioned errors.
func (d *yamlDoc) report(c *errs, err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		tk := ye.GetToken()
		c.add(d.file, d.lineOff+tk.Position.Line, tk.Position.Column, "", "%s", friendlyYAML(ye.GetMessage()))
		return
	}
	c.add(d.file, d.lineOff+1, 1, "", "%s", lowerFirst(err.Error()))
}

// pos returns the line and column of the value at a YAML path such as
// "$.brand.accent", or of the document start when it is absent.
func (d *yamlDoc) pos(path string) (int, int) {
	if path != "$" && d.tree() != nil {
		if p, err := yaml.PathString(path); err == nil {
			if n, err := p.FilterFile(d.ast); err == nil && n != nil {
				if tk := n.GetToken(); tk != nil {
					return d.lineOff + tk.Position.Line, tk.Position.Column
				}
			}
		}
	}
	return d.lineOff + 1, 1
}

// tree returns the document's syntax tree, parsing it now if quickDecode
// read it, or nil.
func (d *yamlDoc) tree() *ast.File {
	if d.ast == nil && d.src != nil {
		d.ast, _ = parser.ParseBytes(d.src, parser.ParseComments)
		d.src = nil
	}
	return d.ast
}

// add reports a problem with the value at path.
func (d *yamlDoc) add(c *errs, path, hint, format string, args ...any) {
	line, col := d.pos(path)
	c.add(d.file, line, col, hint, format, args...)
}

func lowerFirst(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "YAML") {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// typeMismatch matches go-yaml's message for a value of the wrong type.
var typeMismatch = regexp.MustCompile(`^cannot unmarshal (\S+(?: \{\})?) into Go (?:struct field \w+\.(\w+)|value) of type (\S+)`)

// friendlyYAML rewrites go-yaml's messages in the site's own terms.
func friendlyYAML(msg string) string {
	if m := typeMismatch.FindStringSubmatch(msg); m != nil {
		what := map[string]string{"[]interface {}": "a list", "map[string]interface {}": "a mapping", "string": "text",
			"uint64": "a number", "int64": "a number", "float64": "a number", "bool": "true or false"}
		got := what[m[1]]
		if got == "" {
			got = m[1]
		}
		want := what[m[3]]
		if strings.HasPrefix(m[3], "int") {
			want = "a whole number"
		} else if strings.HasPrefix(m[3], "[]") {
			want = "a list"
		} else if want == "" {
			want = m[3]
		}
		if m[2] != "" {
			return fmt.Sprintf("field %s must be %s, not %s", snake(m[2]), want, got)
		}
		return fmt.Sprintf("want %s, not %s", want, got)
	}
	return lowerFirst(msg)
}

// snake turns a Go field name into its YAML key: RetryAfter → retry_after.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
