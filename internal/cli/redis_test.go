package cli

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/internal/testkit"
	"github.com/ouchie/ouchie/server/crashlog/redisstore/redistest"
)

// replica is one ouchie serve with the Redis store: its page URL, its
// admin API's, and how to stop it.
type replica struct {
	url, admin string
	sigs       chan<- os.Signal
	logs       *testkit.Buffer
	wait       func() error
}

// jsonDist builds the repository's site, classic theme, JSON only, once
// for the replicas of a test, and returns the bundle's folder.
func jsonDist(t *testing.T) string {
	t.Helper()
	dist := t.TempDir()
	bundles, err := generator.Build(repoSite, generator.Options{Themes: []string{"classic"}, Formats: []string{"json"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.WriteOut(dist, bundles); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dist, "classic")
}

// serveRedis starts ouchie serve of dist on the Redis at url, with the
// admin API on a free port, as a replica of a deployment would run.
func serveRedis(t *testing.T, dist, url, tokenFile string) replica {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := ln.Addr().String()
	ln.Close()
	page, sigs, logs, wait := startServe(t, &ServeCmd{
		Dist: dist, AdminListen: admin, AdminTokenFile: tokenFile, CrashlogStore: url, CrashlogTTL: time.Hour,
		// A loaded test machine answers slower than a page may wait in
		// production; the breaker would keep the log away for the test.
		CrashlogStoreTimeout: time.Second,
	})
	return replica{page, "http://" + admin, sigs, logs, wait}
}

func (r replica) stop(t *testing.T) {
	t.Helper()
	r.sigs <- syscall.SIGTERM
	if err := r.wait(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// crashlogOf returns the crashlog the app-crashed page shows for app, as
// JSON, or "" when it shows none.
func (r replica) crashlogOf(t *testing.T, app string) string {
	t.Helper()
	status, doc := getJSON(t, r.url+"/502/app-crashed", "X-App", app)
	if status != http.StatusBadGateway {
		t.Fatalf("page status %d", status)
	}
	log, _ := doc["crashlog"].(string)
	return log
}

// await polls cond every 10 ms until it holds, failing after 30 s (a
// loaded machine; what is awaited takes milliseconds).
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", what)
		}
	}
}

func push(t *testing.T, admin, tokenFile, app, log string) (int, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), app+".log")
	if err := os.WriteFile(file, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := ouchie("crashlog", "push", "--admin", admin, "--token-file", tokenFile, app, file)
	return code, stdout + stderr
}

func tokenFile(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(file, []byte(adminTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestServeRedisReplicas: two replicas on one Redis. A log pushed to one
// (with ouchie crashlog push) is shown by the other, sanitized, although
// the other had already looked for it: its client-side cache is
// invalidated by Redis, not by a timer (the cache keeps an entry a minute
// without one). Restarting a replica keeps the log.
func TestServeRedisReplicas(t *testing.T) {
	rs := redistest.Start(t)
	tok, dist := tokenFile(t), jsonDist(t)
	a, b := serveRedis(t, dist, rs.URL, tok), serveRedis(t, dist, rs.URL, tok)
	if log := b.crashlogOf(t, "web"); log != "" {
		t.Fatalf("a crashlog before any push: %q", log)
	}
	if code, out := push(t, a.admin, tok, "web", "boot failed\nDB_PASSWORD=hunter2hunter2\n"); code != 0 {
		t.Fatalf("push: %d %s", code, out)
	}
	want := "boot failed\nDB_PASSWORD=[redacted]\n"
	await(t, "the other replica shows the log", func() bool { return b.crashlogOf(t, "web") == want })
	if reply, _ := rs.Do("GET", "ouchie:crashlog:web"); strings.Contains(reply, "hunter2") {
		t.Errorf("Redis holds the raw secret: %q", reply)
	}

	b.stop(t)
	c := serveRedis(t, dist, rs.URL, tok)
	// A lookup waits at most 50 ms for Redis; the new replica's first ones
	// may not get an answer that fast on a loaded machine.
	await(t, "the restarted replica shows the log", func() bool { return c.crashlogOf(t, "web") == want })
	if code, out := push(t, c.admin, tok, "web", "second crash\n"); code != 0 {
		t.Fatalf("push: %d %s", code, out)
	}
	await(t, "the first replica shows the new log", func() bool { return a.crashlogOf(t, "web") == "second crash\n" })
}

// TestServeRedisOutage: Redis is killed and restarted while clients load
// a replica: every page request is answered, without the crashlog while
// Redis is down and with it again once the replica has reconnected by
// itself; a push meanwhile is answered 503; /metrics counts the failures.
func TestServeRedisOutage(t *testing.T) {
	rs := redistest.Start(t)
	tok := tokenFile(t)
	r := serveRedis(t, jsonDist(t), rs.URL, tok)
	const log = "boot failed\n"
	if code, out := push(t, r.admin, tok, "web", log); code != 0 {
		t.Fatalf("push: %d %s", code, out)
	}
	await(t, "the log is shown", func() bool { return r.crashlogOf(t, "web") == log })
	if reply, err := rs.Do("SAVE"); reply != "+OK" {
		t.Fatalf("SAVE: %q %v", reply, err)
	}

	// Load: 4 clients, each a request at a time, until told to stop (at
	// most 20,000 requests in all).
	var stop atomic.Bool
	var served, failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 4 {
		wg.Go(func() {
			for !stop.Load() && served.Load()+failed.Load() < 20_000 {
				req, _ := http.NewRequest("GET", r.url+"/502/app-crashed", nil)
				req.Header.Set("X-App", "web")
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusBadGateway {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("a page request failed: %v", err) })
					continue
				}
				served.Add(1)
			}
		})
	}

	rs.Kill()
	await(t, "the page is served without the log", func() bool { return r.crashlogOf(t, "web") == "" })
	req, _ := http.NewRequest("PUT", r.admin+"/v1/crashlogs/web", strings.NewReader("lost\n"))
	req.Header.Set("Authorization", "Bearer "+adminTestToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("push with Redis down: %v %v; want 503", resp.Status, err)
	}
	rs.Restart()
	await(t, "the log is shown again", func() bool { return r.crashlogOf(t, "web") == log })
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 || served.Load() == 0 {
		t.Errorf("%d page requests served, %d failed; want none failed", served.Load(), failed.Load())
	}

	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "ouchie_crashlog_source_errors_total ") || strings.Contains(string(metrics), "ouchie_crashlog_source_errors_total 0\n") {
		t.Errorf("/metrics does not count the failures:\n%s", metrics)
	}
	if n := strings.Count(r.logs.String(), "crashlog store failing"); n != 1 {
		t.Errorf("%d failure reports in the log, want 1:\n%s", n, r.logs.String())
	}
}

// TestServeRedisErrors: a refused password or a bad URL stops serve at
// startup with a clear error that never shows the password.
func TestServeRedisErrors(t *testing.T) {
	rs := redistest.Start(t, "--requirepass", "right-password-1")
	dir, dist := t.TempDir(), jsonDist(t)
	wrong, right := filepath.Join(dir, "wrong"), filepath.Join(dir, "right")
	os.WriteFile(wrong, []byte("wrong-password-1\n"), 0o600)
	os.WriteFile(right, []byte("right-password-1\n"), 0o600)
	for _, tt := range []struct {
		name string
		cmd  ServeCmd
		err  string
	}{
		{"wrong password", ServeCmd{CrashlogStore: "redis://:wrong-password-1@" + rs.Addr + "/0"}, "WRONGPASS"},
		{"wrong password file", ServeCmd{CrashlogStore: rs.URL, CrashlogStorePasswordFile: wrong}, "WRONGPASS"},
		{"no password", ServeCmd{CrashlogStore: rs.URL}, "NOAUTH"},
		{"bad URL", ServeCmd{CrashlogStore: "http://wrong-password-1@" + rs.Addr}, "want redis://"},
		{"password file alone", ServeCmd{CrashlogStorePasswordFile: right}, "without --crashlog-store"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cmd
			c.Listen, c.CrashlogTTL, c.Dist = "127.0.0.1:0", time.Hour, dist
			env := &Env{Stdout: io.Discard, Stderr: io.Discard, DefaultSite: repoSite, Log: slog.New(slog.DiscardHandler)}
			err := c.serve(env, make(chan os.Signal), nil)
			var h hinter
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "wrong-password-1") ||
				!asHinter(err, &h) || !strings.Contains(h.Hint(), "--crashlog-store") {
				t.Fatalf("error %v, want %q with a hint and no password", err, tt.err)
			}
		})
	}
	page, _, _, _ := startServe(t, &ServeCmd{Dist: dist, CrashlogStore: rs.URL, CrashlogStorePasswordFile: right, CrashlogTTL: time.Hour})
	if resp, err := http.Get(page + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("with the right password file: %v %v", resp, err)
	}
}
