package crashlog

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	tok := NewToken([]byte(testToken))
	for given, want := range map[string]bool{
		testToken:                  true,
		testToken + "x":            false,
		testToken[:20]:             false,
		"":                         false,
		strings.ToUpper(testToken): false,
	} {
		if got := tok.Matches(given); got != want {
			t.Errorf("Matches(%q) = %v, want %v", given, got, want)
		}
	}
	var zero Token
	if zero.IsSet() || zero.Matches("") || NewToken(nil).Matches("") || NewToken([]byte{}).IsSet() {
		t.Error("the zero Token matches or is set")
	}
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	for content, wantErr := range map[string]string{
		testToken + "\n":                "",
		"  \t" + testToken + "\r\n\n":   "",
		"":                              "empty",
		"\n \n":                         "empty",
		"short-token\n":                 "token of 11 bytes, at least 16 needed",
		"two words in one token file\n": "blanks or control characters",
		testToken + "\n" + testToken:    "blanks or control characters",
		strings.Repeat("x", 5<<10):      "larger than 4 KiB",
	} {
		file := filepath.Join(dir, "token")
		os.WriteFile(file, []byte(content), 0o600)
		tok, err := LoadToken(file, nil)
		switch {
		case wantErr == "" && (err != nil || string(tok) != testToken):
			t.Errorf("LoadToken(%q) = %q, %v; want the token", content, tok, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("LoadToken(%q): error %v, want one saying %q", content, err, wantErr)
		}
	}
	if _, err := LoadToken(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("LoadToken of a missing file: no error")
	}
	if _, err := LoadToken(dir, nil); err == nil || !strings.Contains(err.Error(), "not a regular file (a directory)") {
		t.Errorf("LoadToken of a directory: %v", err)
	}
}

// TestLoadTokenPermissions: a token file readable by group or others is
// loaded with a warning naming the file and the fix; a 0600 one without.
func TestLoadTokenPermissions(t *testing.T) {
	dir := t.TempDir()
	for mode, warn := range map[os.FileMode]bool{0o600: false, 0o400: false, 0o640: true, 0o644: true} {
		file := filepath.Join(dir, "token")
		os.Remove(file)
		if err := os.WriteFile(file, []byte(testToken), mode); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		tok, err := LoadToken(file, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil || string(tok) != testToken {
			t.Fatalf("mode %o: %q, %v", mode, tok, err)
		}
		got := logs.String()
		if warned := strings.Contains(got, "level=WARN"); warned != warn {
			t.Errorf("mode %o: warned %v, want %v:\n%s", mode, warned, warn, got)
		}
		if warn && (!strings.Contains(got, file) || !strings.Contains(got, "chmod 600") || !strings.Contains(got, "defaultMode")) {
			t.Errorf("mode %o: the warning lacks the file or the fix:\n%s", mode, got)
		}
	}
}
