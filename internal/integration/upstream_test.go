package integration

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// appBody is what the failing app writes in its own error responses; it
// must never reach a client through a router that replaces them.
const appBody = "the app's own error body"

// appOK is what the app answers on /ok, to show the router passes good
// responses through untouched.
const appOK = "hello from the app\n"

// failingApp starts the deliberately failing upstream, in this process:
//
//	/ok           200 with appOK
//	/status/NNN   status NNN with appBody (text/plain)
//	/reset        the connection is reset before any response
//
// anything else answers 500.
func failingApp(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ok":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte(appOK))
		case r.URL.Path == "/reset":
			resetConn(w)
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			if err != nil || code < 200 || code > 599 {
				code = http.StatusInternalServerError
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(appBody))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(appBody))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// resetConn closes the request's connection with a TCP reset, as a crashing
// app does.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("resetConn: no hijacker")
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(fmt.Sprint("resetConn: ", err))
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
