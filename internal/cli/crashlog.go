package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ouchie/ouchie/internal/human"
	"github.com/ouchie/ouchie/server/crashlog"
)

// CrashlogCmd manages the crashlogs a running server holds.
type CrashlogCmd struct {
	Push   CrashlogPushCmd   `cmd:"" help:"Send an app's log to the server (myapp 2>&1 | ouchie crashlog push web -)."`
	Get    CrashlogGetCmd    `cmd:"" help:"Print an app's crashlog as the server holds it (sanitized)."`
	Delete CrashlogDeleteCmd `cmd:"" help:"Remove an app's crashlog, e.g. after a good boot."`
}

// AdminFlags reach a server's admin listener.
type AdminFlags struct {
	Admin     string `help:"Address of the server's admin listener (its --admin-listen). Default: ${default}." default:"http://127.0.0.1:8081" env:"OUCHIE_ADMIN" placeholder:"URL"`
	TokenFile string `help:"File holding the admin token (the same token as the server's --admin-token-file)." env:"OUCHIE_TOKEN_FILE" placeholder:"FILE"`
}

// adminTimeout bounds connecting and waiting for an answer; a pushed log
// itself may stream for as long as its app runs.
const adminTimeout = 30 * time.Second

// CrashlogPushCmd sends a log.
type CrashlogPushCmd struct {
	AdminFlags
	App  string `arg:"" help:"App the log belongs to (a-z 0-9 _ . -, as the server's --app-header names it)."`
	File string `arg:"" optional:"" default:"-" help:"Log file, or - for standard input. Default: ${default}."`

	stdin io.Reader // os.Stdin when nil
}

// Run streams the log to the server. Input is read as fast as it comes, so
// the app writing it never waits on the network; only the last
// crashlog.MaxBody bytes are held. If the server cannot be reached, the
// connection drops or the server answers 502, 503 or 504 (it is stopping),
// the input is still read to its end (the app never gets a broken pipe) and
// its tail is sent once more. Any other refusal is reported at once, and the
// input still read to its end.
func (c *CrashlogPushCmd) Run(env *Env) error {
	target, token, err := c.target(c.App)
	if err != nil {
		return err
	}
	in, name := c.stdin, "standard input"
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return withHint(fmt.Errorf("crashlog push: %w", err), "FILE is the log to send; - (the default) reads standard input")
		}
		defer f.Close()
		in, name = f, c.File
	} else if in == nil {
		in = os.Stdin
		if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(env.Stderr, "ouchie: reading the log from the terminal; end it with Ctrl-D")
		}
	}
	p := crashlog.NewTailPipe(in, crashlog.MaxBody)
	resp, err := adminDo(context.Background(), http.MethodPut, target, token, p.Reader())
	if err == nil {
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusNoContent:
			fmt.Fprintf(env.Stdout, "crashlog of %s stored (%s read from %s)\n", c.App, human.Bytes(p.Total()), name)
			return nil
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			err = fmt.Errorf("crashlog push %s: the server answered %s", c.App, resp.Status)
		default:
			err = answerError(resp, "push", c.App)
			fmt.Fprintf(env.Stderr, "ouchie: error: %v\nouchie: reading %s to its end\n", err, name)
			p.Wait()
			return err
		}
	}
	if p.Err() != nil && !errors.Is(p.Err(), io.EOF) {
		return fmt.Errorf("crashlog push: reading %s: %w", name, p.Err())
	}
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = fmt.Errorf("crashlog push %s: %w", c.App, ue.Err)
	}
	fmt.Fprintf(env.Stderr, "ouchie: %v\nouchie: reading %s to its end, then trying once more\n", err, name)
	body := p.Wait()
	resp, err = adminDo(context.Background(), http.MethodPut, target, token, bytes.NewReader(body))
	if err != nil {
		return unreachable(err, "push", c.Admin)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		return answerError(resp, "push", c.App)
	}
	fmt.Fprintf(env.Stdout, "crashlog of %s stored on the second try (last %s of %s sent)\n", c.App, human.Bytes(int64(len(body))), name)
	return nil
}

// CrashlogGetCmd prints a log.
type CrashlogGetCmd struct {
	AdminFlags
	App string `arg:"" help:"App whose crashlog to print."`
}

// Run prints the app's log.
func (c *CrashlogGetCmd) Run(env *Env) error {
	resp, err := c.request(http.MethodGet, c.App)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		_, err := io.Copy(env.Stdout, resp.Body)
		return err
	case http.StatusNotFound:
		return fmt.Errorf("crashlog get: the server holds no crashlog for %s", c.App)
	}
	return answerError(resp, "get", c.App)
}

// CrashlogDeleteCmd removes a log.
type CrashlogDeleteCmd struct {
	AdminFlags
	App string `arg:"" help:"App whose crashlog to remove."`
}

// Run removes the app's log; none to remove is not an error.
func (c *CrashlogDeleteCmd) Run(env *Env) error {
	resp, err := c.request(http.MethodDelete, c.App)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		fmt.Fprintf(env.Stdout, "crashlog of %s deleted\n", c.App)
		return nil
	case http.StatusNotFound:
		fmt.Fprintf(env.Stdout, "no crashlog for %s to delete\n", c.App)
		return nil
	}
	return answerError(resp, "delete", c.App)
}

// request sends a bodiless request about app, all within adminTimeout.
func (f AdminFlags) request(method, app string) (*http.Response, error) {
	target, token, err := f.target(app)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	resp, err := adminDo(ctx, method, target, token, nil)
	if err != nil {
		cancel()
		return nil, unreachable(err, strings.ToLower(method), f.Admin)
	}
	// The body is read after return: cancel once it is closed.
	resp.Body = &cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error { defer c.cancel(); return c.ReadCloser.Close() }

// target checks app and the flags and returns the log's URL and the token.
func (f AdminFlags) target(app string) (string, []byte, error) {
	if !crashlog.ValidApp(app) {
		return "", nil, withHint(fmt.Errorf("app %q: %w", app, crashlog.ErrBadApp), "use the name the server's --app-header carries for this app")
	}
	base := f.Admin
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return "", nil, withHint(fmt.Errorf("admin address %q: not an http(s) URL", f.Admin), "--admin (OUCHIE_ADMIN) is like http://127.0.0.1:8081")
	}
	if f.TokenFile == "" {
		return "", nil, withHint(errors.New("no admin token"), "--token-file (OUCHIE_TOKEN_FILE) names the file holding the server's admin token")
	}
	token, err := crashlog.LoadToken(f.TokenFile, nil)
	if err != nil {
		return "", nil, withHint(err, "--token-file (OUCHIE_TOKEN_FILE) must hold the token of the server's --admin-token-file")
	}
	return strings.TrimRight(u.String(), "/") + "/v1/crashlogs/" + url.PathEscape(app), token, nil
}

// adminClient connects and waits for answers within adminTimeout, but lets
// a request body take as long as it needs.
var adminClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: adminTimeout}).DialContext,
	TLSHandshakeTimeout:   adminTimeout,
	ResponseHeaderTimeout: adminTimeout,
}}

func adminDo(ctx context.Context, method, target string, token []byte, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+string(token))
	if body != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return adminClient.Do(req)
}

// unreachable explains a request that got no answer.
func unreachable(err error, op, admin string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := fmt.Errorf("crashlog %s: no answer from %s: %w", op, admin, err)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return withHint(e, fmt.Sprintf("the server did not answer within %s; is --admin (OUCHIE_ADMIN) its admin address?", adminTimeout))
	}
	return withHint(e, "is 'ouchie serve --admin-listen ADDR --admin-token-file F' running there? --admin (OUCHIE_ADMIN) names its address")
}

// answerError explains an answer other than success.
func answerError(resp *http.Response, op, app string) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	detail := strings.TrimSpace(string(msg))
	if i := strings.IndexByte(detail, '\n'); i >= 0 {
		detail = detail[:i]
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return withHint(fmt.Errorf("crashlog %s %s: the server refused the admin token", op, app),
			"--token-file (OUCHIE_TOKEN_FILE) must hold the same token as the server's --admin-token-file")
	case http.StatusNotFound:
		return withHint(fmt.Errorf("crashlog %s %s: %s answered 404", op, app, resp.Request.URL.Host),
			"--admin (OUCHIE_ADMIN) must name the server's --admin-listen address, not its page address")
	}
	return fmt.Errorf("crashlog %s %s: the server answered %s: %s", op, app, resp.Status, detail)
}
