package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/internal/testkit"
	"github.com/ouchie/ouchie/server"
)

// repoSite is the repository's own site, the one the binary embeds.
var repoSite = os.DirFS("../..")

// startServe runs c.serve in the background and returns the server's URL,
// the signal channel that stops it, and a wait for its result.
func startServe(t *testing.T, c *ServeCmd) (string, chan<- os.Signal, *testkit.Buffer, func() error) {
	t.Helper()
	return startServeTo(t, c, io.Discard)
}

// startServeTo is startServe with stdout (the access log) to w.
func startServeTo(t *testing.T, c *ServeCmd, stdout io.Writer) (string, chan<- os.Signal, *testkit.Buffer, func() error) {
	t.Helper()
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.AppHeader == "" {
		c.AppHeader = "X-App"
	}
	if c.LogFormat == "" {
		c.LogFormat = "combined"
	}
	if c.ShutdownTimeout == 0 {
		// kong's default; with none, a client's idle keep-alive connection
		// can make the shutdown report requests cut off.
		c.ShutdownTimeout = 10 * time.Second
	}
	logs := &testkit.Buffer{}
	env := &Env{Stdout: stdout, Stderr: logs, DefaultSite: repoSite, Log: slog.New(slog.NewTextHandler(logs, nil))}
	sigs := make(chan os.Signal, 1)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- c.serve(env, sigs, func(s *server.Server) { ready <- s.Addr() })
	}()
	select {
	case addr := <-ready:
		stopped := make(chan struct{})
		var err error
		go func() {
			err = <-done
			close(stopped)
		}()
		wait := func() error {
			<-stopped
			return err
		}
		t.Cleanup(func() {
			// Signal until it stops: a second signal ends a shutdown delay.
			for {
				select {
				case <-stopped:
					return
				case sigs <- syscall.SIGTERM:
				}
			}
		})
		return "http://" + addr, sigs, logs, wait
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	return "", nil, nil, nil
}

func getJSON(t *testing.T, url string, h ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, v
}

// TestServeDefaultSite: with no --dist or --src, the embedded site is built
// in memory and served; SIGHUP reloads; SIGTERM stops it cleanly.
func TestServeDefaultSite(t *testing.T) {
	url, sigs, logs, wait := startServe(t, &ServeCmd{})
	code, page := getJSON(t, url+"/H10", "X-Request-ID", "<rid>")
	if code != 502 || page["id"] != "502-app-crashed" || page["request_id"] != "<rid>" {
		t.Errorf("/H10: %d %v", code, page)
	}
	code, page = getJSON(t, url+"/", "X-Code", "418")
	if code != 418 || page["id"] != "4xx" || page["status"] != 418.0 {
		t.Errorf("X-Code 418: %d %v", code, page)
	}
	sigs <- syscall.SIGHUP
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serving error pages", "theme=classic", "pages=27", "reloaded", "shutting down"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestServeDist: --dist takes a bundle folder, or a dist root where --theme
// (default: the site's default theme) picks the bundle.
func TestServeDist(t *testing.T) {
	dist := t.TempDir()
	bundles, err := generator.Build(repoSite, generator.Options{Themes: []string{"classic", "minimal"}, Formats: []string{"html", "json"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.WriteOut(dist, bundles); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		dist, theme, want string
	}{
		{dist, "", "theme=classic"},
		{dist, "minimal", "theme=minimal"},
		{filepath.Join(dist, "minimal"), "", "theme=minimal"},
	} {
		url, _, logs, _ := startServe(t, &ServeCmd{Dist: tt.dist, Theme: tt.theme})
		if code, page := getJSON(t, url+"/503"); code != 503 || page["id"] != "503" {
			t.Errorf("%s %s: %d %v", tt.dist, tt.theme, code, page)
		}
		if !strings.Contains(logs.String(), tt.want) {
			t.Errorf("%s %s: log lacks %s:\n%s", tt.dist, tt.theme, tt.want, logs.String())
		}
	}
}

func TestServeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	empty := t.TempDir()
	dist := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dist, "classic"), 0o755); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		cmd  ServeCmd
		err  string
		hint string
	}{
		{"busy port", ServeCmd{Listen: busy.Addr().String()}, "listen " + busy.Addr().String() + ": address already in use", "--listen"},
		{"no bundle", ServeCmd{Dist: empty}, "holds no bundle", "ouchie build --dist"},
		{"missing dist", ServeCmd{Dist: filepath.Join(empty, "nope")}, "not a folder", "--dist"},
		{"missing src", ServeCmd{Src: filepath.Join(empty, "nope")}, "no such file or directory", "--src"},
		{"admin without token", ServeCmd{AdminListen: "127.0.0.1:0"}, "--admin-listen needs --admin-token-file", "token"},
		{"token without admin", ServeCmd{AdminTokenFile: tokenFile}, "without --admin-listen", "--admin-listen"},
		{"viewing token without logs", ServeCmd{CrashlogTokenFile: tokenFile}, "none are configured", "--crashlog-dir"},
		{"bad default status", ServeCmd{DefaultStatus: 302}, "default status 302", ""},
		{"watch the embedded site", ServeCmd{Watch: true}, "--watch needs a folder", "--dist or --src"},
		{"bad trusted proxy", ServeCmd{TrustedProxies: "private,10.0.0.0/33"}, `trusted proxy "10.0.0.0/33"`, "--trusted-proxies"},
		{"token file a folder", ServeCmd{AdminListen: "127.0.0.1:0", AdminTokenFile: empty}, "not a regular file (a directory)", "--admin-token-file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cmd
			if c.Listen == "" {
				c.Listen = "127.0.0.1:0"
			}
			env := &Env{Stdout: io.Discard, Stderr: io.Discard, DefaultSite: repoSite, Log: slog.New(slog.DiscardHandler)}
			err := c.serve(env, make(chan os.Signal), nil)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			var h hinter
			if tt.hint != "" && (!asHinter(err, &h) || !strings.Contains(h.Hint(), tt.hint)) {
				t.Errorf("hint for %v lacks %q", err, tt.hint)
			}
		})
	}
}

func asHinter(err error, h *hinter) bool {
	for err != nil {
		if x, ok := err.(hinter); ok {
			*h = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestServeFlags: flag errors come from the command line parser.
func TestServeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--dist", "a", "--src", "b"},
		{"serve", "--log-format", "xml"},
	} {
		var stderr bytes.Buffer
		code := Main(args, Env{Stdout: io.Discard, Stderr: &stderr, DefaultSite: repoSite})
		if code != 2 {
			t.Errorf("%v: exit %d\n%s", args, code, stderr.String())
		}
	}
	var stdout bytes.Buffer
	if code := Main([]string{"serve", "--help"}, Env{Stdout: &stdout, Stderr: io.Discard, DefaultSite: repoSite}); code != 0 ||
		!strings.Contains(stdout.String(), "OUCHIE_LISTEN") {
		t.Errorf("serve --help: exit %d\n%s", code, stdout.String())
	}
}

// TestServeAccessLogFlag: the access log is on unless --no-access-log,
// --access-log=false or OUCHIE_ACCESS_LOG=false says otherwise.
func TestServeAccessLogFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", true},
		{[]string{"--access-log"}, "", true},
		{[]string{"--no-access-log"}, "", false},
		{[]string{"--access-log=false"}, "", false},
		{nil, "false", false},
		{[]string{"--access-log"}, "false", true},
	} {
		if tt.env != "" {
			t.Setenv("OUCHIE_ACCESS_LOG", tt.env)
		} else {
			os.Unsetenv("OUCHIE_ACCESS_LOG")
		}
		var cli CLI
		parser, err := newParser(&cli, kong.Exit(func(int) { t.Fatal("exit") }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(append([]string{"serve"}, tt.args...)); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if cli.Serve.AccessLog != tt.want {
			t.Errorf("%v OUCHIE_ACCESS_LOG=%q: access log %v, want %v", tt.args, tt.env, cli.Serve.AccessLog, tt.want)
		}
	}
}

// TestServeAccessLog: the access log reaches stdout, batched, and every
// line is written by the time the command returns; with it off, nothing is.
func TestServeAccessLog(t *testing.T) {
	for _, on := range []bool{true, false} {
		stdout := &testkit.Buffer{}
		url, sigs, _, wait := startServeTo(t, &ServeCmd{AccessLog: on}, stdout)
		for _, path := range []string{"/502", "/503", "/404"} {
			if code, _ := getJSON(t, url+path); code < 400 {
				t.Fatalf("%s: %d", path, code)
			}
		}
		sigs <- syscall.SIGTERM
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		got := stdout.String()
		if n := strings.Count(got, `" 50`) + strings.Count(got, `" 404 `); on && n != 3 || !on && got != "" {
			t.Errorf("access log %v: stdout\n%s", on, got)
		}
	}
}

// TestServeSiteInWorkingDir: like every other command, serve with neither
// --src nor --dist uses ./ when it holds content/.
func TestServeSiteInWorkingDir(t *testing.T) {
	dir := t.TempDir()
	if err := (&InitCmd{Dir: dir}).Run(&Env{Stdout: io.Discard, DefaultSite: repoSite}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "content", "404.md")
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("title: Page not found"), []byte("title: Lost in the working dir"), 1)
	if err := os.WriteFile(page, src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	url, sigs, logs, wait := startServe(t, &ServeCmd{})
	code, got := getJSON(t, url+"/404")
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if code != 404 || got["title"] != "Lost in the working dir" {
		t.Errorf("/404: %d %v", code, got)
	}
	if !strings.Contains(logs.String(), `origin="site ."`) {
		t.Errorf("log does not say it serves ./:\n%s", logs.String())
	}
}

// TestServeTrustProxyDeprecated: the old --trust-proxy still works, as
// --trusted-proxies private, with a line on stderr saying so.
func TestServeTrustProxyDeprecated(t *testing.T) {
	stdout := &testkit.Buffer{}
	url, sigs, logs, wait := startServeTo(t, &ServeCmd{TrustProxy: true, AccessLog: true}, stdout)
	req, _ := http.NewRequest("GET", url+"/502", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "--trust-proxy (OUCHIE_TRUST_PROXY) is deprecated") {
		t.Errorf("no deprecation line:\n%s", logs.String())
	}
	if !strings.HasPrefix(stdout.String(), "203.0.113.9 - - [") {
		t.Errorf("access log %q, want the client behind the private proxy", stdout.String())
	}
}
