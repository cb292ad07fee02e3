// Listening, serving and stopping: the page and admin listeners of a Server.

package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"syscall"

	"github.com/ouchie/ouchie/server/http1"
)

// Open binds the listeners, synchronously so a busy port is an error here,
// then serves in the background (and watches, when configured).
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.page != nil {
		return errors.New("server already open")
	}
	ln, err := listen(s.cfg.Addr)
	if err != nil {
		return err
	}
	var adminL net.Listener
	if s.cfg.AdminAddr != "" {
		if adminL, err = listen(s.cfg.AdminAddr); err != nil {
			ln.Close()
			return fmt.Errorf("admin: %w", err)
		}
	}
	errorLog := slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	s.ln, s.adminL = ln, adminL
	s.page = s.pageServer(errorLog)
	s.serve(s.page, ln)
	st := s.current.Load()
	s.log.Info("serving error pages", "origin", s.cfg.Origin, "theme", st.theme, "pages", len(st.pages),
		"formats", formatList(st.formats), "brands", st.brandCount(), "listen", "http://"+ln.Addr().String())
	if adminL != nil {
		// A push still streaming when shutdown starts sees its context end and
		// is answered 503, so the pusher resends to the next server instead of
		// landing its log in this dying one's memory.
		adminCtx, stopAdmin := context.WithCancel(context.Background())
		s.admin = &http.Server{
			BaseContext:       func(net.Listener) context.Context { return adminCtx },
			Handler:           s.wrap(s.cfg.Admin),
			ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
			ReadTimeout:       s.cfg.ReadTimeout,
			WriteTimeout:      s.cfg.WriteTimeout,
			IdleTimeout:       s.cfg.IdleTimeout,
			MaxHeaderBytes:    s.cfg.MaxHeaderBytes - headerSlop,
			ErrorLog:          errorLog,
		}
		s.admin.RegisterOnShutdown(stopAdmin)
		s.serve(s.admin, adminL)
		s.log.Info("crashlog admin API", "listen", "http://"+adminL.Addr().String())
	}
	if len(s.cfg.Watch) > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopWatch = cancel
		if err := s.watch(ctx, s.cfg.Watch); err != nil {
			s.log.Warn("not watching for changes", "err", err)
		}
	}
	return nil
}

// pageServer makes the page listener's server, as Config.HTTPServer says.
func (s *Server) pageServer(errorLog *log.Logger) pageServer {
	if s.cfg.HTTPServer == HTTPStd {
		return &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
			ReadTimeout:       s.cfg.ReadTimeout,
			WriteTimeout:      s.cfg.WriteTimeout,
			IdleTimeout:       s.cfg.IdleTimeout,
			MaxHeaderBytes:    s.cfg.MaxHeaderBytes - headerSlop,
			ErrorLog:          errorLog,
		}
	}
	return &http1.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

func (s *Server) serve(srv pageServer, ln net.Listener) {
	s.running.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
	})
}

// listen binds addr, reducing the error to "listen ADDR: reason".
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return nil, fmt.Errorf("listen %s: %w", addr, errno)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, op.Err)
	}
	return nil, fmt.Errorf("listen %s: %w", addr, err)
}

// Addr returns the address the page listener is bound to ("" before Open).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// AdminAddr returns the address the admin listener is bound to, or "".
func (s *Server) AdminAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adminL == nil {
		return ""
	}
	return s.adminL.Addr().String()
}

// Err delivers an error if a listener fails after Open.
func (s *Server) Err() <-chan error { return s.errc }

// Drain starts a graceful stop, to be followed by Close after a delay: from
// now on /healthz answers 503, so load balancers and Kubernetes stop sending
// new requests, while pages are served as before, each response asking the
// client to close its connection (Connection: close), so keep-alive clients
// reconnect elsewhere instead of losing a request sent as Close runs.
func (s *Server) Drain() {
	if !s.draining.Swap(true) {
		s.log.Info("draining: /healthz answers 503, pages are still served")
	}
}

// Close stops accepting, lets in-flight requests finish until ctx is done,
// then closes whatever is left, and writes the access log still buffered.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	var srvs []pageServer
	if s.page != nil {
		srvs = append(srvs, s.page)
	}
	if s.admin != nil {
		srvs = append(srvs, s.admin)
	}
	stop := s.stopWatch
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	var errs []error
	for _, srv := range srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
			_ = srv.Close()
		}
	}
	s.running.Wait()
	if s.logBuf != nil {
		if err := s.logBuf.Close(); err != nil {
			s.log.Warn("access log lines lost", "err", err)
		}
	}
	return errors.Join(errs...)
}
