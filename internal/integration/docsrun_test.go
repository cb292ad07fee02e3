package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ouchie/ouchie/generator"
)

// Runnable blocks in docs/. A fenced block is checked when the line right
// before its opening fence is an HTML comment (invisible when rendered):
//
//	<!-- test: KIND [ARG] -->
//
// The kinds, and what the test does with the block:
//
//   - site-file PATH: a file of an example site. Every site-file of a page
//     is written, at its PATH, into a copy of the default site, which the
//     generator then builds. A theme among them must follow docs/themes.md's
//     rules: its pages have <base target="_top">, an inline icon, <html
//     lang>, and its layouts add no words of their own (labels only).
//   - ouchie.yaml: the site's settings, loaded with the default site's pages
//     and themes by the generator: no error, no warning.
//   - nginx, haproxy, caddy: a router configuration, checked by the router
//     itself (nginx -t, haproxy -c, caddy validate) where it is installed
//     (under CI=true it must be), with the docs' /srv/ouchie/dist standing
//     for a bundle built from this tree.
//   - traefik: a dynamic configuration (file provider). Traefik is not
//     installed here, so the blocks of a page are merged and parsed, and
//     every service and middleware a router or middleware names must be
//     defined (or come from another provider: name@provider).
//   - shell: run with bash -e in an empty temporary folder, ouchie (built
//     from this tree) first on the PATH, with a timeout.
//   - not-run REASON: a block this test does not run (a server that keeps
//     running, a path outside the temporary folder, a tool that is not
//     here); the reason says which.
//
// Shell blocks that call ouchie and ouchie.yaml blocks (starting "brand:")
// must carry a marker, so none is left out by accident.

// docBlock is a fenced block of a doc and its marker.
type docBlock struct {
	doc, lang string
	line      int    // of the opening fence
	kind, arg string // from the marker; kind "" when unmarked
	text      string
}

var blockMarker = regexp.MustCompile(`^<!-- test: ([a-z.-]+)(?: (.+?))? -->$`)

// docBlocks returns every fenced block of every page in docs/.
func docBlocks(t testing.TB) []docBlock {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	var blocks []docBlock
	for _, path := range docs {
		lines := strings.Split(readDoc(t, filepath.Base(path)), "\n")
		for i := 0; i < len(lines); i++ {
			if !strings.HasPrefix(lines[i], "```") {
				if m := blockMarker.FindStringSubmatch(lines[i]); m != nil && (i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```")) {
					t.Errorf("docs/%s:%d: %s is not right before a fenced block", filepath.Base(path), i+1, lines[i])
				}
				continue
			}
			b := docBlock{doc: filepath.Base(path), lang: strings.TrimPrefix(lines[i], "```"), line: i + 1}
			if i > 0 {
				if m := blockMarker.FindStringSubmatch(lines[i-1]); m != nil {
					b.kind, b.arg = m[1], m[2]
				}
			}
			var text []string
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				text = append(text, lines[i])
			}
			b.text = strings.Join(text, "\n") + "\n"
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// TestDocsRunnable checks every marked block of docs/ as its kind says.
func TestDocsRunnable(t *testing.T) {
	blocks := docBlocks(t)
	sites := map[string][]docBlock{}   // doc → its site-file blocks
	traefik := map[string][]docBlock{} // doc → its traefik blocks
	counts := map[string]int{}
	for _, b := range blocks {
		where := fmt.Sprintf("docs/%s:%d", b.doc, b.line)
		counts[b.kind]++
		switch b.kind {
		case "":
			if b.lang == "sh" && regexp.MustCompile(`(?m)^ouchie `).MatchString(b.text) {
				t.Errorf("%s: a shell block that runs ouchie has no <!-- test: shell --> or <!-- test: not-run REASON --> marker", where)
			}
			if b.lang == "yaml" && strings.HasPrefix(b.text, "brand:") {
				t.Errorf("%s: an ouchie.yaml block has no <!-- test: ouchie.yaml --> marker", where)
			}
		case "site-file":
			if b.arg == "" {
				t.Errorf("%s: site-file needs the file's path in the site", where)
				continue
			}
			sites[b.doc] = append(sites[b.doc], b)
		case "ouchie.yaml":
			t.Run(where, func(t *testing.T) { checkSettingsBlock(t, b) })
		case "nginx", "haproxy", "caddy":
			t.Run(where, func(t *testing.T) { checkRouterBlock(t, b) })
		case "traefik":
			traefik[b.doc] = append(traefik[b.doc], b)
		case "shell":
			t.Run(where, func(t *testing.T) { runShellBlock(t, b) })
		case "not-run":
			if b.arg == "" {
				t.Errorf("%s: not-run needs a reason", where)
			}
		default:
			t.Errorf("%s: unknown kind %q", where, b.kind)
		}
	}
	for doc, files := range sites {
		t.Run("docs/"+doc+"/site", func(t *testing.T) { buildSiteBlocks(t, files) })
	}
	for doc, bs := range traefik {
		t.Run("docs/"+doc+"/traefik", func(t *testing.T) { checkTraefikBlocks(t, bs) })
	}
	if counts["site-file"] == 0 || counts["traefik"] == 0 || counts["ouchie.yaml"] == 0 || counts["shell"] == 0 {
		t.Errorf("the docs lost their runnable blocks: %v", counts)
	}
	t.Logf("blocks checked, by kind: %v", counts)
}

// defaultSiteCopy writes the repository's own site into a temporary folder.
func defaultSiteCopy(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if _, err := generator.CopySite(os.DirFS(repoRoot), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkSite loads and builds the site in dir as ouchie check does, its
// brands too, failing on any error or warning.
func checkSite(t testing.TB, dir string, themes ...string) []byte {
	t.Helper()
	fsys, err := generator.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	site, err := generator.Load(fsys)
	if err != nil {
		t.Fatalf("the site does not load:\n%v", err)
	}
	if len(site.Warnings) > 0 {
		t.Errorf("warnings:\n%v", site.Warnings)
	}
	bundles, err := site.Build(generator.Options{Themes: themes, Formats: []string{"html", "json", "txt", "xml", "http"}})
	if err != nil {
		t.Fatalf("the site does not build:\n%v", err)
	}
	for _, b := range site.Brands {
		if _, err := b.Site.Build(generator.Options{Themes: themes, Formats: []string{"html"}}); err != nil {
			t.Fatalf("brand %s does not build:\n%v", b.ID, err)
		}
	}
	var all []byte
	for _, b := range bundles {
		for _, p := range b.Manifest.Pages {
			all = append(all, b.Files[p.Files["html"].Name]...)
		}
	}
	return all
}

func checkSettingsBlock(t *testing.T, b docBlock) {
	dir := defaultSiteCopy(t)
	if err := os.WriteFile(filepath.Join(dir, generator.ConfigName), []byte(b.text), 0o644); err != nil {
		t.Fatal(err)
	}
	checkSite(t, dir, generator.DefaultTheme)
}

// Words a layout writes itself: letters outside template actions, tags,
// comments and style sheets.
var (
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	markup         = regexp.MustCompile(`(?s)<style>.*?</style>|<!--.*?-->|<[^>]*>`)
	letters        = regexp.MustCompile(`\pL{2,}`)
)

func buildSiteBlocks(t *testing.T, files []docBlock) {
	dir := defaultSiteCopy(t)
	var themes []string
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.arg))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(f.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if parts := strings.Split(f.arg, "/"); parts[0] == "themes" && !slices.Contains(themes, parts[1]) {
			themes = append(themes, parts[1])
		}
		if strings.Contains(f.arg, "/layouts/") {
			text := markup.ReplaceAllString(templateAction.ReplaceAllString(f.text, " "), " ")
			if w := letters.FindAllString(text, -1); len(w) > 0 {
				t.Errorf("%s writes words of its own, %q: take them from .Site.Labels", f.arg, w)
			}
		}
	}
	if len(themes) == 0 {
		checkSite(t, dir)
		return
	}
	html := checkSite(t, dir, themes...)
	pages := bytes.Count(html, []byte("<!doctype html>"))
	for _, want := range []string{`<base target="_top">`, `<link rel="icon" href="data:`, `<html lang="`, `<meta name="viewport"`} {
		if n := bytes.Count(html, []byte(want)); n != pages {
			t.Errorf("%d of %d pages have %s", n, pages, want)
		}
	}
}

func checkRouterBlock(t *testing.T, b docBlock) {
	_, dist := ouchieBuild(t)
	b.text = strings.ReplaceAll(b.text, "/srv/ouchie/dist", dist) // the docs' path, built
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	var cmd []string
	switch b.kind {
	case "nginx": // a snippet for http {}, in the frame startNginx uses
		bin := requireNginx(t)
		site := strings.ReplaceAll(b.text, "listen 80;", "listen "+freePort(t)+";")
		main := fmt.Sprintf("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n%s\n}\n", dir, dir, site)
		cmd = []string{bin, "-t", "-q", "-p", dir, "-c", path}
		b.text = main
	case "haproxy":
		b.text = "global\n\n" + b.text
		cmd = []string{requireHAProxy(t), "-c", "-f", path}
	case "caddy":
		cmd = []string{requireCaddy(t), "validate", "--config", path, "--adapter", "caddyfile"}
	}
	if err := os.WriteFile(path, []byte(b.text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + dir}
	if out, code := run(t, env, nil, cmd[0], cmd[1:]...); code != 0 {
		t.Errorf("%s rejects the block (exit %d):\n%s\n%s", b.kind, code, out, b.text)
	}
}

// traefikConfig is what the check reads of a dynamic configuration.
type traefikConfig struct {
	HTTP struct {
		Routers map[string]struct {
			Service     string   `yaml:"service"`
			Middlewares []string `yaml:"middlewares"`
		} `yaml:"routers"`
		Middlewares map[string]struct {
			Errors *struct {
				Service string `yaml:"service"`
			} `yaml:"errors"`
		} `yaml:"middlewares"`
		Services map[string]any `yaml:"services"`
	} `yaml:"http"`
}

func checkTraefikBlocks(t *testing.T, bs []docBlock) {
	var all traefikConfig
	for _, b := range bs {
		var c traefikConfig
		if err := yaml.Unmarshal([]byte(b.text), &c); err != nil {
			t.Fatalf("docs/%s:%d: %v", b.doc, b.line, err)
		}
		merge := func(dst *map[string]any, src map[string]any) {
			if *dst == nil {
				*dst = map[string]any{}
			}
			for k, v := range src {
				(*dst)[k] = v
			}
		}
		merge(&all.HTTP.Services, c.HTTP.Services)
		if all.HTTP.Routers == nil {
			all.HTTP.Routers, all.HTTP.Middlewares = c.HTTP.Routers, c.HTTP.Middlewares
			continue
		}
		for k, v := range c.HTTP.Routers {
			all.HTTP.Routers[k] = v
		}
		for k, v := range c.HTTP.Middlewares {
			all.HTTP.Middlewares[k] = v
		}
	}
	defined := func(name string, in map[string]bool) bool { return strings.Contains(name, "@") || in[name] }
	services, middlewares := map[string]bool{}, map[string]bool{}
	for k := range all.HTTP.Services {
		services[k] = true
	}
	for k := range all.HTTP.Middlewares {
		middlewares[k] = true
	}
	for name, r := range all.HTTP.Routers {
		if !defined(r.Service, services) {
			t.Errorf("router %s uses service %q, which the page never defines", name, r.Service)
		}
		for _, m := range r.Middlewares {
			if !defined(m, middlewares) {
				t.Errorf("router %s uses middleware %q, which the page never defines", name, m)
			}
		}
	}
	for name, m := range all.HTTP.Middlewares {
		if m.Errors != nil && !defined(m.Errors.Service, services) {
			t.Errorf("middleware %s uses service %q, which the page never defines", name, m.Errors.Service)
		}
	}
}

func runShellBlock(t *testing.T, b docBlock) {
	bin, _ := ouchieBuild(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-e", "-c", b.text)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the block fails: %v\n%s\n--- block\n%s", err, out, b.text)
	}
}
