package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
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
// down is refused, not silently kept by the dying process, and does not hold
// the shutdown up until its deadline.
func TestAdminPushDuringShutdown(t *testing.T) {
	const token = "0123456789abcdef-admin"
	store := crashlog.NewStore(0, 0)
	ts := open(t, Config{
		Crashlogs: store,
		AdminAddr: "127.0.0.1:0",
		Admin:     crashlog.AdminHandler(store, []byte(token), nil),
	})
	// A raw connection, so the test controls exactly how much body is sent:
	// the headers promise 100,000 bytes, eight arrive, the rest never do.
	conn, err := net.Dial("tcp", ts.AdminAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /v1/crashlogs/web HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\nbooting\n", token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- ts.Close(ctx) }()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	code := 0
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		code = resp.StatusCode
		resp.Body.Close()
	}
	// Without the cancel, Shutdown waits on the stalled push until its deadline.
	if err := <-closed; err != nil {
		t.Errorf("shutdown was not graceful: %v", err)
	}
	// Refused: a 503, or the connection closed before an answer; either way
	// the pusher sees a failure and pushes again to the next server.
	if code != http.StatusServiceUnavailable && code != 0 {
		t.Errorf("push during shutdown answered %d, want 503 or no answer", code)
	}
	if _, ok := store.Get("web"); ok {
		t.Error("the dying server kept the log")
	}
}
