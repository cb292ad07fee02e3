package sanitize

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/redact/*.txt")

// TestRedactCorpus runs Log over every testdata/redact/*.txt: a comment
// saying what the case is about, then "-- input --" and "-- want --"
// sections. With -update, the want sections are rewritten.
func TestRedactCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/redact/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseCase(data)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got := Log(c.input)
			if *update {
				c.want = got
				if err := os.WriteFile(file, c.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, c.want) {
				t.Errorf("%s: Log differs from want (run with -update to accept):\n%s", file, lineDiff(c.want, got))
			}
		})
	}
}

// redactCase is one file of the corpus.
type redactCase struct {
	comment, input, want []byte
}

var (
	inputMarker = []byte("-- input --\n")
	wantMarker  = []byte("-- want --\n")
)

func parseCase(data []byte) (redactCase, error) {
	comment, rest, ok := bytes.Cut(data, inputMarker)
	if !ok {
		return redactCase{}, fmt.Errorf("no %q line", bytes.TrimSpace(inputMarker))
	}
	input, want, ok := bytes.Cut(rest, wantMarker)
	if !ok {
		return redactCase{}, fmt.Errorf("no %q line", bytes.TrimSpace(wantMarker))
	}
	return redactCase{comment, input, want}, nil
}

func (c redactCase) format() []byte {
	return bytes.Join([][]byte{c.comment, inputMarker, c.input, wantMarker, c.want}, nil)
}

// lineDiff shows the lines of want and got that differ, by line number.
func lineDiff(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// TestSecretName pins the naming rule redact.go documents.
func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"PASSWORD": true, "db_password": true, "DbPassword": true, "passwd": true, "PASSPHRASE": true,
		"SECRET": true, "client_secret": true, "TOKEN": true, "x-auth-token": true, "CREDENTIALS": true,
		"API_KEY": true, "x-api-key": true, "apikey": true, "apiKey": true, "accessKey": true, "v2Key": true,
		"pass": true, "DB_PASS": true, "token_count": true,
		"MONKEY": false, "monkey": false, "KEY_ID": false, "KEY": false, "key": false, "keyboard": false,
		"TOKEN_FILE": false, "token-file": false, "SECRET_PATH": false, "secrets_dir": false,
		"PWD": false, "password_x_" + strings.Repeat("y", 100): true, "passenger": false, "Key": false,
	} {
		if got := secretName([]byte(name)); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}
