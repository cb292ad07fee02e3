package http1

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// response is the http.ResponseWriter of a connection, reused for each of
// its requests. The status line and the header go into out with the start
// of the body; out is sent when full, when the connection waits for input,
// or when it closes.
type response struct {
	c      *conn
	req    *http.Request
	header http.Header
	out    []byte // bytes to send, cap writeBufSize
	vecs   [2][]byte
	bufs   net.Buffers
	keys   []string // the header's keys, sorted
	t0     time.Time

	status      int
	wroteHeader bool  // the status is set
	committed   bool  // the status line and header are in out
	length      int64 // the handler's Content-Length, or -1
	written     int64 // body bytes the handler wrote
	pending     []byte
	chunking    bool // the body goes out chunked (length unknown, too long to hold)
	streaming   bool // the body goes out as written, its length unknown
	head        bool // the request is HEAD: no body goes out
	closeAfter  bool // close the connection after this response
	err         error
}

// maxPending is how much body of unknown length is held to send it with a
// Content-Length; past it, the body goes out chunked (HTTP/1.1) or ends
// with the connection (HTTP/1.0).
const maxPending = 64 << 10

func (w *response) reset(r *http.Request, t0 time.Time) {
	clear(w.header)
	if cap(w.pending) > maxPending {
		w.pending = nil
	}
	*w = response{c: w.c, req: r, header: w.header, out: w.out, keys: w.keys[:0], pending: w.pending[:0],
		t0: t0, length: -1, head: r.Method == http.MethodHead, closeAfter: r.Close, err: w.err}
}

// expectOK answers 417 to an Expect the server does not meet, as net/http
// does, and arranges 100 Continue for one it meets.
func (w *response) expectOK() bool {
	exp := w.req.Header["Expect"]
	if len(exp) == 0 || exp[0] == "" {
		return true
	}
	if hasToken(exp[:1], "100-continue") {
		if w.req.ProtoMinor >= 1 && w.req.ContentLength != 0 {
			w.c.body.expect = true
		}
		return true
	}
	w.header["Connection"] = closeValue
	w.closeAfter = true
	w.WriteHeader(http.StatusExpectationFailed)
	return false
}

var closeValue = []string{"close"}

// Header returns the response header, empty at the start of each request.
func (w *response) Header() http.Header { return w.header }

// WriteHeader sets the status; only the first call counts, except for
// informational statuses (1xx but 101), which are sent at once.
func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.out = appendStatus(w.out, code)
		w.out = w.appendHeader(w.out)
		w.out = append(w.out, "\r\n"...)
		w.err = w.flushErr()
		return
	}
	w.status, w.wroteHeader = code, true
	if cl, ok := w.header["Content-Length"]; ok && len(cl) > 0 {
		if n, ok := parseLength(strings.TrimSpace(cl[0])); ok {
			w.length = n
		} else {
			w.c.srv.logf("http1: invalid Content-Length %q", cl[0])
			delete(w.header, "Content-Length")
		}
	}
}

// Write sends body bytes; for a HEAD request it only counts them.
func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.length >= 0 && w.written > w.length {
		return 0, http.ErrContentLength
	}
	if w.head {
		return len(p), nil
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.committed && w.length < 0 {
		if len(w.pending)+len(p) <= maxPending {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.stream()
	}
	if !w.committed {
		w.commit(p)
	}
	w.send(p)
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// Flush sends what is written so far (http.Flusher).
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if w.length < 0 && !w.head {
			w.stream()
		} else {
			w.commit(nil)
		}
	}
	if w.err == nil {
		w.err = w.flushErr()
	}
}

// stream commits a body of unknown length to go out as it is written, and
// sends what is pending.
func (w *response) stream() {
	w.streaming = true
	w.chunking = w.req.ProtoMinor >= 1
	if !w.chunking {
		w.closeAfter = true
	}
	w.commit(w.pending)
	w.send(w.pending)
	w.pending = w.pending[:0]
}

// send writes body bytes after the header, chunked when so committed.
func (w *response) send(p []byte) {
	if len(p) == 0 || w.err != nil {
		return
	}
	if w.chunking {
		w.out = strconv.AppendInt(w.out, int64(len(p)), 16)
		w.out = append(w.out, "\r\n"...)
		w.write(p)
		w.out = append(w.out, "\r\n"...)
		return
	}
	w.write(p)
}

// write adds p to out, or sends out and p together when they overflow it.
func (w *response) write(p []byte) {
	if w.err != nil {
		return
	}
	if len(w.out)+len(p) <= cap(w.out) {
		w.out = append(w.out, p...)
		return
	}
	w.vecs = [2][]byte{w.out, p}
	w.bufs = w.vecs[:]
	_, w.err = w.bufs.WriteTo(w.c.rwc)
	w.out = w.out[:0]
	w.vecs = [2][]byte{}
}

// flush sends out.
func (w *response) flush() error {
	if w.err == nil {
		w.err = w.flushErr()
	}
	return w.err
}

func (w *response) flushErr() error {
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.c.rwc.Write(w.out)
	w.out = w.out[:0]
	return err
}

// finish ends the response once the handler returns: the header if not
// yet sent, the body held, the end of a chunked body.
func (w *response) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(w.pending)
		if !w.head {
			w.write(w.pending)
		}
	}
	if w.chunking {
		w.out = append(w.out, "0\r\n\r\n"...)
	}
	if !w.head && w.length >= 0 && bodyAllowed(w.status) && w.written != w.length {
		w.closeAfter = true // short of its Content-Length: the client cannot find the next response
	}
	if w.err != nil || w.c.body.remain < 0 {
		w.closeAfter = true // a failed write; a chunked body, left unread
	}
}

// commit writes the status line and the header into out. first is the
// start of the body, for Content-Type sniffing, or (when the length is
// unknown and not streaming) the whole body.
func (w *response) commit(first []byte) {
	w.committed = true
	w.dropBody()
	h := w.header
	if !w.closeAfter && hasToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	if w.c.srv.closing.Load() {
		w.closeAfter = true
	}
	out := appendStatus(w.out, w.status)
	out = w.appendHeader(out)
	if _, ok := h["Date"]; !ok {
		out = append(out, "Date: "...)
		out = append(out, w.c.httpDate(w.t0)...)
		out = append(out, "\r\n"...)
	}
	known := w.length >= 0
	if _, ok := h["Content-Length"]; !ok && !w.streaming && bodyAllowed(w.status) && (!w.head || w.written > 0) {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, w.written, 10)
		out = append(out, "\r\n"...)
		known = true
	}
	if _, ok := h["Content-Type"]; !ok && !w.head && len(first) > 0 && bodyAllowed(w.status) {
		if _, enc := h["Content-Encoding"]; !enc {
			out = append(out, "Content-Type: "...)
			out = append(out, http.DetectContentType(first)...)
			out = append(out, "\r\n"...)
		}
	}
	if w.chunking {
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case w.closeAfter:
		if !hasToken(h["Connection"], "close") {
			out = append(out, "Connection: close\r\n"...)
		}
	case w.req.ProtoMinor == 0 && known:
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	w.out = append(out, "\r\n"...)
}

// dropBody deals with a request body the handler left unread, before the
// response goes out, as net/http does: a short one is read and dropped;
// a long one, a chunked one, or one whose client waits for 100 Continue
// closes the connection after the response.
func (w *response) dropBody() {
	b := &w.c.body
	if b.remain == 0 || w.closeAfter {
		return
	}
	switch {
	case b.remain < 0 || b.expect && !b.started || b.remain >= maxPostHandlerRead:
		w.closeAfter = true
	default:
		n, err := w.c.br.Discard(int(b.remain))
		b.remain -= int64(n)
		if err != nil {
			w.closeAfter = true
		}
	}
}

// appendHeader appends the handler's header fields, sorted by name. Names
// that are not tokens are left out; line breaks in values become spaces,
// so no value can start a header line of its own.
func (w *response) appendHeader(out []byte) []byte {
	keys := w.keys[:0]
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !validToken(k) {
			continue
		}
		for _, v := range w.header[k] {
			out = append(out, k...)
			out = append(out, ": "...)
			out = appendValue(out, v)
			out = append(out, "\r\n"...)
		}
	}
	w.keys = keys
	return out
}

// appendValue appends a header value trimmed of spaces, CR and LF
// replaced by spaces (as net/http writes it).
func appendValue(out []byte, v string) []byte {
	v = strings.Trim(v, " \t\r\n")
	start := len(out)
	out = append(out, v...)
	for i := start; i < len(out); i++ {
		if out[i] == '\r' || out[i] == '\n' {
			out[i] = ' '
		}
	}
	return out
}

// bodyAllowed reports whether a response of this status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// statusLines holds "HTTP/1.1 NNN Text\r\n" for the statuses net/http
// names.
var statusLines [600]string

func init() {
	for code := range statusLines {
		if text := http.StatusText(code); text != "" {
			statusLines[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
}

func appendStatus(out []byte, code int) []byte {
	if code < len(statusLines) && statusLines[code] != "" {
		return append(out, statusLines[code]...)
	}
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, " status code "...)
	out = strconv.AppendInt(out, int64(code), 10)
	return append(out, "\r\n"...)
}

// httpDate returns t in the Date header's format, formatted once per
// second.
func (c *conn) httpDate(t time.Time) []byte {
	if sec := t.Unix(); sec != c.dateSec {
		c.dateSec = sec
		t.UTC().AppendFormat(c.date[:0], http.TimeFormat)
	}
	return c.date[:]
}
