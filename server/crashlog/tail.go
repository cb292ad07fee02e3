package crashlog

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/ouchie/ouchie/server/sanitize"
)

// Reading the end of a log: a stream of unknown length (readLast, the
// admin API's body), a file of known size (readTail, the directory), and a
// stream passed on to one reader as it comes (TailPipe, the push client).
// Each keeps a bounded tail; what to do with a line cut at the tail's start
// is sanitize.Tail.Whole's rule, written once.

// readLast reads r to its end and returns its last limit bytes, counting
// the bytes and lines before them. n is how many bytes were read in all.
// It holds at most 2×limit bytes at a time.
func readLast(r io.Reader, limit int) (t sanitize.Tail, n int64, err error) {
	buf := make([]byte, 0, min(64<<10, 2*limit))
	var last byte // the last byte dropped
	drop := func(k int) {
		t.Dropped += int64(k)
		t.DroppedLines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		last = buf[k-1]
		buf = buf[:copy(buf, buf[k:])]
	}
	for {
		if len(buf) == cap(buf) {
			if cap(buf) < 2*limit {
				grown := make([]byte, len(buf), min(2*cap(buf), 2*limit))
				buf = grown[:copy(grown, buf)]
			} else {
				drop(len(buf) - limit)
			}
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sanitize.Tail{}, n, err
		}
	}
	if len(buf) > limit {
		drop(len(buf) - limit)
	}
	t.Data = buf
	t.MidLine = t.Dropped > 0 && last != '\n'
	return t, n, nil
}

// readTail reads the last sanitize.Window bytes of a file of the given
// size, and one byte before them to know whether they start a line.
func readTail(f io.ReaderAt, size int64) (sanitize.Tail, error) {
	off := max(size-sanitize.Window-1, 0)
	buf := make([]byte, size-off)
	n, err := f.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return sanitize.Tail{}, err
	}
	buf = buf[:n] // the file may have shrunk since
	if off == 0 || n == 0 {
		return sanitize.Tail{Data: buf}, nil
	}
	return sanitize.Tail{Data: buf[1:], Dropped: off + 1, DroppedLines: -1, MidLine: buf[0] != '\n'}, nil
}

// TailPipe reads a source as fast as it delivers, holding only its last
// limit bytes (and at most twice that), and streams them to one reader. A
// reader that falls more than limit behind skips to the next line start of
// what is held: the server keeps only a tail anyway, and a line cut at its
// start would lose the key that marks its secret.
type TailPipe struct {
	limit int

	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte // the last bytes read from src
	seen   int64  // bytes read from src in all
	srcErr error  // io.EOF once src has ended
}

// NewTailPipe starts reading src, holding its last limit bytes.
func NewTailPipe(src io.Reader, limit int) *TailPipe {
	p := &TailPipe{limit: limit}
	p.cond.L = &p.mu
	go p.pump(src)
	return p
}

func (p *TailPipe) pump(src io.Reader) {
	chunk := make([]byte, 32<<10)
	for {
		n, err := src.Read(chunk)
		p.mu.Lock()
		p.buf = append(p.buf, chunk[:n]...)
		if len(p.buf) > 2*p.limit {
			p.buf = p.buf[:copy(p.buf, p.buf[len(p.buf)-p.limit:])]
		}
		p.seen += int64(n)
		if err != nil {
			p.srcErr = err
		}
		p.cond.Broadcast()
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Total returns how many bytes were read from the source.
func (p *TailPipe) Total() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

// Err returns why the source ended (io.EOF), or nil while it has not.
func (p *TailPipe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srcErr
}

// Wait waits for the source to end and returns its last limit bytes, from
// the start of a line.
func (p *TailPipe) Wait() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.srcErr == nil {
		p.cond.Wait()
	}
	held := sanitize.Tail{Data: p.buf, Dropped: p.seen - int64(len(p.buf)), DroppedLines: -1, MidLine: int64(len(p.buf)) < p.seen}
	return bytes.Clone(held.Last(p.limit).Whole().Data)
}

// Reader streams what the source delivers, from its start.
func (p *TailPipe) Reader() io.ReadCloser { return &pipeReader{p: p} }

type pipeReader struct {
	p      *TailPipe
	sent   int64 // bytes of src passed on or skipped
	resync bool  // sent may be inside a line: skip to the next line start
	closed bool
}

func (r *pipeReader) Read(b []byte) (int, error) {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if r.closed {
			return 0, io.ErrClosedPipe
		}
		base := p.seen - int64(len(p.buf))
		if r.sent < base {
			r.sent, r.resync = base, true // fell behind: what came between is lost
		}
		t := sanitize.Tail{Data: p.buf[r.sent-base:], Dropped: r.sent, DroppedLines: -1, MidLine: r.resync}.Whole()
		r.sent, r.resync = t.Dropped, t.MidLine
		if len(t.Data) > 0 && len(b) > 0 {
			n := copy(b, t.Data)
			r.sent += int64(n)
			return n, nil
		}
		if p.srcErr != nil {
			return 0, p.srcErr
		}
		p.cond.Wait()
	}
}

// Close wakes a Read waiting for the source, as the HTTP client closes a
// body it gives up on.
func (r *pipeReader) Close() error {
	r.p.mu.Lock()
	r.closed = true
	r.p.cond.Broadcast()
	r.p.mu.Unlock()
	return nil
}
