package generator

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// A translation is content/<id>.<lang>.md, Hugo's convention: the page
// <id> in language <lang>, one of the site's languages other than the
// default. It has its own title, summary and body; everything else (status,
// variant, aliases, source, crashlog, retry_after, illustration) is its
// default-language page's.

// translationFields is the hint for a field a translation may not set.
const translationFields = "a translation sets only title and summary (and has its own body); the rest comes from its default-language page"

// inherited are the front-matter fields a translation takes from its
// default-language page.
var inherited = []string{"status", "source", "aliases", "crashlog", "retry_after", "illustration"}

// loadTranslation reads content/<id>.<lang>.md.
func (l *loader) loadTranslation(file, id, lang string) *Page {
	c, langs := l.c, l.langs
	if langs != nil && (lang == langs[0] || !slices.Contains(langs, lang)) {
		if lang == langs[0] {
			c.add(file, 0, 0, "rename it content/"+id+".md", "%s is the default language: its pages have no language in their name", lang)
		} else {
			c.add(file, 0, 0, languagesHint(langs)+"; add "+lang+" there to translate into it", "unknown language %q in the file name", lang)
		}
		return nil
	}
	p := newPage(c, file, id)
	if p == nil {
		return nil
	}
	p.Lang = lang
	clean, found := p.read(c, l.fsys, translationFields)
	if !found {
		return nil
	}
	defer p.forget()
	if p.broken {
		return p
	}
	for _, f := range inherited {
		if at := "$." + f; p.src.doc.has(at) {
			p.src.doc.add(c, at, translationFields, "a translation may not set %s: it is content/%s.md's", f, id)
		}
	}
	p.checkWords(c)
	p.checkText(c, clean)
	if !p.broken {
		l.checkBody(p)
	}
	return p
}

// has reports whether the document sets the value at path.
func (d *yamlDoc) has(at string) bool {
	if key, top := strings.CutPrefix(at, "$."); top && d.ast == nil && d.src != nil && isWord([]byte(key)) {
		return slices.ContainsFunc(d.keys, func(k []byte) bool { return string(k) == key })
	}
	if d.tree() == nil {
		return false
	}
	p, err := yaml.PathString(at)
	if err != nil {
		return false
	}
	n, err := p.FilterFile(d.ast)
	return err == nil && n != nil
}

// linkTranslations gives each translation what it takes from its
// default-language page, reports the ones without one, and orders pages and
// translations as bundles list them: each page followed by its translations
// in the order of langs.
func linkTranslations(c *errs, pages, translations []*Page, langs []string) []*Page {
	byID := make(map[string]*Page, len(pages))
	for _, p := range pages {
		byID[p.ID] = p
	}
	of := map[string][]*Page{}
	for _, t := range translations {
		p, ok := byID[t.ID]
		if !ok {
			c.add(t.File, 0, 0, "write the page in the default language first (`ouchie new "+t.ID+"`), or rename this file",
				"translation of a page the site does not have: no content/%s.md", t.ID)
			continue
		}
		if p.broken || t.broken {
			continue // reported
		}
		title, summary := t.Meta.Title, t.Meta.Summary
		t.Meta = p.Meta
		t.Meta.Title, t.Meta.Summary = title, summary
		t.Illustration = p.Illustration
		of[t.ID] = append(of[t.ID], t)
	}
	rank := func(lang string) int { return slices.Index(langs, lang) }
	all := make([]*Page, 0, len(pages)+len(translations))
	for _, p := range pages {
		all = append(all, p)
		ts := of[p.ID]
		slices.SortFunc(ts, func(a, b *Page) int { return rank(a.Lang) - rank(b.Lang) })
		all = append(all, ts...)
	}
	return all
}

// missingTranslations warns, once per language, about the pages that have
// no translation into it: visitors asking for it get the default language's.
// A warning names the first maxNamed of them.
func missingTranslations(w *errs, doc *yamlDoc, pages, all []*Page, langs []string) {
	has := map[[2]string]bool{}
	for _, p := range all {
		if p.Lang != "" {
			has[[2]string{p.ID, p.Lang}] = true
		}
	}
	for i, lang := range langs[1:] {
		var named []string
		missing := 0
		for _, p := range pages {
			if !has[[2]string{p.ID, lang}] {
				if missing++; missing <= maxNamed {
					named = append(named, p.ID)
				}
			}
		}
		if missing == 0 {
			continue
		}
		list := strings.Join(named, ", ")
		if missing > maxNamed {
			list += fmt.Sprintf(" and %d more", missing-maxNamed)
		}
		doc.add(w, fmt.Sprintf("$.languages[%d]", i+1),
			fmt.Sprintf("write content/ID.%s.md for each (`ouchie new ID --lang %s` starts one)", lang, lang),
			"%s: %d of %d pages not translated (visitors get them in %s): %s",
			lang, missing, len(pages), langs[0], list)
	}
}

// maxNamed is how many pages a warning about many names.
const maxNamed = 10

// langSuffix is what a page's files add to its id: ".de" for German, nothing
// for the default language.
func langSuffix(lang string) string {
	if lang == "" {
		return ""
	}
	return "." + lang
}

// TranslationSkeleton returns the text of a new translation of page id into
// lang, content/<id>.<lang>.md: the page's title and summary and its body,
// to translate. lang must be one of the site's languages other than the
// default, and content/<id>.md must exist and read well.
func TranslationSkeleton(fsys fs.FS, id, lang string) ([]byte, error) {
	c := &errs{}
	cfg, _, _ := loadConfig(c, fsys)
	if cfg == nil {
		return nil, c.list.Err()
	}
	c.list = nil // only the languages matter here; check reports the rest
	switch {
	case !canonical(lang):
		c.add(ConfigName, 0, 0, `a language is a BCP 47 tag such as "de" or "pt-BR", as in languages: in ouchie.yaml`, "bad language tag %q", lang)
	case lang == cfg.Lang:
		c.add(ConfigName, 0, 0, "the default language's page is content/"+id+".md", "%s is the site's default language", lang)
	case !slices.Contains(cfg.Languages, lang):
		c.add(ConfigName, 0, 0, languagesHint(cfg.Languages)+"; add "+lang+" there first", "%q is not one of the site's languages", lang)
	}
	if err := c.list.Err(); err != nil {
		return nil, err
	}
	file := "content/" + id + ".md"
	if _, err := fs.Stat(fsys, file); err != nil {
		c.add(file, 0, 0, "a translation starts from the page in the default language: `ouchie new "+id+"` writes it", "no such page: %v", unwrapPathError(err))
		return nil, c.list.Err()
	}
	p := newPage(c, file, id)
	if p == nil {
		return nil, c.list.Err()
	}
	if _, found := p.read(c, fsys, pageFields); !found || p.broken {
		return nil, c.list.Err()
	}
	fm, err := yaml.Marshal(struct {
		Title   string `yaml:"title"`
		Summary string `yaml:"summary"`
	}{p.Meta.Title, p.Meta.Summary})
	if err != nil {
		return nil, err
	}
	out := fmt.Appendf(nil, "---\n# The %s translation of %s: translate the title, the summary and the text\n# below. Everything else (status, source, aliases, ...) is %s's.\n%s---\n",
		lang, file, file, fm)
	return append(out, p.src.body...), nil
}
