package generator

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"html/template"
	"io"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goccy/go-yaml/parser"
	"github.com/yuin/goldmark"
)

// Page is one parsed content page.
type Page struct {
	File         string // "content/502-app-failed-to-boot.md"
	ID           string // "502-app-failed-to-boot"
	Lang         string // a translation's language; "" for the default
	Status       int    // 502; 400 or 500 for a fallback
	Variant      string
	Meta         FrontMatter
	Illustration template.HTML
	Fallback     bool // a "4xx"/"5xx" page
	broken       bool // front matter did not decode; reported already
	// A loaded site keeps of a page only the fields above and its file's
	// hash (see reread): its YAML tree and its Markdown are at hand while
	// the page is read and checked (see loader), and its Markdown again
	// while it is rendered.
	src *source
	sum uint64
}

// source is what a page's file holds beyond the fields of Page.
type source struct {
	doc  *yamlDoc // the front matter, while the page is read
	body []byte   // Markdown after the front matter
	line int      // line of the file where body starts
}

// FrontMatter holds the fields a page may set.
type FrontMatter struct {
	Status       StatusField `yaml:"status"`
	Title        string      `yaml:"title"`
	Summary      string      `yaml:"summary"`
	Source       string      `yaml:"source"`
	Aliases      []string    `yaml:"aliases"`
	Crashlog     bool        `yaml:"crashlog"`
	RetryAfter   int         `yaml:"retry_after"`
	Illustration string      `yaml:"illustration"`
	HideStatus   bool        `yaml:"hide_status"`
}

const pageFields = "a page takes status, title, summary, source, aliases, crashlog, retry_after, illustration, hide_status"

// StatusField is a front-matter status: a number, or "4xx"/"5xx" for fallbacks.
type StatusField string

// UnmarshalYAML accepts both 502 and "4xx".
func (s *StatusField) UnmarshalYAML(b []byte) error {
	*s = StatusField(strings.Trim(strings.TrimSpace(string(b)), `"'`))
	return nil
}

// Sources are the allowed values of the source field: whose problem it is.
var Sources = []string{"app", "platform", "client"}

var (
	pageName     = regexp.MustCompile(`^(?:([1-5][0-9][0-9])(?:-([a-z0-9]+(?:-[a-z0-9]+)*))?|([45])xx)$`)
	aliasPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})$`)
)

// PageStatus returns the status part of a page id ("502" for
// "502-app-crashed", "4xx" for a fallback) and whether id names a valid error
// page: the file content/<id>.md would be accepted.
func PageStatus(id string) (string, bool) {
	m := pageName.FindStringSubmatch(id)
	switch {
	case m == nil:
		return "", false
	case m[3] != "":
		return m[3] + "xx", true
	}
	return m[1], m[1] >= "400" && m[1] <= "599"
}

// maxPageSize caps a Markdown file; an error page is short.
const maxPageSize = 256 << 10

// loader reads a site's pages one at a time and checks each while its
// YAML tree and Markdown are at hand, then forgets them: what a page keeps
// is its name, front matter fields and illustration, so memory grows by
// little more than a manifest entry a page.
type loader struct {
	c     *errs // errors
	warn  *errs // warnings, see Site.Warnings
	fsys  fs.FS
	langs []string // the site's languages; nil when ouchie.yaml could not be read
	md    goldmark.Markdown
	svgs  *svgCache
}

// svgCache holds sanitized illustrations by file, shared by the pages
// naming one, for loaders on several goroutines.
type svgCache struct {
	mu sync.Mutex
	m  map[string]template.HTML
}

func (sc *svgCache) get(file string) (template.HTML, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	svg, ok := sc.m[file]
	return svg, ok
}

func (sc *svgCache) put(file string, svg template.HTML) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.m[file] = svg
}

// loadPages reads every dir/*.md of the site (dir is ContentDir, or a
// brand's): the pages in the default language, and the translations
// (<id>.<lang>.md) into l.langs. The folder is listed a batch of names at a
// time, in the order it holds them: a site of 100,000 pages is not listed
// whole beside its pages. The pages of a batch are read and checked on
// every core; their errors are reported in the folder's order, as one
// reader would.
func (l *loader) loadPages(dir string) (pages, translations []*Page) {
	var names []string
	load := func() {
		for _, r := range l.loadBatch(dir, names) {
			l.c.list = append(l.c.list, r.c.list...)
			l.warn.list = append(l.warn.list, r.warn.list...)
			switch {
			case r.page == nil:
			case r.page.Lang != "":
				translations = append(translations, r.page)
			default:
				pages = append(pages, r.page)
			}
		}
		names = names[:0]
	}
	err := eachEntry(l.fsys, dir, func(e fs.DirEntry) {
		if e.IsDir() || path.Ext(e.Name()) != ".md" {
			return
		}
		if names = append(names, e.Name()); len(names) == loadBatch {
			load()
		}
	})
	load()
	if err != nil {
		hint := hintFor(err)
		if hint == "" {
			hint = "a site is a folder holding content/ and themes/; `ouchie init DIR` writes one"
		}
		l.c.add(dir, 0, 0, hint, "%v", unwrapPathError(err))
	}
	return pages, translations
}

// loadBatch is how many pages loadPages reads at a time.
const loadBatch = 256

// loadedPage is what reading one page file gave: the page, if any, and
// the errors and warnings it raised.
type loadedPage struct {
	page    *Page
	c, warn errs
}

// loadBatch reads and checks the pages dir/names on GOMAXPROCS workers.
func (l *loader) loadBatch(dir string, names []string) []loadedPage {
	out := make([]loadedPage, len(names))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(names); i = int(next.Add(1)) - 1 {
				r := &out[i]
				pl := *l // the page's own error lists; the rest is shared
				pl.c, pl.warn = &r.c, &r.warn
				file := dir + "/" + names[i]
				if id, lang, ok := strings.Cut(strings.TrimSuffix(names[i], ".md"), "."); ok {
					r.page = pl.loadTranslation(file, id, lang)
				} else {
					r.page = pl.loadPage(file)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// eachEntry calls f for each entry of folder dir, reading them in batches
// where fsys can (fs.ReadDirFile), else all at once (fs.ReadDir).
func eachEntry(fsys fs.FS, dir string, f func(fs.DirEntry)) error {
	d, err := fsys.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	rd, ok := d.(fs.ReadDirFile)
	if !ok {
		entries, err := fs.ReadDir(fsys, dir)
		for _, e := range entries {
			f(e)
		}
		return err
	}
	for {
		entries, err := rd.ReadDir(256)
		for _, e := range entries {
			f(e)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &fs.PathError{Op: "readdir", Path: dir, Err: unwrapPathError(err)}
		}
	}
}

func (l *loader) loadPage(file string) *Page {
	c := l.c
	p := newPage(c, file, strings.TrimSuffix(path.Base(file), ".md"))
	if p == nil {
		return nil
	}
	clean, found := p.read(c, l.fsys, pageFields)
	if !found {
		return nil
	}
	defer p.forget()
	if p.broken {
		return p // still a page of the site, so it isn't also reported missing
	}
	p.check(c)
	p.checkText(c, clean)
	if !p.broken {
		p.loadIllustration(c, l.fsys, l.svgs)
		l.checkBody(p)
	}
	return p
}

// checkBody checks the Markdown of a page read well: placeholder text left
// in it is a warning, what cannot be rendered an error.
func (l *loader) checkBody(p *Page) {
	p.checkPlaceholders(l.warn)
	checkMarkdown(l.c, l.md, p)
}

// forget drops what reading and checking p needed and building it does not.
func (p *Page) forget() {
	p.src = nil
}

// newPage returns the page of file, named by id, or reports a bad name.
func newPage(c *errs, file, id string) *Page {
	m := pageName.FindStringSubmatch(id)
	if m == nil {
		c.add(file, 0, 0, `name pages <status>.md, <status>-<variant>.md (lowercase words joined by "-") or 4xx.md/5xx.md`, "bad page file name %q", path.Base(file))
		return nil
	}
	p := &Page{File: file, ID: id, Variant: m[2]}
	if m[3] != "" {
		p.Fallback = true
		p.Status, _ = strconv.Atoi(m[3] + "00")
	} else {
		p.Status, _ = strconv.Atoi(m[1])
	}
	return p
}

// read reads p's file and decodes its front matter into p.Meta (fields is
// the hint for an unknown field). found is false when the file could not
// be used at all; p.broken is set when its front matter did not decode.
// clean reports that its text holds no refused character.
func (p *Page) read(c *errs, fsys fs.FS, fields string) (clean, found bool) {
	src, err := fs.ReadFile(fsys, p.File)
	if err != nil {
		c.readError(p.File, err)
		return false, false
	}
	if len(src) > maxPageSize {
		c.add(p.File, 0, 0, "", "page is %d bytes, over the %d-byte limit", len(src), maxPageSize)
		return false, false
	}
	clean = checkText(c, p.File, src)
	p.sum = maphash.Bytes(sourceSeed, src)
	fm, body, bodyLine, ok := splitFrontMatter(src)
	if !ok {
		c.add(p.File, 1, 1, "start the file with a line \"---\", the YAML fields, and another \"---\"", "missing front matter")
		p.broken = true
		return clean, true
	}
	p.src = &source{body: body, line: bodyLine}
	p.src.doc, ok = decodeYAML(c, p.File, 1, fm, &p.Meta, fields)
	p.broken = !ok
	return clean, true
}

// checkText checks the decoded title and summary for refused characters
// (escapes decode to them) and makes their punctuation typographic.
func (p *Page) checkText(c *errs, clean bool) {
	if clean {
		p.src.doc.checkValue(c, "$.title", p.Meta.Title)
		p.src.doc.checkValue(c, "$.summary", p.Meta.Summary)
	} else {
		p.broken = true // reported; its Markdown is not worth rendering
	}
	p.Meta.Title, p.Meta.Summary = smarten(p.Meta.Title), smarten(p.Meta.Summary)
}

// check validates the front matter of a decoded page.
func (p *Page) check(c *errs) {
	meta, doc := &p.Meta, p.src.doc
	want := strconv.Itoa(p.Status)
	if p.Fallback {
		want = p.ID
	}
	switch {
	case meta.Status == "":
		doc.add(c, "$", "", "status is required")
	case string(meta.Status) != want:
		doc.add(c, "$.status", fmt.Sprintf("the file name says %s; rename the file or set status: %s", want, want),
			"status %s does not match the file name %s", meta.Status, path.Base(p.File))
	}
	if !p.Fallback && (p.Status < 400 || p.Status > 599) {
		doc.add(c, "$.status", "", "%d is not an error status (400-599)", p.Status)
	}
	p.checkWords(c)
	if !slices.Contains(Sources, meta.Source) {
		at := "$.source"
		if meta.Source == "" {
			at = "$"
		}
		doc.add(c, at, "source is whose problem it is: app, platform or client", "bad source %q", meta.Source)
	}
	if meta.RetryAfter < 0 || meta.RetryAfter > 86400 {
		doc.add(c, "$.retry_after", "", "retry_after %d is not between 0 and 86400 seconds", meta.RetryAfter)
	}
	for i, a := range meta.Aliases {
		if !aliasPattern.MatchString(a) {
			doc.add(c, fmt.Sprintf("$.aliases[%d]", i), "aliases are letters, digits and hyphens", "bad alias %q", a)
		}
	}
}

// checkWords reports a missing title or summary: the words a page and each
// of its translations must have.
func (p *Page) checkWords(c *errs) {
	if strings.TrimSpace(p.Meta.Title) == "" {
		p.src.doc.add(c, "$", "", "title is required")
	}
	if strings.TrimSpace(p.Meta.Summary) == "" {
		p.src.doc.add(c, "$", "", "summary is required")
	}
}

// loadIllustration reads the SVG a page names, from beside the page. svgs
// holds the ones read already, by file.
func (p *Page) loadIllustration(c *errs, fsys fs.FS, svgs *svgCache) {
	name := p.Meta.Illustration
	if name == "" {
		return
	}
	file := path.Join(path.Dir(p.File), name)
	if dir := path.Dir(p.File) + "/"; !fs.ValidPath(file) || !strings.HasPrefix(file, dir) || path.Ext(name) != ".svg" {
		p.src.doc.add(c, "$.illustration", "name an .svg file in "+dir, "bad illustration %q", name)
		return
	}
	if svg, ok := svgs.get(file); ok {
		p.Illustration = svg
		return
	}
	data, err := fs.ReadFile(fsys, file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.src.doc.add(c, "$.illustration", "", "missing illustration file %s", file)
		return
	case err != nil:
		p.src.doc.add(c, "$.illustration", hintFor(err), "illustration %s: %v", file, unwrapPathError(err))
		return
	}
	if p.Illustration, err = sanitizeSVG(data); err != nil {
		p.src.doc.add(c, "$.illustration", "", "illustration %s: %v", file, err)
		return
	}
	svgs.put(file, p.Illustration)
}

// checkCatalog finds duplicate keys and missing pages across the site. The
// pages' YAML trees are gone: a duplicate's position is found by reading its
// page's front matter again.
func checkCatalog(c *errs, fsys fs.FS, pages []*Page) {
	n := 0
	for _, p := range pages {
		n += 2 + len(p.Meta.Aliases)
	}
	keys := make(map[string]*Page, n) // by key, the page that has it
	claim := func(p *Page, key string, alias int, what string) {
		k := strings.ToLower(key)
		o, dup := keys[k]
		if !dup {
			keys[k] = p
			return
		}
		at := "$.status"
		if alias >= 0 {
			at = fmt.Sprintf("$.aliases[%d]", alias)
		}
		p.frontMatter(fsys).add(c, at, "every status, variant and alias selects exactly one page",
			"duplicate %s %q: already used by %s", what, key, o.File)
	}
	// Ids and variants first, so an alias that collides is the one reported.
	for _, p := range pages {
		claim(p, p.ID, -1, "page")
	}
	for _, p := range pages {
		if p.Variant != "" && !p.broken {
			claim(p, p.Variant, -1, "variant")
		}
	}
	for _, p := range pages {
		if p.broken {
			continue
		}
		for i, a := range p.Meta.Aliases {
			claim(p, a, i, "alias")
		}
	}
	ids := make([]string, 0, len(pages))
	for _, p := range pages {
		ids = append(ids, p.ID)
	}
	for _, need := range []string{"4xx", "5xx"} {
		if !slices.Contains(ids, need) {
			c.add("content/"+need+".md", 0, 0, "every site needs the 4xx and 5xx fallback pages; `ouchie new "+need+"` writes one",
				"missing fallback page")
		}
	}
}

// frontMatter reads p's front matter again, for the position of a message
// about it (see loader). If the file cannot be read, its messages point at
// its first field.
func (p *Page) frontMatter(fsys fs.FS) *yamlDoc {
	doc := &yamlDoc{file: p.File, lineOff: 1}
	src, err := fs.ReadFile(fsys, p.File)
	if err != nil || len(src) > maxPageSize {
		return doc
	}
	fm, _, _, ok := splitFrontMatter(src)
	if !ok {
		return doc
	}
	if f, err := parser.ParseBytes(bytes.TrimPrefix(fm, []byte(byteOrderMark)), parser.ParseComments); err == nil {
		doc.ast = f
	}
	return doc
}

// sourceSeed seeds the hash of each page's file (Page.sum).
var sourceSeed = maphash.MakeSeed()

// errChanged is a page whose file changed after Load read it.
var errChanged = errors.New("changed while the site was built")

// reread returns a copy of p with its Markdown, read again: a loaded site
// keeps no page's text. The file must be as Load read and checked it.
func (p *Page) reread(fsys fs.FS) (*Page, error) {
	src, err := fs.ReadFile(fsys, p.File)
	if err != nil {
		return nil, err
	}
	if maphash.Bytes(sourceSeed, src) != p.sum {
		return nil, errChanged
	}
	q := *p
	q.src = &source{}
	_, q.src.body, q.src.line, _ = splitFrontMatter(src)
	return &q, nil
}

// byteOrderMark is UTF-8's, which some editors put at the start of a file.
const byteOrderMark = "\ufeff"

// splitFrontMatter splits "---\nYAML\n---\nbody". bodyLine is the 1-based line
// where the body starts.
func splitFrontMatter(src []byte) (fm, body []byte, bodyLine int, ok bool) {
	src = bytes.TrimPrefix(src, []byte(byteOrderMark))
	first, rest, found := bytes.Cut(src, []byte("\n"))
	if !found || string(bytes.TrimRight(first, " \t\r")) != "---" {
		return nil, nil, 0, false
	}
	line := 2
	start := len(src) - len(rest)
	for at := start; at < len(src); {
		end := bytes.IndexByte(src[at:], '\n')
		next := len(src)
		if end >= 0 {
			next = at + end + 1
		}
		if string(bytes.TrimRight(src[at:next], " \t\r\n")) == "---" {
			return src[start:at], src[next:], line + 1, true
		}
		at = next
		line++
	}
	return nil, nil, 0, false
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
