// Package crashlog holds the crashlogs ouchie may show on an app's error page
// and where they come from: an in-memory store fed by the admin API, a
// directory written by a supervisor. Every source makes a log safe to show
// with package sanitize before it hands it out.
package crashlog

import "regexp"

// Source finds the crashlog of an app. Lookup returns the log already
// sanitized for display (see sanitize.Log), or false when there is none.
// Implementations are safe for concurrent use.
type Source interface {
	Lookup(app string) ([]byte, bool)
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

func (m multi) Lookup(app string) ([]byte, bool) {
	for _, s := range m {
		if log, ok := s.Lookup(app); ok {
			return log, true
		}
	}
	return nil, false
}
