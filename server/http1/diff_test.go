package http1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// echo answers every request with what it parsed, so two servers that
// parse a request alike answer it with the same bytes. /read reads the
// body first.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Handler", "1")
	var b bytes.Buffer
	if r.URL.Path == "/read" {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(&b, "read %d %v\n", n, err != nil)
	}
	fmt.Fprintf(&b, "%s %q path=%q query=%q host=%q %s %d.%d length=%d close=%v te=%q remote=%v\n",
		r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Host, r.Proto, r.ProtoMajor, r.ProtoMinor,
		r.ContentLength, r.Close, r.TransferEncoding, r.RemoteAddr != "")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "%s: %q\n", k, r.Header[k])
	}
	_, _ = w.Write(b.Bytes())
}

// headCap is the cap on a request head in the differential tests.
const headCap = 8 << 10

// pair is a net/http server and a fast one serving echo on loopback.
type pair struct{ std, fast string }

func startPair(t testing.TB) pair {
	t.Helper()
	quiet := log.New(io.Discard, "", 0)
	stdLn := listen(t)
	std := &http.Server{Handler: http.HandlerFunc(echo), MaxHeaderBytes: headCap - 4096, ErrorLog: quiet,
		ReadHeaderTimeout: 5 * time.Second}
	go std.Serve(stdLn)
	fastLn := listen(t)
	fast := &Server{Handler: http.HandlerFunc(echo), MaxHeaderBytes: headCap, ErrorLog: quiet,
		ReadHeaderTimeout: 5 * time.Second}
	go fast.Serve(fastLn)
	t.Cleanup(func() {
		std.Close()
		fast.Close()
	})
	return pair{std: stdLn.Addr().String(), fast: fastLn.Addr().String()}
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// answer is one response as the differential tests compare it.
type answer struct {
	status  int
	handler bool   // the handler answered (else the server refused)
	body    string // the handler's body
	close   bool
}

func (a answer) String() string {
	if !a.handler {
		return fmt.Sprintf("%d (server) close=%v", a.status, a.close)
	}
	return fmt.Sprintf("%d close=%v\n%s", a.status, a.close, a.body)
}

// exchange sends raw on a new connection, half-closes it, and reads every
// response until the server closes.
func exchange(t testing.TB, addr string, raw []byte) []answer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		c.Write(raw)
		c.(*net.TCPConn).CloseWrite()
	}()
	br := bufio.NewReader(c)
	var out []answer
	for {
		var req *http.Request
		if bytes.HasPrefix(raw, []byte("HEAD ")) {
			req = &http.Request{Method: http.MethodHead}
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return out
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := answer{status: resp.StatusCode, handler: resp.Header.Get("X-Handler") == "1", close: resp.Close}
		if a.handler {
			a.body = string(body)
		}
		if err != nil {
			a.body += "\n(body cut: " + err.Error() + ")"
		}
		out = append(out, a)
		if resp.StatusCode == http.StatusContinue {
			continue
		}
	}
}

// diff returns how the two servers' answers to raw differ, or "". With
// firstOnly, only the first answer's status and body count (the
// documented differences on what follows a chunked body).
func (p pair) diff(t testing.TB, raw []byte, firstOnly bool) string {
	std, fast := exchange(t, p.std, raw), exchange(t, p.fast, raw)
	if firstOnly {
		if len(std) == 0 || len(fast) == 0 {
			if len(std) != len(fast) {
				return fmt.Sprintf("net/http: %d answers, fast: %d", len(std), len(fast))
			}
			return ""
		}
		std, fast = std[:1], fast[:1]
		std[0].close, fast[0].close = false, false
	}
	if len(std) != len(fast) {
		return fmt.Sprintf("net/http: %d answers %v\nfast: %d answers %v", len(std), std, len(fast), fast)
	}
	for i := range std {
		if std[i] != fast[i] {
			return fmt.Sprintf("answer %d:\nnet/http: %v\nfast: %v", i, std[i], fast[i])
		}
	}
	return ""
}

// differs reports whether raw holds what the fast server treats
// differently from net/http on purpose (see docs/server.md): a folded
// header line (obs-fold), which it refuses, or a chunked body, after
// which it closes the connection.
func differs(raw []byte) (refused, firstOnly bool) {
	lower := bytes.ToLower(raw)
	head, _, _ := bytes.Cut(raw, []byte("\n\r\n"))
	for line := range bytes.SplitSeq(head, []byte("\n")) {
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			refused = true
		}
	}
	return refused, bytes.Contains(lower, []byte("transfer-encoding"))
}

// TestDifferential feeds the cases of testdata/requests.txt to net/http's
// server and to the fast one and requires the same answers: statuses,
// the handler's bodies, and whether the connection is kept.
func TestDifferential(t *testing.T) {
	p := startPair(t)
	for name, raw := range loadCases(t) {
		t.Run(name, func(t *testing.T) {
			refused, firstOnly := differs(raw)
			if refused {
				got := exchange(t, p.fast, raw)
				if len(got) != 1 || got[0].status != http.StatusBadRequest || got[0].handler {
					t.Errorf("obs-fold: %v, want 400 from the server", got)
				}
				return
			}
			if d := p.diff(t, raw, firstOnly); d != "" {
				t.Errorf("%q:\n%s", raw, d)
			}
		})
	}
}

// loadCases reads testdata/requests.txt: cases start with a line
// "=== name"; each line of a case ends with CR LF, but one ending in \LF
// ends with a bare LF and one ending in \NOEOL with nothing. Within a line
// \r is a bare CR, \t a tab, \0 a NUL, \x7f and \x80 those bytes, and
// {pad N} N bytes of "a".
func loadCases(t testing.TB) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "requests.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{}
	var name string
	var cur strings.Builder
	flush := func() {
		if name != "" {
			cases[name] = []byte(expand(cur.String()))
		}
	}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		if n, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			name = n
			cur.Reset()
			continue
		}
		if strings.HasPrefix(line, "#") && name == "" {
			continue
		}
		switch {
		case strings.HasSuffix(line, `\LF`):
			cur.WriteString(strings.TrimSuffix(line, `\LF`) + "\n")
		case strings.HasSuffix(line, `\NOEOL`):
			cur.WriteString(strings.TrimSuffix(line, `\NOEOL`))
		default:
			cur.WriteString(line + "\r\n")
		}
	}
	flush()
	return cases
}

func expand(s string) string {
	r := strings.NewReplacer(`\r`, "\r", `\t`, "\t", `\0`, "\x00", `\x80`, "\x80", `\x7f`, "\x7f")
	s = r.Replace(s)
	for {
		i := strings.Index(s, "{pad ")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], '}')
		var n int
		fmt.Sscanf(s[i+5:i+j], "%d", &n)
		s = s[:i] + strings.Repeat("a", n) + s[i+j+1:]
	}
}

// FuzzDifferential: any bytes sent to both servers get the same answers,
// but for the documented differences.
func FuzzDifferential(f *testing.F) {
	for _, raw := range loadCases(f) {
		f.Add(raw)
	}
	p := startPair(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 4096 {
			return // under the read buffers, where net/http counts the cap as the fast server does
		}
		refused, firstOnly := differs(raw)
		if refused {
			return
		}
		if d := p.diff(t, raw, firstOnly); d != "" {
			t.Errorf("%q:\n%s", raw, d)
		}
	})
}
