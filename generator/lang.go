package generator

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Translation is what ouchie.yaml sets for one language other than the
// default, under translations.<lang>.
type Translation struct {
	Labels Labels `yaml:"labels"`
}

// rtlScripts are the scripts written right to left, by ISO 15924 code.
var rtlScripts = []string{"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa", "Yezi"}

// textDir returns the direction of a language's script, "rtl" or "ltr",
// for HTML's dir attribute. A tag without a script has its likely one
// ("ar", "fa", "ur" are Arabic script, "he" Hebrew).
func textDir(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return "ltr"
	}
	if s, _ := t.Script(); slices.Contains(rtlScripts, s.String()) {
		return "rtl"
	}
	return "ltr"
}

// checkLanguages settles cfg.Languages from languages: and lang: (which
// means languages: [lang]) and checks every tag and every translations: key.
func checkLanguages(c *errs, doc *yamlDoc, cfg *Config) {
	fromLang := len(cfg.Languages) == 0
	switch {
	case fromLang:
		cfg.Lang = cmp.Or(cfg.Lang, DefaultLang)
		checkTag(c, doc, "$.lang", cfg.Lang)
		cfg.Languages = []string{cfg.Lang}
	case cfg.Lang != "" && cfg.Lang != cfg.Languages[0]:
		doc.add(c, "$.lang", "the first of languages: is the default language; drop lang:",
			"lang %q disagrees with languages:, whose first (the default) is %q", cfg.Lang, cfg.Languages[0])
	}
	seen := map[string]bool{}
	for i, tag := range cfg.Languages {
		at := fmt.Sprintf("$.languages[%d]", i)
		if !fromLang {
			checkTag(c, doc, at, tag)
		}
		if seen[tag] {
			doc.add(c, at, "", "language %q listed twice", tag)
		}
		seen[tag] = true
	}
	cfg.Lang = cfg.Languages[0]
	for _, tag := range slices.Sorted(maps.Keys(cfg.Translations)) {
		at := "$.translations." + tag
		switch {
		case tag == cfg.Lang:
			doc.add(c, at, "set the default language's labels under labels:", "translations.%s: %s is the default language", tag, tag)
		case !seen[tag]:
			doc.add(c, at, languagesHint(cfg.Languages), "translations.%s: %q is not one of the site's languages", tag, tag)
		}
	}
}

// checkTag reports a language tag that is not BCP 47 in its canonical form,
// the form file names and the server use.
func checkTag(c *errs, doc *yamlDoc, at, tag string) {
	t, err := language.Parse(tag)
	switch {
	case err != nil || strings.Contains(tag, "_"):
		doc.add(c, at, `use a BCP 47 language tag such as "en", "pt-BR" or "zh-Hans"`, "bad language tag %q", tag)
	case t.String() != tag:
		doc.add(c, at, fmt.Sprintf("write it %q", t.String()), "language tag %q is not in its canonical form", tag)
	}
}

// canonical reports whether tag is a BCP 47 tag in its canonical form.
func canonical(tag string) bool {
	t, err := language.Parse(tag)
	return err == nil && t.String() == tag && !strings.Contains(tag, "_")
}

// languagesHint names a site's languages, for an error about one that is not.
func languagesHint(langs []string) string {
	return "the site's languages (languages: in ouchie.yaml) are " + strings.Join(langs, ", ")
}
