package generator

import (
	"cmp"
	"fmt"
	"html/template"
	"io/fs"
	"slices"

	"github.com/ouchie/ouchie/generator/bundle"
)

// BrandConfig is one item of ouchie.yaml's brands:: another site served from
// this one, with its own name, logo, colours and links and, from
// brands/<id>/, its own pages and layouts. What it does not set it inherits
// from the site.
type BrandConfig struct {
	// ID is a-z0-9 and "-", 1 to 63 characters: the folder name under
	// brands/ and DIST/.
	ID    string        `yaml:"id"`
	Brand BrandSettings `yaml:"brand"`
	Links LinkSettings  `yaml:"links"`
	// Theme is the brand's default theme.
	Theme string `yaml:"theme"`
	// Languages is a subset of the site's, holding its default; empty
	// means all of them.
	Languages []string   `yaml:"languages"`
	Match     MatchRules `yaml:"match"`
	logo      template.HTML
}

// MatchRules choose a brand for a request (see bundle.Match).
type MatchRules struct {
	Hosts      []string `yaml:"hosts"`
	Namespaces []string `yaml:"namespaces"`
	Ingresses  []string `yaml:"ingresses"`
	Services   []string `yaml:"services"`
	Apps       []string `yaml:"apps"`
}

const brandFields = "a brand takes id, brand (name, logo, accent), links (homepage, support, status), theme, languages, match (hosts, namespaces, ingresses, services, apps)"

// checkBrands checks every brand of cfg and settles what each inherits
// from the site. Themes are checked by Load, which knows them; overrides by
// loadBrands.
func checkBrands(c *errs, doc *yamlDoc, fsys fs.FS, cfg *Config) {
	ids := map[string]int{}
	claims := map[string]int{} // "kind value" → brand index
	for i := range cfg.Brands {
		b := &cfg.Brands[i]
		at := fmt.Sprintf("$.brands[%d]", i)
		switch j, dup := ids[b.ID]; {
		case b.ID == "":
			doc.add(c, at, brandFields, "brand without an id")
		case bundle.CheckBrandID(b.ID) != nil:
			doc.add(c, at+".id", `a brand id is also its folder: brands/<id>/ and DIST/<id>/`, "%v", bundle.CheckBrandID(b.ID))
		case dup:
			doc.add(c, at+".id", "", "brand id %q used twice: also brands[%d]", b.ID, j)
		default:
			ids[b.ID] = i
		}
		b.Brand.Name = cmp.Or(b.Brand.Name, cfg.Brand.Name)
		if b.Brand.Accent == "" {
			b.Brand.Accent = cfg.Brand.Accent
		} else if !accentPattern.MatchString(b.Brand.Accent) {
			doc.add(c, at+".brand.accent", `write the colour as "#rrggbb" or "#rgb", quoted`, "bad brand colour %q", b.Brand.Accent)
		}
		checkLinks(c, doc, at+".links", b.Links)
		b.Links.Homepage = cmp.Or(b.Links.Homepage, cfg.Links.Homepage)
		b.Links.Support = cmp.Or(b.Links.Support, cfg.Links.Support)
		b.Links.Status = cmp.Or(b.Links.Status, cfg.Links.Status)
		if b.Brand.Logo != "" {
			b.logo = loadLogo(c, doc, fsys, at+".brand.logo", b.Brand.Logo)
		} else {
			b.Brand.Logo = cfg.Brand.Logo
		}
		b.Theme = cmp.Or(b.Theme, cfg.Theme)
		checkBrandLanguages(c, doc, at, b, cfg.Languages)
		for _, r := range b.Match.lists() {
			for j, v := range *r.list {
				path := fmt.Sprintf("%s.match.%s[%d]", at, r.kind, j)
				if err := r.check(v); err != nil {
					doc.add(c, path, "", "brand %q: match.%s: %v", b.ID, r.kind, err)
					continue
				}
				key := r.kind + " " + v
				if other, dup := claims[key]; dup {
					doc.add(c, path, "a host, namespace, ingress, service or app chooses one brand",
						"brand %q: %s %q is already brand %q's", b.ID, r.what, v, cfg.Brands[other].ID)
					continue
				}
				claims[key] = i
			}
		}
	}
}

// checkBrandLanguages settles b.Languages: the site's when b sets none,
// else a subset of them in the site's order, holding the default.
func checkBrandLanguages(c *errs, doc *yamlDoc, at string, b *BrandConfig, site []string) {
	if len(b.Languages) == 0 {
		b.Languages = site
		return
	}
	for j, tag := range b.Languages {
		if !slices.Contains(site, tag) {
			doc.add(c, fmt.Sprintf("%s.languages[%d]", at, j), languagesHint(site), "brand %q: %q is not one of the site's languages", b.ID, tag)
		}
	}
	if !slices.Contains(b.Languages, site[0]) {
		doc.add(c, at+".languages", "pages fall back to the default language, so every brand has it",
			"brand %q: languages must include the site's default, %q", b.ID, site[0])
	}
	var langs []string
	for _, tag := range site {
		if slices.Contains(b.Languages, tag) {
			langs = append(langs, tag)
		}
	}
	b.Languages = langs
}

// matchList is one kind of match rule, for checks that go over them all.
type matchList struct {
	kind  string // the key under match:
	what  string // one of them, in messages
	list  *[]string
	check func(string) error
}

func (m *MatchRules) lists() []matchList {
	return []matchList{
		{"hosts", "host", &m.Hosts, bundle.CheckHost},
		{"namespaces", "namespace", &m.Namespaces, bundle.CheckMatchValue},
		{"ingresses", "ingress", &m.Ingresses, bundle.CheckMatchValue},
		{"services", "service", &m.Services, bundle.CheckMatchValue},
		{"apps", "app", &m.Apps, bundle.CheckMatchValue},
	}
}

// bundleMatch returns the rules as brands.json holds them.
func (m *MatchRules) bundleMatch() bundle.Match {
	return bundle.Match{Hosts: m.Hosts, Namespaces: m.Namespaces, Ingresses: m.Ingresses, Services: m.Services, Apps: m.Apps}
}
