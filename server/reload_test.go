package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// TestReloadUnderLoad swaps between two bundles 50 times while 8 clients
// make 2000 requests each: every response is whole (body length equals
// Content-Length) and is exactly one of the two bundles' pages.
func TestReloadUnderLoad(t *testing.T) {
	a, b := makeBundle(t, "A", testPages), makeBundle(t, "B", testPages)
	var which atomic.Int64
	ts := open(t, Config{Load: func() (*bundle.Bundle, error) {
		if which.Add(1)%2 == 0 {
			return b, nil
		}
		return a, nil
	}})
	ts.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 8

	paths := []struct {
		path, file string
	}{{"/502", "502.html"}, {"/502.json", "502.json"}, {"/503.txt", "503.txt"}, {"/H10.xml", "502-app-crashed.xml"}}
	const clients, requests, swaps = 8, 2000, 50
	if testing.Short() {
		t.Skip("reload under load in -short")
	}

	// Reloads are spread over the run: the i-th waits for i/(swaps+1) of
	// the responses.
	var completed atomic.Int64
	done := make(chan struct{})
	var reloads sync.WaitGroup
	reloads.Go(func() {
		for i := 1; i <= swaps; i++ {
			for completed.Load() < int64(i*clients*requests/(swaps+1)) {
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
			if err := ts.Reload(); err != nil {
				t.Errorf("reload: %v", err)
			}
		}
	})
	var seen [2]atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range requests {
				p := paths[(c+i)%len(paths)]
				resp, err := ts.client.Get(ts.url + p.path)
				if err != nil {
					t.Errorf("GET %s: %v", p.path, err)
					return
				}
				data, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Errorf("GET %s: body: %v", p.path, err)
					return
				}
				if cl, _ := strconv.Atoi(resp.Header.Get("Content-Length")); cl != len(data) {
					t.Errorf("GET %s: Content-Length %d, body %d", p.path, cl, len(data))
					return
				}
				switch {
				case bytes.Equal(data, a.Files[p.file]):
					seen[0].Add(1)
				case bytes.Equal(data, b.Files[p.file]):
					seen[1].Add(1)
				default:
					t.Errorf("GET %s: body is neither bundle's %s", p.path, p.file)
					return
				}
				completed.Add(1)
			}
		})
	}
	wg.Wait()
	close(done)
	reloads.Wait()
	t.Logf("responses from A: %d, from B: %d", seen[0].Load(), seen[1].Load())
	if seen[0].Load()+seen[1].Load() != clients*requests {
		t.Errorf("%d whole responses, want %d", seen[0].Load()+seen[1].Load(), clients*requests)
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(string(m), fmt.Sprintf("ouchie_reloads_total %d\n", swaps)) {
		t.Errorf("metrics do not count %d reloads", swaps)
	}
}

// TestBrokenReload: a bundle that fails to load or validate is logged and
// the old one keeps serving.
func TestBrokenReload(t *testing.T) {
	good := makeBundle(t, "A", testPages)
	corrupt := makeBundle(t, "B", testPages)
	corrupt.Files["502.html"] = []byte("tampered") // no longer matches the manifest
	noPages := makeBundle(t, "C", testPages)
	noPages.Manifest.Pages = nil
	loads := []func() (*bundle.Bundle, error){
		fixed(good),
		func() (*bundle.Bundle, error) { return nil, errors.New("content/502.md:3:1: unknown field") },
		fixed(corrupt),
		fixed(noPages),
	}
	var n atomic.Int64
	ts := open(t, Config{Load: func() (*bundle.Bundle, error) { return loads[n.Add(1)-1]() }})
	for i := 1; i < len(loads); i++ {
		if err := ts.Reload(); err == nil {
			t.Fatalf("reload %d succeeded", i)
		}
		resp, data := ts.get(t, "/502")
		if p := parse(t, resp.Header.Get("Content-Type"), data); resp.StatusCode != 502 || p.marker != "A" {
			t.Fatalf("after failed reload %d: %d marker %q", i, resp.StatusCode, p.marker)
		}
	}
	if log := ts.log.String(); !strings.Contains(log, "reload failed; still serving the previous bundle") || !strings.Contains(log, "unknown field") {
		t.Errorf("log:\n%s", log)
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(string(m), "ouchie_reload_failures_total 3\n") {
		t.Errorf("metrics:\n%s", m)
	}
}

// TestWatch: replacing the bundle directory, as `ouchie build` does, is
// picked up; a broken bundle written in its place is not.
func TestWatch(t *testing.T) {
	dist := t.TempDir()
	dir := filepath.Join(dist, "test")
	if err := makeBundle(t, "A", testPages).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	ts := open(t, Config{
		Load:       func() (*bundle.Bundle, error) { return bundle.Open(dir) },
		Watch:      []string{dir},
		WatchDelay: 20 * time.Millisecond,
	})
	replace := func(marker string, corrupt bool) {
		t.Helper()
		tmp := filepath.Join(dist, ".test.new-"+marker)
		if err := makeBundle(t, marker, testPages).WriteDir(tmp); err != nil {
			t.Fatal(err)
		}
		if corrupt {
			if err := os.WriteFile(filepath.Join(tmp, "502.html"), []byte("tampered"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old := filepath.Join(dist, ".test.old-"+marker)
		if err := os.Rename(dir, old); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(old); err != nil {
			t.Fatal(err)
		}
	}
	waitMarker := func(want string) {
		t.Helper()
		for range 1000 { // polls for up to about 10 s; no timing is asserted
			resp, data := ts.get(t, "/502.json")
			if parse(t, resp.Header.Get("Content-Type"), data).marker == want {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("bundle %s never served; log:\n%s", want, ts.log.String())
	}
	replace("B", false)
	waitMarker("B")
	replace("C", true)
	for range 1000 {
		if strings.Contains(ts.log.String(), "reload failed") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitMarker("B")
	replace("D", false)
	waitMarker("D")
}
