// Package crashlog holds the crashlogs ouchie may show on an app's error page
// and where they come from: an in-memory store fed by the admin API, a
// directory written by a supervisor. Every source makes a log safe to show
// with package sanitize before it hands it out.
package crashlog

import (
	"context"
	"io"
	"regexp"
)

// Source finds the crashlog a request asks for. Lookup returns the log
// already sanitized for display (see sanitize.Log), or false when there is
// none; it never waits long (a source that must fetch answers false until it
// has the log). Implementations are safe for concurrent use and never modify
// a log they have returned.
type Source interface {
	Lookup(q Query) ([]byte, bool)
}

// Keeper holds the logs the admin API receives, already sanitized: the
// in-memory Store, or a store shared by replicas (package redisstore). An
// error means the keeper could not be reached or did not answer in time;
// the admin API answers it 503. Implementations are safe for concurrent use.
type Keeper interface {
	// Keep stores log (sanitized, not blank) as app's, replacing any
	// before it, and reports whether app had none.
	Keep(ctx context.Context, app string, log []byte) (created bool, err error)
	// Fetch returns app's log; the caller must not modify it.
	Fetch(ctx context.Context, app string) (log []byte, ok bool, err error)
	// Remove deletes app's log and reports whether there was one.
	Remove(ctx context.Context, app string) (ok bool, err error)
}

// Failures counts what a remote source could not do: lookups that failed
// (an error or a timeout) and lookups skipped while it was known to be
// down. The server reports them in /metrics.
type Failures struct{ Errors, Skipped uint64 }

// FailureCounter is implemented by sources that can fail, and by Multi.
type FailureCounter interface {
	Failures() Failures
}

// Query says whose crashlog a request asks for: an app (from the app
// header) or a Kubernetes Service (from ingress-nginx's X-Namespace and
// X-Service-Name), each field empty or valid (ValidApp, ValidLabel). Each
// source answers for what it knows: the store and the directory by App, the
// Kubernetes source by Namespace and Service.
type Query struct {
	App       string
	Namespace string
	Service   string
	// Viewer is true when the request holds the crashlog viewing token: a
	// source that shows logs only where their owner opted in (Kubernetes)
	// shows every log to such a viewer.
	Viewer bool
}

// Key is the query without the viewer: what names a log.
func (q Query) Key() Query {
	q.Viewer = false
	return q
}

var (
	// appName is what an app name must look like; anything else has no log.
	appName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	// label is an RFC 1123 DNS label, as Kubernetes names namespaces and
	// Services.
	label = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
)

// ValidApp reports whether name is an acceptable app name.
func ValidApp(name string) bool { return appName.MatchString(name) && name != "." && name != ".." }

// ValidLabel reports whether name is a DNS label (RFC 1123): 1 to 63 of
// a-z 0-9 -, starting and ending with a letter or digit.
func ValidLabel(name string) bool { return label.MatchString(name) }

// Multi returns a Source that asks each source in turn; the first log found
// wins. Nil sources are skipped.
func Multi(sources ...Source) Source {
	var m multi
	for _, s := range sources {
		if s != nil {
			m = append(m, s)
		}
	}
	return m
}

type multi []Source

// Failures sums the failures of the sources that count them.
func (m multi) Failures() Failures {
	var f Failures
	for _, s := range m {
		if c, ok := s.(FailureCounter); ok {
			n := c.Failures()
			f.Errors += n.Errors
			f.Skipped += n.Skipped
		}
	}
	return f
}

// MetricsWriter is a Source that counts its own work and failures: the
// server appends what WriteMetrics writes (Prometheus text format, metric
// names starting with ouchie_crashlog_) to /metrics.
type MetricsWriter interface {
	WriteMetrics(w io.Writer)
}

// WriteMetrics writes the metrics of every source that has some.
func (m multi) WriteMetrics(w io.Writer) {
	for _, s := range m {
		if mw, ok := s.(MetricsWriter); ok {
			mw.WriteMetrics(w)
		}
	}
}

func (m multi) Lookup(q Query) ([]byte, bool) {
	for _, s := range m {
		if log, ok := s.Lookup(q); ok {
			return log, true
		}
	}
	return nil, false
}
