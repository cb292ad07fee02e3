package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// With -brands N, the harness builds the default site with N generated
// brands (writeBrands) by `ouchie build`, timing it; with the serving
// cases it then starts a second ouchie on that whole dist (timing its start
// and reading its memory), gives nginx a second server choosing the
// brand's folder by `map $host`, and runs the static and X-Code cases again
// with each request's Host naming the next brand (bench/brands.lua).

// brandID is the id of the i-th generated brand (from 0), and its host's
// first label.
func brandID(i int) string { return fmt.Sprintf("brand-%04d", i+1) }

// brandHost is the host whose requests are the i-th brand's.
func brandHost(i int) string { return brandID(i) + ".test" }

// brandName is the i-th brand's name, which its pages show.
func brandName(i int) string { return fmt.Sprintf("Brand %d", i+1) }

// buildBrands times `ouchie build` (the serving cases' formats, one theme,
// not compressed) of the default site with n generated brands and prints
// its wall time and peak RSS, then writes a .gz beside each page for nginx's
// gzip_static, as `--compress` would (ouchie makes its compressed forms of
// brand pages itself, as it reads them). Brotli at its best quality made a
// build of 1,000 brands take ten minutes. It returns the dist, kept in b.cfg.brandsOut when
// set, else in the temporary folder, and the nginx map lines choosing each
// brand's folder by host.
func (b *bench) buildBrands(ctx context.Context, n int) (dist, nginxMap string, err error) {
	site := b.path(fmt.Sprintf("site-%d-brands", n))
	dist = b.cfg.brandsOut
	if dist == "" {
		dist = b.path(fmt.Sprintf("out-%d-brands", n))
	}
	initCmd := exec.CommandContext(ctx, b.ouchie, "init", site)
	if o, err := initCmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("ouchie init: %v:\n%s", err, indent(strings.TrimSpace(string(o))))
	}
	if err := writeBrands(site, n); err != nil {
		return "", "", err
	}
	r, err := b.timeBuild(ctx, fmt.Sprintf("%d brands", n), "--src", site, "--dist", dist, "--theme", b.cfg.theme,
		"--format", "html,json,txt")
	if err != nil {
		return "", "", err
	}
	fmt.Printf("\nouchie build of %d brands (theme %s, html, json and txt, in %s): %s, peak RSS %s\n  %s\n",
		n, b.cfg.theme, b.dir, r.wall.Round(time.Millisecond), mib(r.maxRSS), r.summary)
	start := time.Now()
	files, err := gzipPages(dist)
	if err != nil {
		return "", "", err
	}
	fmt.Printf("  .gz beside each of %s pages for nginx: %s\n", thousands(float64(files)), time.Since(start).Round(time.Millisecond))
	if b.cfg.brandsOut != "" {
		fmt.Printf("  dist kept in %s\n", dist)
	}
	var m strings.Builder
	for i := range n {
		fmt.Fprintf(&m, "        %s %s;\n", brandHost(i), filepath.Join(dist, brandID(i), b.cfg.theme))
	}
	return dist, m.String(), nil
}

// writeBrands adds n brands to the site in dir (the default site, written
// by ouchie init): brand-0001 ... brand-N, each with its own name, accent,
// logo (brands/<id>/logo.svg), host, namespace and app, and only the site's
// default language; every tenth overrides the 404 page in
// brands/<id>/content/404.md. The brands: list replaces any in ouchie.yaml.
func writeBrands(dir string, n int) error {
	cfgFile := filepath.Join(dir, "ouchie.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		return err
	}
	var y strings.Builder
	y.Write(cfg)
	y.WriteString("\nbrands:\n")
	for i := 1; i <= n; i++ {
		id := brandID(i - 1)
		h := fnv.New32a()
		h.Write([]byte(id))
		accent := fmt.Sprintf("#%06x", h.Sum32()&0xffffff)
		fmt.Fprintf(&y, "  - id: %s\n    brand:\n      name: Brand %d\n      accent: %q\n      logo: brands/%s/logo.svg\n"+
			"    links:\n      homepage: https://%s.test/\n    languages: [en]\n"+
			"    match:\n      hosts: [%s.test, \"*.%s.test\"]\n      namespaces: [%s]\n      apps: [%s-web]\n",
			id, i, accent, id, id, id, id, id, id)
		bdir := filepath.Join(dir, "brands", id)
		if err := os.MkdirAll(filepath.Join(bdir, "content"), 0o755); err != nil {
			return err
		}
		logo := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="%s"/>`+
			`<text x="32" y="40" font-size="20" text-anchor="middle" fill="#fff">%d</text></svg>`+"\n", accent, i)
		if err := os.WriteFile(filepath.Join(bdir, "logo.svg"), []byte(logo), 0o644); err != nil {
			return err
		}
		if i%10 == 0 {
			page := fmt.Sprintf("---\nstatus: 404\ntitle: Brand %d has no such page\nsummary: Nothing at this address on Brand %d.\n"+
				"source: client\n---\nStart again from [Brand %d's home page](https://%s.test/).\n", i, i, i, id)
			if err := os.WriteFile(filepath.Join(bdir, "content", "404.md"), []byte(page), 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(cfgFile, []byte(y.String()), 0o644)
}

// brandsStart is what the harness measures of the ouchie serving brands
// beside the start of one serving the default bundle alone.
type brandsStart struct {
	up, upAlone   time.Duration // from exec to /healthz answering
	rss, rssAlone int64         // VmRSS once up
	peakRSS       int64         // VmHWM after the load
	metrics       string        // its brand cache's counters after the load
}

// startOuchieBrands times the start of `ouchie serve` on dist's default
// bundle alone (then stops it), then starts and times it on the whole dist
// with its brands, and returns that one.
func (b *bench) startOuchieBrands(ctx context.Context, dist string) (*served, brandsStart, error) {
	var st brandsStart
	start := func(dist, logName string) (*served, time.Duration, int64, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, 0, 0, err
		}
		s := &served{name: "ouchie", base: "http://" + addr}
		logFile := b.path(logName)
		argv := []string{b.ouchie, "serve", "--dist", dist, "--theme", b.cfg.theme, "--listen", addr, "--no-access-log"}
		t0 := time.Now()
		if s.proc, err = b.startLogged("ouchie", logFile, argv); err != nil {
			return nil, 0, 0, err
		}
		if err := waitHTTP(ctx, s.proc, s.base+"/healthz", logFile); err != nil {
			return nil, 0, 0, err
		}
		up := time.Since(t0)
		rss, err := procStatus(s.proc.pid(), "VmRSS")
		return s, up, rss, err
	}
	alone, up, rss, err := start(filepath.Join(dist, b.cfg.theme), "ouchie-alone.log")
	if err != nil {
		return nil, st, err
	}
	st.upAlone, st.rssAlone = up, rss
	alone.proc.stop()
	s, up, rss, err := start(dist, "ouchie-brands.log")
	if err != nil {
		return nil, st, err
	}
	st.up, st.rss = up, rss
	fmt.Fprintf(os.Stderr, "bench: ouchie with %d brands up in %s, %s resident (alone: %s, %s)\n",
		b.cfg.brands, st.up.Round(time.Millisecond), mib(st.rss), st.upAlone.Round(time.Millisecond), mib(st.rssAlone))
	return s, st, nil
}

// brandMetrics returns the brand cache's lines of s's /metrics.
func brandMetrics(s *served) string {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out []string
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, "ouchie_brand_cache_") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, ", ")
}

// printBrands compares the brand cases with their plain counterparts (CPU
// per request, which holds on a shared machine) and prints the start.
func printBrands(outs []*outcome, n int, st brandsStart) {
	fmt.Printf("%s brands (requests spread over them by Host): ouchie CPU/req against its plain case\n", thousands(float64(n)))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case	plain CPU/req	brands CPU/req	brands/plain	nginx plain	nginx brands	")
	plain := map[string]*outcome{}
	for _, o := range outs {
		if !o.c.brands {
			plain[o.c.name] = o
		}
	}
	for _, o := range outs {
		if !o.c.brands || o.c.skip != "" {
			continue
		}
		p := plain[strings.TrimSuffix(o.c.name, ", "+thousands(float64(n))+" brands")]
		if p == nil || p.c.skip != "" || len(p.ors) == 0 {
			continue
		}
		pc, pn := p.cpu()
		bc, bn := o.cpu()
		fmt.Fprintf(tw, "%s\t%.1f µs\t%.1f µs\t%.2f\t%.1f µs\t%.1f µs\t\n", o.c.name, pc, bc, bc/pc, pn, bn)
	}
	tw.Flush()
	fmt.Printf("  start (exec to /healthz answering): %s with the brands, %s without; resident at start %s (without: %s); peak %s after the load\n",
		st.up.Round(time.Millisecond), st.upAlone.Round(time.Millisecond), mib(st.rss), mib(st.rssAlone), mib(st.peakRSS))
	fmt.Printf("  brand cache after the load: %s\n\n", st.metrics)
}

// waitBrandsCompressed waits until s has made the compressed forms of every
// brand output it has read (ouchie_brand_cache_compress_pending is 0).
func waitBrandsCompressed(ctx context.Context, s *served) error {
	deadline := time.Now().Add(3 * time.Minute)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		if resp, err := client.Get(s.base + "/metrics"); err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(data), "\nouchie_brand_cache_compress_pending 0\n") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: brand pages not compressed after 3 minutes", s.name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// primeBrands sends req once for each brand, one after the other, and
// prints how long those first requests took and the CPU ouchie spent on
// them (its background compression included, which it waits for).
func primeBrands(ctx context.Context, s *served, req request) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	cpu := groupCPU(s.proc.pid())
	start := time.Now()
	for i := range req.brands {
		hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+req.path, nil)
		if err != nil {
			return err
		}
		for _, h := range req.headers {
			k, v, _ := strings.Cut(h, ":")
			hreq.Header.Set(k, strings.TrimSpace(v))
		}
		hreq.Host = brandHost(i)
		resp, err := client.Do(hreq)
		if err != nil {
			return fmt.Errorf("first request of brand %s: %w", brandID(i), err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != req.status {
			return fmt.Errorf("first request of brand %s: %d, want %d", brandID(i), resp.StatusCode, req.status)
		}
	}
	wall := time.Since(start)
	if err := waitBrandsCompressed(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: first request of each of %d brands (%s): %s, %.0f µs of ouchie's CPU per brand with its compression\n",
		req.brands, req.path, wall.Round(time.Millisecond), float64((groupCPU(s.proc.pid())-cpu).Microseconds())/float64(req.brands))
	return nil
}

// gzipPages writes name.gz (bundle.Gzip, as ouchie build --compress
// does) beside each .html, .json and .txt file under dir, on every core,
// and returns how many it wrote.
func gzipPages(dir string) (int, error) {
	var names []string
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		base := filepath.Base(name)
		if err == nil && !d.IsDir() && slices.Contains([]string{".html", ".json", ".txt"}, filepath.Ext(name)) &&
			base != "manifest.json" && base != "brands.json" {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	var next atomic.Int64
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range cap(errs) {
		go func() {
			for i := int(next.Add(1)) - 1; i < len(names); i = int(next.Add(1)) - 1 {
				data, err := os.ReadFile(names[i])
				if err == nil {
					err = os.WriteFile(names[i]+".gz", bundle.Gzip(data), 0o644)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range cap(errs) {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return len(names), err
}
