package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Targets are the static hosts a build can prepare a bundle for.
var Targets = []string{"netlify", "cloudflare", "s3", "github-pages"}

// AddTarget adds to a bundle what a static host needs beside the pages:
//
//   - every host: "<name>.html" copies for each variant and slug alias
//     (maintenance.html, app-failed-to-boot.html, H10.html), so a page can be
//     named by its router key, and "<name>.<lang>.html" for each translation
//     (H10.de.html). 404.html is already the 404 page, 404.de.html its
//     German translation.
//   - netlify, cloudflare: _headers with content types and security headers.
//   - netlify: _redirects serving the 404 page in the visitor's language
//     (Language= conditions; Cloudflare Pages has none).
//   - github-pages: .nojekyll.
//   - s3: cloudfront-error-responses.json, a CustomErrorResponses list for
//     CloudFront mapping every status with a page to it (in the default
//     language: CloudFront cannot choose one).
//
// These files are not in the manifest: a server never reads them.
func AddTarget(b *bundle.Bundle, target string) error {
	if err := checkTarget(target); err != nil {
		return err
	}
	for _, p := range b.Manifest.Pages {
		for _, name := range targetCopies(&p) {
			if _, taken := b.Files[name]; !taken {
				b.Files[name] = b.Files[p.Files[bundle.HTML].Name]
			}
		}
	}
	files, err := targetFiles(target, b.Manifest.Site.Languages, func(id, lang string) (string, bool) {
		p, ok := b.Translation(id, lang)
		if !ok || p.Lang != lang {
			return "", false
		}
		f, ok := p.Files[bundle.HTML]
		return f.Name, ok
	})
	maps.Copy(b.Files, files)
	return err
}

// checkTarget reports a target that is not one of Targets.
func checkTarget(target string) error {
	if !slices.Contains(Targets, target) {
		return fmt.Errorf("unknown target %q (targets are %s)", target, strings.Join(append(slices.Clone(Targets), slices.Sorted(maps.Keys(RouterTargets))...), ", "))
	}
	return nil
}

// targetCopies returns the other names a static host serves page p's HTML
// file under: its variant and slug aliases, with its language's suffix.
func targetCopies(p *bundle.Page) []string {
	if _, ok := p.Files[bundle.HTML]; !ok {
		return nil
	}
	keys := slices.Clone(p.Aliases)
	if p.Variant != "" {
		keys = append(keys, p.Variant)
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k + langSuffix(p.Lang) + ".html"
	}
	return names
}

// targetFiles returns the files a target adds beside the pages, for a site
// in langs (the default first; empty for one language). html names the HTML
// file of page id in language lang ("" for the default).
func targetFiles(target string, langs []string, html func(id, lang string) (string, bool)) (map[string][]byte, error) {
	files := map[string][]byte{}
	switch target {
	case "netlify", "cloudflare":
		var h strings.Builder
		h.WriteString("# Written by ouchie build --target " + target + ".\n/*\n")
		for _, ph := range bundle.Headers { // what ouchie serve sends
			h.WriteString("  " + ph.Name + ": " + ph.Value + "\n")
		}
		for _, format := range []string{bundle.JSON, bundle.Text, bundle.XML} {
			fmt.Fprintf(&h, "/*.%s\n  Content-Type: %s\n", format, bundle.ContentType(format))
		}
		files["_headers"] = []byte(h.String())
		if r := netlifyRedirects(langs, html); target == "netlify" && r != nil {
			files["_redirects"] = r
		}
	case "github-pages":
		files[".nojekyll"] = []byte{}
	case "s3":
		type response struct {
			ErrorCode          int    `json:"ErrorCode"`
			ResponsePagePath   string `json:"ResponsePagePath"`
			ResponseCode       string `json:"ResponseCode"`
			ErrorCachingMinTTL int    `json:"ErrorCachingMinTTL"`
		}
		// CloudFront customises these error codes only.
		allowed := []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}
		var list []response
		for _, code := range allowed {
			name, ok := html(fmt.Sprint(code), "")
			if !ok {
				name, ok = html(fmt.Sprintf("%dxx", code/100), "")
			}
			if ok {
				list = append(list, response{code, "/" + name, fmt.Sprint(code), 10})
			}
		}
		out, err := json.MarshalIndent(map[string]any{"Quantity": len(list), "Items": list}, "", "  ")
		if err != nil {
			return nil, err
		}
		files["cloudfront-error-responses.json"] = append(bytes.TrimSpace(out), '\n')
	}
	return files, nil
}

// languageAliases are the Accept-Language tags, besides its own, that
// choose a language of the default site, as the server's matcher and the
// documented router configurations choose it. A tag with a region or
// script is more specific than a bare one, so bare ones are matched last.
var languageAliases = map[string][]string{
	"pt-BR":   {"pt"},
	"zh-Hans": {"zh-cn", "zh-sg", "zh"},
	"zh-Hant": {"zh-tw", "zh-hk", "zh-mo"},
}

// netlifyRedirects returns the _redirects rules that answer a path with no
// file with the 404 page in the visitor's language, or nil when the 404
// page has no translation. Netlify applies the first rule whose Language=
// condition matches; a visitor matching none gets its own 404.html.
// Regional and script tags come first, then bare ones, so that zh-TW finds
// zh-Hant before zh finds zh-Hans.
func netlifyRedirects(langs []string, html func(id, lang string) (string, bool)) []byte {
	type rule struct{ file, codes string }
	var specific, bare []rule
	taken := map[string]bool{}
	for _, lang := range langs {
		taken[strings.ToLower(lang)] = true
	}
	for i, lang := range langs {
		if i == 0 {
			continue // the default language: 404.html
		}
		name, ok := html("404", lang)
		if !ok {
			continue
		}
		codes, bareCodes := []string{strings.ToLower(lang)}, []string{}
		for _, a := range languageAliases[lang] {
			switch {
			case taken[a]:
			case strings.Contains(a, "-"):
				codes = append(codes, a)
			default:
				bareCodes = append(bareCodes, a)
			}
			taken[a] = true
		}
		specific = append(specific, rule{name, strings.Join(codes, ",")})
		if len(bareCodes) > 0 {
			bare = append(bare, rule{name, strings.Join(bareCodes, ",")})
		}
	}
	if len(specific) == 0 {
		return nil
	}
	var r strings.Builder
	r.WriteString("# Written by ouchie build --target netlify: the 404 page in the visitor's\n# language; anyone else gets 404.html.\n")
	for _, x := range append(specific, bare...) {
		fmt.Fprintf(&r, "/*  /%s  404  Language=%s\n", x.file, x.codes)
	}
	return []byte(r.String())
}
