package sanitize

import "unicode/utf8"

// strip removes terminal escapes and control characters from in and returns
// valid UTF-8 holding no control character but \n and \t. Escape sequences
// never swallow a newline: one that is cut short ends where it stops being
// well formed, and a string sequence (OSC, DCS...) left open ends at the end
// of its line.
func strip(in []byte) []byte {
	out := make([]byte, 0, len(in))
	lineStart := 0   // where the current line begins in out
	invalidEnd := -1 // index just after the last invalid byte, to collapse runs
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c >= 0x20 && c < 0x7f || c == '\t':
			out = append(out, c)
			i++
		case c == '\n':
			out = append(out, c)
			lineStart = len(out)
			i++
		case c == '\r':
			j := i + 1
			for j < len(in) && in[j] == '\r' {
				j++
			}
			if j < len(in) && in[j] != '\n' {
				// A carriage return in a line redraws it, as progress bars
				// do: keep only what comes after.
				out = out[:lineStart]
			}
			i = j
		case c == '\b':
			if len(out) > lineStart {
				k := len(out) - 1
				for k > lineStart && !utf8.RuneStart(out[k]) {
					k--
				}
				out = out[:k]
			}
			i++
		case c == 0x1b:
			i = skipEscape(in, i+1)
		case c < 0x80:
			i++ // other C0 controls and DEL
		default:
			r, size := utf8.DecodeRune(in[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				if invalidEnd != i {
					out = append(out, "\uFFFD"...)
				}
				invalidEnd = i + 1
			case r == 0x9b: // C1 CSI
				i = skipCSI(in, i+size)
				continue
			case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // C1 DCS, SOS, OSC, PM, APC
				i = skipString(in, i+size)
				continue
			case r <= 0x9f, bidiControl(r):
				// other C1 controls; bidirectional overrides
			case r == 0x2028 || r == 0x2029: // line and paragraph separators
				out = append(out, '\n')
				lineStart = len(out)
			default:
				out = append(out, in[i:i+size]...)
			}
			i += size
		}
	}
	return out
}

// skipEscape returns the index after the escape sequence whose ESC is just
// before in[i].
func skipEscape(in []byte, i int) int {
	if i >= len(in) {
		return i
	}
	switch c := in[i]; {
	case c == '[':
		return skipCSI(in, i+1)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return skipString(in, i+1)
	case c >= 0x20 && c <= 0x2f: // nF: intermediates, then a final byte
		for i < len(in) && in[i] >= 0x20 && in[i] <= 0x2f {
			i++
		}
		if i < len(in) && in[i] >= 0x30 && in[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e: // two-byte escape: ESC 7, ESC c, ESC M...
		return i + 1
	}
	return i // a lone ESC: drop it, keep what follows
}

// skipCSI returns the index after a control sequence whose introducer ends
// just before in[i]: parameters, intermediates, a final byte.
func skipCSI(in []byte, i int) int {
	for i < len(in) && in[i] >= 0x30 && in[i] <= 0x3f {
		i++
	}
	for i < len(in) && in[i] >= 0x20 && in[i] <= 0x2f {
		i++
	}
	if i < len(in) && in[i] >= 0x40 && in[i] <= 0x7e {
		i++
	}
	return i
}

// skipString returns the index after a string sequence (OSC, DCS, SOS, PM,
// APC) whose introducer ends just before in[i]. It ends at BEL, at ST
// (ESC \ or U+009C), before any other ESC, or before the end of the line.
func skipString(in []byte, i int) int {
	for ; i < len(in); i++ {
		switch in[i] {
		case 0x07:
			return i + 1
		case '\n':
			return i
		case 0x1b:
			if i+1 < len(in) && in[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xc2:
			if i+1 < len(in) && in[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return i
}

// bidiControl reports whether r changes the direction of the text around it,
// which could make a shown log read differently from what it says.
func bidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
