package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

// BrandsName is the name of the file at the root of a build's output folder
// that lists a site's brands; a site without brands has none.
const BrandsName = "brands.json"

// BrandsVersion is the brands.json format version this package writes and reads.
const BrandsVersion = 1

// Brands is brands.json: the brands of a site, each built as its own bundles
// in <dist>/<id>/<theme>/ beside the site's own (the default brand) in
// <dist>/<theme>/.
type Brands struct {
	Version int `json:"version"`
	// Themes lists the themes every brand was built in.
	Themes []string `json:"themes"`
	// Brands are listed in ouchie.yaml's order.
	Brands []Brand `json:"brands"`
}

// Brand is one brand of a site: which requests are its and where its bundles are.
type Brand struct {
	// ID is the brand's folder name: a-z0-9 and "-", 1 to 63 bytes, neither
	// a theme name nor "default".
	ID   string `json:"id"`
	Name string `json:"name"`
	// Theme is the brand's default theme; empty means the site's.
	Theme string `json:"theme,omitempty"`
	Match Match  `json:"match"`
	// Overrides lists the ids of the pages the brand overrides (for routers
	// and people; a server needs only the brand's bundles).
	Overrides []string `json:"overrides,omitempty"`
}

// Match lists what makes a request a brand's. Hosts are lowercase DNS names or
// "*." and a name (any host below it, not the name itself); the others are
// the values of ingress-nginx's X-Namespace, X-Ingress-Name and
// X-Service-Name and of the app header.
type Match struct {
	Hosts      []string `json:"hosts,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
	Ingresses  []string `json:"ingresses,omitempty"`
	Services   []string `json:"services,omitempty"`
	Apps       []string `json:"apps,omitempty"`
}

// DefaultBrand names the site itself where a brand id is expected.
const DefaultBrand = "default"

var (
	brandIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	themePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	hostLabel      = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	matchValue     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,252}$`)
)

// CheckBrandID reports whether id may name a brand: a-z0-9 and "-" (not
// first), 1 to 63 bytes, not "default". Whether it is also a theme name is
// the caller's to check.
func CheckBrandID(id string) error {
	if !brandIDPattern.MatchString(id) {
		return fmt.Errorf("bad brand id %q: use a-z, 0-9 and -, 1 to 63 characters, starting with a letter or digit", id)
	}
	if id == DefaultBrand {
		return fmt.Errorf("brand id %q names the site itself; choose another", id)
	}
	return nil
}

// CheckHost reports whether h may be a host match rule: a lowercase DNS name
// (no port, no trailing dot), or "*." followed by one.
func CheckHost(h string) error {
	name := strings.TrimPrefix(h, "*.")
	if len(name) == 0 || len(name) > 253 {
		return fmt.Errorf("bad host %q: want a DNS name of 1 to 253 characters", h)
	}
	for label := range strings.SplitSeq(name, ".") {
		if !hostLabel.MatchString(label) {
			return fmt.Errorf("bad host %q: want a lowercase DNS name (a-z, 0-9, -; no port, no trailing dot) or *. and one", h)
		}
	}
	return nil
}

// CheckMatchValue reports whether v may be a namespace, ingress, service or
// app match rule: lowercase a-z0-9 and "_.-", 1 to 253 bytes, as Kubernetes
// names are.
func CheckMatchValue(v string) error {
	if !matchValue.MatchString(v) {
		return fmt.Errorf("bad value %q: use lowercase a-z, 0-9, _, . and -, 1 to 253 characters", v)
	}
	return nil
}

// Validate checks every brand's id, theme and match rules, and that no two
// brands claim the same host, wildcard, namespace, ingress, service or app.
// Errors name the field as a JSON path ("brands[2].match.hosts[0]").
func (b *Brands) Validate() error {
	if b.Version != BrandsVersion {
		return fmt.Errorf("version %d, want %d", b.Version, BrandsVersion)
	}
	if len(b.Themes) == 0 {
		return errors.New("themes: empty")
	}
	for i, t := range b.Themes {
		if !themePattern.MatchString(t) {
			return fmt.Errorf("themes[%d]: bad theme name %q", i, t)
		}
	}
	ids := map[string]bool{}
	claimed := map[string]string{} // kind + "\x00" + value -> brand id
	for i, br := range b.Brands {
		at := fmt.Sprintf("brands[%d]", i)
		if err := CheckBrandID(br.ID); err != nil {
			return fmt.Errorf("%s.id: %w", at, err)
		}
		if slices.Contains(b.Themes, br.ID) {
			return fmt.Errorf("%s.id: brand id %q is also a theme name", at, br.ID)
		}
		if ids[br.ID] {
			return fmt.Errorf("%s.id: brand %q listed twice", at, br.ID)
		}
		ids[br.ID] = true
		if br.Theme != "" && !slices.Contains(b.Themes, br.Theme) {
			return fmt.Errorf("%s.theme: %q is not one of the themes %v", at, br.Theme, b.Themes)
		}
		for j, id := range br.Overrides {
			if !idPattern.MatchString(id) {
				return fmt.Errorf("%s.overrides[%d]: bad page id %q", at, j, id)
			}
		}
		for _, rule := range br.Match.rules() {
			for j, v := range rule.values {
				field := fmt.Sprintf("%s.match.%s[%d]", at, rule.kind, j)
				check := CheckMatchValue
				if rule.kind == "hosts" {
					check = CheckHost
				}
				if err := check(v); err != nil {
					return fmt.Errorf("%s: %w", field, err)
				}
				key := rule.kind + "\x00" + v
				if other, dup := claimed[key]; dup && other == br.ID {
					return fmt.Errorf("%s: %q listed twice", field, v)
				} else if dup {
					return fmt.Errorf("%s: %q is claimed by both brand %q and brand %q", field, v, other, br.ID)
				}
				claimed[key] = br.ID
			}
		}
	}
	return nil
}

type matchRule struct {
	kind   string
	values []string
}

func (m *Match) rules() []matchRule {
	return []matchRule{
		{"hosts", m.Hosts}, {"namespaces", m.Namespaces}, {"ingresses", m.Ingresses},
		{"services", m.Services}, {"apps", m.Apps},
	}
}

// MarshalBrands encodes brands.json as indented, deterministic JSON.
func MarshalBrands(b *Brands) ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// ReadBrands reads and validates brands.json at the root of fsys (a build's
// output folder). It returns nil, nil when there is no brands.json: the site
// has no brands. Errors name brands.json and the line:col or field at fault.
func ReadBrands(fsys fs.FS) (*Brands, error) {
	raw, err := readCapped(fsys, BrandsName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var b Brands
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%s%s: %w", BrandsName, jsonPosition(raw, err, dec.InputOffset()), err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s%s: data after the top-level object", BrandsName, jsonPosition(raw, nil, dec.InputOffset()))
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", BrandsName, err)
	}
	return &b, nil
}

// jsonPosition returns ":line:col" of a decoding error in raw: where the
// error points (the bad byte, the value of the wrong type, the unknown
// field's key), else at, the decoder's offset.
func jsonPosition(raw []byte, err error, at int64) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		at = syntax.Offset - 1
	case errors.As(err, &typ):
		at = typ.Offset
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		key := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if i := strings.Index(string(raw), key); i >= 0 {
			at = int64(i)
		}
	}
	at = min(max(at, 0), int64(len(raw)))
	line, col := 1, 1
	for _, c := range raw[:at] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf(":%d:%d", line, col)
}
