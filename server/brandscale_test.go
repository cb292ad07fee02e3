package server

import (
	"fmt"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// scalePages are the pages of each brand of TestBrandScale: enough to have
// a fallback, a variant and a crashlog page, few enough to write a
// thousand bundles quickly.
var scalePages = []tpage{testPages[1], testPages[3], testPages[5], testPages[6], testPages[9]}

// heapInUse returns the bytes of live heap objects after two collections
// (the second empties sync.Pools, whose deflate writers are large).
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestBrandScale: a thousand brands (each its own marker, standing for its
// name, accent and logo; one in ten with a page of its own) start without
// reading their pages, and with two pages of every brand served the heap
// stays within the cache's bound (which counts their manifests too).
func TestBrandScale(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 brand bundles in -short")
	}
	const n = 1000
	dir := ramDir(t)
	var brands []bundle.Brand
	for i := range n {
		id := fmt.Sprintf("b%04d", i)
		brands = append(brands, bundle.Brand{ID: id, Match: bundle.Match{Hosts: []string{id + ".test", "*." + id + ".test"}}})
	}
	override := func(id string, b *bundle.Bundle) {
		if id[len(id)-1] != '7' {
			return
		}
		// One brand in ten has a 404 page of its own.
		f := b.Manifest.Pages[0].Files[bundle.HTML]
		data := []byte(strings.Replace(string(b.Files[f.Name]), "Something went wrong", "Our own words", 1))
		b.Files[f.Name], f.Size, f.SHA256 = data, len(data), bundle.Sum(data)
		b.Manifest.Pages[0].Files[bundle.HTML] = f
	}
	t0 := time.Now()
	list := brandDist(t, dir, brands, scalePages, override)
	t.Logf("%d brand bundles written in %v", n, time.Since(t0))

	base := heapInUse()
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", scalePages)), Brands: list, BrandCacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Compressed()
	started := heapInUse() - base
	// The brands' index and the default bundle; no brand's page.
	if started > 4<<20 {
		t.Errorf("started with %d brands: %.1f MiB of heap, want under 4", n, float64(started)/(1<<20))
	}
	if m := metric(t, srv, "ouchie_brand_cache_misses_total"); m != 0 {
		t.Errorf("%d outputs read at start, want none", m)
	}

	t0 = time.Now()
	for _, path := range []string{"/502", "/404"} {
		for _, b := range brands {
			resp, body := serveOnce(t, srv, brandRequest(path, "www."+b.ID+".test"))
			if got := markerOf(t, resp, body); got != "brand "+b.ID {
				t.Fatalf("%s %s: page of %q", b.ID, path, got)
			}
			if path == "/404" && strings.HasSuffix(b.ID, "7") != strings.Contains(string(body), "Our own words") {
				t.Fatalf("%s %s: the override is not where it should be", b.ID, path)
			}
		}
	}
	t.Logf("two pages of each brand served in %v", time.Since(t0))
	srv.brandCache.waitCompressed()
	served := heapInUse() - base
	cached := srv.brandCache.bytes.Load()
	t.Logf("%d brands: %.1f MiB of heap at start, %.1f MiB with two pages of each served (the cache holding %.1f MiB)",
		n, float64(started)/(1<<20), float64(served)/(1<<20), float64(cached)/(1<<20))
	if cached > 8<<20 {
		t.Errorf("the cache holds %d bytes, over its bound", cached)
	}
	// The cache's bound covers the brands' outputs and manifests; its
	// estimates are on the high side, so the heap stays under the bound
	// plus the start's.
	if served > 8<<20+4<<20 {
		t.Errorf("%.1f MiB of heap with the brands' pages served, want under the cache's 8 MiB bound and 4 MiB", float64(served)/(1<<20))
	}
	runtime.KeepAlive(srv)
}

// ramDir returns a temporary folder in a RAM file system (/dev/shm) when
// there is one, removed when the test ends: writing thousands of small
// files to a virtual disk takes longer than the test.
func ramDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "ouchie-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
