package server

import (
	"strings"
	"testing"
)

// TestPlainByte: the table marks exactly the bytes appendSlot may copy
// without a look: printable ASCII that no format escapes and no kind of
// value drops. Everything else (controls, DEL, markup, quotes, backslash,
// every byte of a multi-byte character) takes the slow path.
func TestPlainByte(t *testing.T) {
	for c := range 256 {
		want := c >= 0x20 && c < 0x7f && !strings.ContainsRune(`&<>"'\`, rune(c))
		if plainByte[c] != want {
			t.Errorf("plainByte[%#02x] = %v, want %v", c, plainByte[c], want)
		}
		// A plain byte comes out of every format and kind as it went in.
		if want {
			for f := range numFormats {
				for _, kind := range []valueKind{contextValue, logValue} {
					if got := string(appendSlot(nil, f, string(rune(c)), kind, 10)); got != string(rune(c)) {
						t.Errorf("appendSlot(%d, %q) = %q", f, rune(c), got)
					}
				}
			}
		}
	}
}

// benchLog is a 64 KiB crashlog: log lines with markup and an ampersand to
// escape.
var benchLog = strings.Repeat("2026-01-02T03:04:05Z app[web.1]: Error: <connect> ECONNREFUSED 127.0.0.1:5432 & retrying\n", 800)[:64<<10]

// BenchmarkEscapeLog64K: escaping a 64 KiB crashlog for HTML, what every
// request paid before the escaped log was cached.
func BenchmarkEscapeLog64K(b *testing.B) {
	buf := make([]byte, 0, 128<<10)
	b.SetBytes(int64(len(benchLog)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendSlot(buf[:0], fmtHTML, benchLog, logValue, maxCrashlog)
	}
}
