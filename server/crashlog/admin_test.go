package crashlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/sanitize"
)

const testToken = "0123456789abcdef-test-token"

// adminServer serves AdminHandler on a fresh store, logging into the
// returned buffer.
func adminServer(t *testing.T) (*httptest.Server, *Store, *bytes.Buffer) {
	t.Helper()
	store := NewStore(0, 0)
	var logs bytes.Buffer
	srv := httptest.NewServer(AdminHandler(store, []byte(testToken), slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(srv.Close)
	return srv, store, &logs
}

func do(t *testing.T, method, url, auth string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAdminAuth(t *testing.T) {
	srv, store, logs := adminServer(t)
	store.Put("web", []byte("log\n"))
	for _, tc := range []struct{ name, method, path, auth, challenge string }{
		{"no token", "GET", "/v1/crashlogs/web", "", `Bearer realm="ouchie admin"`},
		{"wrong token", "GET", "/v1/crashlogs/web", "Bearer wrong-token-wrong-token", `Bearer realm="ouchie admin", error="invalid_token"`},
		{"token prefix", "GET", "/v1/crashlogs/web", "Bearer " + testToken[:20], `Bearer realm="ouchie admin", error="invalid_token"`},
		{"token and more", "GET", "/v1/crashlogs/web", "Bearer " + testToken + "x", `Bearer realm="ouchie admin", error="invalid_token"`},
		{"empty bearer", "GET", "/v1/crashlogs/web", "Bearer ", `Bearer realm="ouchie admin", error="invalid_token"`},
		{"basic scheme", "GET", "/v1/crashlogs/web", "Basic " + testToken, `Bearer realm="ouchie admin"`},
		{"token alone", "GET", "/v1/crashlogs/web", testToken, `Bearer realm="ouchie admin"`},
		{"before 405", "POST", "/v1/crashlogs/web", "", `Bearer realm="ouchie admin"`},
		{"before 404", "GET", "/elsewhere", "", `Bearer realm="ouchie admin"`},
		{"before a write", "DELETE", "/v1/crashlogs/web", "Bearer nope", `Bearer realm="ouchie admin", error="invalid_token"`},
	} {
		resp, _ := do(t, tc.method, srv.URL+tc.path, tc.auth, nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tc.challenge {
			t.Errorf("%s: %d, WWW-Authenticate %q; want 401, %q", tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tc.challenge)
		}
	}
	if _, ok := store.Get("web"); !ok {
		t.Error("an unauthorized DELETE removed the log")
	}
	if strings.Contains(logs.String(), "wrong-token") || strings.Contains(logs.String(), testToken[:20]) {
		t.Errorf("the log shows a token:\n%s", logs)
	}
	for _, auth := range []string{"Bearer " + testToken, "bearer " + testToken, "Bearer  " + testToken + " "} {
		if resp, _ := do(t, "GET", srv.URL+"/v1/crashlogs/web", auth, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization %q: %d, want 200", auth, resp.StatusCode)
		}
	}
}

func TestAdminEmptyTokenRefusesAll(t *testing.T) {
	srv := httptest.NewServer(AdminHandler(NewStore(0, 0), nil, nil))
	defer srv.Close()
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		if resp, _ := do(t, "GET", srv.URL+"/v1/crashlogs/web", auth, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("empty token, Authorization %q: %d, want 401", auth, resp.StatusCode)
		}
	}
}

func TestAdminLifecycle(t *testing.T) {
	srv, _, logs := adminServer(t)
	url, auth := srv.URL+"/v1/crashlogs/web", "Bearer "+testToken
	steps := []struct {
		method, body string
		status       int
		want         string
	}{
		{"GET", "", 404, "no crashlog for web\n"},
		{"PUT", "\x1b[31mboot failed\x1b[0m\nDB_PASSWORD=hunter2hunter2\n", 201, ""},
		{"GET", "", 200, "boot failed\nDB_PASSWORD=[redacted]\n"},
		{"PUT", "second crash\n", 204, ""},
		{"GET", "", 200, "second crash\n"},
		{"HEAD", "", 200, ""},
		{"DELETE", "", 204, ""},
		{"DELETE", "", 404, "no crashlog for web\n"},
		{"GET", "", 404, "no crashlog for web\n"},
	}
	for i, s := range steps {
		resp, body := do(t, s.method, url, auth, strings.NewReader(s.body))
		if resp.StatusCode != s.status || body != s.want {
			t.Fatalf("step %d, %s: %d %q; want %d %q", i, s.method, resp.StatusCode, body, s.status, s.want)
		}
		if s.method == "GET" && s.status == 200 {
			h := resp.Header
			if h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("step %d: headers %v", i, h)
			}
		}
	}
	out := logs.String()
	for _, want := range []string{`msg="crashlog stored" app=web bytes=48`, `msg="crashlog replaced" app=web bytes=13`, `msg="crashlog deleted" app=web`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "boot failed") {
		t.Errorf("the log shows a crashlog's content:\n%s", out)
	}
}

func TestAdminBadRequests(t *testing.T) {
	srv, _, _ := adminServer(t)
	auth := "Bearer " + testToken
	for _, path := range []string{"UPPER", ".hidden", "a%2Fb", "..%2Fetc%2Fpasswd", "%2e%2e", "a%20b", strings.Repeat("a", 64), "web%00"} {
		if resp, _ := do(t, "PUT", srv.URL+"/v1/crashlogs/"+path, auth, strings.NewReader("x")); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", path, resp.StatusCode)
		}
	}
	resp, _ := do(t, "POST", srv.URL+"/v1/crashlogs/web", auth, strings.NewReader("x"))
	if allow := resp.Header.Get("Allow"); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(allow, "PUT") || !strings.Contains(allow, "DELETE") {
		t.Errorf("POST: %d, Allow %q; want 405 and PUT, GET, DELETE", resp.StatusCode, allow)
	}
	for _, path := range []string{"/", "/v1/crashlogs/", "/v1/crashlogs/web/more"} {
		if resp, _ := do(t, "GET", srv.URL+path, auth, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestAdminLongBody sends 3 MiB: the tail is kept and the note counts what
// went before it.
func TestAdminLongBody(t *testing.T) {
	srv, store, _ := adminServer(t)
	var body bytes.Buffer
	for i := 0; body.Len() < 3<<20; i++ {
		fmt.Fprintf(&body, "line %07d of a long boot\n", i)
	}
	lines := bytes.Count(body.Bytes(), []byte("\n"))
	if resp, _ := do(t, "PUT", srv.URL+"/v1/crashlogs/web", "Bearer "+testToken, &body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	got, _ := store.Get("web")
	wantNote := fmt.Sprintf("[… %d earlier lines (", lines-sanitize.MaxLines)
	wantEnd := fmt.Sprintf("line %07d of a long boot\n", lines-1)
	note, _, _ := bytes.Cut(got, []byte("\n"))
	if !bytes.HasPrefix(bytes.ReplaceAll(note, []byte(","), nil), []byte(wantNote)) || !bytes.HasSuffix(got, []byte(wantEnd)) {
		t.Errorf("kept %.60q … %q; want %q … %q", got, got[len(got)-30:], wantNote, wantEnd)
	}
}

// TestAdminSlowBody streams a body for longer than the server's read
// timeout: an authorized PUT may take as long as its app runs.
func TestAdminSlowBody(t *testing.T) {
	store := NewStore(0, 0)
	srv := httptest.NewUnstartedServer(AdminHandler(store, []byte(testToken), nil))
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		for i := range 5 {
			fmt.Fprintf(pw, "still booting %d\n", i)
			time.Sleep(50 * time.Millisecond)
		}
		pw.Close()
	}()
	if resp, body := do(t, "PUT", srv.URL+"/v1/crashlogs/web", "Bearer "+testToken, pr); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	if got, _ := store.Get("web"); !bytes.HasSuffix(got, []byte("still booting 4\n")) {
		t.Errorf("kept %q", got)
	}
}

// TestAdminStopping cancels the server's base context while a body streams:
// the PUT is answered 503 and nothing is stored.
func TestAdminStopping(t *testing.T) {
	store := NewStore(0, 0)
	ctx, stop := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(AdminHandler(store, []byte(testToken), nil))
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	defer srv.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() {
		fmt.Fprintln(pw, "booting")
		stop() // the server starts shutting down mid-push
	}()
	resp, _ := do(t, "PUT", srv.URL+"/v1/crashlogs/web", "Bearer "+testToken, pr)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("PUT while stopping: %d, Retry-After %q; want 503 and a Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if _, ok := store.Get("web"); ok {
		t.Error("a push cut short was stored")
	}
}

// downKeeper is a Keeper that cannot be reached.
type downKeeper struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (downKeeper) Keep(context.Context, string, []byte) (bool, error)  { return false, errDown }
func (downKeeper) Fetch(context.Context, string) ([]byte, bool, error) { return nil, false, errDown }
func (downKeeper) Remove(context.Context, string) (bool, error)        { return false, errDown }

// TestAdminStoreDown: a store that fails answers 503 to every operation,
// never 2xx for a log that was not stored, nor 404 for one it could not
// look for.
func TestAdminStoreDown(t *testing.T) {
	var logs bytes.Buffer
	srv := httptest.NewServer(AdminHandler(downKeeper{}, []byte(testToken), slog.New(slog.NewTextHandler(&logs, nil))))
	defer srv.Close()
	for _, tc := range []struct{ method, body string }{{"PUT", "boot failed\n"}, {"PUT", "\n"}, {"GET", ""}, {"DELETE", ""}} {
		resp, _ := do(t, tc.method, srv.URL+"/v1/crashlogs/web", "Bearer "+testToken, strings.NewReader(tc.body))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %q with the store down: %d, Retry-After %q; want 503 and a Retry-After", tc.method, tc.body, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("the log does not say why:\n%s", logs.String())
	}
}

// TestAdminPushCap: beyond MaxPushes bodies being read at once, a PUT is
// answered 429 with a Retry-After and stores nothing; the pushes under way
// finish.
func TestAdminPushCap(t *testing.T) {
	store := NewStore(0, 0)
	srv := httptest.NewServer(AdminHandler(store, []byte(testToken), nil, AdminOptions{MaxPushes: 2}))
	defer srv.Close()
	auth := "Bearer " + testToken
	var pipes []*io.PipeWriter
	defer func() {
		for _, pw := range pipes {
			pw.CloseWithError(errors.New("test over"))
		}
	}()
	results := make(chan int, 2)
	for i := range 2 {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v1/crashlogs/slow%d", srv.URL, i), pr)
		req.Header.Set("Authorization", auth)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
		fmt.Fprintln(pw, "booting")
	}
	// Until both slow pushes hold their places, a quick push may get one.
	refused := false
	for range 500 {
		resp, body := do(t, "PUT", srv.URL+"/v1/crashlogs/quick", auth, strings.NewReader("crashed\n"))
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "too many pushes") {
				t.Errorf("429 without Retry-After or reason: %v %q", resp.Header, body)
			}
			refused = true
			break
		}
		store.Delete("quick")
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("a third push at once was never refused")
	}
	if _, ok := store.Get("quick"); ok {
		t.Error("a refused push was stored")
	}
	for _, pw := range pipes {
		fmt.Fprintln(pw, "crashed")
		pw.Close()
	}
	for range 2 {
		if code := <-results; code != http.StatusCreated {
			t.Errorf("a push under way: %d, want 201", code)
		}
	}
	if resp, _ := do(t, "PUT", srv.URL+"/v1/crashlogs/quick", auth, strings.NewReader("crashed\n")); resp.StatusCode != http.StatusCreated {
		t.Errorf("a push after the others ended: %d", resp.StatusCode)
	}
}
