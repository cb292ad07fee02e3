package generator

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"regexp"
)

// ConfigName is the site settings file at a site's root.
const ConfigName = "ouchie.yaml"

// Config is a site's ouchie.yaml.
type Config struct {
	Brand BrandSettings `yaml:"brand"`
	Links LinkSettings  `yaml:"links"`
	// Labels are the default language's.
	Labels Labels `yaml:"labels"`
	// Lang is the default language; lang: alone means languages: [lang].
	Lang string `yaml:"lang"`
	// Languages are every language the site has pages in, the default
	// first, as BCP 47 tags in canonical form ("pt-BR", "zh-Hans").
	Languages []string `yaml:"languages"`
	// Translations holds what a language other than the default sets.
	Translations  map[string]Translation `yaml:"translations"`
	Theme         string                 `yaml:"theme"`
	DefaultStatus int                    `yaml:"default_status"`
	// CrashlogPage is the page a server shows in place of a 502, 503 or 504
	// page when it finds the request's crashlog (a page with crashlog:
	// true); "none" for no such page. When left out: DefaultCrashlogPage
	// if the site has it, else none.
	CrashlogPage string `yaml:"crashlog_page"`
	// Brands are the other sites served from this one (see BrandConfig).
	Brands []BrandConfig `yaml:"brands"`
	// labels are the full labels of each language, defaults filled in.
	labels map[string]Labels
}

// BrandSettings are a site's or a brand's brand: fields.
type BrandSettings struct {
	Name   string `yaml:"name"`
	Logo   string `yaml:"logo"`
	Accent string `yaml:"accent"`
}

// LinkSettings are a site's or a brand's links: fields.
type LinkSettings struct {
	Homepage string `yaml:"homepage"`
	Support  string `yaml:"support"`
	Status   string `yaml:"status"`
}

const configFields = "ouchie.yaml takes brand (name, logo, accent), links (homepage, support, status), labels, lang, languages, translations, theme, default_status, crashlog_page, brands"

// Defaults for settings a site leaves out.
const (
	DefaultAccent = "#c2255c"
	DefaultLang   = "en"
	DefaultTheme  = "classic"
	DefaultStatus = 404
	// DefaultCrashlogPage is the crashlog page of a site that names none.
	DefaultCrashlogPage = "502-app-crashed"
	maxSVGSize          = 32 << 10
)

var (
	accentPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
)

// loadConfig reads ouchie.yaml (optional) and the brand logo.
func loadConfig(c *errs, fsys fs.FS) (*Config, *yamlDoc, template.HTML) {
	cfg := &Config{}
	src, err := fs.ReadFile(fsys, ConfigName)
	var doc *yamlDoc
	switch {
	case errors.Is(err, fs.ErrNotExist):
		doc = &yamlDoc{file: ConfigName}
	case err != nil:
		c.readError(ConfigName, err)
		return nil, nil, ""
	default:
		var ok bool
		clean := checkText(c, ConfigName, src)
		if doc, ok = decodeYAML(c, ConfigName, 0, src, cfg, configFields); !ok {
			return nil, nil, ""
		}
		if clean {
			doc.checkValue(c, "$.brand.name", cfg.Brand.Name)
			for i, b := range cfg.Brands {
				doc.checkValue(c, fmt.Sprintf("$.brands[%d].brand.name", i), b.Brand.Name)
			}
			cfg.Labels.each(func(key, val string) { doc.checkValue(c, "$.labels."+key, val) })
			for tag, tr := range cfg.Translations {
				tr.Labels.each(func(key, val string) { doc.checkValue(c, "$.translations."+tag+".labels."+key, val) })
			}
		}
	}
	if cfg.Brand.Name == "" {
		doc.add(c, "$.brand", "set brand.name to the name visitors know your service by", "brand.name is required")
	}
	if cfg.Brand.Accent == "" {
		cfg.Brand.Accent = DefaultAccent
	} else if !accentPattern.MatchString(cfg.Brand.Accent) {
		doc.add(c, "$.brand.accent", `write the colour as "#rrggbb" or "#rgb", quoted`, "bad brand colour %q", cfg.Brand.Accent)
	}
	checkLanguages(c, doc, cfg)
	cfg.labels = map[string]Labels{}
	for i, tag := range cfg.Languages {
		own := cfg.Translations[tag].Labels
		if i == 0 {
			own = cfg.Labels
		}
		l, err := labelsFor(tag, own)
		if err != nil {
			c.add(ConfigName, 0, 0, "", "internal error: %v", err)
		}
		cfg.labels[tag] = l
	}
	cfg.Labels = cfg.labels[cfg.Lang]
	if cfg.Theme == "" {
		cfg.Theme = DefaultTheme
	}
	if cfg.DefaultStatus == 0 {
		cfg.DefaultStatus = DefaultStatus
	} else if cfg.DefaultStatus < 400 || cfg.DefaultStatus > 599 {
		doc.add(c, "$.default_status", "", "default_status %d is not an error status (400-599)", cfg.DefaultStatus)
	}
	checkLinks(c, doc, "$.links", cfg.Links)
	logo := loadLogo(c, doc, fsys, "$.brand.logo", cfg.Brand.Logo)
	checkBrands(c, doc, fsys, cfg)
	return cfg, doc, logo
}

// checkLinks reports every link of links, found at path in doc, that is
// not an absolute http(s) or mailto: URL.
func checkLinks(c *errs, doc *yamlDoc, path string, links LinkSettings) {
	for _, l := range []struct{ key, val string }{
		{"homepage", links.Homepage}, {"support", links.Support}, {"status", links.Status},
	} {
		if l.val != "" && !goodLink(l.val) {
			doc.add(c, path+"."+l.key, "links are absolute http(s) or mailto: URLs", "bad link %q", l.val)
		}
	}
}

// loadLogo reads and sanitizes the logo file named at path in doc, or
// returns "" when name is empty or the logo is refused (and reported).
func loadLogo(c *errs, doc *yamlDoc, fsys fs.FS, path, name string) template.HTML {
	if name == "" {
		return ""
	}
	data, err := fs.ReadFile(fsys, name)
	var logo template.HTML
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		doc.add(c, path, "the logo path is relative to ouchie.yaml", "missing logo file %q", name)
	} else if err != nil {
		doc.add(c, path, hintFor(err), "logo %s: %v", name, unwrapPathError(err))
	} else if logo, err = sanitizeSVG(data); err != nil {
		doc.add(c, path, "", "logo %s: %v", name, err)
	}
	return logo
}

func goodLink(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// crashlogPage resolves ouchie.yaml's crashlog_page against the site's
// pages: the id of a page that shows crashlogs, or "" for none. A page
// named but missing or not showing crashlogs is an error; when the setting
// is left out, DefaultCrashlogPage is taken if the site has it.
func crashlogPage(c *errs, doc *yamlDoc, id string, pages []*Page) string {
	named := id != ""
	switch id {
	case "none":
		return ""
	case "":
		id = DefaultCrashlogPage
	}
	for _, p := range pages {
		if p.ID != id {
			continue
		}
		if !p.Meta.Crashlog {
			if named {
				doc.add(c, "$.crashlog_page", "set crashlog: true in "+p.File+", or name a page that has it", "crashlog_page %s does not show crashlogs", id)
			}
			return ""
		}
		return id
	}
	if named {
		doc.add(c, "$.crashlog_page", `name a page id such as "502-app-crashed", or "none"`, "crashlog_page %q is not a page of the site", id)
	}
	return ""
}
