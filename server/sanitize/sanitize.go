// Package sanitize makes a raw crashlog safe to show, bytes in and bytes
// out: its tail cut, terminal escapes and control characters stripped,
// secrets redacted. Where logs come from is package crashlog's concern.
package sanitize

import (
	"github.com/ouchie/ouchie/internal/human"

	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The bounds of a log as shown: its last MaxLines lines, and of those at
// most MaxBytes bytes, after a one-line note saying how much was cut.
const (
	MaxLines = 200
	MaxBytes = 64 << 10
)

// Window is how much of the end of a raw log is looked at. It leaves room
// for terminal escapes and redactions that shrink the text, so that MaxLines
// of an ordinary log still fit; whatever comes before is counted in the
// note, never read. A source reading a log from a file needs to read no more.
const Window = 256 << 10

// Log makes a raw log safe to show, in this order:
//
//   - only the last Window bytes are looked at, and when that cuts a line
//     the partial line is dropped (so a secret whose name was cut off is not
//     shown without it);
//   - terminal escapes (CSI, OSC including hyperlinks, DCS and other string
//     sequences, two-byte escapes, their C1 forms) and control characters
//     other than \n and \t are removed; \r\n becomes \n, a lone \r starts its
//     line over as a terminal would redraw it, \b deletes the character
//     before it; invalid UTF-8 becomes U+FFFD and bidirectional overrides are
//     dropped;
//   - secrets are replaced by "[redacted]" (see the package's redaction
//     rules in redact.go);
//   - the result is cut to its last MaxLines lines and MaxBytes bytes, with a
//     first line such as "[… 1,234 earlier lines (56.7 KiB) not shown]".
//
// Redaction comes before the cut, so a secret straddling the cut is redacted
// whole. The result is valid UTF-8 and holds no control character but \n and
// \t. Log does not modify raw.
func Log(raw []byte) []byte { return Tail{Data: raw}.Log() }

// Tail is the end of a log whose beginning may have been dropped unseen, as
// a source read it.
type Tail struct {
	Data []byte
	// Dropped bytes came before Data; DroppedLines of them were newlines,
	// or DroppedLines < 0 when nobody counted.
	Dropped      int64
	DroppedLines int64
	// MidLine means Data may start inside a line.
	MidLine bool
}

// Log is the package's Log of the whole log t is the end of: the note
// counts what was dropped before t.Data too, and a line cut at t.Data's
// start is dropped.
func (t Tail) Log() []byte {
	t = t.Last(Window).Whole()
	return cutTail(redact(strip(t.Data)), t.Dropped, t.DroppedLines)
}

// Last keeps the last n bytes of t.Data, counting what it drops.
func (t Tail) Last(n int) Tail {
	k := len(t.Data) - n
	if k <= 0 {
		return t
	}
	t.Dropped += int64(k)
	if t.DroppedLines >= 0 {
		t.DroppedLines += int64(bytes.Count(t.Data[:k], newline))
	}
	t.MidLine = t.Data[k-1] != '\n'
	t.Data = t.Data[k:]
	return t
}

// Whole drops the first line of t.Data when t.MidLine says it may have lost
// its start: its key, the BEGIN of its block, the scheme of its URL. What is
// left of such a line is dropped rather than judged. When t.Data holds no
// newline, all of it goes and the result still starts inside a line.
func (t Tail) Whole() Tail {
	if !t.MidLine || len(t.Data) == 0 {
		return t
	}
	n := bytes.IndexByte(t.Data, '\n') + 1
	if n == 0 {
		n = len(t.Data)
	} else {
		t.MidLine = false
		if t.DroppedLines >= 0 {
			t.DroppedLines++
		}
	}
	t.Dropped += int64(n)
	t.Data = t.Data[n:]
	return t
}

var newline = []byte{'\n'}

// cutTail keeps the last MaxLines lines and MaxBytes bytes of text, and says
// how much went, counting what was dropped before text too.
func cutTail(text []byte, dropped, droppedLines int64) []byte {
	start := 0
	end := len(text)
	if end > 0 && text[end-1] == '\n' {
		end-- // a final newline ends the last line, it does not start one
	}
	for i, n := end, 0; ; {
		j := bytes.LastIndexByte(text[:i], '\n')
		if j < 0 {
			break
		}
		if n++; n == MaxLines {
			start = j + 1
			break
		}
		i = j
	}
	if len(text)-start > MaxBytes {
		s := len(text) - MaxBytes
		if text[s-1] != '\n' {
			// Start at the next line if there is one, else inside this one,
			// on a character boundary.
			if j := bytes.IndexByte(text[s:], '\n'); j >= 0 && s+j+1 < len(text) {
				s += j + 1
			} else {
				for s < len(text) && !utf8.RuneStart(text[s]) {
					s++
				}
			}
		}
		start = s
	}
	if start == 0 && dropped == 0 {
		return text
	}
	lines := int64(bytes.Count(text[:start], newline))
	known := droppedLines >= 0
	if known {
		lines += droppedLines
	}
	note := cutNote(lines, known, dropped+int64(start))
	out := make([]byte, 0, len(note)+len(text)-start)
	out = append(out, note...)
	return append(out, text[start:]...)
}

// cutNote is the first line of a cut log. known is false when some of the
// lines cut were never counted.
func cutNote(lines int64, known bool, size int64) string {
	if lines == 0 {
		return fmt.Sprintf("[… %s of earlier output not shown]\n", human.Bytes(size))
	}
	n := thousands(lines)
	if !known {
		n += "+"
	}
	word := "lines"
	if lines == 1 && known {
		word = "line"
	}
	return fmt.Sprintf("[… %s earlier %s (%s) not shown]\n", n, word, human.Bytes(size))
}

// thousands formats n with comma separators: 1234567 → "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
