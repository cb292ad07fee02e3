package sanitize

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// secretCase is one paragraph of testdata/secrets.txt.
type secretCase struct {
	line          int // of its first log line
	name          string
	log           []byte
	secrets, keep []string
}

// readSecretCases parses testdata/secrets.txt.
func readSecretCases(t testing.TB) []secretCase {
	const file = "testdata/secrets.txt"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []secretCase
	var c secretCase
	flush := func() {
		if len(c.log) > 0 {
			cases = append(cases, c)
		} else if len(c.secrets)+len(c.keep) > 0 {
			t.Fatalf("%s:%d: a case without log lines", file, c.line)
		}
		c = secretCase{}
	}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		l := s.Text()
		switch {
		case l == "":
			flush()
		case strings.HasPrefix(l, "# "):
			if c.name == "" {
				c.name = strings.TrimPrefix(l, "# ")
			}
		case strings.HasPrefix(l, "> ") || l == ">":
			if len(c.log) == 0 {
				c.line = n
			}
			c.log = append(c.log, strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")+"\n"...)
		case strings.HasPrefix(l, "- "):
			c.secrets = append(c.secrets, l[2:])
		case strings.HasPrefix(l, "+ "):
			c.keep = append(c.keep, l[2:])
		default:
			t.Fatalf("%s:%d: a line starting with none of '# ', '> ', '- ', '+ ': %q", file, n, l)
		}
	}
	flush()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestSecrets runs every case of testdata/secrets.txt through Log.
func TestSecrets(t *testing.T) {
	for _, c := range readSecretCases(t) {
		t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) {
			got := Log(c.log)
			for _, s := range c.secrets {
				if bytes.Contains(got, []byte(s)) {
					t.Errorf("secrets.txt:%d (%s): %q shows:\n%s", c.line, c.name, s, got)
				}
			}
			for _, k := range c.keep {
				if !bytes.Contains(got, []byte(k)) {
					t.Errorf("secrets.txt:%d (%s): %q is gone:\n%s", c.line, c.name, k, got)
				}
			}
			if len(c.secrets) == 0 && !bytes.Equal(got, c.log) {
				t.Errorf("secrets.txt:%d (%s): a log without secrets changed:\n%s", c.line, c.name, lineDiff(c.log, got))
			}
		})
	}
}

// FuzzRedact plants a case of testdata/secrets.txt between two fuzzed logs,
// on lines of its own: whatever surrounds them, none of its secrets may
// show.
func FuzzRedact(f *testing.F) {
	var planted []secretCase
	for _, c := range readSecretCases(f) {
		if len(c.secrets) > 0 {
			planted = append(planted, c)
		}
	}
	f.Add([]byte("starting web"), []byte("exit status 1\n"), uint(0))
	f.Add([]byte("\x1b[31mpanic\x1b[0m: \"unterminated"), []byte("\r\b\b\n"), uint(7))
	f.Add([]byte("password: |"), []byte("  indented\n"), uint(12))
	f.Add([]byte(`  File "/app/x.py", line 3, in f`), []byte("Authorization:"), uint(20))
	f.Fuzz(func(t *testing.T, a, b []byte, n uint) {
		c := planted[n%uint(len(planted))]
		for _, s := range c.secrets {
			if bytes.Contains(a, []byte(s)) || bytes.Contains(b, []byte(s)) {
				return // the secret is in the fuzzed text too
			}
		}
		in := append(bytes.Clone(a), '\n')
		in = append(append(in, c.log...), b...)
		out := Log(in)
		checkSanitized(t, out)
		for _, s := range c.secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Fatalf("secrets.txt:%d (%s): %q shows in\n%q", c.line, c.name, s, out)
			}
		}
	})
}
