// Command bench is `make bench`: it serves the default bundle with
// `ouchie serve` and with nginx side by side on loopback, drives both with
// wrk in alternation for the cases of issue 6, and times `ouchie build` on
// generated sites of 10,000 and 100,000 pages, and Hugo on the same Markdown. It prints a table with
// PASS/MISS per target; the targets are informational, so it exits non-zero
// only when the harness itself fails. Every process it starts is stopped on
// exit, failure or interrupt. See docs/performance.md.
//
//	go build -o bin/ouchie-bench ./bench && bin/ouchie-bench -ouchie bin/ouchie
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed report.lua
var reportLua []byte

//go:embed nginx.conf.tmpl
var nginxConf string

//go:embed brands.lua
var brandsLua []byte

// config is the command line.
type config struct {
	ouchie     string
	theme      string
	conns      int
	threads    int
	duration   time.Duration
	warmup     time.Duration
	rounds     int
	pin        bool
	buildSizes []int
	buildDir   string
	cases      *regexp.Regexp // the serving cases to run; nil for all
	keep       bool
	serve      bool   // run the serving cases
	brands     int    // brands of the generated brands site; 0 for none
	brandsOut  string // where to keep its dist; "" to remove it
}

func parseFlags() (config, error) {
	c := config{}
	flag.StringVar(&c.ouchie, "ouchie", "bin/ouchie", "the ouchie binary to measure (make bench builds it)")
	flag.StringVar(&c.theme, "theme", "classic", "theme of the bundle served and of the generated sites")
	flag.IntVar(&c.conns, "c", 32, "wrk connections")
	flag.IntVar(&c.threads, "t", 2, "wrk threads")
	flag.DurationVar(&c.duration, "d", 2*time.Second, "length of each measured wrk run (whole seconds)")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured wrk run per case and server before the first round; 0 for none")
	flag.IntVar(&c.rounds, "rounds", 3, "measured runs per case and server, alternating ouchie and nginx")
	pinDefault := runtime.NumCPU() >= 2
	if _, err := exec.LookPath("taskset"); err != nil {
		pinDefault = false
	}
	flag.BoolVar(&c.pin, "pin", pinDefault, "pin wrk to the first CPU and the servers to the others (taskset)")
	flag.BoolVar(&c.serve, "serve", true, "run the serving benchmark; -serve=false times the builds alone")
	sizes := flag.String("build", "10000,100000", "page counts of the generated sites to build, comma separated; empty for none")
	flag.StringVar(&c.buildDir, "build-dir", "auto", "where the generated sites are built: a folder, or auto for a RAM file system (/dev/shm) when it has room, so the figures are ouchie's and not the disk's, else the temporary folder")
	cases := flag.String("cases", "", "run only the serving cases whose name matches this regular expression (e.g. 'German|^HTML 502, browser$'); empty for all")
	flag.IntVar(&c.brands, "brands", 0, "also build the default site with this many generated brands (each its own name, accent, logo and host; every tenth its own 404), print the build's time and peak RSS and, with the serving cases, time ouchie's start on that dist and run the static and X-Code cases with requests spread over the brands; 0 for none")
	flag.StringVar(&c.brandsOut, "brands-out", "", "keep the -brands build's dist in this folder (for ouchie serve --dist), instead of removing it")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary folder (bundle, configs, logs) and print its path")
	flag.Parse()
	if flag.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	if c.conns < 1 || c.threads < 1 || c.threads > c.conns || c.rounds < 1 || c.duration < time.Second {
		return c, errors.New("want -c ≥ -t ≥ 1, -rounds ≥ 1 and -d ≥ 1s")
	}
	if c.brands < 0 || c.brands > 10000 {
		return c, errors.New("want -brands from 0 to 10000")
	}
	if *cases != "" {
		re, err := regexp.Compile(*cases)
		if err != nil {
			return c, fmt.Errorf("-cases: %w", err)
		}
		c.cases = re
	}
	for f := range strings.SplitSeq(*sizes, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return c, fmt.Errorf("-build: %q is not a page count", f)
		}
		c.buildSizes = append(c.buildSizes, n)
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err = run(ctx, cfg)
	interrupted := ctx.Err() != nil
	stop()
	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "bench: interrupted; every process it started is stopped")
		os.Exit(130)
	case err != nil:
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole benchmark. Whatever happens, the deferred calls stop
// every process started and remove the temporary folder.
func run(ctx context.Context, cfg config) error {
	b, err := newBench(cfg)
	if err != nil {
		return err
	}
	defer b.cleanup()
	// A signal cancels ctx, which ends wrk; stop the servers at once too.
	go func() {
		<-ctx.Done()
		b.procs.stopAll()
	}()

	b.printEnv()
	if cfg.serve {
		if err := b.serveBench(ctx); err != nil {
			return err
		}
	}
	if len(cfg.buildSizes) > 0 {
		if err := b.buildBench(ctx); err != nil {
			return err
		}
	}
	if cfg.brands > 0 && !cfg.serve {
		// With the serving cases, serveBench built them.
		if _, _, err := b.buildBrands(ctx, cfg.brands); err != nil {
			return err
		}
	}
	b.printLoad("after")
	return nil
}

// bench holds the state of one run.
type bench struct {
	cfg     config
	dir     string // temporary folder
	bdir    string // where sites are generated and built
	ouchie  string // absolute path of the binary
	wrkPath string
	nginx   string
	hugo    string // "" when missing: builds are not compared
	// bundleBytes is the size of the bundle the serving cases serve.
	bundleBytes int64
	luaPath     string
	// brandsLuaPath is brands.lua followed by report.lua.
	brandsLuaPath string
	procs         procs
	cpus          struct{ wrk, servers string }
	start         time.Time
}

func newBench(cfg config) (*bench, error) {
	b := &bench{cfg: cfg, start: time.Now()}
	var err error
	if b.ouchie, err = exec.LookPath(cfg.ouchie); err != nil {
		return nil, fmt.Errorf("ouchie binary %s: %w (hint: make bench builds it; or pass -ouchie PATH)", cfg.ouchie, err)
	}
	if b.ouchie, err = absPath(b.ouchie); err != nil {
		return nil, err
	}
	if b.wrkPath, err = exec.LookPath("wrk"); err != nil {
		return nil, errors.New("wrk not found (hint: apt-get install wrk)")
	}
	if b.nginx, err = lookNginx(); err != nil {
		return nil, err
	}
	if b.hugo, err = exec.LookPath("hugo"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: hugo not found: builds are not compared with it (hint: apt-get install hugo)")
		b.hugo = ""
	}
	if b.dir, err = os.MkdirTemp("", "ouchie-bench-"); err != nil {
		return nil, err
	}
	// nginx's workers run as nobody when the harness runs as root: they
	// must be able to read the bundle.
	if err := os.Chmod(b.dir, 0o755); err != nil {
		return nil, err
	}
	b.luaPath = b.path("report.lua")
	if err := os.WriteFile(b.luaPath, reportLua, 0o644); err != nil {
		return nil, err
	}
	b.brandsLuaPath = b.path("brands.lua")
	if err := os.WriteFile(b.brandsLuaPath, append(append(brandsLua, '\n'), reportLua...), 0o644); err != nil {
		return nil, err
	}
	if cfg.pin {
		n := runtime.NumCPU()
		b.cpus.wrk = "0"
		b.cpus.servers = fmt.Sprintf("1-%d", n-1)
		if n == 2 {
			b.cpus.servers = "1"
		}
	}
	return b, nil
}

func (b *bench) path(name string) string { return b.dir + "/" + name }

func (b *bench) cleanup() {
	b.procs.stopAll()
	if b.cfg.keep {
		fmt.Fprintf(os.Stderr, "bench: kept %s\n", b.dir)
		return
	}
	_ = os.RemoveAll(b.dir)
	if b.bdir != "" && b.bdir != b.dir {
		_ = os.RemoveAll(b.bdir)
	}
}

// buildFolder picks and creates the folder the build benchmark works in.
// The generated sites and their bundles take about 0.1 GiB per 1,000 pages
// written and 12 KiB a page read; a RAM file system keeps the disk (file
// creation is slow and erratic on some virtual disks) out of the figures.
func (b *bench) buildFolder() (string, error) {
	switch b.cfg.buildDir {
	case "auto":
		var st syscall.Statfs_t
		if err := syscall.Statfs("/dev/shm", &st); err == nil && int64(st.Bavail)*st.Bsize > 4<<30 {
			return os.MkdirTemp("/dev/shm", "ouchie-bench-build-")
		}
		return b.dir, nil
	case "":
		return b.dir, nil
	}
	if err := os.MkdirAll(b.cfg.buildDir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(b.cfg.buildDir, "ouchie-bench-build-")
}

// lookNginx finds nginx on PATH or where Debian puts it (/usr/sbin is not
// on every user's PATH).
func lookNginx() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errors.New("nginx not found (hint: apt-get install nginx-light)")
}

func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return wd + "/" + p, nil
}
