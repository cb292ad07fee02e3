package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// buildRun is one timed `ouchie build`.
type buildRun struct {
	generated int // pages added to the default site
	pages     int // pages built, translations included, as ouchie reports them
	wall      time.Duration
	user, sys time.Duration // CPU time
	maxRSS    int64         // bytes: the child's VmHWM
	disk      int64         // bytes written
	summary   string        // ouchie's "built ..." line
	hugo      *hugoRun      // the same Markdown built by Hugo into a bare page
	hugoPage  *hugoRun      // and into the theme's page
	// The same site built in fewer formats: ouchie build's default ones,
	// and HTML alone, one file a page as Hugo writes.
	defaults, html *buildRun
}

// hugoRun is one timed `hugo` build.
type hugoRun struct {
	wall, user, sys time.Duration
	maxRSS          int64
	sample          []byte // the 404 page it wrote, with the theme's layout
}

func (r buildRun) pagesPerSec() float64 { return float64(r.pages) / r.wall.Seconds() }

// builtRE reads the pages ouchie built from its summary: the default
// language's and the translations.
var builtRE = regexp.MustCompile(`built (\d+) pages?(?: \+ (\d+) translations?)?`)

// buildBench times `ouchie build` (every format, one theme, no
// compression) of the default site alone, then plus each configured number
// of generated pages, one site after the other, with nothing else of the
// harness running.
func (b *bench) buildBench(ctx context.Context) error {
	var err error
	if b.bdir, err = b.buildFolder(); err != nil {
		return err
	}
	fs := "disk"
	var st syscall.Statfs_t
	if syscall.Statfs(b.bdir, &st) == nil && st.Type == 0x01021994 { // TMPFS_MAGIC
		fs = "RAM (tmpfs)"
	}
	fmt.Printf("ouchie build: theme %s, every format (html,json,txt,xml,http), no compression, all cores; in %s on %s\n",
		b.cfg.theme, b.bdir, fs)
	// One unmeasured build first, so the binary, the theme files and the
	// page cache are warm for the first measured one.
	warm := exec.CommandContext(ctx, b.ouchie, "build", "--dist", b.bdir+"/out-warm", "--theme", b.cfg.theme,
		"--format", "all")
	warm.Dir = b.dir
	if out, err := warm.CombinedOutput(); err != nil {
		return fmt.Errorf("ouchie build: %v:\n%s", err, indent(strings.TrimSpace(string(out))))
	}
	_ = os.RemoveAll(b.bdir + "/out-warm")
	var runs []buildRun
	// The default site alone first: what every build costs before its
	// pages, to tell the cost per page from it.
	for _, n := range append([]int{0}, b.cfg.buildSizes...) {
		site := fmt.Sprintf("%s/site-%d", b.bdir, n)
		out := fmt.Sprintf("%s/out-%d", b.bdir, n)
		if err := b.generateSite(ctx, site, n); err != nil {
			return err
		}
		r, err := b.timeBuild(ctx, fmt.Sprintf("%d generated pages", n), "--src", site, "--dist", out,
			"--theme", b.cfg.theme, "--format", "all")
		if err != nil {
			return err
		}
		r.generated, r.pages = n, n
		if m := builtRE.FindStringSubmatch(r.summary); m != nil {
			r.pages, _ = strconv.Atoi(m[1])
			if t, err := strconv.Atoi(m[2]); err == nil {
				r.pages += t
			}
		}
		r.disk = diskUse(out)
		fmt.Fprintf(os.Stderr, "bench: build of %d pages: %s, %s pages/s, peak RSS %s, output %s\n",
			r.pages, r.wall.Round(time.Millisecond), thousands(r.pagesPerSec()), mib(r.maxRSS), mib(r.disk))
		// The outputs are large (about 12 KiB a page); free the disk now.
		_ = os.RemoveAll(out)
		if n > 0 {
			for _, f := range []struct {
				run     **buildRun
				formats string
			}{{&r.defaults, strings.Join(generator.DefaultFormats, ",")}, {&r.html, bundle.HTML}} {
				fr, err := b.timeBuild(ctx, fmt.Sprintf("%d generated pages, %s", n, f.formats), "--src", site, "--dist", out,
					"--theme", b.cfg.theme, "--format", f.formats)
				if err != nil {
					return err
				}
				*f.run = &fr
				_ = os.RemoveAll(out)
				fmt.Fprintf(os.Stderr, "bench: the same in %s: %s\n", f.formats, fr.wall.Round(time.Millisecond))
			}
		}
		if b.hugo != "" {
			if r.hugo, err = b.hugoBuild(ctx, site, false); err != nil {
				return err
			}
			if r.hugoPage, err = b.hugoBuild(ctx, site, true); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: hugo of the same Markdown: %s into a bare page, %s into the theme's (%s bytes for the 404 page), peak RSS %s\n",
				r.hugo.wall.Round(time.Millisecond), r.hugoPage.wall.Round(time.Millisecond), thousands(float64(len(r.hugoPage.sample))), mib(r.hugoPage.maxRSS))
		}
		runs = append(runs, r)
		_ = os.RemoveAll(site)
	}
	b.printBuildTable(runs)
	return nil
}

// timeBuild runs `ouchie build args...` and returns its times, peak RSS
// and summary line; what names the build in an error.
func (b *bench) timeBuild(ctx context.Context, what string, args ...string) (buildRun, error) {
	cmd := exec.CommandContext(ctx, b.ouchie, append([]string{"build"}, args...)...)
	cmd.Dir = b.dir
	start := time.Now()
	output, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return buildRun{}, ctx.Err()
		}
		return buildRun{}, fmt.Errorf("ouchie build of %s: %v:\n%s", what, err, indent(strings.TrimSpace(string(output))))
	}
	r := buildRun{wall: wall, user: cmd.ProcessState.UserTime(), sys: cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	for line := range strings.Lines(string(output)) {
		if strings.HasPrefix(line, "built ") {
			r.summary = strings.TrimSpace(line)
		}
	}
	return r, nil
}

// generateSite writes the default site (ouchie init) into dir and adds n
// variant pages, spread over the statuses 500-599, like the generator's
// BenchmarkBuild1000Pages.
func (b *bench) generateSite(ctx context.Context, dir string, n int) error {
	cmd := exec.CommandContext(ctx, b.ouchie, "init", dir)
	cmd.Dir = b.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ouchie init: %v:\n%s", err, indent(strings.TrimSpace(string(out))))
	}
	for i := range n {
		id := fmt.Sprintf("5%02d-generated-%d", i%100, i)
		page := fmt.Appendf(nil, "---\nstatus: %d\ntitle: Generated page %d\nsummary: A page made by the benchmark.\n"+
			"source: app\naliases: [gen%d]\n---\nSome *Markdown* with a [link](https://example.com/%d).\n\n"+
			"## For the app's developer\n\n- One thing.\n- Another \"thing\".\n", 500+i%100, i, i, i)
		if err := os.WriteFile(dir+"/content/"+id+".md", page, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// hugoBuild times Hugo building the Markdown of site (a folder written by
// generateSite) into a minimal Hugo site whose content folder is site's,
// with nothing but single pages (no lists, feeds, sitemap or alias
// redirects). With page false the layout is bare: the title, summary and
// body in a few tags. With page true it is bench/hugo/layouts: the classic
// theme's page in Hugo's templates, with the theme's stylesheet, the site's
// logo, links and English labels, so both write the same page.
func (b *bench) hugoBuild(ctx context.Context, site string, page bool) (*hugoRun, error) {
	dir := site + "-hugo"
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir+"/layouts/_default", 0o755); err != nil {
		return nil, err
	}
	config := map[string]any{
		"baseURL": "https://example.com/", "contentDir": site + "/content", "disableAliases": true,
		"disableKinds": []string{"home", "section", "taxonomy", "term", "rss", "sitemap", "robotstxt", "404"},
	}
	if page {
		if err := os.CopyFS(dir, hugoPage); err != nil {
			return nil, err
		}
		if err := copyFile(site+"/themes/"+b.cfg.theme+"/assets/style.css", dir+"/style.css"); err != nil {
			return nil, err
		}
		logo, err := os.ReadFile(site + "/logo.svg")
		if err != nil {
			return nil, err
		}
		labels := map[string]string{}
		v := reflect.ValueOf(generator.DefaultLabels)
		for i := range v.NumField() {
			labels[v.Type().Field(i).Tag.Get("yaml")] = v.Field(i).String()
		}
		config["params"] = map[string]any{"name": "Ouchie Cloud", "accent": "#c2255c", "logo": string(logo), "labels": labels,
			"links": map[string]string{"homepage": "https://example.com/", "support": "https://example.com/support",
				"status": "https://status.example.com/"}}
	} else {
		layout := "<!doctype html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>" +
			"<p>{{ .Params.summary }}</p>{{ .Content }}</body></html>\n"
		if err := os.WriteFile(dir+"/layouts/_default/single.html", []byte(layout), 0o644); err != nil {
			return nil, err
		}
	}
	data, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(dir+"/hugo.json", data, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, b.hugo, "--quiet", "--source", dir, "--destination", dir+"/public")
	cmd.Dir = dir // where readFile finds style.css
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := &hugoRun{wall: time.Since(start)}
	if err != nil {
		return nil, fmt.Errorf("hugo: %v:\n%s", err, indent(strings.TrimSpace(string(out))))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10
	}
	r.user, r.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	if page {
		if r.sample, err = os.ReadFile(dir + "/public/404/index.html"); err != nil {
			return nil, fmt.Errorf("hugo wrote no 404 page: %w", err)
		}
	}
	return r, nil
}

// hugoPage is the layout of the Hugo site that writes the classic theme's
// page.
//
//go:embed all:hugo
var hugoEmbed embed.FS

var hugoPage, _ = fs.Sub(hugoEmbed, "hugo") // a folder of the binary: cannot fail

// copyFile copies the file from to the new file to.
func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// diskUse returns the bytes the files under dir take.
func diskUse(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
