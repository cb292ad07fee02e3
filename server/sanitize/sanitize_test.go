package sanitize

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLogUncut(t *testing.T) {
	in := []byte("2024-05-01 starting\n\tat main.go:3\nexit status 1\n")
	if got := Log(in); !bytes.Equal(got, in) {
		t.Errorf("Log changed a clean log:\n%q", got)
	}
	if got := Log(nil); len(got) != 0 {
		t.Errorf("Log(nil) = %q", got)
	}
}

func numbered(n int, format string) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.Bytes()
}

func TestCutLines(t *testing.T) {
	in := numbered(1000, "line %04d\n") // 10 bytes a line
	got := Log(in)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != MaxLines+1 {
		t.Fatalf("got %d lines, want %d and a note", len(lines), MaxLines)
	}
	if want := "[… 800 earlier lines (7.8 KiB) not shown]"; lines[0] != want {
		t.Errorf("note = %q, want %q", lines[0], want)
	}
	if lines[1] != "line 0800" || lines[MaxLines] != "line 0999" {
		t.Errorf("kept %q … %q, want line 0800 … line 0999", lines[1], lines[MaxLines])
	}
}

func TestCutBytes(t *testing.T) {
	in := numbered(100, "%04d "+strings.Repeat("x", 1018)+"\n") // 1 KiB a line
	got := Log(in)
	note, rest, _ := bytes.Cut(got, []byte("\n"))
	if len(rest) > MaxBytes {
		t.Errorf("kept %d bytes, more than %d", len(rest), MaxBytes)
	}
	if !bytes.HasPrefix(rest, []byte("0036 ")) || !bytes.HasSuffix(rest, []byte("x\n")) {
		t.Errorf("kept %.10q … %q: want whole lines from 0036 to the end", rest, rest[len(rest)-10:])
	}
	if want := "[… 36 earlier lines (36.0 KiB) not shown]"; string(note) != want {
		t.Errorf("note = %q, want %q", note, want)
	}
}

func TestCutOneLongLine(t *testing.T) {
	in := bytes.Repeat([]byte("é"), 50<<10) // 100 KiB, no newline
	got := Log(in)
	note, rest, _ := bytes.Cut(got, []byte("\n"))
	if want := "[… 36.0 KiB of earlier output not shown]"; string(note) != want {
		t.Errorf("note = %q, want %q", note, want)
	}
	if len(rest) != MaxBytes || !utf8.Valid(rest) {
		t.Errorf("kept %d bytes (valid UTF-8: %v), want %d", len(rest), utf8.Valid(rest), MaxBytes)
	}
}

// TestWindow feeds more than the Window: what lies before it is counted,
// not read, and the line it cuts is dropped.
func TestWindow(t *testing.T) {
	in := numbered(40000, "line %05d\n") // 11 bytes a line, 430 KiB
	got := Log(in)
	want := "[… 39,800 earlier lines (427.5 KiB) not shown]\nline 39800\n"
	if !bytes.HasPrefix(got, []byte(want)) || !bytes.HasSuffix(got, []byte("line 39999\n")) {
		t.Errorf("got %.80q … : want it to start %q", got, want)
	}
}

// TestWindowCutsName puts the Window's start inside DB_PASSWORD: what is
// left of the line must not show the secret without its name.
func TestWindowCutsName(t *testing.T) {
	rest := "WORD=hunter2hunter2 more\n"
	in := "first line\nDB_PASS" + rest + strings.Repeat("filler line\n", (Window-len(rest))/12)
	in += strings.Repeat("f", Window-len(rest)-(Window-len(rest))/12*12)
	if n := len(in) - Window; in[n:n+4] != "WORD" {
		t.Fatalf("Window starts at %q, want WORD", in[n:n+4])
	}
	if got := Log([]byte(in)); bytes.Contains(got, []byte("hunter2")) {
		t.Errorf("a secret whose name was cut off shows: %.120q", got)
	}
}

// TestWindowCutsPEM puts a key's BEGIN before the Window and its END in
// the last lines.
func TestWindowCutsPEM(t *testing.T) {
	body := strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n", Window/64+10)
	in := "-----BEGIN PRIVATE KEY-----\n" + body + "-----END PRIVATE KEY-----\npanic: bad key\n"
	got := Log([]byte(in))
	if bytes.Contains(got, []byte("MIIE")) {
		t.Errorf("key material shows: %.200q", got)
	}
	if !bytes.HasSuffix(got, []byte("[redacted]\n-----END PRIVATE KEY-----\npanic: bad key\n")) {
		t.Errorf("got %q, want the key redacted up to its END", got)
	}
}

func TestStrip(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"CSI colours", "\x1b[1;31mERROR\x1b[0m done\x1b[K", "ERROR done"},
		{"CSI private mode", "\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"},
		{"C1 CSI", "\u009b31mred\u009b0m", "red"},
		{"OSC 8 hyperlink, ST", "see \x1b]8;;https://u:p@example.com/\x1b\\the docs\x1b]8;;\x1b\\ now", "see the docs now"},
		{"OSC 8 hyperlink, BEL", "\x1b]8;;file:///etc/passwd\alink\x1b]8;;\a!", "link!"},
		{"OSC title", "\x1b]0;my title\x07text", "text"},
		{"C1 OSC", "\u009d0;title\u009ctext", "text"},
		{"OSC left open ends at the line", "a\x1b]0;title\nb", "a\nb"},
		{"DCS", "\x1bPq#0;2;0;0;0\x1b\\after", "after"},
		{"charset designation", "\x1b(Bplain\x1b)0", "plain"},
		{"two-byte escapes", "\x1b7saved\x1b8\x1bc\x1bM", "saved"},
		{"lone ESC at the end", "end\x1b", "end"},
		{"CSI cut by a newline", "a\x1b[31\nb", "a\nb"},
		{"bell and other C0", "ding\a\x00\x01\x0b\x0c\x1f\x7f!", "ding!"},
		{"C1 controls", "a\u0085b\u0080c\u0084d", "abcd"},
		{"C1 APC", "a\u009fapplication string\u009cb", "ab"},
		{"tabs and newlines stay", "a\tb\nc\n", "a\tb\nc\n"},
		{"CRLF", "one\r\ntwo\r\n", "one\ntwo\n"},
		{"CR CR LF", "one\r\r\ntwo", "one\ntwo"},
		{"progress bar", "10%\r50%\r100%\ndone", "100%\ndone"},
		{"trailing CR", "last\r", "last"},
		{"backspace", "abc\b\bX", "aX"},
		{"backspace over a rune", "né\bX", "nX"},
		{"backspace stops at the line", "a\n\b\bb", "a\nb"},
		{"invalid UTF-8 collapses", "a\xff\xfe\xfdb\xc3c", "a\ufffdb\ufffdc"},
		{"overlong encoding", "\xc0\xafx", "\ufffdx"},
		{"bidi overrides", "user\u202eexe.txt\u202c\u2066x\u2069", "userexe.txtx"},
		{"line separators", "a\u2028b\u2029c", "a\nb\nc"},
		{"emoji and CJK stay", "🔥 失败", "🔥 失败"},
	} {
		if got := string(strip([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: strip(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestLogLeavesInput checks raw is not modified.
func TestLogLeavesInput(t *testing.T) {
	in := []byte("\x1b[31mPASSWORD=hunter2hunter2\x1b[0m\r\nok\b\n")
	keep := bytes.Clone(in)
	Log(in)
	if !bytes.Equal(in, keep) {
		t.Errorf("Log modified its input: %q", in)
	}
}

// checkSanitized checks the properties every output of Log has.
func checkSanitized(t *testing.T, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("invalid UTF-8: %q", out)
	}
	for _, r := range string(out) {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || bidiControl(r) {
			t.Fatalf("control character %U in %q", r, out)
		}
	}
	body := out
	if bytes.HasPrefix(out, []byte("[… ")) {
		_, body, _ = bytes.Cut(out, []byte("\n"))
	}
	if len(body) > MaxBytes {
		t.Fatalf("%d bytes after the note, more than %d", len(body), MaxBytes)
	}
	if n := bytes.Count(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) + 1; n > MaxLines {
		t.Fatalf("%d lines after the note, more than %d", n, MaxLines)
	}
}

// FuzzSanitize plants a secret between two fuzzed logs. Whatever surrounds
// it, the output must not depend on the secret's value: Log with
// another value of the same length gives the same bytes.
func FuzzSanitize(f *testing.F) {
	f.Add([]byte("\x1b[31mstarting\x1b[0m\r\n"), []byte("panic: boom\n\tmain.go:3"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMIIE"), []byte("-----END PRIVATE KEY-----\n"))
	f.Add([]byte("export "), []byte("\b\b\b\b"))
	f.Add(bytes.Repeat([]byte("x\n"), 300), bytes.Repeat([]byte("y"), 70<<10))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		plant := func(secret string) []byte {
			in := append(bytes.Clone(a), "\nPASSWORD="+secret+"\n"...)
			return append(in, b...)
		}
		out := Log(plant("hunter2hunter2"))
		checkSanitized(t, out)
		if other := Log(plant("swordfish12345")); !bytes.Equal(out, other) {
			t.Fatalf("the planted secret shows:\n%q\n%q", out, other)
		}
		checkSanitized(t, Log(a))
	})
}

// BenchmarkLog sanitizes testdata/bench.log, 60 KiB of what a crashing
// service writes: access lines, JSON and logfmt records, Go, Node, Python,
// Java and Ruby traces, and a few secrets. A log is sanitized once, when it
// arrives; ms/log is the figure docs/server.md quotes.
func BenchmarkLog(b *testing.B) {
	log, err := os.ReadFile("testdata/bench.log")
	if err != nil {
		b.Fatal(err)
	}
	Log(log) // compiles the rules
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Log(log)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/log")
}

// pathological are inputs of the Window's size that a careless scanner
// would take quadratic time over.
func pathological() map[string][]byte {
	rep := func(s string) []byte { return bytes.Repeat([]byte(s), Window/len(s)+1)[:Window] }
	return map[string][]byte{
		"path run":        rep("a/"),
		"base64 run":      rep("Zm9v+YmFy/"),
		"schemes":         rep("a://"),
		"user:pass":       rep("a:b"),
		"authorization":   rep("Authorization:"),
		"bearer":          rep("Bearer "),
		"cookie":          rep("Cookie: "),
		"assignments":     rep("password="),
		"quoted keys":     rep(`"token":`),
		"AKIA":            rep("AKIA"),
		"JWT starts":      rep("eyJ."),
		"Slack paths":     rep("T0/"),
		"PEM markers":     rep("-----BEGIN PRIVATE KEY-----"),
		"escapes":         rep("\x1b["),
		"OSC":             rep("\x1b]"),
		"carriage return": rep("x\r"),
		"backspaces":      rep("é\b"),
		"invalid UTF-8":   rep("\xff"),
		"newlines":        rep("\n"),
	}
}

func TestPathological(t *testing.T) {
	for name, in := range pathological() {
		t.Run(name, func(t *testing.T) { checkSanitized(t, Log(in)) })
	}
}

func BenchmarkLogPathological(b *testing.B) {
	for name, in := range pathological() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Log(in)
			}
		})
	}
}
