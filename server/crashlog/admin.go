package crashlog

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxBody is how much of a pushed log the admin API keeps: the last MaxBody
// bytes of a longer body.
const MaxBody = 1 << 20

// DefaultMaxPushes is how many pushes the admin API reads at once by
// default: each holds up to 2×MaxBody bytes while its body streams.
const DefaultMaxPushes = 8

// AdminOptions tunes AdminHandler; zero values take the defaults.
type AdminOptions struct {
	// MaxPushes caps the PUTs read at once (DefaultMaxPushes); one more is
	// answered 429 with a Retry-After.
	MaxPushes int
}

// AdminHandler serves the admin API on store:
//
//	PUT    /v1/crashlogs/{app}  body: the log; 201 when new, 204 when replaced
//	GET    /v1/crashlogs/{app}  the sanitized log as text/plain; 404 if none
//	DELETE /v1/crashlogs/{app}  204; 404 if none
//
// A store that fails (Redis down) answers each of them 503.
//
// Every request must carry "Authorization: Bearer <token>"; others are
// answered 401 before anything else is looked at. An empty token refuses
// every request. A body may be of any length and take any time (a
// supervisor streams a running app's output until it exits): the read and
// write deadlines are lifted once the request is authorized, and only the
// last MaxBody bytes are kept. At most opts.MaxPushes bodies are read at
// once; a PUT beyond them is answered 429 with Retry-After. If the
// request's context ends before the body does (give the admin http.Server
// a BaseContext cancelled when it starts shutting down), the PUT is
// answered 503 so the client pushes again. Changes are logged with their
// app and size, never their content.
func AdminHandler(store Keeper, token []byte, log *slog.Logger, opts ...AdminOptions) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o AdminOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.MaxPushes <= 0 {
		o.MaxPushes = DefaultMaxPushes
	}
	a := &admin{store: store, token: NewToken(token), pushes: make(chan struct{}, o.MaxPushes), log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/crashlogs/{app}", a.put)
	mux.HandleFunc("GET /v1/crashlogs/{app}", a.get)
	mux.HandleFunc("DELETE /v1/crashlogs/{app}", a.delete)
	return a.authorize(mux)
}

type admin struct {
	store  Keeper
	token  Token
	pushes chan struct{} // one element per PUT being read
	log    *slog.Logger
}

// authorize lets through requests bearing the token.
func (a *admin) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given, reason := bearerToken(r.Header.Get("Authorization"))
		if reason == "" && !a.token.Matches(given) {
			reason = "wrong token"
		}
		if reason != "" {
			challenge := `Bearer realm="ouchie admin"`
			if reason == "wrong token" {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "unauthorized: send Authorization: Bearer <admin token>", http.StatusUnauthorized)
			a.log.Warn("crashlog admin: request refused", "reason", reason, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the token of an Authorization value, or why there is
// none.
func bearerToken(h string) (token, reason string) {
	if h == "" {
		return "", "no token"
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "not a bearer token"
	}
	return strings.TrimSpace(tok), ""
}

// app returns the request's app, or answers 400 and returns false.
func (a *admin) app(w http.ResponseWriter, r *http.Request) (string, bool) {
	app := r.PathValue("app")
	if !ValidApp(app) {
		http.Error(w, "bad app name: "+ErrBadApp.Error(), http.StatusBadRequest)
		return "", false
	}
	return app, true
}

func (a *admin) put(w http.ResponseWriter, r *http.Request) {
	app, ok := a.app(w, r)
	if !ok {
		return
	}
	select {
	case a.pushes <- struct{}{}:
		defer func() { <-a.pushes }()
	default:
		a.log.Warn("crashlog admin: push refused, too many at once", "app", app, "max", cap(a.pushes), "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close") // the body is not read
		http.Error(w, fmt.Sprintf("too many pushes at once (%d): push again", cap(a.pushes)), http.StatusTooManyRequests)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// When the request's context ends first (a server whose BaseContext is
	// cancelled as it shuts down), stop reading and answer 503: the client
	// sends its tail again, to the next server, rather than to this one's
	// memory on its way out.
	stop := context.AfterFunc(r.Context(), func() { _ = rc.SetReadDeadline(time.Now()) })
	defer stop()
	t, n, err := readLast(r.Body, MaxBody)
	if err != nil && r.Context().Err() != nil {
		a.log.Warn("crashlog admin: push cut short, the server is stopping", "app", app, "bytes", n, "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "the server is stopping: push again", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		a.log.Warn("crashlog admin: reading a log failed", "app", app, "bytes", n, "err", err, "remote", r.RemoteAddr)
		http.Error(w, "reading the log: "+err.Error(), http.StatusBadRequest)
		return
	}
	log := t.Log()
	kept := len(log)
	var created bool
	if blank(log) {
		kept = 0
		_, err = a.store.Remove(r.Context(), app)
	} else {
		created, err = a.store.Keep(r.Context(), app, log)
	}
	if err != nil {
		a.unavailable(w, r, app, err)
		return
	}
	switch {
	case kept == 0:
		a.log.Info("crashlog removed: empty log pushed", "app", app, "bytes", n, "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	case created:
		a.log.Info("crashlog stored", "app", app, "bytes", n, "kept", kept, "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusCreated)
	default:
		a.log.Info("crashlog replaced", "app", app, "bytes", n, "kept", kept, "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *admin) get(w http.ResponseWriter, r *http.Request) {
	app, ok := a.app(w, r)
	if !ok {
		return
	}
	log, ok, err := a.store.Fetch(r.Context(), app)
	if err != nil {
		a.unavailable(w, r, app, err)
		return
	}
	if !ok {
		http.Error(w, "no crashlog for "+app, http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(log)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodHead {
		_, _ = w.Write(log)
	}
}

func (a *admin) delete(w http.ResponseWriter, r *http.Request) {
	app, ok := a.app(w, r)
	if !ok {
		return
	}
	ok, err := a.store.Remove(r.Context(), app)
	if err != nil {
		a.unavailable(w, r, app, err)
		return
	}
	if !ok {
		http.Error(w, "no crashlog for "+app, http.StatusNotFound)
		return
	}
	a.log.Info("crashlog deleted", "app", app, "remote", r.RemoteAddr)
	w.WriteHeader(http.StatusNoContent)
}

// unavailable answers 503 for a store that failed: the pusher tries again,
// and never takes a log that was not stored for one that was.
func (a *admin) unavailable(w http.ResponseWriter, r *http.Request, app string, err error) {
	a.log.Warn("crashlog admin: the store failed", "app", app, "method", r.Method, "err", err, "remote", r.RemoteAddr)
	w.Header().Set("Retry-After", "1")
	http.Error(w, "the crashlog store is unavailable: try again", http.StatusServiceUnavailable)
}
