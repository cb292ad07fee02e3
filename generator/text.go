package generator

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// textHint is the advice for a character checkText refuses.
const textHint = "delete the character: pages must hold text that HTML, XML and terminals show as written"

// badChar returns why r may not appear in a site's text, or "". Refused are
// what XML 1.0 cannot carry (C0 controls but tab, newline and carriage
// return; U+FFFE, U+FFFF), what a terminal acts on (DEL, C1 controls), what
// makes text read other than it is (bidi embeddings, overrides and isolates),
// and the generator's own slot markers.
func badChar(r rune) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return ""
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return fmt.Sprintf("control character %U", r)
	case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return fmt.Sprintf("bidirectional override %U", r)
	case r == 0xfffe || r == 0xffff:
		return fmt.Sprintf("noncharacter %U", r)
	case r == []rune(slotOpen)[0] || r == []rune(slotClose)[0]:
		return fmt.Sprintf("private-use character %U (ouchie marks slots with it)", r)
	}
	return ""
}

// checkText reports every character of src, a file of the site, that badChar
// refuses, and invalid UTF-8, at its line and column (in bytes, from 1): one
// report per line. It reports whether src is clean.
func checkText(c *errs, file string, src []byte) bool {
	ok := true
	line, lineStart, reported := 1, 0, 0
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		msg := badChar(r)
		if r == utf8.RuneError && size == 1 {
			msg = "invalid UTF-8"
		}
		if msg != "" {
			ok = false
			if reported != line {
				reported = line
				c.add(file, line, i-lineStart+1, textHint, "%s is not allowed", msg)
			}
		}
		i += size
		if r == '\n' {
			line, lineStart = line+1, i
		}
	}
	return ok
}

// checkValue reports a decoded YAML string (where escapes such as "\e" have
// become characters) holding a character badChar refuses, at its path.
func (d *yamlDoc) checkValue(c *errs, path, s string) {
	for _, r := range s {
		if msg := badChar(r); msg != "" {
			d.add(c, path, textHint, "%s is not allowed", msg)
			return
		}
	}
}

// charRef is a numeric character reference, which Markdown decodes.
var charRef = regexp.MustCompile(`&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,9}));`)

// checkCharRefs reports each numeric character reference in a page body
// ("&#27;") that stands for a character badChar refuses: Markdown decodes
// it, so it would reach the page as the character itself.
func checkCharRefs(c *errs, p *Page) bool {
	ok := true
	for _, m := range charRef.FindAllSubmatchIndex(p.src.body, -1) {
		var r uint64
		if m[2] >= 0 {
			r, _ = strconv.ParseUint(string(p.src.body[m[2]:m[3]]), 16, 32)
		} else {
			r, _ = strconv.ParseUint(string(p.src.body[m[4]:m[5]]), 10, 32)
		}
		if msg := badChar(rune(r)); msg != "" && r <= utf8.MaxRune {
			line, col := lineCol(p.src.body, m[0])
			c.add(p.File, p.src.line+line-1, col, textHint, "%s is not allowed", msg)
			ok = false
		}
	}
	return ok
}
