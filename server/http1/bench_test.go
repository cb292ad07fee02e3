package http1

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
)

// browserRequest is a browser's request for an error page, headers and all.
const browserRequest = "GET /502.html HTTP/1.1\r\nHost: errors.example\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n" +
	"X-Request-ID: 0123456789abcdef0123456789abcdef\r\n\r\n"

// roundTripper sends one request on a kept loopback connection and reads
// its response, allocating nothing itself once warm.
type roundTripper struct {
	c    net.Conn
	req  []byte
	buf  []byte
	size int // the response's size, learned on the first round trip
}

func newRoundTripper(t testing.TB, addr, req string) *roundTripper {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rt := &roundTripper{c: c, req: []byte(req), buf: make([]byte, 64<<10)}
	// Learn the response's size from a first exchange.
	if _, err := c.Write(rt.req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var head int
	for k, vs := range resp.Header {
		for _, v := range vs {
			head += len(k) + 2 + len(v) + 2
		}
	}
	rt.size = len("HTTP/1.1 502 Bad Gateway\r\n") + head + 2 + len(body)
	if br.Buffered() > 0 {
		t.Fatal("more bytes than one response")
	}
	return rt
}

func (rt *roundTripper) do(t testing.TB) {
	if _, err := rt.c.Write(rt.req); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rt.c, rt.buf[:rt.size]); err != nil {
		t.Fatal(err)
	}
}

// TestConnAllocs: a kept connection serving a repeated request allocates
// nothing once warm, the server's side and the test's together.
func TestConnAllocs(t *testing.T) {
	addr := serve(t, &Server{Handler: http.HandlerFunc(pageHandler),
		ReadHeaderTimeout: 5e9, ReadTimeout: 15e9, WriteTimeout: 15e9, IdleTimeout: 60e9})
	rt := newRoundTripper(t, addr, browserRequest)
	for range 10 {
		rt.do(t)
	}
	if n := testing.AllocsPerRun(1000, func() { rt.do(t) }); n > 0 {
		t.Errorf("%.2f allocations per request, want 0", n)
	}
}

// BenchmarkConn serves a browser's request on a kept loopback connection,
// round trip by round trip; BenchmarkConnStd does the same with net/http's
// server.
func BenchmarkConn(b *testing.B) {
	addr := serve(b, &Server{Handler: http.HandlerFunc(pageHandler),
		ReadHeaderTimeout: 5e9, ReadTimeout: 15e9, WriteTimeout: 15e9, IdleTimeout: 60e9})
	benchConn(b, addr)
}

func BenchmarkConnStd(b *testing.B) {
	ln := listen(b)
	srv := &http.Server{Handler: http.HandlerFunc(pageHandler), ErrorLog: log.New(io.Discard, "", 0),
		ReadHeaderTimeout: 5e9, ReadTimeout: 15e9, WriteTimeout: 15e9, IdleTimeout: 60e9}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	benchConn(b, ln.Addr().String())
}

func benchConn(b *testing.B, addr string) {
	rt := newRoundTripper(b, addr, browserRequest)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rt.do(b)
	}
}
