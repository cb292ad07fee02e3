// Package http1 is a small HTTP/1.1 server for the page listener: it serves
// an http.Handler, as net/http's server does, at a fraction of its cost per
// request. A connection is one goroutine holding everything a request needs
// (a read buffer, a write buffer, one http.Request, its header map and URL,
// one ResponseWriter), reused from request to request, so a warm
// keep-alive connection serves a repeated request without allocating, and
// writes each response with one system call.
//
// It parses a strict subset of HTTP/1.1 (RFC 9112) and refuses the rest
// with the status net/http answers; where it is stricter than net/http
// (obs-fold), it says so. See docs/server.md for what it accepts.
//
// The Request and the ResponseWriter a handler gets are reused once it
// returns: a handler must not keep them (net/http forbids using the
// ResponseWriter after return; here the Request is reused too). Strings
// taken from them (header values, the path) stay valid.
package http1

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.x on listeners. Its fields mean what http.Server's
// fields of the same names mean; set them before Serve.
type Server struct {
	// Handler serves every request. Required.
	Handler http.Handler
	// ReadHeaderTimeout bounds the time from a request's first byte to the
	// end of its head; the first request of a connection must also arrive
	// within it. ReadTimeout bounds the time from the first byte to the end
	// of the body; WriteTimeout from the end of the head to the end of the
	// response; IdleTimeout the wait for the next request of a kept
	// connection. Zero means none. Deadlines are set at most once per
	// second per connection and kind: they fire up to 1 s (or an eighth of
	// the timeout, when that is less) after the exact time, never before.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's head: the request line, the header
	// lines and the blank line after them, line ends included. A longer
	// head is answered 431. Default 16 KiB.
	MaxHeaderBytes int
	// ErrorLog receives what cannot be answered (a handler's panic); nil
	// logs to the log package's standard logger.
	ErrorLog *log.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	serving   sync.WaitGroup // Serve calls
}

// DefaultMaxHeaderBytes is the cap on a request's head when
// Server.MaxHeaderBytes is zero.
const DefaultMaxHeaderBytes = 16 << 10

// Serve accepts connections on ln and serves each in its own goroutine,
// until ln fails or Shutdown or Close is called; then it returns
// http.ErrServerClosed. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	if s.Handler == nil {
		return errors.New("http1: no handler")
	}
	s.serving.Add(1)
	defer s.serving.Done()
	if !s.track(ln) {
		ln.Close()
		return http.ErrServerClosed
	}
	defer s.untrack(ln)
	cfg := s.settings()
	var delay time.Duration // backoff on accept errors, as net/http's
	for {
		rwc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logf("http1: accept: %v; retrying in %v", err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := newConn(s, cfg, rwc)
		if !s.add(c) {
			rwc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections, lets the others finish
// the request they are serving (each then closes, its response saying
// Connection: close), and returns once none is left, or with ctx's error
// when ctx ends first; Close then cuts what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.closeListeners()
	tick := time.Millisecond
	t := time.NewTimer(tick)
	defer t.Stop()
	for {
		if s.closeIdle() {
			s.serving.Wait()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			tick = min(2*tick, 100*time.Millisecond)
			t.Reset(tick)
		}
	}
}

// Close stops accepting and closes every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	err := s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.state.Store(stateClosed)
		c.rwc.Close()
	}
	s.mu.Unlock()
	return err
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.listeners[ln]; ok {
		delete(s.listeners, ln)
		ln.Close()
	}
}

func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		delete(s.listeners, ln)
	}
	return errors.Join(errs...)
}

func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeIdle closes the connections waiting for a request (and those that
// have not sent their first in 5 s, as net/http does) and reports whether
// none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	stale := time.Now().Add(-5 * time.Second).UnixNano()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) ||
			c.born < stale && c.state.CompareAndSwap(stateNew, stateClosed) {
			c.rwc.Close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// settings are the server's fields as one connection uses them, fixed at
// Serve.
type settings struct {
	maxHead                   int
	headTimeout, bodyTimeout  time.Duration
	writeTimeout, idleTimeout time.Duration
	headSlack, bodySlack      time.Duration
	writeSlack, idleSlack     time.Duration
}

func (s *Server) settings() *settings {
	cfg := &settings{
		maxHead:      s.MaxHeaderBytes,
		headTimeout:  s.ReadHeaderTimeout,
		bodyTimeout:  s.ReadTimeout,
		writeTimeout: s.WriteTimeout,
		idleTimeout:  s.IdleTimeout,
	}
	if cfg.maxHead <= 0 {
		cfg.maxHead = DefaultMaxHeaderBytes
	}
	if cfg.headTimeout <= 0 {
		cfg.headTimeout = cfg.bodyTimeout // as net/http
	}
	if cfg.idleTimeout <= 0 {
		cfg.idleTimeout = cfg.bodyTimeout
	}
	cfg.headSlack = slack(cfg.headTimeout)
	cfg.bodySlack = slack(cfg.bodyTimeout)
	cfg.writeSlack = slack(cfg.writeTimeout)
	cfg.idleSlack = slack(cfg.idleTimeout)
	return cfg
}

// slack is how much later than exact a deadline of timeout d may fire, so
// that one deadline set serves the requests of the next slack.
func slack(d time.Duration) time.Duration {
	return min(time.Second, d/8)
}
