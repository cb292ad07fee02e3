package kube

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ouchie/ouchie/server/sanitize"
)

// maxFetched caps the bytes read of one log. The API cuts a log at
// LimitBytes from the start of the tail asked for, so this leaves room for
// sanitize.MaxLines long lines; sanitize.Log then keeps the end.
const maxFetched = 1 << 20

// maxEntries bounds the log cache: past it, a finished entry makes room.
const maxEntries = 512

// logs caches fetched logs by container, for one restart count each: a new
// restart count replaces the entry, so a container's log is fetched once
// per restart, and one fetch at a time (later requests wait on the same).
type logs struct {
	mu      sync.Mutex
	entries map[containerKey]*fetch
}

// fetch is one log fetch, done or in flight. Its fields are written before
// done is closed and only read after.
type fetch struct {
	restarts int32
	done     chan struct{}
	log      []byte // sanitized; nil for none
	err      error
	at       time.Time // when it finished
}

func (l *logs) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// log returns c's sanitized log: from the cache, else from a fetch started
// now or already in flight, waited for at most Options.Wait.
func (s *Source) log(c container) ([]byte, bool) {
	l := &s.logs
	l.mu.Lock()
	f := l.entries[c.key]
	if f == nil || f.restarts != c.restarts || f.failed() && time.Since(f.at) >= s.opts.Retry {
		f = &fetch{restarts: c.restarts, done: make(chan struct{})}
		if _, ok := l.entries[c.key]; !ok && len(l.entries) >= maxEntries {
			l.evict()
		}
		l.entries[c.key] = f
		go s.fetch(c, f)
	}
	l.mu.Unlock()
	select {
	case <-f.done:
	default:
		t := time.NewTimer(s.opts.Wait)
		defer t.Stop()
		select {
		case <-f.done:
		case <-t.C:
			return nil, false
		}
	}
	return f.log, f.log != nil
}

// failed reports whether the fetch has finished with an error.
func (f *fetch) failed() bool {
	select {
	case <-f.done:
		return f.err != nil
	default:
		return false
	}
}

// evict drops one finished entry; l.mu is held.
func (l *logs) evict() {
	for k, f := range l.entries {
		select {
		case <-f.done:
			delete(l.entries, k)
			return
		default:
		}
	}
}

// fetch reads c's log (a tail of sanitize.MaxLines lines and at most
// maxFetched bytes) into f, and closes f.done.
func (s *Source) fetch(c container, f *fetch) {
	defer func() {
		f.at = time.Now()
		close(f.done)
	}()
	s.fetches.Add(1)
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.FetchTimeout)
	defer cancel()
	lines, limit := int64(sanitize.MaxLines), int64(maxFetched)
	req := s.client.Pods(c.namespace).GetLogs(c.pod, &corev1.PodLogOptions{
		Container: c.key.name, Previous: c.previous, TailLines: &lines, LimitBytes: &limit,
	})
	raw, err := read(ctx, req.Stream)
	if err != nil {
		f.err = err
		s.fetchErrors.Add(1)
		reason := "error"
		if apierrors.IsForbidden(err) {
			reason = "forbidden: grant get on pods/log (see deploy/kubernetes/rbac.yaml)"
		}
		s.logError("kubernetes log fetch failed", err, "pod", c.namespace+"/"+c.pod, "container", c.key.name, "reason", reason)
		return
	}
	if log := sanitize.Log(raw); len(bytes.TrimSpace(log)) > 0 {
		f.log = log
	}
}

// read opens a stream and reads at most maxFetched bytes of it.
func read(ctx context.Context, open func(context.Context) (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxFetched))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return raw, nil
}
