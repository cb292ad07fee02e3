package server

import (
	"unicode/utf8"
)

// How a slot value is cleaned before it is escaped.
type valueKind uint8

const (
	// contextValue is a request header (X-Request-ID): every control and
	// bidirectional-formatting character is dropped.
	contextValue valueKind = iota
	// logValue is a sanitized crashlog: newlines and tabs are kept, every
	// other control character is dropped.
	logValue
)

// Caps on what a request may put on a page or in a log line.
const (
	maxRequestID  = 200
	maxContext    = 256
	maxContextURI = 1024
	maxCrashlog   = 1 << 20
)

// appendSlot appends v, cleaned for its kind, cut to at most max bytes of
// cleaned input (at a character boundary), and escaped for format f:
// HTML and XML character references, a JSON string body, or text as is.
// Invalid UTF-8 becomes U+FFFD. It allocates only to grow dst.
func appendSlot[T string | []byte](dst []byte, f int, v T, kind valueKind, max int) []byte {
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
		if drop(r, kind) {
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
// and no kind of value drops: printable ASCII but & < > " ' and \. A table
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

// drop reports whether r is removed from a value of the given kind: C0 and C1
// controls (newline and tab survive in logs), bidirectional overrides and
// isolates (which can disguise text), and noncharacters XML forbids.
func drop(r rune, kind valueKind) bool {
	switch {
	case r == '\n' || r == '\t':
		return kind == contextValue
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
func appendRune(dst []byte, f int, r rune) []byte {
	switch f {
	case fmtHTML, fmtXML:
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
	case fmtJSON:
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
