package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// requestOfSize is a GET whose head (request line, headers and the blank
// line ending them) is exactly n bytes.
func requestOfSize(t *testing.T, n int) string {
	t.Helper()
	const start = "GET /502 HTTP/1.1\r\nHost: x\r\nX-Pad: "
	const end = "\r\n\r\n"
	pad := n - len(start) - len(end)
	if pad < 1 {
		t.Fatalf("no room for a %d-byte head", n)
	}
	return start + strings.Repeat("p", pad) + end
}

// TestHeaderCap: the cap on a request's head is the documented one, to the
// byte: a head of exactly the cap is served, one byte more is answered 431.
func TestHeaderCap(t *testing.T) {
	for _, limit := range []int{0, 8 << 10} {
		ts := open(t, Config{MaxHeaderBytes: limit})
		want := limit
		if want == 0 {
			want = 16 << 10 // the documented default
		}
		if resp := rawRequest(t, ts, requestOfSize(t, want)); resp.StatusCode != 502 {
			t.Errorf("cap %d: a head of exactly the cap: %d, want 502", want, resp.StatusCode)
		}
		if resp := rawRequest(t, ts, requestOfSize(t, want+1)); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("cap %d: a head one byte over: %d, want 431", want, resp.StatusCode)
		}
	}
	if _, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), MaxHeaderBytes: 4 << 10}); err == nil || !strings.Contains(err.Error(), "header cap") {
		t.Errorf("a 4 KiB header cap: %v, want an error", err)
	}
}

// TestChunkedAndLength: a request with both Content-Length and
// Transfer-Encoding (the shape of request smuggling) is answered 400 and
// its connection closed (RFC 9112 section 6.1), as is any chunked request
// to the pages, which take no body.
func TestChunkedAndLength(t *testing.T) {
	ts := open(t, Config{})
	for _, raw := range []string{
		"POST /502 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /502 HTTP/1.1\r\nHost: x\r\ntRaNsFeR-eNcOdInG: chunked\r\ncontent-length: 40\r\n\r\n0\r\n\r\nGET /503 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /502 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, raw+"GET /504 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a kept connection would hang the test
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !resp.Close {
			t.Errorf("%q: %d, close %v; want 400 and the connection closed", raw, resp.StatusCode, resp.Close)
		}
		if rest, err := io.ReadAll(br); err != nil || len(rest) > 0 {
			t.Errorf("%q: after the 400 the connection gave %d more bytes, %v; want it closed", raw, len(rest), err)
		}
	}
	// Requests with a Content-Length alone are served as ever.
	if resp := rawRequest(t, ts, "POST /502 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"); resp.StatusCode != 502 {
		t.Errorf("POST with a body: %d", resp.StatusCode)
	}
}
