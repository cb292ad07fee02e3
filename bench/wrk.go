package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Request headers as Chromium sends them for a page load.
const (
	chromeAccept         = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	chromeAcceptEncoding = "gzip, deflate, br, zstd"
	requestID            = "5f0c6e8a9b3d4e21a7c8f90b12d34e56" // 32 hex, as ingress-nginx's $req_id
	benchApp             = "bench-app"
)

// request is one request wrk repeats.
type request struct {
	path    string
	headers []string // "Name: value"
	status  int      // the status the server must answer
	// contains is text the (identity) body must hold, checked once before
	// the load.
	contains string
	// brands, when not 0, spreads the requests over that many generated
	// brands (bench/brands.lua); the check asks for the first brand's page.
	brands int
}

// benchCase is one row of the table: the same page asked of both servers.
type benchCase struct {
	name          string
	ouchie, nginx request
	// target is the least ouchie/nginx requests/s ratio wanted; 0 for none.
	target float64
	// skip, when set, says why the case is not run.
	skip string
	// accessLog runs the case against a second ouchie with its access log
	// on (the first runs with --no-access-log, as nginx runs with none).
	accessLog bool
	// redis runs the case against a third ouchie whose crashlogs are kept
	// in Redis (--crashlog-store, a redis-server the harness starts).
	redis bool
	// brands runs the case against the ouchie and the nginx server that
	// serve the generated brands (-brands).
	brands bool
}

// browser is the header set of a page load in Chromium.
var browser = []string{"Accept: " + chromeAccept, "Accept-Encoding: " + chromeAcceptEncoding}

// germanBrowser is a page load in Chromium set to German, as it sends it.
var germanBrowser = append(slices.Clone(browser), "Accept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7")

// ingress is what ingress-nginx's custom default backend receives for an
// upstream's 502: the client's own headers, plus X-Code, X-Format (the
// client's Accept) and its context headers, on "/".
var ingress = append(slices.Clone(browser),
	"X-Code: 502",
	"X-Format: "+chromeAccept,
	"X-Original-URI: /checkout/cart?item=42",
	"X-Namespace: shop",
	"X-Ingress-Name: shop-web",
	"X-Service-Name: web",
	"X-Service-Port: 8080",
	"X-Request-ID: "+requestID,
)

// cases are the four cases of issue 6, the crashlog case again with the
// Redis store, the first again with ouchie's access log on, and a browser
// asking for German (issue 12): ouchie chooses the language by
// Accept-Language, nginx serves the German file it is asked for. The
// crashlog cases' nginx request is for a file holding ouchie's answer,
// written once ouchie has given it.
func cases() []*benchCase {
	jsonHeaders := []string{"Accept: application/json", "Accept-Encoding: gzip"}
	return []*benchCase{
		{
			name:   "HTML 502, browser",
			ouchie: request{path: "/502.html", headers: browser, status: 502},
			nginx:  request{path: "/502.html", headers: browser, status: 200},
			target: 0.9,
		},
		{
			name:   "ingress-nginx X-Code + request id",
			ouchie: request{path: "/", headers: ingress, status: 502, contains: requestID},
			nginx:  request{path: "/", headers: ingress, status: 200},
			target: 0.8,
		},
		{
			name:   "JSON 502",
			ouchie: request{path: "/502.json", headers: jsonHeaders, status: 502},
			nginx:  request{path: "/502.json", headers: jsonHeaders, status: 200},
		},
		crashlogCase(),
		func() *benchCase { c := crashlogCase(); c.name += ", Redis store"; c.redis = true; return c }(),
		{
			name:      "HTML 502, browser, access log on",
			ouchie:    request{path: "/502.html", headers: browser, status: 502},
			nginx:     request{path: "/502.html", headers: browser, status: 200},
			accessLog: true,
		},
		{
			name:   "HTML 502, browser in German",
			ouchie: request{path: "/502.html", headers: germanBrowser, status: 502, contains: `lang="de"`},
			nginx:  request{path: "/502.de.html", headers: germanBrowser, status: 200, contains: `lang="de"`},
			target: 0.8,
		},
	}
}

// brandCases are the static and X-Code cases again with requests spread
// over n brands: each request's Host names the next brand, whose page
// ouchie chooses by its rules and nginx by a map of hosts to folders.
func brandCases(n int) []*benchCase {
	suffix := ", " + thousands(float64(n)) + " brands"
	return []*benchCase{
		{
			name:   "HTML 502, browser" + suffix,
			ouchie: request{path: "/502.html", headers: browser, status: 502, brands: n},
			nginx:  request{path: "/502.html", headers: browser, status: 200, brands: n},
			target: 0.9,
			brands: true,
		},
		{
			name:   "ingress-nginx X-Code + request id" + suffix,
			ouchie: request{path: "/", headers: ingress, status: 502, contains: requestID, brands: n},
			nginx:  request{path: "/", headers: ingress, status: 200, brands: n},
			target: 0.8,
			brands: true,
		},
	}
}

// crashlogCase is the page of an app that failed to boot, with its 64 KiB
// log.
func crashlogCase() *benchCase {
	return &benchCase{
		name: "app failed to boot + 64 KiB log",
		ouchie: request{path: "/502/app-failed-to-boot", status: 502, contains: crashlogMarker,
			headers: append(slices.Clone(browser), "X-App: "+benchApp)},
		nginx:  request{path: "/crashlog.html", headers: browser, status: 200},
		target: 0.3,
	}
}

// wrkResult is what bench/report.lua prints after a run.
type wrkResult struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Connect    int64 `json:"connect"`
	Read       int64 `json:"read"`
	Write      int64 `json:"write"`
	Status     int64 `json:"status"` // responses not 2xx or 3xx
	Timeout    int64 `json:"timeout"`
	P50US      int64 `json:"p50_us"`
	P90US      int64 `json:"p90_us"`
	P99US      int64 `json:"p99_us"`
	MaxUS      int64 `json:"max_us"`
	// CPU is the CPU time the server used during the run (not from wrk).
	CPU time.Duration `json:"-"`
}

// cpuPerRequest is the server's CPU time per request, in microseconds. It
// holds up when other work on the machine takes CPU from the server, which
// requests/s does not.
func (r wrkResult) cpuPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.CPU.Microseconds()) / float64(r.Requests)
}

// rps is the run's requests per second.
func (r wrkResult) rps() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// failures counts requests that went wrong: socket errors, timeouts, and
// answers of another class than want (an error page must answer its error
// status; nginx's file, 200).
func (r wrkResult) failures(want int) int64 {
	n := r.Connect + r.Read + r.Write + r.Timeout
	if want >= 400 {
		return n + r.Requests - r.Status
	}
	return n + r.Status
}

// wrk drives one server with one request for d and returns wrk's figures.
func (b *bench) wrk(ctx context.Context, base string, req request, d time.Duration) (wrkResult, error) {
	var res wrkResult
	argv := []string{b.wrkPath,
		"-c", fmt.Sprint(b.cfg.conns), "-t", fmt.Sprint(b.cfg.threads),
		"-d", fmt.Sprintf("%ds", max(1, int(d.Round(time.Second).Seconds()))),
		"--timeout", "5s", "-s", b.luaPath}
	if req.brands > 0 {
		argv[len(argv)-1] = b.brandsLuaPath
	}
	for _, h := range req.headers {
		argv = append(argv, "-H", h)
	}
	argv = append(argv, base+req.path)
	if req.brands > 0 {
		argv = append(argv, "--", fmt.Sprint(req.brands))
	}
	if b.cfg.pin {
		argv = append([]string{"taskset", "-c", b.cpus.wrk}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, fmt.Errorf("wrk %s: %v: %s", base+req.path, err, strings.TrimSpace(errb.String()+out.String()))
	}
	for line := range strings.Lines(out.String()) {
		if j, ok := strings.CutPrefix(line, "ouchie-bench: "); ok {
			if err := json.Unmarshal([]byte(j), &res); err != nil {
				return res, fmt.Errorf("wrk report %q: %w", j, err)
			}
			return res, nil
		}
	}
	return res, fmt.Errorf("wrk %s: no report in its output:\n%s", base+req.path, indent(out.String()))
}

// combine sums the requests and durations of rounds and takes the median of
// their latency percentiles.
func combine(rs []wrkResult) wrkResult {
	var c wrkResult
	var p50, p90, p99 []int64
	for _, r := range rs {
		c.Requests += r.Requests
		c.DurationUS += r.DurationUS
		c.Bytes += r.Bytes
		c.Connect += r.Connect
		c.Read += r.Read
		c.Write += r.Write
		c.Status += r.Status
		c.Timeout += r.Timeout
		c.MaxUS = max(c.MaxUS, r.MaxUS)
		p50, p90, p99 = append(p50, r.P50US), append(p90, r.P90US), append(p99, r.P99US)
	}
	c.P50US, c.P90US, c.P99US = median(p50), median(p90), median(p99)
	return c
}

func median[T int64 | float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// medianF is the median of f over rs.
func medianF(rs []wrkResult, f func(wrkResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return median(v)
}
