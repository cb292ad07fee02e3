package bundle

import (
	"strings"
	"testing"
)

// TestPlainByte: the table marks exactly the bytes AppendValue may copy
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
			for f := range NumFormats {
				for _, kind := range []SlotKind{KindRequestID, KindCrashlog} {
					if got := string(AppendValue(nil, f, kind, string(rune(c)), 10)); got != string(rune(c)) {
						t.Errorf("AppendValue(%d, %q) = %q", f, rune(c), got)
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
		buf = AppendValue(buf[:0], FormatHTML, KindCrashlog, benchLog, MaxCrashlog)
	}
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		f    Format
		kind SlotKind
		in   string
		max  int
		want string
	}{
		{FormatHTML, KindRequestID, `<a href="x">&'`, 100, "&lt;a href=&#34;x&#34;&gt;&amp;&#39;"},
		{FormatXML, KindRequestID, `<a>&`, 100, "&lt;a&gt;&amp;"},
		{FormatJSON, KindRequestID, `"\</script>`, 100, `\"\\\u003c/script\u003e`},
		{FormatJSON, KindCrashlog, "a\nb\tc\u2028d", 100, `a\nb\tc\u2028d`},
		{FormatText, KindRequestID, "a\nb\tc\x00d\x1b[31me\u0085f\u202eg", 100, "abcd[31mefg"},
		{FormatText, KindCrashlog, "a\nb\tc\x00d\re", 100, "a\nb\tcde"},
		{FormatHTML, KindCrashlog, "a\xffb", 100, "a\ufffdb"},
		{FormatText, KindRequestID, "abcdef", 3, "abc"},
		{FormatText, KindRequestID, "ab\u00e9cd", 3, "ab"}, // é is two bytes: not cut in half
		{FormatText, KindRequestID, "ab\u00e9cd", 4, "ab\u00e9"},
		{FormatHTML, KindRequestID, "<<<<", 2, "&lt;&lt;"},
		{FormatText, KindRequestID, "\xff\xff", 4, "\ufffd"},
		{FormatXML, KindCrashlog, "a\ufffeb\uffff", 100, "ab"},
	}
	for _, tt := range tests {
		if got := string(AppendValue(nil, tt.f, tt.kind, tt.in, tt.max)); got != tt.want {
			t.Errorf("AppendValue(%d, %q, %d) = %q, want %q", tt.f, tt.in, tt.max, got, tt.want)
		}
		if got := string(AppendValue(nil, tt.f, tt.kind, []byte(tt.in), tt.max)); got != tt.want {
			t.Errorf("AppendValue(%d, []byte %q) = %q, want %q", tt.f, tt.in, got, tt.want)
		}
	}
}
