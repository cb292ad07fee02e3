package server

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"bytes"
	"compress/gzip"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// gunzip decodes one gzip member, checking its CRC and size (the reader
// does) and that nothing follows it.
func gunzip(t testing.TB, z []byte) []byte {
	t.Helper()
	br := bytes.NewReader(z)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if br.Len() != 0 {
		t.Fatalf("%d bytes after the gzip member", br.Len())
	}
	return out
}

func TestCRCCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 200_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000, 4096, 65535, 65536, 70000, 199_999} {
		for _, cut := range []int{0, 1, n / 3, n} {
			cut = min(cut, n)
			a, b := data[:cut], data[cut:n]
			got := crcCombine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), crcShift(len(b)))
			if want := crc32.ChecksumIEEE(data[:n]); got != want {
				t.Errorf("%d bytes cut at %d: %08x, want %08x", n, cut, got, want)
			}
		}
	}
}

// stitchValues is stitched.fill with arbitrary slot values.
func stitchValues(st *stitched, vals [][]byte) []byte {
	z := gzStream{buf: append([]byte(nil), gzHeader...)}
	for i := range st.runs {
		z.literal(&st.runs[i])
		if i == len(st.kinds) {
			break
		}
		start := z.openStored()
		if len(vals[i]) == 0 { // as bundle.Values.Append: the default, or the value between before and after
			z.buf = append(z.buf, st.defaults[i]...)
		} else {
			z.buf = append(append(append(z.buf, st.wraps[i].Before...), vals[i]...), st.wraps[i].After...)
		}
		z.closeStored(start)
	}
	return z.end()
}

// stitchTestVariant is a page of runs around three request id slots, the
// middle one between two slots (an empty run).
func stitchTestVariant() *output {
	v := &output{Layout: &bundle.Layout{
		Segs:     [][]byte{[]byte("<!doctype html><p>" + strings.Repeat("run one ", 200)), []byte(" and "), nil, []byte(strings.Repeat("the end ", 100))},
		Kinds:    []bundle.SlotKind{bundle.KindRequestID, bundle.KindCrashlog, bundle.KindRequestID},
		Defaults: [][]byte{[]byte("<b>-</b>"), nil, []byte("")},
		Wraps:    []bundle.Wrap{{Before: []byte("<b>"), After: []byte("</b>")}, {}, {Before: []byte("\nRequest ID: "), After: []byte("\n")}},
	}}
	for i, seg := range v.Segs {
		v.body = append(v.body, seg...)
		if i < len(v.Defaults) {
			v.body = append(v.body, v.Defaults[i]...)
		}
	}
	return v
}

// wrapped is slot i of v holding val as stitchValues writes it: between the
// slot's before and after, or the default when val is empty.
func wrapped(v *output, i int, val []byte) []byte {
	if len(val) == 0 {
		return v.Defaults[i]
	}
	return bytes.Join([][]byte{v.Wraps[i].Before, val, v.Wraps[i].After}, nil)
}

// TestStitchedValues: any slot values, from none to more than one stored
// block holds, decode to the page with those values in place.
func TestStitchedValues(t *testing.T) {
	v := stitchTestVariant()
	st := newStitched(v, func(k bundle.SlotKind) bool { return k == bundle.KindRequestID })
	if st == nil || len(st.runs) != 3 || len(st.kinds) != 2 {
		t.Fatalf("stitched %+v", st)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	values := [][]byte{
		nil, []byte("0"), []byte("5f0c6e8a9b3d4e21a7c8f90b12d34e56"), []byte("日本語 ✓ \u202e émoji 🙂"),
		random(maxStored - 1), random(maxStored), random(maxStored + 1), random(70000), random(2 * maxStored), random(3*maxStored + 7),
	}
	for _, a := range values {
		for _, b := range values {
			z := stitchValues(st, [][]byte{a, b})
			want := bytes.Join([][]byte{v.Segs[0], wrapped(v, 0, a), v.Segs[1], v.Defaults[1], v.Segs[2], wrapped(v, 2, b), v.Segs[3]}, nil)
			if got := gunzip(t, z); !bytes.Equal(got, want) {
				t.Fatalf("values of %d and %d bytes: decoded %d bytes, want %d", len(a), len(b), len(got), len(want))
			}
		}
	}
}

// TestStitchedPages: every page of the test bundle in every format, filled
// through the server's own path, decodes to the identity form byte for
// byte, and is smaller.
func TestStitchedPages(t *testing.T) {
	st := testSite(t)
	rids := []string{"", "0", "req-1", strings.Repeat("r", 5000), `<a href="x">&'\`, "日本語\u202e\x00\n", "\xff\xfe"}
	for _, p := range st.pages {
		for _, v := range p.out {
			if v == nil {
				continue
			}
			for _, filled := range []bool{false, true} {
				z := v.z.Load().own
				tg := answer{status: 502}
				if filled {
					z, tg = v.z.Load().fill, answer{status: 418, fillStatus: true}
				}
				if z == nil {
					t.Fatalf("%s: no gzip form", v.file)
				}
				for _, rid := range rids {
					got := gunzip(t, z.fill(nil, v.Format, &bundle.Values{Status: tg.statusValue(), RequestID: rid}))
					if want := v.Append(nil, &bundle.Values{Status: tg.statusValue(), RequestID: rid}); !bytes.Equal(got, want) {
						t.Errorf("%s, status filled %v, request id %q:\n got %q\nwant %q", v.file, filled, rid, got, want)
					}
					if zlen := len(z.fill(nil, v.Format, &bundle.Values{Status: tg.statusValue(), RequestID: rid})); zlen >= len(v.body) {
						t.Errorf("%s: gzip %d bytes, page %d", v.file, zlen, len(v.body))
					}
				}
			}
		}
	}
}

// TestStitchedNotSmaller: a page too small to gain from gzip has no gzip
// form and is sent as is.
func TestStitchedNotSmaller(t *testing.T) {
	v := &output{Layout: &bundle.Layout{Segs: [][]byte{[]byte(`{"id":"`), []byte(`"}`)}, Kinds: []bundle.SlotKind{bundle.KindRequestID}, Defaults: [][]byte{nil}, Wraps: []bundle.Wrap{{}}}}
	v.body = []byte(`{"id":""}`)
	if st := newStitched(v, func(k bundle.SlotKind) bool { return k == bundle.KindRequestID }); st != nil {
		t.Errorf("a %d-byte page got a gzip form", len(v.body))
	}
}

// TestStitchedRequests: through the handler, every way of filling a page
// answers gzip with an exact Content-Length, decoding to the identity answer.
func TestStitchedRequests(t *testing.T) {
	ts := open(t, Config{})
	for _, path := range []string{"/502", "/502.json", "/502.txt", "/502.xml", "/418", "/599.json", "/H10", "/503"} {
		for _, rid := range []string{"", "abc", "5f1c0a<b>&'\""} {
			h := []string{"X-Request-ID", rid}
			plainResp, plain := ts.get(t, path, h...)
			resp, data := ts.get(t, path, append(h, "Accept-Encoding", "gzip, deflate, br, zstd")...)
			checkPageHeaders(t, resp, data, false)
			filled := rid != "" || strings.HasPrefix(path, "/418") || strings.HasPrefix(path, "/599")
			want := "br"
			if filled {
				want = "gzip"
			}
			if got := resp.Header.Get("Content-Encoding"); got != want {
				t.Errorf("%s request id %q: Content-Encoding %q, want %q", path, rid, got, want)
				continue
			}
			if want == "gzip" {
				if got := gunzip(t, data); !bytes.Equal(got, plain) {
					t.Errorf("%s request id %q: gzip decodes to\n%q\nnot\n%q", path, rid, got, plain)
				}
			}
			if resp.StatusCode != plainResp.StatusCode || resp.Header.Get("Content-Type") != plainResp.Header.Get("Content-Type") {
				t.Errorf("%s: %d %s, as is %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), plainResp.StatusCode, plainResp.Header.Get("Content-Type"))
			}
		}
	}
	// A crashlog page showing a log goes as is.
	ts = open(t, Config{Crashlogs: fakeSource{"web": []byte("boom")}})
	resp, data := ts.get(t, "/H10", "X-App", "web", "X-Request-ID", "r", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || parse(t, resp.Header.Get("Content-Type"), data).crashlog != "boom" {
		t.Errorf("crashlog page: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	checkPageHeaders(t, resp, data, false)
	head, empty := ts.do(t, http.MethodHead, "/502", headers("X-Request-ID", "r", "Accept-Encoding", "gzip"), nil)
	get, body := ts.get(t, "/502", "X-Request-ID", "r", "Accept-Encoding", "gzip")
	if len(empty) != 0 || head.Header.Get("Content-Length") != get.Header.Get("Content-Length") || head.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD: %d bytes, Content-Length %q (GET %q, %d bytes)", len(empty), head.Header.Get("Content-Length"), get.Header.Get("Content-Length"), len(body))
	}
}

// FuzzStitched: any request id and slot value decode to what the identity
// path writes.
func FuzzStitched(f *testing.F) {
	f.Add("5f0c6e8a9b3d4e21a7c8f90b12d34e56", []byte("x"), uint16(3))
	f.Add("", []byte{}, uint16(0))
	f.Add("<\u2028>\"&\xff", bytes.Repeat([]byte("é"), 40000), uint16(900))
	st := testSite(f)
	v := stitchTestVariant()
	vst := newStitched(v, func(k bundle.SlotKind) bool { return k == bundle.KindRequestID })
	f.Fuzz(func(t *testing.T, rid string, val []byte, status uint16) {
		tg := answer{status: 400 + int(status)%200, fillStatus: status%2 == 0}
		p := st.pages[int(status)%len(st.pages)]
		for _, v := range p.out {
			if v == nil {
				continue
			}
			z := v.z.Load().own
			if tg.fillStatus {
				z = v.z.Load().fill
			}
			if got, want := gunzip(t, z.fill(nil, v.Format, &bundle.Values{Status: tg.statusValue(), RequestID: rid})), v.Append(nil, &bundle.Values{Status: tg.statusValue(), RequestID: rid}); !bytes.Equal(got, want) {
				t.Fatalf("%s, request id %q: decodes to %q, want %q", v.file, rid, got, want)
			}
		}
		got := gunzip(t, stitchValues(vst, [][]byte{val, []byte(rid)}))
		if want := bytes.Join([][]byte{v.Segs[0], wrapped(v, 0, val), v.Segs[1], v.Defaults[1], v.Segs[2], wrapped(v, 2, []byte(rid)), v.Segs[3]}, nil); !bytes.Equal(got, want) {
			t.Fatalf("values %q and %q: decoded wrong", val, rid)
		}
	})
}

// testSite prepares the test bundle as the server does.
func testSite(t testing.TB) *prepared {
	t.Helper()
	st, err := prepare(makeBundle(t, "A", testPages), prepareOptions{vary: "Accept", varyCrashlog: "Accept", metrics: newMetrics()})
	if err != nil {
		t.Fatal(err)
	}
	st.compressLater(newCompressor(11))
	<-st.ready
	return st
}

// BenchmarkStitch: filling a request id into the gzip form of a page.
func BenchmarkStitch(b *testing.B) {
	st := testSite(b)
	v := st.pages[5].out[bundle.FormatHTML]
	buf := make([]byte, 0, 16<<10)
	rid := "5f0c6e8a9b3d4e21a7c8f90b12d34e56"
	b.SetBytes(int64(len(v.Append(nil, &bundle.Values{RequestID: rid}))))
	b.ReportAllocs()
	for b.Loop() {
		buf = v.z.Load().own.fill(buf[:0], v.Format, &bundle.Values{RequestID: rid})
	}
}
