package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ouchie/ouchie/generator"
)

// baseRSS is ouchie's peak RSS under load beside its bundle: the target is
// this plus the bytes of the bundle it serves (its files and their
// compressed forms, each of which it holds once). 30 MiB was the whole
// target when the bundle was one language's, about 1 MiB.
const baseRSS = 30 << 20

// printEnv says what the figures were measured on.
func (b *bench) printEnv() {
	fmt.Printf("ouchie bench, %s\n", b.start.Format("2006-01-02 15:04 MST"))
	fmt.Printf("  CPU      %s, %d cores\n", cpuModel(), runtime.NumCPU())
	fmt.Printf("  ouchie   %s (%s)\n", b.ouchie, firstLine(output(b.ouchie, "version")))
	fmt.Printf("  nginx    %s (%s)\n", b.nginx, strings.TrimPrefix(firstLine(output(b.nginx, "-v")), "nginx version: "))
	fmt.Printf("  wrk      -c %d -t %d, %d rounds × %s per server and case, alternating ouchie and nginx, after a %s warm-up;\n"+
		"           req/s, latencies and ratio are medians of the rounds\n",
		b.cfg.conns, b.cfg.threads, b.cfg.rounds, b.cfg.duration, b.cfg.warmup)
	if b.cfg.pin {
		fmt.Printf("  CPUs     wrk pinned to CPU %s, each server to CPU %s (taskset)\n", b.cpus.wrk, b.cpus.servers)
	} else {
		fmt.Printf("  CPUs     not pinned: wrk and the server share all %d cores\n", runtime.NumCPU())
	}
	fmt.Println("  log      off in both (ouchie --no-access-log; nginx access_log off), but for the last case, where ouchie's is on,\n" +
		"           batched to stdout, /dev/null")
	b.printLoad("before")
	fmt.Println()
}

// printLoad prints the load average, a warning sign when other work shares
// the machine.
func (b *bench) printLoad(when string) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return
	}
	note := ""
	if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > float64(runtime.NumCPU())/2 {
		note = "  (other work on this machine: absolute figures are noisy; ratios hold better)"
	}
	fmt.Printf("  load     %s %s %s %s%s\n", f[0], f[1], f[2], when, note)
}

func (b *bench) printServeTable(outs []*outcome, rss, nginxRSS int64) {
	fmt.Println("requests/s (ratio: ouchie/nginx; target on it) and server CPU time per request (CPU ratio: nginx/ouchie)")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case	ouchie req/s	nginx req/s	ratio	target		ouchie CPU/req	nginx CPU/req	CPU ratio	")
	for _, o := range outs {
		c := o.c
		if c.skip != "" {
			fmt.Fprintf(tw, "%s	-	-	-	%s	SKIP	-	-	-	\n", c.name, target(c.target))
			continue
		}
		orps, nrps := o.rps()
		ocpu, ncpu := o.cpu()
		ratio := o.ratio()
		verdict, byCPU := "", ""
		if c.target > 0 {
			verdict, byCPU = passMiss(ratio >= c.target), passMiss(ncpu/ocpu >= c.target)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\t%.1f µs\t%.1f µs\t%.2f\t%s\t\n", c.name,
			thousands(orps), thousands(nrps), ratio, target(c.target), verdict, ocpu, ncpu, ncpu/ocpu, byCPU)
	}
	maxRSS := baseRSS + b.bundleBytes
	fmt.Fprintf(tw, "peak RSS (VmHWM)\t%s\t%s\t\t≤ %s\t%s\t\t\t\t\t\n", mib(rss), mib(nginxRSS), mib(maxRSS), passMiss(rss <= maxRSS))
	tw.Flush()
	fmt.Println("  Targets apply to the ratio of requests/s. \"by CPU\" applies them to the CPU ratio, the ratio the")
	fmt.Println("  servers would reach if each had its core to itself: it holds up when other work takes CPU from a run.")
	fmt.Println("  A round where either server answered nothing is left out.  RSS: target on ouchie's, 30 MiB beside the")
	fmt.Printf("  %s of the bundle it serves (files and compressed forms); nginx's sums its processes.\n", mib(b.bundleBytes))
	fmt.Println()

	fmt.Println("latency (wrk, median of the rounds) and response body as sent")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case	ouchie p50	ouchie p99	nginx p50	nginx p99	ouchie body	nginx body	")
	for _, o := range outs {
		if o.c.skip != "" {
			continue
		}
		ors, nrs := o.rounds()
		if len(ors) == 0 {
			continue
		}
		ouchie, nginx := combine(ors), combine(nrs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", o.c.name,
			ms(ouchie.P50US), ms(ouchie.P99US), ms(nginx.P50US), ms(nginx.P99US), bodySize(o.oAnswer), bodySize(o.nAnswer))
	}
	tw.Flush()
	for _, o := range outs {
		if o.c.skip != "" {
			fmt.Printf("  skipped %q: %s\n", o.c.name, o.c.skip)
			continue
		}
		if n := combine(o.ors).failures(o.c.ouchie.status); n > 0 {
			fmt.Printf("  WARNING %q: ouchie gave %d failed or unexpected responses\n", o.c.name, n)
		}
		if n := combine(o.nrs).failures(o.c.nginx.status); n > 0 {
			fmt.Printf("  WARNING %q: nginx gave %d failed or unexpected responses\n", o.c.name, n)
		}
	}
	fmt.Println()
}

func (b *bench) printBuildTable(runs []buildRun) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "generated\tpages\twall\tpages/s\tuser CPU\tsystem CPU\tpeak RSS\toutput\thugo wall\thugo RSS\t")
	for _, r := range runs {
		hw, hr := "-", "-"
		if r.hugo != nil {
			hw, hr = r.hugo.wall.Round(time.Millisecond).String(), mib(r.hugo.maxRSS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", thousands(float64(r.generated)), thousands(float64(r.pages)),
			r.wall.Round(time.Millisecond), thousands(r.pagesPerSec()), r.user.Round(time.Millisecond),
			r.sys.Round(time.Millisecond), mib(r.maxRSS), mib(r.disk), hw, hr)
	}
	tw.Flush()
	// Linearity: the cost of each generated page over the default site's
	// build (start-up, theme parsing and the site's own pages), small site
	// against large.
	if len(runs) >= 3 && runs[0].generated == 0 {
		base, small, big := runs[0], runs[1], runs[len(runs)-1]
		per := func(r buildRun, f func(buildRun) time.Duration) float64 {
			return (f(r) - f(base)).Seconds() / float64(r.generated)
		}
		wall := func(r buildRun) time.Duration { return r.wall }
		user := func(r buildRun) time.Duration { return r.user }
		ratio := per(big, wall) / per(small, wall)
		fmt.Printf("  per generated page: %.0f µs wall, %.0f µs user CPU at %s pages; %.0f µs wall, %.0f µs user CPU at %s\n",
			per(small, wall)*1e6, per(small, user)*1e6, thousands(float64(small.generated)),
			per(big, wall)*1e6, per(big, user)*1e6, thousands(float64(big.generated)))
		fmt.Printf("  %s/%s pages: cost per page ×%.2f wall, ×%.2f user CPU (target ≤ 1.10 wall)  %s\n",
			thousands(float64(big.generated)), thousands(float64(small.generated)), ratio, per(big, user)/per(small, user), passMiss(ratio <= 1.10))
		fmt.Printf("  peak RSS at %s pages: %s (target < 200 MiB)  %s\n", thousands(float64(big.generated)), mib(big.maxRSS), passMiss(big.maxRSS < 200<<20))
	}
	// Against Hugo, per page of the whole build. Like for like is HTML
	// alone (one file a page, as Hugo writes) against Hugo writing the same
	// page (the theme's layout in Hugo's templates); the bare page and the
	// other formats are shown beside it.
	for _, r := range runs {
		if r.hugo == nil || r.hugoPage == nil || r.html == nil || r.defaults == nil {
			continue
		}
		per := func(wall time.Duration) float64 { return wall.Seconds() / float64(r.pages) * 1e6 }
		bare, page := per(r.hugo.wall), per(r.hugoPage.wall)
		fmt.Printf("  %s pages, µs of wall time a page: hugo %.0f into a bare page, %.0f into the theme's page\n", thousands(float64(r.pages)), bare, page)
		for _, c := range []struct {
			what string
			run  buildRun
			goal bool
		}{{"ouchie, HTML only", *r.html, true}, {"ouchie, default formats (" + strings.Join(generator.DefaultFormats, ",") + ")", *r.defaults, false},
			{"ouchie, every format", r, false}} {
			o := per(c.run.wall)
			verdict := ""
			if c.goal {
				verdict = "(target ≥ 2 against the same page)  " + passMiss(page/o >= 2)
			}
			fmt.Printf("    %-42s %4.0f: ×%.2f hugo's same page, ×%.2f its bare page  %s\n", c.what, o, page/o, bare/o, verdict)
		}
	}
	fmt.Println()
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func target(t float64) string {
	if t == 0 {
		return "-"
	}
	return fmt.Sprintf("≥ %.1f", t)
}

func bodySize(a answer) string {
	enc := a.encoding
	if enc == "" {
		enc = "id"
	}
	return thousands(float64(a.wire)) + " " + enc
}

// thousands formats n rounded, with thousands separators.
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ms(us int64) string {
	return strconv.FormatFloat(float64(us)/1000, 'f', 2, 64) + " ms"
}

func mib(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// output runs a command briefly and returns what it printed.
func output(argv ...string) string {
	out, _ := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return string(out)
}
