package http1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve starts a fast server with h on loopback; it is closed when the
// test ends.
func serve(t testing.TB, srv *Server) string {
	t.Helper()
	if srv.ErrorLog == nil {
		srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	ln := listen(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// dial opens a connection whose reads give up after 10 s, so a server
// that never answers or never closes fails the test instead of hanging it.
func dial(t testing.TB, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// closedWithoutAnswer requires the server to close c without writing.
func closedWithoutAnswer(t *testing.T, br *bufio.Reader, what string) {
	t.Helper()
	data, err := io.ReadAll(br)
	if err != nil || len(data) > 0 {
		t.Errorf("%s: read %q, %v; want the connection closed without an answer", what, data, err)
	}
}

var page = []byte("<!doctype html><title>502</title>\n")

// pageHandler answers as the page handler does: shared header values, a
// Content-Length, one write.
func pageHandler(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = hType
	h["Content-Length"] = hLen
	h["Cache-Control"] = hNoStore
	w.WriteHeader(http.StatusBadGateway)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

var (
	hType    = []string{"text/html; charset=utf-8"}
	hLen     = []string{"34"}
	hNoStore = []string{"no-store"}
)

// TestPipelining: requests sent together are answered in order on the
// same connection, each with its own body and a Date header.
func TestPipelining(t *testing.T) {
	addr := serve(t, &Server{Handler: http.HandlerFunc(pageHandler)})
	c, br := dial(t, addr)
	req := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	io.WriteString(c, req+"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"+req)
	for i, method := range []string{"GET", "HEAD", "GET"} {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		want := string(page)
		if method == "HEAD" {
			want = ""
		}
		if resp.StatusCode != 502 || string(body) != want || resp.ContentLength != int64(len(page)) || resp.Close {
			t.Errorf("response %d: %d, length %d, close %v, %q", i, resp.StatusCode, resp.ContentLength, resp.Close, body)
		}
		if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
			t.Errorf("response %d: Date %q: %v", i, resp.Header.Get("Date"), err)
		}
	}
}

// TestResponseHeaderInjection: a line break in a header value cannot
// start a header line of its own, and a name that is not a token is not
// written.
func TestResponseHeaderInjection(t *testing.T) {
	addr := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Value"] = []string{"a\r\nX-Evil: 1"}
		w.Header()["X-Bad\r\nX-Evil2"] = []string{"2"}
		w.Header()["X-Bad Name"] = []string{"3"}
	})})
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Value"); got != "a  X-Evil: 1" {
		t.Errorf("X-Value %q", got)
	}
	for k := range resp.Header {
		if strings.Contains(k, "Evil") || strings.Contains(k, "Bad") {
			t.Errorf("header %q written", k)
		}
	}
}

// TestSlowloris: a head that does not end within ReadHeaderTimeout, and a
// connection that sends nothing, are closed without an answer; so is a
// kept connection idle past IdleTimeout.
func TestSlowloris(t *testing.T) {
	addr := serve(t, &Server{Handler: http.HandlerFunc(pageHandler),
		ReadHeaderTimeout: 100 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})

	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	go func() { // a byte now and then, never the blank line
		for range 20 {
			time.Sleep(50 * time.Millisecond)
			if _, err := io.WriteString(c, "X: y\r\n"); err != nil {
				return
			}
		}
	}()
	closedWithoutAnswer(t, br, "a head trickling in")

	_, br = dial(t, addr)
	closedWithoutAnswer(t, br, "a connection sending nothing")

	c, br = dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := http.ReadResponse(br, nil); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, io.LimitReader(br, int64(len(page))))
	closedWithoutAnswer(t, br, "a kept connection left idle")
}

// TestWriteTimeout: a response the client does not read fails once
// WriteTimeout has passed, and the connection is closed.
func TestWriteTimeout(t *testing.T) {
	errc := make(chan error, 1)
	addr := serve(t, &Server{WriteTimeout: 100 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 1<<20)
		for range 1024 { // 1 GiB at most, far more than the socket buffers
			if _, err := w.Write(chunk); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	})})
	c, _ := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-errc:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("write: %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write never failed")
	}
}

// TestShutdown: Shutdown closes idle connections at once, lets a request
// in flight finish (its response says Connection: close), accepts no new
// connection, and returns once the last connection is gone.
func TestShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		pageHandler(w, r)
	})}
	addr := serve(t, srv)

	idle, idleBR := dial(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := http.ReadResponse(idleBR, nil); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, io.LimitReader(idleBR, int64(len(page))))

	busy, busyBR := dial(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	closedWithoutAnswer(t, idleBR, "an idle connection at shutdown")
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("a new connection was accepted after Shutdown")
	}
	close(release)
	resp, err := http.ReadResponse(busyBR, nil)
	if err != nil {
		t.Fatalf("the request in flight: %v", err)
	}
	if resp.StatusCode != 502 || !resp.Close {
		t.Errorf("the request in flight: %d, close %v; want 502 and close", resp.StatusCode, resp.Close)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestShutdownDeadline: Shutdown gives up when its context ends first.
func TestShutdownDeadline(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})}
	addr := serve(t, srv)
	c, _ := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
}

// TestPanic: a handler's panic closes its connection, is logged, and the
// server goes on serving.
func TestPanic(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	srv := &Server{ErrorLog: log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("kaboom")
		}
		pageHandler(w, r)
	})}
	addr := serve(t, srv)
	c, br := dial(t, addr)
	io.WriteString(c, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
	closedWithoutAnswer(t, br, "a panicking handler")
	c, br = dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 502 {
		t.Fatalf("after the panic: %v %v", resp, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "kaboom") {
		t.Errorf("panic not logged: %q", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestRequestFields: what handlers read off the request is set as
// net/http sets it, and reset between requests on one connection.
func TestRequestFields(t *testing.T) {
	got := make(chan string, 2)
	addr := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		got <- strings.Join([]string{r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Host, r.Proto,
			r.Header.Get("X-A"), r.Header.Get("Host"), r.RemoteAddr, local.String()}, "|")
	})})
	c, br := dial(t, addr)
	io.WriteString(c, "GET /a%20b?q=1 HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\n\r\nPOST /c HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
	for range 2 {
		if _, err := http.ReadResponse(br, nil); err != nil {
			t.Fatal(err)
		}
	}
	remote := c.LocalAddr().String()
	for _, want := range []string{
		"GET|/a%20b?q=1|/a b|q=1|h:1|HTTP/1.1|1||" + remote + "|" + addr,
		"POST|/c|/c|||HTTP/1.0|||" + remote + "|" + addr,
	} {
		if g := <-got; g != want {
			t.Errorf("got  %s\nwant %s", g, want)
		}
	}
}
