package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/crashlog"
)

const adminTestToken = "0123456789abcdef-cli-test"

// adminFixture is an admin API on a store, and a token file for it.
type adminFixture struct {
	url, tokenFile string
	store          *crashlog.Store
}

// newAdmin serves the real AdminHandler, behind wrap when given.
func newAdmin(t *testing.T, wrap func(http.Handler) http.Handler) adminFixture {
	t.Helper()
	store := crashlog.NewStore(0, 0)
	var h http.Handler = crashlog.AdminHandler(store, []byte(adminTestToken), nil)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tokenFile, []byte(adminTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return adminFixture{srv.URL, tokenFile, store}
}

// ouchie runs the command line and returns its exit status and output.
func ouchie(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Main(args, Env{Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

func TestCrashlogCommands(t *testing.T) {
	a := newAdmin(t, nil)
	logFile := filepath.Join(t.TempDir(), "web.log")
	os.WriteFile(logFile, []byte("\x1b[31mboot failed\x1b[0m\nDB_PASSWORD=hunter2hunter2\n"), 0o644)
	flags := []string{"--admin", a.url, "--token-file", a.tokenFile}
	run := func(args ...string) (int, string, string) {
		return ouchie(append(append([]string{"crashlog", args[0]}, flags...), args[1:]...)...)
	}

	if code, out, errs := run("push", "web", logFile); code != 0 || !strings.Contains(out, "crashlog of web stored (48 B read from "+logFile+")") {
		t.Fatalf("push: %d %q %q", code, out, errs)
	}
	if code, out, errs := run("get", "web"); code != 0 || out != "boot failed\nDB_PASSWORD=[redacted]\n" {
		t.Errorf("get: %d %q %q", code, out, errs)
	}
	if code, out, _ := run("delete", "web"); code != 0 || out != "crashlog of web deleted\n" {
		t.Errorf("delete: %d %q", code, out)
	}
	// After a good boot a supervisor deletes every time: none is fine.
	if code, out, _ := run("delete", "web"); code != 0 || out != "no crashlog for web to delete\n" {
		t.Errorf("delete again: %d %q", code, out)
	}
	if code, _, errs := run("get", "web"); code != 1 || errs != "ouchie: error: crashlog get: the server holds no crashlog for web\n" {
		t.Errorf("get of none: %d %q", code, errs)
	}
}

func TestCrashlogEnv(t *testing.T) {
	a := newAdmin(t, nil)
	t.Setenv("OUCHIE_ADMIN", strings.TrimPrefix(a.url, "http://")) // a bare host:port will do
	t.Setenv("OUCHIE_TOKEN_FILE", a.tokenFile)
	t.Setenv("OUCHIE_ADMIN_TOKEN_FILE", filepath.Join(t.TempDir(), "the server's")) // not the client's
	logFile := filepath.Join(t.TempDir(), "api.log")
	os.WriteFile(logFile, []byte("panic: nil map\n"), 0o644)
	if code, out, errs := ouchie("crashlog", "push", "api", logFile); code != 0 || errs != "" {
		t.Fatalf("push with the environment: %d %q %q", code, out, errs)
	}
	if got, _ := a.store.Get("api"); string(got) != "panic: nil map\n" {
		t.Errorf("stored %q", got)
	}
}

// TestCrashlogOldTokenVariable: the client still takes its token file from
// the server's variable, for one release, saying so on stderr.
func TestCrashlogOldTokenVariable(t *testing.T) {
	a := newAdmin(t, nil)
	t.Setenv("OUCHIE_ADMIN", a.url)
	t.Setenv("OUCHIE_ADMIN_TOKEN_FILE", a.tokenFile)
	os.Unsetenv("OUCHIE_TOKEN_FILE")
	logFile := filepath.Join(t.TempDir(), "api.log")
	os.WriteFile(logFile, []byte("panic: nil map\n"), 0o644)
	for _, cmd := range [][]string{{"push", "api", logFile}, {"get", "api"}, {"delete", "api"}} {
		code, _, errs := ouchie(append([]string{"crashlog"}, cmd...)...)
		want := "ouchie: warning: OUCHIE_ADMIN_TOKEN_FILE for ouchie crashlog is deprecated and goes away in the next release; use OUCHIE_TOKEN_FILE (OUCHIE_ADMIN_TOKEN_FILE is ouchie serve's)\n"
		if code != 0 || errs != want {
			t.Errorf("crashlog %s with OUCHIE_ADMIN_TOKEN_FILE: exit %d, stderr %q, want %q", cmd[0], code, errs, want)
		}
	}
	// The flag or the new variable wins, without the warning.
	t.Setenv("OUCHIE_ADMIN_TOKEN_FILE", filepath.Join(t.TempDir(), "nope"))
	if code, _, errs := ouchie("crashlog", "delete", "--token-file", a.tokenFile, "api"); code != 0 || errs != "" {
		t.Errorf("--token-file beside OUCHIE_ADMIN_TOKEN_FILE: exit %d, stderr %q", code, errs)
	}
}

// TestCrashlogErrors checks each failure says what to do.
func TestCrashlogErrors(t *testing.T) {
	a := newAdmin(t, nil)
	dir := t.TempDir()
	wrongToken := filepath.Join(dir, "wrong.token")
	os.WriteFile(wrongToken, []byte("wrong-token-wrong-token\n"), 0o600)
	shortToken := filepath.Join(dir, "short.token")
	os.WriteFile(shortToken, []byte("short\n"), 0o600)
	logFile := filepath.Join(dir, "web.log")
	os.WriteFile(logFile, []byte("log\n"), 0o644)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	pages := httptest.NewServer(http.NotFoundHandler()) // a page server, say
	defer pages.Close()

	for _, tc := range []struct {
		name      string
		args      []string
		err, hint string
	}{
		{"wrong token", []string{"get", "--admin", a.url, "--token-file", wrongToken, "web"},
			"crashlog get web: the server refused the admin token", "--token-file (OUCHIE_TOKEN_FILE) must hold the same token"},
		{"no token file", []string{"get", "--admin", a.url, "web"},
			"no admin token", "--token-file (OUCHIE_TOKEN_FILE) names the file"},
		{"short token", []string{"delete", "--admin", a.url, "--token-file", shortToken, "web"},
			"token of 5 bytes, at least 16 needed", "--token-file (OUCHIE_TOKEN_FILE) must hold the token of the server's --admin-token-file"},
		{"missing token file", []string{"get", "--admin", a.url, "--token-file", filepath.Join(dir, "nope"), "web"},
			"token file: open", "--token-file"},
		{"bad app", []string{"push", "--admin", a.url, "--token-file", a.tokenFile, "Web", logFile},
			`app "Web": app names are 1 to 63 of a-z 0-9`, "use the name the server's --app-header carries"},
		{"bad admin URL", []string{"get", "--admin", "ftp://x", "--token-file", a.tokenFile, "web"},
			`admin address "ftp://x": not an http(s) URL`, "--admin (OUCHIE_ADMIN) is like http://127.0.0.1:8081"},
		{"unreachable", []string{"get", "--admin", closed, "--token-file", a.tokenFile, "web"},
			"crashlog get: no answer from " + closed, "is 'ouchie serve --admin-listen ADDR --admin-token-file F' running there?"},
		{"unreachable push", []string{"push", "--admin", closed, "--token-file", a.tokenFile, "web", logFile},
			"crashlog push: no answer from " + closed, "is 'ouchie serve --admin-listen ADDR --admin-token-file F' running there?"},
		{"page address", []string{"push", "--admin", pages.URL, "--token-file", a.tokenFile, "web", logFile},
			"answered 404", "--admin (OUCHIE_ADMIN) must name the server's --admin-listen address"},
		{"missing log", []string{"push", "--admin", a.url, "--token-file", a.tokenFile, "web", filepath.Join(dir, "nope.log")},
			"crashlog push: open", "FILE is the log to send"},
	} {
		code, _, errs := ouchie(append([]string{"crashlog"}, tc.args...)...)
		if code != 1 || !strings.Contains(errs, "ouchie: error: ") || !strings.Contains(errs, tc.err) || !strings.Contains(errs, "hint: "+tc.hint) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant error %q and hint %q", tc.name, code, errs, tc.err, tc.hint)
		}
	}
}

// numberedLog writes lines until size bytes, and returns the last line.
func numberedLog(w io.Writer, size int) string {
	var last string
	for n, i := 0, 0; n < size; i++ {
		last = fmt.Sprintf("line %08d DB_PASSWORD=hunter2hunter2 of a long-running app", i)
		k, _ := fmt.Fprintln(w, last)
		n += k
	}
	return last
}

// pushStdin runs push with stdin as its input.
func pushStdin(a adminFixture, stdin io.Reader) (string, string, error) {
	var stdout, stderr bytes.Buffer
	c := &CrashlogPushCmd{AdminFlags: AdminFlags{Admin: a.url, TokenFile: a.tokenFile}, App: "web", File: "-", stdin: stdin}
	err := c.Run(&Env{Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), err
}

// TestCrashlogPushHuge streams 8 MiB through stdin: the server keeps the
// tail, redacted.
func TestCrashlogPushHuge(t *testing.T) {
	a := newAdmin(t, nil)
	pr, pw := io.Pipe()
	lastLine := make(chan string, 1)
	go func() {
		lastLine <- numberedLog(pw, 8<<20)
		pw.Close()
	}()
	out, errs, err := pushStdin(a, pr)
	if err != nil || !strings.Contains(out, "crashlog of web stored (8.0 MiB read from standard input)") {
		t.Fatalf("push: %v %q %q", err, out, errs)
	}
	got, _ := a.store.Get("web")
	last := strings.Replace(<-lastLine, "hunter2hunter2", "[redacted]", 1)
	if !bytes.HasPrefix(got, []byte("[… ")) || !bytes.HasSuffix(got, []byte(last+"\n")) || bytes.Contains(got, []byte("hunter2")) {
		t.Errorf("stored %.80q … %q", got, got[max(0, len(got)-80):])
	}
}

// TestCrashlogPushNeverBlocks holds the request until the app has written
// all of its 5 MiB: the app must not wait on the server.
func TestCrashlogPushNeverBlocks(t *testing.T) {
	appDone := make(chan struct{})
	a := newAdmin(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-appDone:
			case <-time.After(time.Minute): // a hang guard, not a timing
				http.Error(w, "the app was blocked", http.StatusTeapot)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	pr, pw := io.Pipe()
	go func() {
		numberedLog(pw, 5<<20)
		close(appDone)
		pw.Close()
	}()
	if out, errs, err := pushStdin(a, pr); err != nil {
		t.Fatalf("push: %v %q %q", err, out, errs)
	}
	if got, _ := a.store.Get("web"); !bytes.HasPrefix(got, []byte("[… ")) {
		t.Errorf("stored %.80q", got)
	}
}

// TestCrashlogPushRetries drops the first connection mid-stream, as a
// restarting server does: push reads on and sends the tail again.
func TestCrashlogPushRetries(t *testing.T) {
	for _, how := range []string{"connection dropped", "server stopping"} {
		t.Run(how, func(t *testing.T) {
			var calls atomic.Int32
			a := newAdmin(t, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if calls.Add(1) > 1 {
						h.ServeHTTP(w, r)
						return
					}
					io.CopyN(io.Discard, r.Body, 64<<10)
					if how == "server stopping" {
						http.Error(w, "the server is stopping: push again", http.StatusServiceUnavailable)
						return
					}
					conn, _, _ := http.NewResponseController(w).Hijack()
					conn.Close()
				})
			})
			pr, pw := io.Pipe()
			lastLine := make(chan string, 1)
			go func() {
				lastLine <- numberedLog(pw, 3<<20)
				pw.Close()
			}()
			out, errs, err := pushStdin(a, pr)
			if err != nil || !strings.Contains(out, "crashlog of web stored on the second try (last ") || !strings.Contains(errs, "then trying once more") {
				t.Fatalf("push: %v %q %q", err, out, errs)
			}
			got, _ := a.store.Get("web")
			last := strings.Replace(<-lastLine, "hunter2hunter2", "[redacted]", 1)
			if !bytes.HasSuffix(got, []byte(last+"\n")) || bytes.Contains(got, []byte("hunter2")) {
				t.Errorf("stored … %q", got[max(0, len(got)-80):])
			}
		})
	}
}

// TestCrashlogPushRefused answers 401 before reading the body: push says
// so at once and still reads its input to the end.
func TestCrashlogPushRefused(t *testing.T) {
	a := newAdmin(t, nil)
	os.WriteFile(a.tokenFile, []byte("wrong-token-wrong-token"), 0o600)
	pr, pw := io.Pipe()
	wrote := make(chan error, 1)
	go func() {
		numberedLog(pw, 3<<20)
		wrote <- pw.Close()
	}()
	_, errs, err := pushStdin(a, pr)
	if err == nil || !strings.Contains(err.Error(), "refused the admin token") || !strings.Contains(errs, "reading standard input to its end") {
		t.Errorf("push with a wrong token: %v %q", err, errs)
	}
	if err := <-wrote; err != nil {
		t.Errorf("the app's writes failed: %v", err)
	}
}
