package crashlog

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// oddReader delivers its bytes in chunks of varying sizes.
type oddReader struct {
	data []byte
	i    int
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.i++
	n := min(len(p), len(r.data), 1+r.i*7919%100_000)
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestReadLast(t *testing.T) {
	for _, size := range []int{0, 10, 1 << 10, 1<<10 + 1, 5<<10 + 3} {
		data := bytes.Repeat([]byte("0123456\n89"), size/10+1)[:size]
		tl, n, err := readLast(&oddReader{data: data}, 1<<10)
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: n %d, err %v", size, n, err)
		}
		keep := min(size, 1<<10)
		cut := data[:size-keep]
		if !bytes.Equal(tl.Data, data[size-keep:]) || tl.Dropped != int64(len(cut)) ||
			tl.DroppedLines != int64(bytes.Count(cut, []byte("\n"))) || tl.MidLine != (len(cut) > 0 && cut[len(cut)-1] != '\n') {
			t.Errorf("size %d: kept %d bytes, dropped %d (%d lines), midLine %v", size, len(tl.Data), tl.Dropped, tl.DroppedLines, tl.MidLine)
		}
	}
}

// TestTailPipe checks what a reader that falls behind gets: whole lines.
func TestTailPipe(t *testing.T) {
	var in bytes.Buffer
	for i := 0; in.Len() < 100<<10; i++ {
		fmt.Fprintf(&in, "line %08d DB_PASSWORD=hunter2hunter2 of a long-running app\n", i)
	}
	src := in.Bytes()
	p := NewTailPipe(bytes.NewReader(src), 4<<10)
	body := p.Wait() // the reader starts after everything was read
	if len(body) > 4<<10 || !bytes.HasSuffix(src, body) || body[0] != 'l' {
		t.Errorf("Wait returned %d bytes starting %.20q", len(body), body)
	}
	got, err := io.ReadAll(p.Reader())
	if err != nil || len(got) > 4<<10 || !bytes.HasSuffix(src, got) || got[0] != 'l' {
		t.Errorf("a late reader got %d bytes starting %.20q (%v)", len(got), got, err)
	}
	if p.Total() != int64(len(src)) || p.Err() != io.EOF {
		t.Errorf("Total %d, Err %v; want %d, EOF", p.Total(), p.Err(), len(src))
	}
}

// TestTailPipeOneLine: a tail that holds no line start holds only a part
// of a line, which is dropped whole, as the server drops it: its start,
// and the name saying it is a secret, are gone.
func TestTailPipeOneLine(t *testing.T) {
	src := bytes.Repeat([]byte("PASSWORD=x"), 1<<10)
	p := NewTailPipe(bytes.NewReader(src), 4<<10)
	if body := p.Wait(); len(body) != 0 {
		t.Errorf("Wait returned %d bytes of a cut line: %.20q", len(body), body)
	}
	if got, _ := io.ReadAll(p.Reader()); len(got) != 0 {
		t.Errorf("a late reader got %d bytes of a cut line: %.20q", len(got), got)
	}
}
