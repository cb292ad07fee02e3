package generator

import (
	"errors"
	"html/template"
	"io/fs"
	"net/url"
	"regexp"
)

// ConfigName is the site settings file at a site's root.
const ConfigName = "ouchie.yaml"

// Config is a site's ouchie.yaml.
type Config struct {
	Brand struct {
		Name   string `yaml:"name"`
		Logo   string `yaml:"logo"`
		Accent string `yaml:"accent"`
	} `yaml:"brand"`
	Links struct {
		Homepage string `yaml:"homepage"`
		Support  string `yaml:"support"`
		Status   string `yaml:"status"`
	} `yaml:"links"`
	Labels        Labels `yaml:"labels"`
	Lang          string `yaml:"lang"`
	Theme         string `yaml:"theme"`
	DefaultStatus int    `yaml:"default_status"`
}

const configFields = "ouchie.yaml takes brand (name, logo, accent), links (homepage, support, status), labels, lang, theme, default_status"

// Defaults for settings a site leaves out.
const (
	DefaultAccent = "#c2255c"
	DefaultLang   = "en"
	DefaultTheme  = "classic"
	DefaultStatus = 404
	maxSVGSize    = 32 << 10
)

var (
	accentPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	langPattern   = regexp.MustCompile(`^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$`)
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
			cfg.Labels.each(func(key, val string) { doc.checkValue(c, "$.labels."+key, val) })
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
	if cfg.Lang == "" {
		cfg.Lang = DefaultLang
	} else if !langPattern.MatchString(cfg.Lang) {
		doc.add(c, "$.lang", `use a language tag such as "en" or "pt-BR"`, "bad language tag %q", cfg.Lang)
	}
	if cfg.Theme == "" {
		cfg.Theme = DefaultTheme
	}
	cfg.Labels = cfg.Labels.withDefaults()
	if cfg.DefaultStatus == 0 {
		cfg.DefaultStatus = DefaultStatus
	} else if cfg.DefaultStatus < 400 || cfg.DefaultStatus > 599 {
		doc.add(c, "$.default_status", "", "default_status %d is not an error status (400-599)", cfg.DefaultStatus)
	}
	for _, l := range []struct{ path, val string }{
		{"$.links.homepage", cfg.Links.Homepage},
		{"$.links.support", cfg.Links.Support},
		{"$.links.status", cfg.Links.Status},
	} {
		if l.val != "" && !goodLink(l.val) {
			doc.add(c, l.path, "links are absolute http(s) or mailto: URLs", "bad link %q", l.val)
		}
	}
	var logo template.HTML
	if cfg.Brand.Logo != "" {
		data, err := fs.ReadFile(fsys, cfg.Brand.Logo)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			doc.add(c, "$.brand.logo", "the logo path is relative to ouchie.yaml", "missing logo file %q", cfg.Brand.Logo)
		} else if err != nil {
			doc.add(c, "$.brand.logo", hintFor(err), "logo %s: %v", cfg.Brand.Logo, unwrapPathError(err))
		} else if logo, err = sanitizeSVG(data); err != nil {
			doc.add(c, "$.brand.logo", "", "logo %s: %v", cfg.Brand.Logo, err)
		}
	}
	return cfg, doc, logo
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
