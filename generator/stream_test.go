package generator

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// buildBoth writes site with opts and target twice, through Build and
// WriteOut and through BuildOut, and returns both trees.
func buildBoth(t *testing.T, s *Site, opts Options, target string) (inMemory, streamed map[string]string) {
	t.Helper()
	bundles, err := s.Build(opts)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	for _, b := range bundles {
		if target != "" {
			if err := AddTarget(b, target); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b := t.TempDir(), t.TempDir()
	want, err := WriteOut(a, bundles)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.BuildOut(b, opts, target)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if got.Files != want.Files || got.Bytes != want.Bytes || !slices.Equal(got.Themes, want.Themes) {
		t.Errorf("BuildOut wrote %+v, WriteOut %+v", got, want)
	}
	return snapshot(t, a), snapshot(t, b)
}

// TestBuildOutIsBuild: the streaming build writes byte for byte what the
// in-memory build writes: the default site with every theme and format; and
// the base site compressed, with each target (brotli at its best is slow).
func TestBuildOutIsBuild(t *testing.T) {
	root := defaultSite()
	defer root.Close()
	def, err := Load(root.FS())
	if err != nil {
		t.Fatal(formatErr(err))
	}
	base, err := Load(baseSite(t))
	if err != nil {
		t.Fatal(formatErr(err))
	}
	type buildCase struct {
		site   *Site
		opts   Options
		target string
	}
	cases := []buildCase{{def, Options{Formats: bundle.Formats}, ""}, {base, Options{Formats: bundle.Formats, Compress: true}, ""}}
	for _, target := range Targets {
		cases = append(cases, buildCase{base, Options{Formats: bundle.Formats, Compress: true}, target})
	}
	for _, tc := range cases {
		want, got := buildBoth(t, tc.site, tc.opts, tc.target)
		if len(want) < len(tc.site.all) {
			t.Fatalf("only %d files written", len(want))
		}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			if got[name] != want[name] {
				t.Errorf("target %q: %s differs", tc.target, name)
			}
		}
		if len(got) != len(want) {
			t.Errorf("target %q: %d files streamed, %d built in memory", tc.target, len(got), len(want))
		}
	}
}

// TestBuildOutFailureKeepsOldOutput: a build with broken pages reports
// every one, sorted, and leaves the output and no staging folder.
func TestBuildOutFailureKeepsOldOutput(t *testing.T) {
	out := t.TempDir()
	site := baseSite(t)
	s, err := Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if _, err := s.BuildOut(out, Options{Formats: bundle.Formats}, ""); err != nil {
		t.Fatal(formatErr(err))
	}
	before := snapshot(t, out)
	if _, ok := before["plain/manifest.json"]; !ok {
		t.Fatalf("first build wrote %v", keys(before))
	}
	if _, err := bundle.Open(filepath.Join(out, "plain")); err != nil {
		t.Errorf("streamed bundle does not read back: %v", err)
	}

	// Two pages the theme cannot render: both reported, sorted, as Build
	// reports them.
	bad := &fstest.MapFile{Data: []byte(`{{ define "main" }}{{ .Page.Nope }}{{ end }}`)}
	site["themes/plain/layouts/5xx.html"], site["themes/plain/layouts/404.html"] = bad, bad
	s, err = Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	_, err = s.BuildOut(out, Options{Formats: bundle.Formats}, "")
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 || !strings.Contains(list[0].Msg, "page 404:") || !strings.Contains(list[1].Msg, "page 5xx:") {
		t.Fatalf("broken build: %v", formatErr(err))
	}
	if _, want := s.Build(Options{Formats: bundle.Formats}); formatErr(err) != formatErr(want) {
		t.Errorf("BuildOut reports\n%sBuild\n%s", formatErr(err), formatErr(want))
	}
	if !equalMaps(before, snapshot(t, out)) {
		t.Fatal("a failed build changed the output")
	}

	// A write that fails (the staging folder cannot be written) is an
	// OutputError, and changes nothing either.
	if err := os.Chmod(out, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(out, 0o755)
	s, _ = Load(baseSite(t))
	_, err = s.BuildOut(out, Options{}, "")
	var oe *OutputError
	if os.Geteuid() != 0 && !errors.As(err, &oe) {
		t.Fatalf("write to a read-only folder: %v", err)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		return // root writes anyway
	}
	if !equalMaps(before, snapshot(t, out)) {
		t.Fatal("a failed write changed the output")
	}
}

// TestBuildOutMemory: the heap a build needs, loading the site and
// streaming its bundle, does not grow with the number of pages beyond a
// small index entry a page (its id, front matter fields and aliases, which
// the manifest and the checks across pages need). It loads and builds
// generated sites of 1,000 and 4,000 pages and compares the most live heap
// seen during each, from before Load: a page's YAML tree and Markdown are
// several KiB, its files 12 KiB.
func TestBuildOutMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 5,000 pages")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(25)) // collect often, so the samples are close
	growth := map[int]uint64{}
	for _, n := range []int{1000, 4000} {
		// On disk: fstest.MapFS lists a folder by walking all its files.
		dir := t.TempDir()
		if err := os.CopyFS(dir, generatedSite(t, n)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		growth[n] = peakHeapGrowth(t, func() {
			s, err := Load(os.DirFS(dir))
			if err != nil {
				t.Fatal(formatErr(err))
			}
			if _, err := s.BuildOut(t.TempDir(), Options{Formats: bundle.Formats}, ""); err != nil {
				t.Fatal(formatErr(err))
			}
		})
		t.Logf("%d pages in %s", n, time.Since(start))
	}
	t.Logf("heap while loading and building: 1,000 pages %d KiB, 4,000 pages %d KiB", growth[1000]>>10, growth[4000]>>10)
	// 3,000 more pages may cost 2 KiB each at most: what a loaded site keeps
	// of a generated page is about 0.5 KiB, and the samples are noisy. Its
	// YAML tree and Markdown, kept until the build, took 6 KiB a page.
	if extra := int64(growth[4000]) - int64(growth[1000]); extra > 3000*2048 {
		t.Errorf("4,000 pages needed %d KiB more heap than 1,000 (%d bytes a page): the build holds pages", extra>>10, extra/3000)
	}
}

// peakHeapGrowth runs f and returns the most live heap (as of the last
// collection) seen while it ran, less the live heap before.
func peakHeapGrowth(t *testing.T, f func()) uint64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// TestBuildPageChanged: a loaded site keeps no page's Markdown, and a build
// reads each page again: a page whose file changed since Load (checked as it
// was then) is an error of the build, not rendered unchecked.
func TestBuildPageChanged(t *testing.T) {
	site := baseSite(t)
	s, err := Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	site["content/404.md"].Data = append(site["content/404.md"].Data, "\n<script>alert(1)</script>\n"...)
	_, err = s.Build(Options{})
	want := "content/404.md: changed while the site was built\nhint: build again once it is saved\n"
	if got := formatErr(err); got != want {
		t.Errorf("build after a page changed:\n%swant\n%s", got, want)
	}
	_, err = s.BuildOut(t.TempDir(), Options{}, "")
	if got := formatErr(err); got != want {
		t.Errorf("streamed build after a page changed:\n%swant\n%s", got, want)
	}
}
