package crashlog

import (
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

// window is how much of the end of a raw log Sanitize looks at. It leaves
// room for terminal escapes and redactions that shrink the text, so that
// MaxLines of an ordinary log still fit; whatever comes before is counted in
// the note, never read.
const window = 256 << 10

// Sanitize makes a raw log safe to show, in this order:
//
//   - only the last 256 KiB are looked at, and when that cuts a line the
//     partial line is dropped (so a secret whose name was cut off is not
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
// \t. Sanitize does not modify raw.
func Sanitize(raw []byte) []byte { return sanitize(tail{data: raw}) }

// tail is the end of a log whose beginning may have been dropped unseen.
type tail struct {
	data []byte
	// dropped bytes came before data; droppedLines of them were newlines,
	// or droppedLines < 0 when nobody counted.
	dropped      int64
	droppedLines int64
	// midLine means data may start inside a line.
	midLine bool
}

func sanitize(t tail) []byte {
	data := t.data
	if n := len(data) - window; n > 0 {
		t.dropped += int64(n)
		if t.droppedLines >= 0 {
			t.droppedLines += int64(bytes.Count(data[:n], newline))
		}
		t.midLine = data[n-1] != '\n'
		data = data[n:]
	}
	if t.midLine {
		// The first line lost its start: its key, the BEGIN of its block,
		// the scheme of its URL. Drop it rather than judge what is left.
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 {
			n = len(data)
		}
		t.dropped += int64(n)
		if t.droppedLines >= 0 {
			t.droppedLines++
		}
		data = data[n:]
	}
	return cutTail(redact(strip(data)), t.dropped, t.droppedLines)
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
		return fmt.Sprintf("[… %s of earlier output not shown]\n", humanSize(size))
	}
	n := thousands(lines)
	if !known {
		n += "+"
	}
	word := "lines"
	if lines == 1 && known {
		word = "line"
	}
	return fmt.Sprintf("[… %s earlier %s (%s) not shown]\n", n, word, humanSize(size))
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

// humanSize formats a byte count the way the rest of ouchie does.
func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
