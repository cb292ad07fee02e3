package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// headState is what parsing a head keeps from request to request: the
// canonical header keys seen on the connection, and which keys the
// current request has, so a repeated header value keeps its string and
// slice instead of allocating new ones.
type headState struct {
	n      int    // bytes of the current head read so far
	long   []byte // a line longer than the read buffer, gathered
	keybuf []byte
	keys   map[string]string // header keys as sent → canonical, interned
	seen   map[string]uint64 // canonical key → the request that last had it
	gen    uint64            // the current request
	hosts  int               // Host fields in the current request
	host   string            // the last Host value
	method string            // the last method not among the common ones
	proto  string            // the last protocol not HTTP/1.0 or HTTP/1.1

	connect bool // uri was parsed as a CONNECT target
	post    bool // the last request was a POST
	spaced  bool // a header name of the current request holds a space
}

// Bounds on what a connection keeps between requests.
const (
	maxKeptKeys = 128
	maxKeptLong = 16 << 10
)

func (h *headState) init() {
	h.keys = map[string]string{}
	h.seen = map[string]uint64{}
}

var chunked = []string{"chunked"}

// readRequest reads a request head into c.req and prepares its body. It
// returns 0, or the status to refuse it with, or -1 when the connection
// failed, ended or timed out and gets no answer (as net/http does).
func (c *conn) readRequest(t0 time.Time) int {
	c.expectRead(t0, c.cfg.headTimeout, c.cfg.headSlack)
	if c.head.post {
		// After a POST, up to four stray CR or LF bytes before the next
		// request line are skipped (RFC 9112 section 2.2; net/http does).
		peek, _ := c.br.Peek(4)
		n := 0
		for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
			n++
		}
		_, _ = c.br.Discard(n)
	}
	c.r.limit = c.cfg.maxHead + 1
	c.head.n = 0
	status := c.readHead()
	c.r.limit = 0
	if cap(c.head.long) > maxKeptLong {
		c.head.long = nil
	}
	if status != 0 {
		return status
	}
	c.head.post = c.req.Method == http.MethodPost
	if c.req.ContentLength != 0 {
		c.expectRead(t0, c.cfg.bodyTimeout, c.cfg.bodySlack)
	}
	c.setWriteDeadline(time.Now())
	return 0
}

// readHead parses the request line and the header fields.
func (c *conn) readHead() int {
	line, err := c.readLine()
	if err != nil {
		return c.readError(err)
	}
	r := &c.req
	*r = c.tmpl
	r.RemoteAddr = c.remote
	r.Header = c.header

	// Request line: METHOD SP request-target SP HTTP-version, split as
	// net/http splits it.
	method, rest, ok1 := bytes.Cut(line, []byte{' '})
	target, proto, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 {
		return http.StatusBadRequest
	}
	if r.Method = c.method(method); r.Method == "" {
		return http.StatusBadRequest
	}
	switch string(proto) {
	case "HTTP/1.1":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		if string(proto) != c.head.proto {
			c.head.proto = string(proto)
		}
		var ok bool
		if r.ProtoMajor, r.ProtoMinor, ok = http.ParseHTTPVersion(c.head.proto); !ok {
			return http.StatusBadRequest
		}
		r.Proto = c.head.proto
	}
	connect := r.Method == http.MethodConnect && !bytes.HasPrefix(target, []byte{'/'})
	if len(target) == 0 || string(target) != c.uri || connect != c.head.connect {
		raw := string(target)
		if connect {
			raw = "http://" + raw
		}
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			c.uri = ""
			return http.StatusBadRequest
		}
		if connect {
			u.Scheme = ""
		}
		c.parsed, c.uri, c.head.connect = *u, string(target), connect
	}
	c.url = c.parsed
	r.URL, r.RequestURI = &c.url, c.uri

	if status := c.readFields(); status != 0 {
		return status
	}
	return c.checkHead()
}

// h2Preface reports whether the request is the start of HTTP/2's
// connection preface, which net/http hands to the handler (to be hijacked)
// and then closes the connection.
func (c *conn) h2Preface() bool {
	r := &c.req
	return r.ProtoMajor == 2 && r.ProtoMinor == 0 && r.Method == "PRI" && r.RequestURI == "*"
}

// method returns the method as a string, "" when it is not a token.
func (c *conn) method(b []byte) string {
	switch string(b) {
	case "GET":
		return http.MethodGet
	case "HEAD":
		return http.MethodHead
	case "POST":
		return http.MethodPost
	case "PUT":
		return http.MethodPut
	case "DELETE":
		return http.MethodDelete
	case "OPTIONS":
		return http.MethodOptions
	}
	if !validToken(b) {
		return ""
	}
	if string(b) != c.head.method {
		c.head.method = string(b)
	}
	return c.head.method
}

// readFields reads the header fields up to the blank line: name ":" OWS
// value OWS, names tokens, values visible characters, spaces, tabs and
// obs-text. A line starting with a space or tab (obs-fold) is refused.
func (c *conn) readFields() int {
	h := &c.head
	h.gen++
	h.hosts = 0
	h.spaced = false
	if len(h.seen) > maxKeptKeys {
		clear(h.seen)
		clear(h.keys)
		clear(c.header)
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return c.readError(err)
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !validValue(value) {
			return http.StatusBadRequest
		}
		if !validToken(name) {
			if len(name) == 0 || !validToken(bytes.ReplaceAll(name, []byte{' '}, []byte{'a'})) {
				return http.StatusBadRequest
			}
			// A space in a name: refused too, but after the version is
			// checked, as net/http does.
			h.spaced = true
			continue
		}
		value = bytes.Trim(value, " \t")
		key := h.key(name)
		if key == "Host" {
			h.hosts++
			if string(value) != h.host {
				h.host = string(value)
			}
			continue
		}
		if h.seen[key] != h.gen {
			h.seen[key] = h.gen
			if vv := c.header[key]; len(vv) != 1 || vv[0] != string(value) {
				c.header[key] = []string{string(value)}
			}
		} else {
			vv := c.header[key]
			c.header[key] = append(vv[:len(vv):len(vv)], string(value))
		}
	}
	for k := range c.header {
		if h.seen[k] != h.gen {
			delete(c.header, k)
		}
	}
	return 0
}

// key returns the canonical form of a header name (a token), interned.
func (h *headState) key(name []byte) string {
	if k, ok := h.keys[string(name)]; ok {
		return k
	}
	h.keybuf = append(h.keybuf[:0], name...)
	upper := true
	for i, b := range h.keybuf {
		if upper && 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		} else if !upper && 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		h.keybuf[i] = b
		upper = b == '-'
	}
	k := string(h.keybuf)
	if len(h.keys) < maxKeptKeys {
		h.keys[string(name)] = k
	}
	return k
}

// checkHead applies what net/http checks once the head is read, in its
// order (which decides the status when several are wrong): one Host at
// most; Transfer-Encoding and Content-Length (the body); the version; a
// Host in HTTP/1.1, and a valid one; names holding spaces.
func (c *conn) checkHead() int {
	r, h := &c.req, c.header
	if c.head.hosts > 1 {
		return http.StatusBadRequest
	}
	r.Host = r.URL.Host
	if r.Host == "" && c.head.hosts == 1 {
		r.Host = c.head.host
	}
	if pragma, ok := h["Pragma"]; ok && len(pragma) > 0 && pragma[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
			c.head.seen["Cache-Control"] = c.head.gen
		}
	}
	conn := h["Connection"]
	http11 := r.ProtoAtLeast(1, 1)
	r.Close = hasToken(conn, "close") || !http11 && !hasToken(conn, "keep-alive") || r.ProtoMajor < 1
	if status := c.readBody(http11); status != 0 {
		return status
	}
	h2 := c.h2Preface()
	switch {
	case r.ProtoMajor != 1 && !h2:
		return http.StatusHTTPVersionNotSupported
	case c.head.hosts == 0 && http11 && r.Method != http.MethodConnect && !h2:
		return http.StatusBadRequest // HTTP/1.1 requires Host
	case c.head.hosts == 1 && !validHost(c.head.host):
		return http.StatusBadRequest
	case c.head.spaced:
		return http.StatusBadRequest
	}
	if h2 {
		r.ContentLength, r.Close = -1, true
	}
	return 0
}

// readBody reads Transfer-Encoding and Content-Length and sets up the
// body. Transfer-Encoding may only be "chunked", once, in HTTP/1.1 (RFC
// 9112 section 6.1), and is ignored in HTTP/1.0, as net/http does; a
// repeated Content-Length must repeat the same value.
func (c *conn) readBody(http11 bool) int {
	r, h := &c.req, c.header
	te, isChunked := h["Transfer-Encoding"], false
	if te != nil {
		delete(h, "Transfer-Encoding")
		if http11 {
			if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
				return http.StatusNotImplemented
			}
			isChunked = true
		}
	}
	r.ContentLength = 0
	if cl := h["Content-Length"]; len(cl) > 0 {
		for _, v := range cl[1:] {
			if v != cl[0] {
				return http.StatusBadRequest
			}
		}
		if len(cl) > 1 {
			h["Content-Length"] = cl[:1:1]
		}
		n, ok := parseLength(cl[0])
		if !ok {
			return http.StatusBadRequest
		}
		r.ContentLength = n
	}
	r.Body = http.NoBody
	switch {
	case isChunked:
		// The pages take no chunked body; the handler answers it, and the
		// connection is closed after (see response.finish).
		delete(h, "Content-Length")
		r.TransferEncoding, r.ContentLength = chunked, -1
		r.Body = &chunkedBody{c: c, r: httputil.NewChunkedReader(c.br)}
		c.body.reset(-1)
	case r.ContentLength > 0:
		c.body.reset(r.ContentLength)
		r.Body = &c.body
	default:
		c.body.reset(0)
	}
	return 0
}

// readLine returns the next line of the head without its line end (LF or
// CR LF), counting its bytes against the cap.
func (c *conn) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	c.head.n += len(line)
	if err == bufio.ErrBufferFull {
		c.head.long = append(c.head.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = c.br.ReadSlice('\n')
			c.head.n += len(line)
			c.head.long = append(c.head.long, line...)
		}
		line = c.head.long
	}
	if err != nil {
		return nil, err
	}
	if c.head.n > c.cfg.maxHead {
		return nil, errTooLarge
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readError maps a failed read of the head to an answer: 431 over the
// cap, 400 for a head cut short by the end of the input, none for a
// connection that failed, timed out or ended between requests.
func (c *conn) readError(err error) int {
	switch {
	case errors.Is(err, errTooLarge):
		return http.StatusRequestHeaderFieldsTooLarge
	case err == io.EOF && c.head.n > 0:
		return http.StatusBadRequest
	}
	return -1
}

// parseLength parses a Content-Length value: decimal digits, at most
// 2^63-1.
func parseLength(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// body is a request body of known length read from the connection; it
// sends 100 Continue before its first read when the client expects it.
type body struct {
	c       *conn
	remain  int64 // -1: chunked, read through another reader
	expect  bool  // send 100 Continue before reading
	started bool  // read at least once
}

func (b *body) reset(n int64) { *b = body{c: b.c, remain: n} }

// Read reads from the body; reading past it gives io.EOF.
func (b *body) Read(p []byte) (int, error) {
	if b.remain <= 0 {
		return 0, io.EOF
	}
	if !b.started {
		b.started = true
		if b.expect && !b.c.w.wroteHeader {
			// Once the response is under way, the client has it instead.
			b.c.w.out = append(b.c.w.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
			if err := b.c.w.flush(); err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.c.br.Read(p)
	b.remain -= int64(n)
	if err == io.EOF {
		// The input ended inside the body: the connection ends when the
		// response is sent, as the next read finds the same end.
		b.remain, err = 0, io.ErrUnexpectedEOF
	}
	if b.remain == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// Close does nothing: what the handler left unread is read or the
// connection closed after the response (see response.finish).
func (b *body) Close() error { return nil }

// chunkedBody is a chunked request body: the chunks, then the trailer
// section, read as net/http reads it, so a body cut short in its trailer
// is an error too. The connection is closed after the response.
type chunkedBody struct {
	c    *conn
	r    io.Reader
	done bool
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err != io.EOF {
		return n, err
	}
	// The trailer section: field lines up to an empty line, within the cap
	// on a head.
	for size := 0; ; {
		line, err := b.c.br.ReadSlice('\n')
		size += len(line)
		if err != nil || size > b.c.cfg.maxHead {
			return n, io.ErrUnexpectedEOF
		}
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			break
		}
	}
	b.done = true
	return n, io.EOF
}

// Close does nothing: the connection is closed after the response.
func (b *chunkedBody) Close() error { return nil }
