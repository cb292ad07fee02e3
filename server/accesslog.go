package server

import (
	"io"
	"sync"
	"time"
)

// maxLogBuffer is how much access log a logBuffer holds before it writes
// at once rather than waiting for its timer.
const maxLogBuffer = 64 << 10

// logBuffer batches access log lines: a line is written at most its delay
// after it was logged, or as soon as 64 KiB are waiting, in one write with
// the lines logged meanwhile, instead of one write per request. Lines keep
// their order. Close writes what is left. Safe for concurrent use.
type logBuffer struct {
	w     io.Writer
	delay time.Duration
	timer *time.Timer

	mu    sync.Mutex // guards buf and armed
	buf   []byte
	armed bool

	wmu   sync.Mutex // held while writing to w, so writes keep their order
	spare []byte     // the buffer last written, reused; guarded by wmu
}

func newLogBuffer(w io.Writer, delay time.Duration) *logBuffer {
	b := &logBuffer{w: w, delay: delay}
	b.timer = time.AfterFunc(delay, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

// Write buffers p, a whole line (the logging handlers write a line per call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= maxLogBuffer
	if !full && !b.armed {
		b.armed = true
		b.timer.Reset(b.delay)
	}
	b.mu.Unlock()
	if full {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes every line buffered so far.
func (b *logBuffer) Flush() error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mu.Lock()
	out := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.armed = false
	b.mu.Unlock()
	var err error
	if len(out) > 0 {
		_, err = b.w.Write(out)
	}
	if cap(out) <= 4*maxLogBuffer {
		b.spare = out[:0]
	}
	return err
}

// Close stops the timer and writes what is left.
func (b *logBuffer) Close() error {
	b.timer.Stop()
	return b.Flush()
}
