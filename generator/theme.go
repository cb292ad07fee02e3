package generator

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Theme is a parsed theme: its layouts as templates, ready to execute.
type Theme struct {
	Name        string
	Description string
	// files maps a layout's name ("page.html", "partials/footer.html") to the
	// site path it was read from, for messages.
	files map[string]string
	// mains holds, per layout that defines "main" (page.html and
	// <page id>.html, keyed without .html), a clone of baseof.html and the
	// partials with that layout parsed into it.
	mains  map[string]*template.Template
	assets map[string]string // as css and asset return them, made once
}

// ThemeConfig is a theme's theme.yaml.
type ThemeConfig struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Extends     string `yaml:"extends"`
}

const themeFields = "theme.yaml takes name, description, extends"

var themeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// themeNames lists the site's themes (folders under themes/ with a theme.yaml).
func themeNames(fsys fs.FS) []string {
	entries, _ := fs.ReadDir(fsys, ThemesDir)
	var names []string
	for _, e := range entries {
		if e.IsDir() && themeName.MatchString(e.Name()) {
			if _, err := fs.Stat(fsys, "themes/"+e.Name()+"/theme.yaml"); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	return names
}

// loadTheme reads and parses a theme, following extends, with the site's own
// layouts/ directory laid over it, and then each of layers (a brand's).
func loadTheme(c *errs, fsys fs.FS, name string, layers ...string) *Theme {
	if !slices.Contains(themeNames(fsys), name) {
		hint := "the site's themes are: " + strings.Join(themeNames(fsys), ", ")
		c.add("themes/"+name, 0, 0, hint, "unknown theme %q", name)
		return nil
	}
	t := &Theme{Name: name, files: map[string]string{}, mains: map[string]*template.Template{}, assets: map[string]string{}}
	// The chain from the theme itself down to its root ancestor.
	var chain []string
	for cur := name; cur != ""; {
		if slices.Contains(chain, cur) {
			c.add("themes/"+cur+"/theme.yaml", 0, 0, "", "themes extend each other in a loop: %s", strings.Join(append(chain, cur), " → "))
			return nil
		}
		file := "themes/" + cur + "/theme.yaml"
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			c.readError(file, err)
			return nil
		}
		var tc ThemeConfig
		doc, ok := decodeYAML(c, file, 0, src, &tc, themeFields)
		if !ok {
			return nil
		}
		if cur == name {
			t.Description = tc.Description
		}
		chain = append(chain, cur)
		if tc.Extends != "" && !slices.Contains(themeNames(fsys), tc.Extends) {
			doc.add(c, "$.extends", "", "theme %q extends unknown theme %q", cur, tc.Extends)
			return nil
		}
		cur = tc.Extends
	}
	// Root ancestor first, so each theme overrides the one it extends, and the
	// site's own layouts/ last of all.
	sources := make(map[string][]byte)
	for i := len(chain) - 1; i >= 0; i-- {
		t.collect(c, fsys, "themes/"+chain[i]+"/layouts", sources)
		t.collectAssets(c, fsys, "themes/"+chain[i]+"/assets")
	}
	for _, dir := range append([]string{LayoutsDir}, layers...) {
		t.collect(c, fsys, dir, sources)
	}
	t.parse(c, sources)
	return t
}

func (t *Theme) collect(c *errs, fsys fs.FS, dir string, sources map[string][]byte) {
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.readError(p, err)
			}
			return nil
		}
		if d.IsDir() || path.Ext(p) != ".html" {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			c.readError(p, err)
			return nil
		}
		checkHTMLSource(c, p, data)
		name := strings.TrimPrefix(p, dir+"/")
		sources[name] = data
		t.files[name] = p
		return nil
	})
}

// collectAssets reads a theme's assets/. A file that cannot be read is
// reported here, once, with its cause; pages using it then fail to render.
func (t *Theme) collectAssets(c *errs, fsys fs.FS, dir string) {
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.readError(p, err)
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			c.readError(p, err)
			return nil
		}
		switch path.Ext(p) {
		case ".svg":
			svg, err := sanitizeSVG(data)
			if err != nil {
				c.add(p, 0, 0, "", "%v", err)
				return nil
			}
			data = []byte(svg)
		case ".css":
			checkCSSSource(c, p, data)
		default:
			checkHTMLSource(c, p, data) // inlined by asset as HTML
		}
		t.assets[strings.TrimPrefix(p, dir+"/")] = string(data)
		return nil
	})
}

// slotOpen and slotClose bracket a slot's name in rendered output; fillSlots
// removes these markers and records the slot's offset. Private-use code points pass
// through html/template's escapers unchanged and never come from Markdown.
//
// wrapOpen NAME slotClose ... wrapClose marks the text around a slot
// (whenslot ... endslot) that is written only when the slot has a value.
const (
	slotOpen  = "\uE000"
	slotClose = "\uE001"
	wrapOpen  = "\uE002"
	wrapClose = "\uE003"
)

// slotName checks a slot name a theme uses.
func slotName(name string) error {
	if !slices.Contains(bundle.SlotNames, name) {
		return fmt.Errorf("unknown slot %q (slots are %s)", name, strings.Join(bundle.SlotNames, ", "))
	}
	return nil
}

func (t *Theme) funcs() template.FuncMap {
	return template.FuncMap{
		"slot": func(name string) (template.HTML, error) {
			if err := slotName(name); err != nil {
				return "", err
			}
			return template.HTML(slotOpen + name + slotClose), nil
		},
		// whenslot NAME ... endslot: the text between, around {{ slot NAME }},
		// is written only when the slot has a value (a request id, a status).
		"whenslot": func(name string) (template.HTML, error) {
			if err := slotName(name); err != nil {
				return "", err
			}
			return template.HTML(wrapOpen + name + slotClose), nil
		},
		"endslot": func() template.HTML { return wrapClose },
		"css": func(name string) (template.CSS, error) {
			data, ok := t.assets[name]
			if !ok {
				return "", fmt.Errorf("no asset %q in the theme's assets/", name)
			}
			return template.CSS(data), nil // #nosec: the theme's own file
		},
		"asset": func(name string) (template.HTML, error) {
			data, ok := t.assets[name]
			if !ok {
				return "", fmt.Errorf("no asset %q in the theme's assets/", name)
			}
			return template.HTML(strings.TrimSpace(data)), nil // #nosec: the theme's own file
		},
	}
}

func (t *Theme) parse(c *errs, sources map[string][]byte) {
	dir := "themes/" + t.Name + "/layouts"
	for _, need := range []string{"baseof.html", "page.html"} {
		if _, ok := sources[need]; !ok {
			c.add(dir+"/"+need, 0, 0, "every theme needs layouts/baseof.html (the document) and layouts/page.html (its \"main\" block)", "missing template")
		}
	}
	if len(c.list) > 0 && (sources["baseof.html"] == nil || sources["page.html"] == nil) {
		return
	}
	base := template.New("baseof.html").Funcs(t.funcs()).Option("missingkey=error")
	names := slices.Sorted(maps.Keys(sources))
	failed := false
	for _, name := range names {
		if name != "baseof.html" && !strings.HasPrefix(name, "partials/") {
			continue
		}
		into := base // parse baseof.html into base itself: New with its name would replace it
		if name != "baseof.html" {
			into = base.New(name)
		}
		if _, err := into.Parse(string(sources[name])); err != nil {
			t.report(c, err)
			failed = true
		}
	}
	if failed {
		// Still check the page layouts' syntax, so every error shows in one run.
		for _, name := range names {
			if name != "baseof.html" && !strings.HasPrefix(name, "partials/") {
				if _, err := template.New(name).Funcs(t.funcs()).Parse(string(sources[name])); err != nil {
					t.report(c, err)
				}
			}
		}
		return
	}
	for _, name := range names {
		if name == "baseof.html" || strings.HasPrefix(name, "partials/") {
			continue
		}
		clone, err := base.Clone()
		if err != nil {
			t.report(c, err)
			continue
		}
		if _, err := clone.New(name).Parse(string(sources[name])); err != nil {
			t.report(c, err)
			continue
		}
		if clone.Lookup("main") == nil {
			c.add(t.files[name], 0, 0, `a page layout wraps its content in {{ define "main" }}...{{ end }}`, "layout defines no \"main\" block")
			continue
		}
		t.mains[strings.TrimSuffix(name, ".html")] = clone
	}
}

// templateErr matches html/template's "template: NAME:LINE:COL: MSG" and
// "html/template:NAME:LINE:COL: MSG" forms.
var templateErr = regexp.MustCompile(`^(?:html/)?template: ?([^:]+):(\d+)(?::(\d+))?: (.*)$`)

// report converts a template error into a positioned error in its theme file.
func (t *Theme) report(c *errs, err error) {
	var te *template.Error
	msg := err.Error()
	if errors.As(err, &te) && te.Name != "" {
		if file, ok := t.files[te.Name]; ok {
			c.add(file, te.Line, 0, "", "%s", strings.TrimPrefix(te.Description, te.Name+":"))
			return
		}
	}
	if m := templateErr.FindStringSubmatch(msg); m != nil {
		if file, ok := t.files[m[1]]; ok {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			c.add(file, line, col, "", "%s", m[4])
			return
		}
	}
	c.add("themes/"+t.Name, 0, 0, "", "%s", msg)
}

// layout returns the template set for a page: "<id>.html" if the theme has
// one, else "page.html".
func (t *Theme) layout(pageID string) *template.Template {
	if tmpl, ok := t.mains[pageID]; ok {
		return tmpl
	}
	return t.mains["page"]
}
