package generator

import (
	"bytes"
	"errors"
	"fmt"
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
}

// decodeYAML strictly decodes src into v. Syntax errors, unknown fields and
// type mismatches are added to c at their positions; it reports whether v is
// usable for further checks.
func decodeYAML(c *errs, file string, lineOff int, src []byte, v any, fieldsHint string) (*yamlDoc, bool) {
	doc := &yamlDoc{file: file, lineOff: lineOff, fieldsHint: fieldsHint}
	src = bytes.TrimPrefix(src, []byte(byteOrderMark)) // as editors on Windows write it
	f, err := parser.ParseBytes(src, 0)
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
	if err := yaml.NodeToValue(f.Docs[0].Body, v, yaml.DisallowUnknownField()); err != nil {
		doc.report(c, err)
		var unknown *yaml.UnknownFieldError
		if !errors.As(err, &unknown) {
			return doc, false
		}
		// Reported; decode the known fields so the rest can still be checked.
		if err := yaml.NodeToValue(f.Docs[0].Body, v); err != nil {
			return doc, false
		}
	}
	return doc, true
}

// report turns a go-yaml error into positioned errors.
func (d *yamlDoc) report(c *errs, err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		tk := ye.GetToken()
		msg := ye.GetMessage()
		hint := ""
		var unknown *yaml.UnknownFieldError
		if errors.As(err, &unknown) {
			hint = d.fieldsHint
		}
		c.add(d.file, d.lineOff+tk.Position.Line, tk.Position.Column, hint, "%s", friendlyYAML(msg))
		return
	}
	c.add(d.file, d.lineOff+1, 1, "", "%s", lowerFirst(err.Error()))
}

// pos returns the line and column of the value at a YAML path such as
// "$.brand.accent", or of the document start when it is absent.
func (d *yamlDoc) pos(path string) (int, int) {
	if d.ast != nil && path != "$" {
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
