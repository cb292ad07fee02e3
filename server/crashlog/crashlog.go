// Package crashlog holds the crashlogs ouchie may show on an app's error page
// and where they come from: an in-memory store fed by the admin API, a
// directory written by a supervisor. Every source makes a log safe to show
// with package sanitize before it hands it out.
package crashlog

import (
	"context"
	"regexp"
)

// Source finds the crashlog of an app. Lookup returns the log already
// sanitized for display (see sanitize.Log), or false when there is none.
// Implementations are safe for concurrent use.
type Source interface {
	Lookup(app string) ([]byte, bool)
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

// appName is what an app name must look like; anything else has no log.
var appName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// ValidApp reports whether name is an acceptable app name.
func ValidApp(name string) bool { return appName.MatchString(name) && name != "." && name != ".." }

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

func (m multi) Lookup(app string) ([]byte, bool) {
	for _, s := range m {
		if log, ok := s.Lookup(app); ok {
			return log, true
		}
	}
	return nil, false
}
