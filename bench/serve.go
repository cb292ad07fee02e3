package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/andybalholm/brotli"
)

// served is one server under load.
type served struct {
	name string
	base string // http://127.0.0.1:PORT
	proc *proc
}

// answer is what a server answered a case's request, checked before the
// load.
type answer struct {
	status   int
	encoding string // Content-Encoding, "" for identity
	wire     int    // body bytes as sent
	body     []byte // decoded
}

// outcome is a case's result: each server's rounds, and their answers.
type outcome struct {
	c                *benchCase
	ors, nrs         []wrkResult
	oAnswer, nAnswer answer
}

// rounds returns the rounds where both servers answered requests: a round
// where one got none (the machine stalled past wrk's timeout) says nothing
// about either.
func (o *outcome) rounds() (ors, nrs []wrkResult) {
	for i := range o.ors {
		if o.ors[i].Requests > 0 && o.nrs[i].Requests > 0 {
			ors, nrs = append(ors, o.ors[i]), append(nrs, o.nrs[i])
		}
	}
	return ors, nrs
}

// rps is the median requests/s of each server's rounds.
func (o *outcome) rps() (ouchie, nginx float64) {
	ors, nrs := o.rounds()
	return medianF(ors, wrkResult.rps), medianF(nrs, wrkResult.rps)
}

// cpu is the median CPU time per request of each server's rounds, in µs.
func (o *outcome) cpu() (ouchie, nginx float64) {
	ors, nrs := o.rounds()
	return medianF(ors, wrkResult.cpuPerRequest), medianF(nrs, wrkResult.cpuPerRequest)
}

// ratio is the median of the rounds' ouchie/nginx ratios: each round's
// runs are back to back, so a disturbance on the machine spoils one ratio,
// not the figure.
func (o *outcome) ratio() float64 {
	ors, nrs := o.rounds()
	rs := make([]float64, len(ors))
	for i := range ors {
		rs[i] = ors[i].rps() / nrs[i].rps()
	}
	return median(rs)
}

// serveBench builds the bundle, starts both servers and measures every
// case, then prints the table.
func (b *bench) serveBench(ctx context.Context) error {
	if err := b.buildBundle(ctx); err != nil {
		return err
	}
	cs := cases()
	var brandsDist, nginxMap string // with -brands
	if n := b.cfg.brands; n > 0 {
		var err error
		if brandsDist, nginxMap, err = b.buildBrands(ctx, n); err != nil {
			return err
		}
		cs = append(cs, brandCases(n)...)
	}
	if re := b.cfg.cases; re != nil {
		cs = slices.DeleteFunc(cs, func(c *benchCase) bool { return !re.MatchString(c.name) })
		if len(cs) == 0 {
			return fmt.Errorf("-cases %q matches no case", re)
		}
	}
	ouchie, skipLog, err := b.startOuchie(ctx, "ouchie.log")
	if err != nil {
		return err
	}
	var redis *served
	for _, c := range cs {
		switch {
		case c.ouchie.contains == crashlogMarker && skipLog != "":
			c.skip = skipLog
		case c.redis:
			if redis, c.skip, err = b.startRedisOuchie(ctx); err != nil {
				return err
			}
		}
	}
	logged, err := b.startOuchieLogged(ctx)
	if err != nil {
		return err
	}
	var brands *served
	var brandsStart brandsStart
	if nginxMap != "" {
		if brands, brandsStart, err = b.startOuchieBrands(ctx, brandsDist); err != nil {
			return err
		}
	}
	nginx, nginxBrands, err := b.startNginx(ctx, nginxMap)
	if err != nil {
		return err
	}
	// ouchie serves as soon as it has prepared its pages and compresses
	// them in the background: measure it once they are compressed.
	for _, o := range []*served{ouchie, logged, redis, brands} {
		if o != nil {
			if err := waitCompressed(ctx, o); err != nil {
				return err
			}
		}
	}
	// server is the ouchie a case measures.
	server := func(c *benchCase) *served {
		switch {
		case c.accessLog:
			return logged
		case c.redis:
			return redis
		case c.brands:
			return brands
		}
		return ouchie
	}
	nginxFor := func(c *benchCase) *served {
		if c.brands {
			return nginxBrands
		}
		return nginx
	}

	// Check each case's answers once, and give nginx ouchie's crashlog page
	// as a file.
	outs := make([]*outcome, 0, len(cs))
	for _, c := range cs {
		o := &outcome{c: c}
		outs = append(outs, o)
		if c.skip != "" {
			continue
		}
		if o.oAnswer, err = check(server(c), c.ouchie); err != nil {
			return err
		}
		if c.nginx.path == "/crashlog.html" {
			if err := os.WriteFile(b.path("extra/crashlog.html"), o.oAnswer.body, 0o644); err != nil {
				return err
			}
		}
		if o.nAnswer, err = check(nginxFor(c), c.nginx); err != nil {
			return err
		}
	}

	for _, o := range outs {
		if o.c.skip != "" {
			fmt.Fprintf(os.Stderr, "bench: %-34s skipped: %s\n", o.c.name, o.c.skip)
			continue
		}
		if err := b.measure(ctx, o, server(o.c), nginxFor(o.c)); err != nil {
			return err
		}
	}
	for _, s := range []*served{ouchie, logged, redis, brands} {
		if s != nil && s.proc.exited() {
			return fmt.Errorf("ouchie serve exited during the load (%v); see its log with -keep", s.proc.err)
		}
	}
	rss, err := peakRSS(ouchie.proc.pid())
	if err != nil {
		return err
	}
	nginxRSS := groupPeakRSS(nginx.proc.pid())
	if brands != nil {
		if brandsStart.peakRSS, err = peakRSS(brands.proc.pid()); err != nil {
			return err
		}
		brandsStart.metrics = brandMetrics(brands)
		brands.proc.stop()
	}
	ouchie.proc.stop()
	logged.proc.stop()
	if redis != nil {
		redis.proc.stop()
	}
	nginx.proc.stop()
	b.printServeTable(outs, rss, nginxRSS)
	printRedisVsMemory(outs)
	if brands != nil {
		printBrands(outs, b.cfg.brands, brandsStart)
	}
	return nil
}

// measure runs one case: a warm-up of each server, then rounds of
// ouchie, nginx, ouchie, nginx ...
func (b *bench) measure(ctx context.Context, o *outcome, ouchie, nginx *served) error {
	c := o.c
	if c.brands {
		// Each brand's first request reads its manifest and page: ask every
		// brand once, then measure once they are compressed, as the plain
		// cases are. What those first requests cost is printed.
		if err := primeBrands(ctx, ouchie, c.ouchie); err != nil {
			return err
		}
		if err := waitBrandsCompressed(ctx, ouchie); err != nil {
			return err
		}
	}
	if b.cfg.warmup > 0 {
		for _, s := range []*served{ouchie, nginx} {
			if _, err := b.wrk(ctx, s.base, pick(c, s), b.cfg.warmup); err != nil {
				return err
			}
		}
	}
	if c.brands {
		var err error
		if o.oAnswer, err = check(ouchie, c.ouchie); err != nil { // as sent now
			return err
		}
	}
	for round := 1; round <= b.cfg.rounds; round++ {
		for _, s := range []*served{ouchie, nginx} {
			cpu := groupCPU(s.proc.pid())
			r, err := b.wrk(ctx, s.base, pick(c, s), b.cfg.duration)
			if err != nil {
				return err
			}
			r.CPU = groupCPU(s.proc.pid()) - cpu
			note := ""
			if n := r.failures(pick(c, s).status); n > 0 {
				note = fmt.Sprintf("  %d failed (connect %d, read %d, write %d, timeout %d, unexpected status %d)",
					n, r.Connect, r.Read, r.Write, r.Timeout, n-r.Connect-r.Read-r.Write-r.Timeout)
			}
			fmt.Fprintf(os.Stderr, "bench: %-34s round %d  %-6s %9s req/s  p50 %s  p99 %s  %5.1f µs CPU/req%s\n",
				c.name, round, s.name, thousands(r.rps()), ms(r.P50US), ms(r.P99US), r.cpuPerRequest(), note)
			if s == ouchie {
				o.ors = append(o.ors, r)
			} else {
				o.nrs = append(o.nrs, r)
			}
		}
	}
	return nil
}

func pick(c *benchCase, s *served) request {
	if s.name == "ouchie" {
		return c.ouchie
	}
	return c.nginx
}

// buildBundle runs `ouchie build` of the default site into dist/, from the
// temporary folder so the site built into the binary is used whatever the
// current folder holds.
func (b *bench) buildBundle(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, b.ouchie, "build", "--dist", b.path("dist"), "--theme", b.cfg.theme,
		"--format", "html,json,txt", "--compress")
	cmd.Dir = b.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ouchie build: %v:\n%s", err, indent(strings.TrimSpace(string(out))))
	}
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "built ") {
			fmt.Fprintf(os.Stderr, "bench: %s", line)
		}
	}
	b.bundleBytes = diskUse(b.path("dist/" + b.cfg.theme))
	return nil
}

// startOuchie starts `ouchie serve` on the bundle with the crashlog admin
// API, and store (flags) when given, logging to logName, and pushes the
// benchmark's crashlog. When this build of ouchie cannot show crashlogs,
// it serves without, and skip says why.
func (b *bench) startOuchie(ctx context.Context, logName string, store ...string) (s *served, skip string, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	token := b.path("admin.token")
	if err := os.WriteFile(token, []byte("bench-admin-token-0123456789abcdef\n"), 0o600); err != nil {
		return nil, "", err
	}
	argv := []string{b.ouchie, "serve", "--dist", b.path("dist/" + b.cfg.theme), "--listen", addr, "--no-access-log"}
	withAdmin := slices.Concat(argv, []string{"--admin-listen", admin, "--admin-token-file", token}, store)
	s = &served{name: "ouchie", base: "http://" + addr}
	logFile := b.path(logName)

	if s.proc, err = b.startLogged("ouchie", logFile, withAdmin); err != nil {
		return nil, "", err
	}
	if err := waitHTTP(ctx, s.proc, s.base+"/healthz", logFile); err != nil {
		if !s.proc.exited() {
			return nil, "", err
		}
		// Most likely no crashlog support: say so, and serve without.
		skip = "ouchie serve refused " + strings.Join(withAdmin[len(argv):], " ") + ": " + errorLine(logFile)
		if s.proc, err = b.startLogged("ouchie", logFile, argv); err != nil {
			return nil, "", err
		}
		if err := waitHTTP(ctx, s.proc, s.base+"/healthz", logFile); err != nil {
			return nil, "", err
		}
		return s, skip, nil
	}
	logPath := b.path("crashlog.log")
	if err := os.WriteFile(logPath, benchCrashlog(), 0o644); err != nil {
		return nil, "", err
	}
	push := exec.CommandContext(ctx, b.ouchie, "crashlog", "push", "--admin", "http://"+admin,
		"--token-file", token, benchApp, logPath)
	if out, err := push.CombinedOutput(); err != nil {
		return s, "ouchie crashlog push failed: " + firstLine(string(out)), nil
	}
	return s, "", nil
}

// startOuchieLogged starts a second `ouchie serve` on the bundle with its
// access log on (stdout, to /dev/null like the first's), no crashlogs.
func (b *bench) startOuchieLogged(ctx context.Context) (*served, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &served{name: "ouchie", base: "http://" + addr}
	logFile := b.path("ouchie-access-log.log")
	argv := []string{b.ouchie, "serve", "--dist", b.path("dist/" + b.cfg.theme), "--listen", addr, "--access-log"}
	if s.proc, err = b.startLogged("ouchie", logFile, argv); err != nil {
		return nil, err
	}
	return s, waitHTTP(ctx, s.proc, s.base+"/healthz", logFile)
}

// startLogged starts a server pinned to the servers' CPUs, its stdout (the
// access log) to /dev/null and its stderr to logFile.
func (b *bench) startLogged(name, logFile string, argv []string) (*proc, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child holds its own descriptor
	return b.procs.start(name, b.cpus.servers, nil, f, argv...)
}

// nginxData fills bench/nginx.conf.tmpl. Brands, when set, holds the map
// lines from each brand's host to its folder, served on BrandsAddr.
type nginxData struct{ Prefix, Addr, Root, Extra, Brands, BrandsAddr string }

// startNginx writes nginx's configuration and starts it in the foreground.
// With brands (nginx map lines), a second server chooses the folder by
// host; it is returned as the second served, else nil.
func (b *bench) startNginx(ctx context.Context, brands string) (*served, *served, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	brandsAddr := ""
	if brands != "" {
		if brandsAddr, err = freeAddr(); err != nil {
			return nil, nil, err
		}
	}
	prefix := b.path("nginx")
	for _, d := range []string{prefix + "/tmp", b.path("extra")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	t, err := template.New("nginx.conf").Option("missingkey=error").Parse(nginxConf)
	if err != nil {
		return nil, nil, err
	}
	var conf bytes.Buffer
	if err := t.Execute(&conf, nginxData{Prefix: prefix, Addr: addr, Root: b.path("dist/" + b.cfg.theme), Extra: b.path("extra"),
		Brands: brands, BrandsAddr: brandsAddr}); err != nil {
		return nil, nil, err
	}
	confFile := prefix + "/nginx.conf"
	if err := os.WriteFile(confFile, conf.Bytes(), 0o644); err != nil {
		return nil, nil, err
	}
	logFile := prefix + "/error.log"
	p, err := b.startLogged("nginx", prefix+"/stderr.log", []string{b.nginx, "-p", prefix, "-c", confFile, "-e", logFile})
	if err != nil {
		return nil, nil, err
	}
	s := &served{name: "nginx", base: "http://" + addr, proc: p}
	if err := waitHTTP(ctx, p, s.base+"/502.html", prefix+"/stderr.log"); err != nil {
		return nil, nil, err
	}
	if brandsAddr == "" {
		return s, nil, nil
	}
	return s, &served{name: "nginx", base: "http://" + brandsAddr, proc: p}, nil
}

// check makes a case's request once and checks the answer: its status, and
// the text the body must hold.
func check(s *served, req request) (answer, error) {
	var a answer
	hreq, err := http.NewRequest(http.MethodGet, s.base+req.path, nil)
	if err != nil {
		return a, err
	}
	for _, h := range req.headers {
		k, v, _ := strings.Cut(h, ":")
		hreq.Header.Set(k, strings.TrimSpace(v))
	}
	if req.brands > 0 {
		hreq.Host = brandHost(0)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(hreq)
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", s.name, req.path, err)
	}
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", s.name, req.path, err)
	}
	a = answer{status: resp.StatusCode, encoding: resp.Header.Get("Content-Encoding"), wire: len(wire)}
	var r io.Reader = bytes.NewReader(wire)
	switch a.encoding {
	case "":
	case "gzip":
		if r, err = gzip.NewReader(r); err != nil {
			return a, fmt.Errorf("%s %s: gzip: %w", s.name, req.path, err)
		}
	case "br":
		r = brotli.NewReader(r)
	default:
		return a, fmt.Errorf("%s %s: unexpected Content-Encoding %q", s.name, req.path, a.encoding)
	}
	if a.body, err = io.ReadAll(r); err != nil {
		return a, fmt.Errorf("%s %s: decoding %s: %w", s.name, req.path, a.encoding, err)
	}
	switch {
	case a.status != req.status:
		err = fmt.Errorf("answered %d, want %d", a.status, req.status)
	case len(a.body) == 0:
		err = errors.New("empty body")
	case req.contains != "" && !bytes.Contains(a.body, []byte(req.contains)):
		err = fmt.Errorf("body does not hold %q", req.contains)
	case req.brands > 0 && !bytes.Contains(a.body, []byte(brandName(0))):
		err = fmt.Errorf("the page for %s is not that brand's", brandHost(0))
	}
	if err != nil {
		return a, fmt.Errorf("%s %s: %w; the benchmark would measure the wrong page", s.name, req.path, err)
	}
	return a, nil
}

// errorLine returns the "ouchie: error:" line of a log, else its last line.
func errorLine(file string) string {
	b, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		if msg, ok := strings.CutPrefix(l, "ouchie: error: "); ok {
			return msg
		}
	}
	return lines[len(lines)-1]
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// waitCompressed waits until s answers /502 with its brotli form, which it
// has once every page is compressed.
func waitCompressed(ctx context.Context, s *served) error {
	deadline := time.Now().Add(3 * time.Minute)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/502", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept-Encoding", "br")
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Header.Get("Content-Encoding") == "br" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: pages not compressed after 3 minutes", s.name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
