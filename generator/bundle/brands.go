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
// Errors are *FieldError, naming the field as a JSON path
// ("brands[2].match.hosts[0]").
func (b *Brands) Validate() error {
	if b.Version != BrandsVersion {
		return fieldErr("version", fmt.Errorf("%d, want %d", b.Version, BrandsVersion))
	}
	if len(b.Themes) == 0 {
		return fieldErr("themes", errors.New("empty"))
	}
	for i, t := range b.Themes {
		if !themePattern.MatchString(t) {
			return fieldErr(fmt.Sprintf("themes[%d]", i), fmt.Errorf("bad theme name %q", t))
		}
	}
	ids := map[string]bool{}
	claimed := map[string]string{} // kind + "\x00" + value -> brand id
	for i, br := range b.Brands {
		at := fmt.Sprintf("brands[%d]", i)
		if err := CheckBrandID(br.ID); err != nil {
			return fieldErr(at+".id", err)
		}
		if slices.Contains(b.Themes, br.ID) {
			return fieldErr(at+".id", fmt.Errorf("brand id %q is also a theme name", br.ID))
		}
		if ids[br.ID] {
			return fieldErr(at+".id", fmt.Errorf("brand %q listed twice", br.ID))
		}
		ids[br.ID] = true
		if br.Theme != "" && !slices.Contains(b.Themes, br.Theme) {
			return fieldErr(at+".theme", fmt.Errorf("%q is not one of the themes %v", br.Theme, b.Themes))
		}
		for j, id := range br.Overrides {
			if !idPattern.MatchString(id) {
				return fieldErr(fmt.Sprintf("%s.overrides[%d]", at, j), fmt.Errorf("bad page id %q", id))
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
					return fieldErr(field, err)
				}
				key := rule.kind + "\x00" + v
				if other, dup := claimed[key]; dup && other == br.ID {
					return fieldErr(field, fmt.Errorf("%q listed twice", v))
				} else if dup {
					return fieldErr(field, fmt.Errorf("%q is claimed by both brand %q and brand %q", v, other, br.ID))
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
// has no brands. Errors name brands.json, the line:col and the field at
// fault.
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
		var fe *FieldError
		if errors.As(err, &fe) {
			if at, ok := valueOffset(raw, fe.Path); ok {
				return nil, fmt.Errorf("%s%s: %w", BrandsName, jsonPosition(raw, nil, at), err)
			}
		}
		return nil, fmt.Errorf("%s: %w", BrandsName, err)
	}
	return &b, nil
}

// FieldError is an error in one field of brands.json, named by its JSON
// path ("brands[2].match.hosts[0]").
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the error about the field's value.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path string, err error) error { return &FieldError{Path: path, Err: err} }

// valueOffset returns where the value at path ("brands[2].match.hosts[0]")
// starts in raw, a JSON document that decodes.
func valueOffset(raw []byte, path string) (int64, bool) {
	type frame struct {
		obj     bool
		key     string // the key whose value is next (objects)
		idx     int    // the index of the next value (arrays)
		wantKey bool
	}
	var stack []*frame
	here := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
		}
		return b.String()
	}
	done := func() { // a value ended: the container goes on
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.obj {
				f.wantKey = true
			} else {
				f.idx++
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.obj && f.wantKey {
				if k, ok := tok.(string); ok {
					f.key, f.wantKey = k, false
					continue
				}
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if len(stack) > 0 && here() == path {
			at := before
			for at < int64(len(raw)) && strings.IndexByte(" \t\r\n:,", raw[at]) >= 0 {
				at++
			}
			return at, true
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{obj: d == '{', wantKey: d == '{'})
			continue
		}
		done()
	}
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
