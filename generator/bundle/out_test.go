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

// A slot's before and after bytes go around a value only when the request
// has one: the static file (every slot at its default) holds neither, and a
// value that cleans to nothing leaves the default too.
func TestLayoutWritesBeforeAndAfterOnlyAroundAValue(t *testing.T) {
	data := []byte("Title\n\n-- Acme\n")
	f := File{Name: "404.txt", Slots: []Slot{{Name: SlotRequestID, Offset: 6, Before: "Request ID: ", After: "\n"}}}
	l, err := NewLayout(data, f, FormatText)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, want string
	}{
		{"", "Title\n\n-- Acme\n"},
		{"\x00\x1b", "Title\n\n-- Acme\n"},
		{"abc-123", "Title\nRequest ID: abc-123\n\n-- Acme\n"},
	} {
		got := string(l.Append(nil, &Values{RequestID: tt.id}))
		if got != tt.want {
			t.Errorf("request id %q: %q, want %q", tt.id, got, tt.want)
		}
	}
	// A slot whose default is not empty holds its before and after in the
	// file; a value replaces all three.
	data = []byte("<title>404 · Not found</title>")
	f = File{Name: "404.html", Slots: []Slot{{Name: SlotStatus, Offset: 7, Len: len("404 · "), After: " · "}}}
	if l, err = NewLayout(data, f, FormatHTML); err != nil {
		t.Fatal(err)
	}
	if got := string(l.Append(nil, &Values{})); got != string(data) {
		t.Errorf("default: %q", got)
	}
	if got := string(l.Append(nil, &Values{Status: 410})); got != "<title>410 · Not found</title>" {
		t.Errorf("filled: %q", got)
	}
}

// Validate refuses a slot whose bytes in the file are neither empty nor
// wrapped in its before and after.
func TestValidateSlotWrap(t *testing.T) {
	data := []byte("<title>404 Not found</title>")
	b := &Bundle{
		Manifest: Manifest{Version: Version, Pages: []Page{{ID: "404", Status: 404, Files: map[string]File{
			HTML: {Name: "404.html", Size: len(data), SHA256: Sum(data), Slots: []Slot{{Name: SlotStatus, Offset: 7, Len: 3, After: " · "}}},
		}}}},
		Files: map[string][]byte{"404.html": data},
	}
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "before and after") {
		t.Errorf("error %v, want one about before and after", err)
	}
}
