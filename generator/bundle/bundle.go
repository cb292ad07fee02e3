// Package bundle defines ouchie's bundle format: the files the generator writes
// for one theme (pages in several formats plus manifest.json) and the reader the
// server uses to load them back, from disk or from memory.
//
// A bundle is self-describing. manifest.json lists every page with its status,
// variant, aliases and one entry per output format; each entry names its file,
// its size and SHA-256, and the byte ranges ("slots") a server may fill per
// request. The files on disk hold the page with every slot at its default
// value, so a static copy on a CDN is a complete page by itself.
package bundle

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
)

// ManifestName is the name of the manifest file at the root of a bundle.
const ManifestName = "manifest.json"

// Version is the bundle format version this package writes and reads.
const Version = 1

// MaxFileSize caps every file a reader accepts; error pages are small.
const MaxFileSize = 4 << 20

// Output formats.
const (
	HTML = "html"
	JSON = "json"
	Text = "txt"
	XML  = "xml"
	HTTP = "http" // HAProxy errorfile: a raw HTTP/1.0 response
)

// Formats lists every format in a stable order.
var Formats = []string{HTML, JSON, Text, XML, HTTP}

// Slot names.
const (
	SlotCrashlog  = "crashlog"
	SlotRequestID = "request_id"
	SlotStatus    = "status"
)

// SlotNames lists every slot a theme may use.
var SlotNames = []string{SlotCrashlog, SlotRequestID, SlotStatus}

// ContentType returns the media type served for a format, or "" if unknown.
func ContentType(format string) string {
	switch format {
	case HTML:
		return "text/html; charset=utf-8"
	case JSON:
		return "application/json"
	case Text:
		return "text/plain; charset=utf-8"
	case XML:
		return "application/xml; charset=utf-8"
	case HTTP:
		return "application/octet-stream"
	}
	return ""
}

// Manifest describes a bundle.
type Manifest struct {
	Version int      `json:"version"`
	Theme   string   `json:"theme"`
	Site    Settings `json:"site"`
	Pages   []Page   `json:"pages"`
}

// Settings are the site-wide settings a server needs.
type Settings struct {
	Name string `json:"name"`
	// Lang is the default language: the language of pages with no lang.
	Lang string `json:"lang,omitempty"`
	// Languages lists every language the bundle has pages in, the default
	// first; empty means Lang alone.
	Languages     []string `json:"languages,omitempty"`
	DefaultStatus int      `json:"default_status"`
	DefaultTheme  string   `json:"default_theme,omitempty"`
	// CrashlogPage is the id of the page a server shows in place of a 502,
	// 503 or 504 page when it finds the request's crashlog; it shows
	// crashlogs. Empty: no page stands in.
	CrashlogPage string `json:"crashlog_page,omitempty"`
}

// Page is one error page and its files.
type Page struct {
	// ID is "<status>", "<status>-<variant>" or a fallback "4xx"/"5xx".
	ID string `json:"id"`
	// Lang is the page's language when it is a translation; empty for the
	// default language. A translation has the id, status, variant and
	// aliases of its default-language page, and files of its own
	// ("404.de.html").
	Lang string `json:"lang,omitempty"`
	// Status is the HTTP status; for a fallback page it is the class (400, 500).
	Status     int             `json:"status"`
	Variant    string          `json:"variant,omitempty"`
	Fallback   bool            `json:"fallback,omitempty"`
	Aliases    []string        `json:"aliases,omitempty"`
	Source     string          `json:"source"`
	Title      string          `json:"title"`
	Summary    string          `json:"summary"`
	Crashlog   bool            `json:"crashlog,omitempty"`
	RetryAfter int             `json:"retry_after,omitempty"`
	Files      map[string]File `json:"files"`
}

// File is one output of a page.
type File struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// Slots are the byte ranges of the file a server may replace, in order.
	Slots []Slot `json:"slots,omitempty"`
	// Encodings lists precompressed siblings present in the bundle ("br", "gzip").
	Encodings []string `json:"encodings,omitempty"`
}

// Slot is a replaceable byte range [Offset, Offset+Len) of a file; the bytes
// there are the slot's default (empty for crashlog and request_id).
//
// Before and After are written around a value only when a request has one
// ("Request ID: " and a newline around a request id), so a static copy
// shows no empty label. A default that is not empty holds them already:
// the range is Before + default + After, or empty.
type Slot struct {
	Name   string `json:"name"`
	Offset int    `json:"offset"`
	Len    int    `json:"len,omitempty"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// Bundle is a manifest with the bytes of its files, keyed by file name.
type Bundle struct {
	Manifest Manifest
	Files    map[string][]byte
}

// Page returns the page with the given id in the default language.
func (b *Bundle) Page(id string) (*Page, bool) { return b.Translation(id, "") }

// Translation returns page id in language lang ("" or the default language
// for the default language's page), or false when the bundle has no such
// translation: a server then answers with the default language's page.
func (b *Bundle) Translation(id, lang string) (*Page, bool) {
	if lang == b.Manifest.Site.Lang {
		lang = ""
	}
	for i := range b.Manifest.Pages {
		if p := &b.Manifest.Pages[i]; p.ID == id && p.Lang == lang {
			return p, true
		}
	}
	return nil, false
}

// Segments splits a file into its literal parts around the slots:
// len(parts) == len(f.Slots)+1, and the file is
// parts[0] + slot[0] + parts[1] + ... + parts[n].
func Segments(data []byte, f File) [][]byte {
	parts := make([][]byte, 0, len(f.Slots)+1)
	at := 0
	for _, s := range f.Slots {
		parts = append(parts, data[at:s.Offset])
		at = s.Offset + s.Len
	}
	return append(parts, data[at:])
}

// Sum returns the hex SHA-256 of data, as recorded in a manifest.
func Sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

var (
	idPattern      = regexp.MustCompile(`^(?:[1-5][0-9][0-9](?:-[a-z0-9]+(?:-[a-z0-9]+)*)?|[45]xx)$`)
	namePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	errNoManifest  = errors.New("no " + ManifestName + " (is this a bundle directory?)")
	encodingSuffix = map[string]string{"gzip": ".gz", "br": ".br"}
)

// EncodingSuffix returns the file suffix of a precompressed sibling.
func EncodingSuffix(encoding string) string { return encodingSuffix[encoding] }

// Read loads a bundle from fsys (a bundle directory) and validates it: every
// file the manifest names must exist, match its size and checksum, and hold
// its slots in range.
func Read(fsys fs.FS) (*Bundle, error) {
	m, err := ReadManifest(fsys)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Manifest: *m, Files: map[string][]byte{}}
	for _, p := range m.Pages {
		for _, format := range slices.Sorted(maps.Keys(p.Files)) {
			f := p.Files[format]
			data, err := readCapped(fsys, f.Name)
			if err != nil {
				return nil, fmt.Errorf("page %s: %w", p.ID, err)
			}
			b.Files[f.Name] = data
			for _, enc := range f.Encodings {
				z, err := readCapped(fsys, f.Name+EncodingSuffix(enc))
				if err != nil {
					return nil, fmt.Errorf("page %s: %w", p.ID, err)
				}
				b.Files[f.Name+EncodingSuffix(enc)] = z
			}
		}
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// ReadManifest reads manifest.json from fsys and checks it as Validate does,
// without the files: for a reader that loads them one at a time (ReadFile).
func ReadManifest(fsys fs.FS) (*Manifest, error) {
	raw, err := readCapped(fsys, ManifestName)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errNoManifest
		}
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// ReadFile reads the file f of a page from fsys and checks it against the
// manifest's entry (CheckFile).
func ReadFile(fsys fs.FS, f File) ([]byte, error) {
	data, err := readCapped(fsys, f.Name)
	if err != nil {
		return nil, err
	}
	if err := CheckFile(f, data); err != nil {
		return nil, err
	}
	return data, nil
}

// ReadSibling reads f's precompressed sibling for encoding ("br", "gzip"),
// one of f.Encodings. Whether it decodes to the file is the caller's to check.
func ReadSibling(fsys fs.FS, f File, encoding string) ([]byte, error) {
	if !slices.Contains(f.Encodings, encoding) {
		return nil, fmt.Errorf("%s: no %s sibling", f.Name, encoding)
	}
	return readCapped(fsys, f.Name+EncodingSuffix(encoding))
}

// Validate checks the manifest against the files held in memory.
func (b *Bundle) Validate() error {
	if err := b.Manifest.Validate(); err != nil {
		return err
	}
	for _, p := range b.Manifest.Pages {
		for _, format := range slices.Sorted(maps.Keys(p.Files)) {
			f := p.Files[format]
			data, ok := b.Files[f.Name]
			if !ok {
				return fmt.Errorf("page %s: missing file %s", p.ID, f.Name)
			}
			if err := CheckFile(f, data); err != nil {
				return fmt.Errorf("page %s: %w", p.ID, err)
			}
		}
	}
	return nil
}

// CheckFile checks a file's bytes against its manifest entry: size,
// checksum, and slots in order, in range and holding their defaults.
func CheckFile(f File, data []byte) error {
	if len(data) != f.Size || Sum(data) != f.SHA256 {
		return fmt.Errorf("%s does not match its size or checksum in %s", f.Name, ManifestName)
	}
	at := 0
	for _, s := range f.Slots {
		if s.Offset < at || s.Len < 0 || s.Offset+s.Len > len(data) {
			return fmt.Errorf("%s: slot %s at %d+%d out of order or range", f.Name, s.Name, s.Offset, s.Len)
		}
		if def := string(data[s.Offset : s.Offset+s.Len]); def != "" && (len(def) < len(s.Before)+len(s.After) ||
			!strings.HasPrefix(def, s.Before) || !strings.HasSuffix(def, s.After)) {
			return fmt.Errorf("%s: slot %s at %d: not empty, and not its before and after around a default", f.Name, s.Name, s.Offset)
		}
		at = s.Offset + s.Len
	}
	return nil
}

// Validate checks a manifest by itself: version, page ids, statuses,
// languages, router keys, formats, file names, encodings and slot names.
// The files are Bundle.Validate's and CheckFile's.
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return fmt.Errorf("%s: version %d, want %d", ManifestName, m.Version, Version)
	}
	if len(m.Pages) == 0 {
		return fmt.Errorf("%s: no pages", ManifestName)
	}
	langs := m.Site.Languages
	pageLangs := map[[2]string]bool{}
	seen := map[string]string{}
	claim := func(key, id string) error {
		k := strings.ToLower(key)
		if other, dup := seen[k]; dup && other != id {
			return fmt.Errorf("%s: key %q names both page %s and page %s", ManifestName, key, other, id)
		}
		seen[k] = id
		return nil
	}
	for _, p := range m.Pages {
		if !idPattern.MatchString(p.ID) {
			return fmt.Errorf("%s: bad page id %q", ManifestName, p.ID)
		}
		if p.Status < 100 || p.Status > 599 {
			return fmt.Errorf("%s: page %s: bad status %d", ManifestName, p.ID, p.Status)
		}
		if p.Lang != "" && (p.Lang == m.Site.Lang || !slices.Contains(langs, p.Lang)) {
			return fmt.Errorf("%s: page %s: language %q is not one of the site's other languages %v", ManifestName, p.ID, p.Lang, langs)
		}
		if pageLangs[[2]string{p.ID, p.Lang}] {
			return fmt.Errorf("%s: page %s listed twice for language %q", ManifestName, p.ID, cmp.Or(p.Lang, m.Site.Lang))
		}
		pageLangs[[2]string{p.ID, p.Lang}] = true
		if err := claim(p.ID, p.ID); err != nil {
			return err
		}
		if p.Variant != "" {
			if err := claim(p.Variant, p.ID); err != nil {
				return err
			}
		}
		for _, a := range p.Aliases {
			if err := claim(a, p.ID); err != nil {
				return err
			}
		}
		if len(p.Files) == 0 {
			return fmt.Errorf("%s: page %s has no files", ManifestName, p.ID)
		}
		for _, format := range slices.Sorted(maps.Keys(p.Files)) {
			f := p.Files[format]
			if ContentType(format) == "" {
				return fmt.Errorf("%s: page %s: unknown format %q", ManifestName, p.ID, format)
			}
			if !namePattern.MatchString(f.Name) || path.Base(f.Name) != f.Name {
				return fmt.Errorf("%s: page %s: bad file name %q", ManifestName, p.ID, f.Name)
			}
			for _, enc := range f.Encodings {
				if EncodingSuffix(enc) == "" {
					return fmt.Errorf("%s: page %s: unknown encoding %q", ManifestName, p.ID, enc)
				}
			}
			for _, s := range f.Slots {
				if !slices.Contains(SlotNames, s.Name) {
					return fmt.Errorf("page %s: %s: unknown slot %q", p.ID, f.Name, s.Name)
				}
			}
		}
	}
	if id := m.Site.CrashlogPage; id != "" {
		i := slices.IndexFunc(m.Pages, func(p Page) bool { return p.ID == id && p.Lang == "" })
		if i < 0 || !m.Pages[i].Crashlog {
			return fmt.Errorf("%s: crashlog_page %q is not a page that shows crashlogs", ManifestName, id)
		}
	}
	return nil
}

// MarshalManifest encodes a manifest as indented, deterministic JSON.
func MarshalManifest(m *Manifest) ([]byte, error) {
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func readCapped(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit", name, st.Size(), MaxFileSize)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, nil
}
