package http1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown.
const (
	stateNew    int32 = iota // accepted, no request yet
	stateActive              // reading or serving a request
	stateIdle                // waiting for the next request
	stateClosed              // closed by Shutdown or Close
)

// Buffer sizes: a request head up to 4 KiB is parsed in place (longer lines
// are gathered, up to the cap); a response up to 4 KiB (status line,
// header and body) goes out in one write, a longer one in one writev.
const (
	readBufSize  = 4 << 10
	writeBufSize = 4 << 10
)

var zeroLength = []string{"0"}

// maxPostHandlerRead is how much of an unread request body is read and
// dropped after the handler, so the connection can be kept; a longer body
// closes the connection (net/http's maxPostHandlerReadBytes).
const maxPostHandlerRead = 256 << 10

// errTooLarge is the head over the cap; the reader returns it once the
// bytes read for a head that has not ended pass the cap.
var errTooLarge = errors.New("http1: request head too large")

// conn is one connection and everything its requests reuse.
type conn struct {
	srv    *Server
	cfg    *settings
	rwc    net.Conn
	state  atomic.Int32
	born   int64 // UnixNano of the accept
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	r  connReader
	br *bufio.Reader
	w  response

	// The request, reset from tmpl (which holds the connection's context)
	// for each request.
	req    http.Request
	tmpl   http.Request
	url    url.URL // the request's URL, copied from parsed
	parsed url.URL // the last request target parsed, for uri
	uri    string  // the last request target
	header http.Header
	body   body
	head   headState

	// Deadlines as set on the connection, to skip setting them again.
	readDL, writeDL time.Time
	reading         *time.Time // the deadline reads wait on, or nil: none
	readWant        time.Time
	readSlack       time.Duration

	// The Date header, formatted once per second.
	dateSec int64
	date    [len(http.TimeFormat)]byte
}

func newConn(s *Server, cfg *settings, rwc net.Conn) *conn {
	c := &conn{srv: s, cfg: cfg, rwc: rwc, born: time.Now().UnixNano(), remote: rwc.RemoteAddr().String()}
	c.ctx, c.cancel = context.WithCancel(context.WithValue(context.Background(), http.LocalAddrContextKey, rwc.LocalAddr()))
	c.tmpl = *(&http.Request{}).WithContext(c.ctx)
	c.r.c = c
	c.br = bufio.NewReaderSize(&c.r, readBufSize)
	c.w.c = c
	c.w.out = make([]byte, 0, writeBufSize)
	c.w.header = http.Header{}
	c.header = http.Header{}
	c.head.init()
	c.body.c = c
	return c
}

// serve reads and answers requests until the connection ends.
func (c *conn) serve() {
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.srv.logf("http1: panic serving %s: %v\n%s", c.remote, v, buf)
		}
		c.cancel()
		c.rwc.Close()
		c.srv.remove(c)
	}()
	first := true
	for {
		if !c.wait(first) {
			return
		}
		first = false
		t0 := time.Now()
		status := c.readRequest(t0)
		if status != 0 {
			c.refuse(status)
			return
		}
		c.w.reset(&c.req, t0)
		if !c.w.expectOK() {
			c.w.finish()
			c.closeGently()
			return
		}
		if c.req.Method == http.MethodOptions && c.req.RequestURI == "*" {
			// "OPTIONS *" asks about the server, not a resource: net/http
			// answers it itself, 200 and no body.
			c.w.header["Content-Length"] = zeroLength
		} else {
			c.srv.Handler.ServeHTTP(&c.w, &c.req)
		}
		c.w.finish()
		if c.w.closeAfter {
			c.closeGently()
			return
		}
	}
}

// wait waits for a request's first byte, the connection idle meanwhile
// (Shutdown closes it), and reports whether one came.
//
// After a response it waits for four bytes, as net/http does: a
// connection whose input ends with fewer gets no answer.
func (c *conn) wait(first bool) bool {
	if c.br.Buffered() >= 4 || first && c.br.Buffered() > 0 {
		return c.activate()
	}
	if err := c.w.flush(); err != nil {
		return false
	}
	now := time.Now()
	if first {
		c.expectRead(now, c.cfg.headTimeout, c.cfg.headSlack)
	} else {
		c.expectRead(now, c.cfg.idleTimeout, c.cfg.idleSlack)
		if !c.state.CompareAndSwap(stateActive, stateIdle) || c.srv.closing.Load() {
			return false
		}
	}
	n := 4
	if first {
		n = 1
	}
	_, err := c.br.Peek(n)
	return c.activate() && err == nil
}

// activate marks the connection as serving a request, unless Shutdown or
// Close closed it.
func (c *conn) activate() bool {
	for {
		s := c.state.Load()
		if s == stateClosed {
			return false
		}
		if c.state.CompareAndSwap(s, stateActive) {
			return true
		}
	}
}

// expectRead sets the deadline the next reads wait on: now + d, or none.
func (c *conn) expectRead(now time.Time, d, slack time.Duration) {
	if d <= 0 {
		c.reading = nil
		return
	}
	c.readWant = now.Add(d)
	c.readSlack = slack
	c.reading = &c.readWant
}

// refuse answers a request the server cannot serve, as net/http answers
// it, and closes the connection.
func (c *conn) refuse(status int) {
	if status < 0 {
		return // the connection failed or timed out: no answer
	}
	c.setWriteDeadline(time.Now())
	const headers = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	msg := refusal(status)
	c.w.out = append(append(append(append(c.w.out, "HTTP/1.1 "...), msg...), headers...), msg...)
	if c.w.flush() != nil {
		return
	}
	if status == http.StatusRequestHeaderFieldsTooLarge {
		c.closeGently()
	}
}

// refusal is the status line's text and the body of a refusal.
func refusal(status int) string {
	switch status {
	case http.StatusNotImplemented:
		return "501 Not Implemented"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "431 Request Header Fields Too Large"
	case http.StatusHTTPVersionNotSupported:
		return "505 HTTP Version Not Supported: unsupported protocol version"
	}
	return "400 Bad Request"
}

// closeGently ends a connection whose client may still be sending (a body
// left unread, a head over the cap): it flushes, half-closes and reads
// what comes for up to 500 ms, so closing with unread input does not reset
// the connection and lose the response on its way. A client that sends
// more than maxPostHandlerRead meanwhile is read no further, but the close
// still waits out the 500 ms (as net/http's does), for the client to take
// the response before the reset.
func (c *conn) closeGently() {
	if err := c.w.flush(); err != nil {
		return
	}
	tc, ok := c.rwc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	_ = tc.CloseWrite()
	deadline := time.Now().Add(500 * time.Millisecond)
	_ = c.rwc.SetReadDeadline(deadline)
	if n, err := io.CopyN(io.Discard, c.rwc, maxPostHandlerRead); err == nil && n == maxPostHandlerRead {
		time.Sleep(time.Until(deadline))
	}
}

// setReadDeadline sets the read deadline to want, unless the one set is
// already within [want, want+slack].
func (c *conn) setReadDeadline(want time.Time, slack time.Duration) error {
	if !c.readDL.Before(want) && c.readDL.Sub(want) <= slack {
		return nil
	}
	c.readDL = want.Add(slack)
	return c.rwc.SetReadDeadline(c.readDL)
}

// setWriteDeadline sets the deadline of the response to a request whose
// head was read at t, as setReadDeadline does.
func (c *conn) setWriteDeadline(t time.Time) {
	if c.cfg.writeTimeout <= 0 {
		return
	}
	want := t.Add(c.cfg.writeTimeout)
	if !c.writeDL.Before(want) && c.writeDL.Sub(want) <= c.cfg.writeSlack {
		return
	}
	c.writeDL = want.Add(c.cfg.writeSlack)
	_ = c.rwc.SetWriteDeadline(c.writeDL)
}

// connReader is what the read buffer reads from: before it waits for
// input it sends the responses written so far (so pipelined requests are
// answered together, and no response waits behind a read), sets the read
// deadline of the moment, and enforces the cap on a request head.
type connReader struct {
	c *conn
	// limit, when positive, is the number of bytes the head may still
	// take beyond what is buffered: reading past it means the head is too
	// large.
	limit int
}

func (r *connReader) Read(p []byte) (int, error) {
	c := r.c
	if len(c.w.out) > 0 {
		if err := c.w.flush(); err != nil {
			return 0, err
		}
	}
	if r.limit > 0 {
		room := r.limit - c.head.n - c.br.Buffered()
		if room <= 0 {
			return 0, errTooLarge
		}
		if len(p) > room {
			p = p[:room]
		}
	}
	if c.reading != nil {
		if err := c.setReadDeadline(*c.reading, c.readSlack); err != nil {
			return 0, err
		}
	} else if !c.readDL.IsZero() {
		c.readDL = time.Time{}
		if err := c.rwc.SetReadDeadline(c.readDL); err != nil {
			return 0, err
		}
	}
	return c.rwc.Read(p)
}
