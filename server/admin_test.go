package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/crashlog"
)

// TestAdminListener: the admin API on its own listener feeds the pages; a
// log pushed there shows sanitized on the app's crashlog page and is gone
// after DELETE. The page listener does not serve the admin API.
func TestAdminListener(t *testing.T) {
	const token = "0123456789abcdef-admin"
	store := crashlog.NewStore(0, 0)
	ts := open(t, Config{
		Crashlogs: store,
		AdminAddr: "127.0.0.1:0",
		Admin:     crashlog.AdminHandler(store, []byte(token), nil),
	})
	admin := "http://" + ts.AdminAddr()
	push := func(method, auth, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, admin+"/v1/crashlogs/web", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	log := "booting\n\x1b[31mError: DATABASE_URL=postgres://u:hunter2@db/x refused\x1b[0m\nexit 1\n"
	if code := push(http.MethodPut, "", log); code != http.StatusUnauthorized {
		t.Fatalf("PUT without token: %d", code)
	}
	if code := push(http.MethodPut, "wrong-token-wrong-token", log); code != http.StatusUnauthorized {
		t.Fatalf("PUT with a wrong token: %d", code)
	}
	if code := push(http.MethodPut, token, log); code/100 != 2 {
		t.Fatalf("PUT: %d", code)
	}

	resp, data := ts.get(t, "/H10.txt", "X-App", "web")
	p := parse(t, resp.Header.Get("Content-Type"), data)
	if !strings.Contains(p.crashlog, "exit 1") || strings.Contains(p.crashlog, "hunter2") || strings.Contains(p.crashlog, "\x1b") {
		t.Errorf("page shows %q", p.crashlog)
	}
	if resp, _ := ts.get(t, "/v1/crashlogs/web"); resp.StatusCode != 404 {
		t.Errorf("page listener answers the admin path with %d", resp.StatusCode)
	}
	if code := push(http.MethodDelete, token, ""); code/100 != 2 {
		t.Fatalf("DELETE: %d", code)
	}
	resp, data = ts.get(t, "/H10.txt", "X-App", "web")
	if p := parse(t, resp.Header.Get("Content-Type"), data); p.crashlog != "" {
		t.Errorf("after DELETE the page shows %q", p.crashlog)
	}
	if !strings.Contains(ts.access.String(), `"PUT /v1/crashlogs/web HTTP/1.1" 401`) {
		t.Errorf("admin requests are not in the access log:\n%s", ts.access.String())
	}
}

// TestCrashlogDir: logs a supervisor writes are read through the directory
// source; names that try to leave it show nothing.
func TestCrashlogDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.log"), []byte("started\npanic: <nil> map\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.log"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := crashlog.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ts := open(t, Config{Crashlogs: crashlog.Multi(crashlog.NewStore(0, 0), d)})
	resp, data := ts.get(t, "/H10", "X-App", "web")
	if p := parse(t, resp.Header.Get("Content-Type"), data); !strings.Contains(p.crashlog, "panic: &lt;nil&gt; map") {
		t.Errorf("page shows %q", p.crashlog)
	}
	for _, app := range []string{"../outside", "outside", "web.log", ".", "..", "WEB"} {
		resp, data := ts.get(t, "/H10", "X-App", app)
		if p := parse(t, resp.Header.Get("Content-Type"), data); resp.StatusCode != 502 || p.crashlog != "" {
			t.Errorf("app %q: %d, log %q", app, resp.StatusCode, p.crashlog)
		}
	}
}

// TestAdminPushDuringShutdown: a push still streaming when the server shuts
// down is refused (503), not silently kept by the dying process.
func TestAdminPushDuringShutdown(t *testing.T) {
	const token = "0123456789abcdef-admin"
	store := crashlog.NewStore(0, 0)
	ts := open(t, Config{
		Crashlogs: store,
		AdminAddr: "127.0.0.1:0",
		Admin:     crashlog.AdminHandler(store, []byte(token), nil),
	})
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, "http://"+ts.AdminAddr()+"/v1/crashlogs/web", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	codes := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			codes <- 0
			return
		}
		resp.Body.Close()
		codes <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte("booting\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- ts.Close(ctx) }()
	var code int
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		pw.CloseWithError(errors.New("gave up"))
		t.Fatal("push still open 10 s after shutdown began")
	}
	pw.Close()
	<-closed
	if code != http.StatusServiceUnavailable {
		t.Errorf("push during shutdown answered %d, want 503", code)
	}
	if _, ok := store.Get("web"); ok {
		t.Error("the dying server kept the log")
	}
}
