package server

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"sync"

	"github.com/ouchie/ouchie/generator/bundle"
)

// stitched is a page's gzip form for requests that fill slots (a request
// id, the status of a fallback page), assembled per request from pieces
// compressed once at load: the gzip header; each literal run between the
// filled slots as deflate blocks compressed on its own and ending in a sync
// flush, so it ends on a byte boundary and is not final; each slot value as
// stored (uncompressed) blocks; an empty final block; the CRC-32 and size.
// The CRC of the runs is combined from theirs in constant time, so only the
// slot values are checksummed per request. Nothing is compressed per
// request and nothing allocates.
//
// Slots not filled per request (a crashlog slot, which gzip pages never
// fill, and the status slots of a page answering its own status) keep their
// default inside the runs, so they compress with the text around them.
type stitched struct {
	runs     []gzRun           // len(kinds)+1 runs: runs[0] slot[0] runs[1] ...
	kinds    []bundle.SlotKind // kind of each filled slot
	defaults [][]byte          // each filled slot's default bytes
	wraps    []bundle.Wrap     // what each filled slot's value goes between
}

// gzRun is a literal run of a page, compressed.
type gzRun struct {
	z   []byte // deflate blocks, byte-aligned, not final; nil when the run is empty
	crc uint32 // CRC-32 of the run's bytes
	n   int    // the run's length
	op  uint32 // crcShift operator for n bytes, to combine CRCs
}

// newStitched splits v's page at the slots whose kind filled says, and
// compresses the runs between them. It returns nil when v has no such slot,
// or when the gzip form with every slot at its default would not be smaller
// than the page itself.
func newStitched(v *output, filled func(bundle.SlotKind) bool) *stitched {
	st := &stitched{}
	var run []byte
	for i, seg := range v.Segs {
		run = append(run, seg...)
		if i == len(v.Kinds) {
			break
		}
		if !filled(v.Kinds[i]) {
			run = append(run, v.Defaults[i]...)
			continue
		}
		st.runs = append(st.runs, compressRun(run))
		st.kinds = append(st.kinds, v.Kinds[i])
		st.defaults = append(st.defaults, v.Defaults[i])
		st.wraps = append(st.wraps, v.Wraps[i])
		run = nil
	}
	st.runs = append(st.runs, compressRun(run))
	if len(st.kinds) == 0 {
		return nil
	}
	size := len(gzHeader) + len(gzEnd) + 8
	for i, r := range st.runs {
		size += len(r.z)
		if i < len(st.defaults) && len(st.defaults[i]) > 0 {
			size += 5 + len(st.defaults[i])
		}
	}
	if size >= len(v.body) {
		return nil
	}
	return st
}

// compressRun compresses a run on its own (no match reaches across a slot,
// whose length varies) and ends it with a sync flush.
func compressRun(run []byte) gzRun {
	r := gzRun{crc: crc32.ChecksumIEEE(run), n: len(run), op: crcShift(len(run))}
	if len(run) == 0 {
		return r
	}
	var buf bytes.Buffer
	zw := flateWriters.Get().(*flate.Writer)
	zw.Reset(&buf)
	_, _ = zw.Write(run)
	_ = zw.Flush() // a sync flush: an empty stored block, byte-aligned, not final
	flateWriters.Put(zw)
	r.z = bytes.Clone(buf.Bytes()) // kept for the bundle's life: not the buffer's spare room
	return r
}

// flateWriters are deflate compressors at the best level, reused: each
// holds about 1 MiB of tables, and brands' pages are compressed one after
// the other as they are first asked for.
var flateWriters = sync.Pool{New: func() any {
	zw, _ := flate.NewWriter(nil, flate.BestCompression) // a valid level: cannot fail
	return zw
}}

// fill appends the gzip form of the page with its slots filled from vals,
// as bundle.Layout.Append does for the identity form. vals carries no
// crashlog: a crashlog page goes out as identity.
func (st *stitched) fill(dst []byte, f bundle.Format, vals *bundle.Values) []byte {
	z := gzStream{buf: append(dst, gzHeader...)}
	for i := range st.runs {
		z.literal(&st.runs[i])
		if i == len(st.kinds) {
			break
		}
		start := z.openStored()
		z.buf = vals.Append(z.buf, f, st.kinds[i], st.defaults[i], st.wraps[i])
		z.closeStored(start)
	}
	return z.end()
}

// A gzip header (RFC 1952) without name, time or extra fields, OS unknown;
// and the end of the deflate stream: an empty final block with fixed
// Huffman codes (BFINAL 1, BTYPE 01, end-of-block), which starts on the
// byte boundary every piece before it ends on.
var (
	gzHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	gzEnd    = []byte{0x03, 0x00}
)

// maxStored is the most a stored block holds (RFC 1951 3.2.4).
const maxStored = 0xffff

// gzStream appends a gzip member piece by piece, keeping its CRC-32 and
// size.
type gzStream struct {
	buf  []byte
	crc  uint32
	size uint32
}

// literal appends a compressed run.
func (z *gzStream) literal(r *gzRun) {
	z.buf = append(z.buf, r.z...)
	z.crc = crcCombine(z.crc, r.crc, r.op)
	z.size += uint32(r.n)
}

// openStored starts a stored value: the caller appends the value's bytes
// to z.buf, then calls closeStored with what openStored returned.
func (z *gzStream) openStored() int {
	z.buf = append(z.buf, 0, 0, 0, 0, 0) // room for a stored block header
	return len(z.buf)
}

// closeStored frames the value appended since openStored as stored blocks
// of at most maxStored bytes each (none for an empty value).
func (z *gzStream) closeStored(start int) {
	n := len(z.buf) - start
	z.crc = crc32.Update(z.crc, crc32.IEEETable, z.buf[start:])
	z.size += uint32(n)
	if n == 0 {
		z.buf = z.buf[:start-5]
		return
	}
	blocks := (n + maxStored - 1) / maxStored
	z.buf = append(z.buf, make([]byte, 5*(blocks-1))...)
	// Move each block right to make room for its header, last block first
	// (each moves right by five bytes more than the one before it).
	for b := blocks - 1; b >= 0; b-- {
		from := start + b*maxStored
		size := min(maxStored, n-b*maxStored)
		hdr := start - 5 + b*(maxStored+5)
		copy(z.buf[hdr+5:hdr+5+size], z.buf[from:from+size])
		z.buf[hdr] = 0 // BFINAL 0, BTYPE 00; the rest of the byte pads to the boundary
		binary.LittleEndian.PutUint16(z.buf[hdr+1:], uint16(size))
		binary.LittleEndian.PutUint16(z.buf[hdr+3:], ^uint16(size))
	}
}

// end appends the final block and the gzip trailer, and returns the member.
func (z *gzStream) end() []byte {
	z.buf = append(z.buf, gzEnd...)
	z.buf = binary.LittleEndian.AppendUint32(z.buf, z.crc)
	return binary.LittleEndian.AppendUint32(z.buf, z.size)
}

// CRC-32 combination, as zlib's crc32_combine_op: the CRC of A followed by B
// is crcA multiplied by x^(8·len(B)) modulo the polynomial, plus crcB. The
// operator for a length is computed once; combining is 32 shifts.

// crcPoly is the CRC-32 (IEEE) polynomial, bit-reversed.
const crcPoly = 0xedb88320

// multModP multiplies a and b modulo the CRC-32 polynomial (bit-reversed:
// 1<<31 is x^0).
func multModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ crcPoly
		} else {
			b >>= 1
		}
	}
	return p
}

// x2n[k] is x^(2^k) modulo the polynomial.
var x2n = func() (t [32]uint32) {
	p := uint32(1) << 30 // x^1
	for k := range t {
		t[k] = p
		p = multModP(p, p)
	}
	return t
}()

// crcShift returns x^(8n) modulo the polynomial: the operator that moves a
// CRC past n bytes.
func crcShift(n int) uint32 {
	p := uint32(1) << 31 // x^0
	for k := 3; n > 0; n, k = n>>1, k+1 {
		if n&1 != 0 {
			p = multModP(x2n[k&31], p)
		}
	}
	return p
}

// crcCombine returns the CRC-32 of A followed by B from crcA, crcB and
// op = crcShift(len(B)).
func crcCombine(crcA, crcB, op uint32) uint32 {
	return multModP(op, crcA) ^ crcB
}
