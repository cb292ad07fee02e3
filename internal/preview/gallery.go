package preview

import (
	"bytes"
	"html/template"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/human"
)

// thumbQuery asks for a page as a gallery thumbnail: as built, without the
// preview's script (the gallery reloads itself, and its frames with it; a
// script per frame would hold one event stream each).
const thumbQuery = "thumb"

// galleryTmpl shows every page of every theme as a thumbnail, in one of the
// site's languages (?lang=, the default language's otherwise) and for one of
// its brands (?brand=, the site itself otherwise), with links to the others: the page itself in a lazily loaded frame, laid out at desktop
// width and scaled down with CSS, linked to the full page, with a link per
// format. It uses no script of its own; the preview's script is injected as
// for a page.
var galleryTmpl = template.Must(template.New("gallery").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ouchie preview · {{.Site}}</title>
<style>
:root{color-scheme:light dark;--fg:#1b1b1f;--muted:#5c5f66;--bg:#fff;--line:#d5d7dc;--accent:#0b57d0;--tag:#eef1f6}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--muted:#a2a6b0;--bg:#16171a;--line:#3a3c42;--accent:#8ab4f8;--tag:#24262b}}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:1400px;margin:0 auto;padding:16px 20px}
header{border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0}
h2{font-size:17px;margin:28px 0 12px}
p{margin:4px 0;color:var(--muted)}
a{color:var(--accent)}
a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:20px}
li{min-width:0}
.shot{display:block;position:relative;aspect-ratio:16/10;overflow:hidden;border:1px solid var(--line);border-radius:6px;background:#fff}
.shot iframe{position:absolute;top:0;left:0;width:1280px;height:800px;border:0;transform:scale(.203);transform-origin:0 0;pointer-events:none}
@supports (width:1cqw){.shot{container-type:inline-size}.shot iframe{transform:scale(calc(100cqw/1280px))}}
.shot:hover,.shot:focus-visible{border-color:var(--accent)}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.t{display:block;margin-top:6px;font-weight:600;overflow-wrap:anywhere}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:var(--tag);font-size:13px}
.links{font-size:13px}
.links a{margin-right:8px;white-space:nowrap}
.bad{color:#d93025}
nav a{margin-inline-end:8px}
nav a[aria-current]{font-weight:700;color:var(--fg);text-decoration:none}
</style>
</head>
<body>
<header>
<h1>ouchie preview · {{.Site}}</h1>
<p>{{.Dir}} · {{.Count}} ·
{{if .Err}}<span class="bad">the latest build failed</span>: showing the last good one, built {{.Built}}{{else}}built in {{.Took}} at {{.Built}}{{end}}.
Pages reload themselves when a file changes.</p>
{{if gt (len .Brands) 1}}<nav aria-label="Brands"><p>Brand:
{{range .Brands}}<a href="/?brand={{.}}&amp;lang={{$.Lang}}"{{if eq . $.Brand}} aria-current="page"{{end}}>{{.}}</a>{{end}}</p></nav>{{end}}
{{if gt (len .Langs) 1}}<nav aria-label="Languages"><p>Language:
{{range .Langs}}<a href="/?{{if $.Base}}brand={{$.Brand}}&amp;{{end}}lang={{.}}" hreflang="{{.}}"{{if eq . $.Lang}} aria-current="page"{{end}}>{{.}}</a>{{end}}</p></nav>{{end}}
</header>
<main>
{{range .Themes}}{{$t := .Name}}
<section id="theme-{{$t}}" aria-labelledby="h-{{$t}}">
<h2 id="h-{{$t}}">{{$t}}{{if .Default}} <span class="tag">default</span>{{end}}</h2>
<ul>
{{range .Pages}}<li>
<a class="shot" href="{{$.Base}}/{{$t}}/{{.HTML}}" aria-label="{{.ID}}: {{.Title}} ({{$t}})"><iframe loading="lazy" src="{{$.Base}}/{{$t}}/{{.HTML}}?{{$.Thumb}}" title="{{.ID}} in {{$t}}" tabindex="-1" aria-hidden="true"></iframe></a>
<span class="t">{{.Title}}</span>{{if .Untranslated}} <span class="tag">not translated: {{$.Default}} page</span>{{end}}
<p><span class="id">{{.ID}}</span> · {{.Status}} · <span class="tag">{{.Source}}</span>{{if .Aliases}} · aliases: {{range $i, $a := .Aliases}}{{if $i}}, {{end}}{{$a}}{{end}}{{end}}</p>
<p class="links">{{range .Formats}}<a href="{{$.Base}}/{{$t}}/{{.Name}}">{{.Format}}</a>{{end}}
<a href="{{$.Base}}/{{$t}}/{{.HTML}}?request_id=">+ request id</a>{{if .Crashlog}}<a href="{{$.Base}}/{{$t}}/{{.HTML}}?crashlog=1&amp;request_id=">+ crashlog</a>{{end}}</p>
</li>
{{end}}</ul>
</section>
{{end}}
</main>
</body>
</html>
`))

type galleryTheme struct {
	Name    string
	Default bool
	Pages   []galleryPage
}

type galleryPage struct {
	ID, Title, Source string
	Status            string
	HTML              string // the name of the HTML file shown
	Aliases           []string
	Crashlog          bool
	// Untranslated is set when the page has no translation into the
	// language shown: the default language's page stands in, as served.
	Untranslated bool
	Formats      []galleryFile
}

type galleryFile struct{ Format, Name string }

func (s *Server) serveGallery(w http.ResponseWriter, r *http.Request) {
	st, _ := s.current()
	d := struct {
		Site, Dir, Took, Built string
		Count, Thumb           string
		Err                    bool
		Lang, Default          string   // the language shown, the default one
		Langs                  []string // the site's languages
		Brand                  string   // the brand shown
		Base                   string   // its pages' path prefix: "" for the site's own, "/ID" for a brand's
		Brands                 []string // the site's brands, the default (the site) first
		Themes                 []galleryTheme
	}{Site: "(no build yet)", Dir: s.dir, Built: "never", Err: st.err != nil, Thumb: thumbQuery, Brand: bundle.DefaultBrand}
	if abs, err := filepath.Abs(s.dir); err == nil {
		d.Dir = abs
	}
	if g := st.good; g != nil {
		d.Took = g.took.Round(time.Millisecond).String()
		d.Built = g.at.Format("15:04:05")
		d.Brands = g.brands
		bundles := g.bundles
		if brand := r.URL.Query().Get("brand"); brand != "" && brand != d.Brand && g.byBrand[brand] != nil {
			d.Brand, d.Base = brand, "/"+brand
			bundles = nil
			for _, b := range g.bundles { // in the site's order of themes
				bundles = append(bundles, g.byBrand[brand][b.Manifest.Theme])
			}
		}
		for _, b := range bundles {
			m := &b.Manifest
			d.Site = m.Site.Name
			d.Default, d.Langs = m.Site.Lang, m.Site.Languages
			if len(d.Langs) == 0 {
				d.Langs = []string{m.Site.Lang}
			}
			d.Lang = r.URL.Query().Get("lang")
			if !slices.Contains(d.Langs, d.Lang) {
				d.Lang = d.Default
			}
			t := galleryTheme{Name: m.Theme, Default: m.Theme == m.Site.DefaultTheme}
			for i := range m.Pages {
				if m.Pages[i].Lang != "" {
					continue // listed in place of its page, in its language
				}
				p, ok := b.Translation(m.Pages[i].ID, d.Lang)
				if !ok {
					p = &m.Pages[i]
				}
				gp := galleryPage{ID: p.ID, Title: p.Title, Source: p.Source, Status: strconv.Itoa(p.Status),
					HTML: p.Files[bundle.HTML].Name, Aliases: p.Aliases, Crashlog: p.Crashlog, Untranslated: !ok}
				if p.Fallback {
					gp.Status = p.ID
				}
				for _, f := range Formats {
					if file, ok := p.Files[f]; ok {
						gp.Formats = append(gp.Formats, galleryFile{f, file.Name})
					}
				}
				t.Pages = append(t.Pages, gp)
			}
			if t.Default {
				d.Themes = append([]galleryTheme{t}, d.Themes...)
			} else {
				d.Themes = append(d.Themes, t)
			}
			d.Count = human.Count(len(t.Pages), "page") + " × " + human.Count(len(g.bundles), "theme")
			if len(g.brands) > 1 {
				d.Count += " × " + human.Count(len(g.brands), "brand")
			}
		}
	}
	var buf bytes.Buffer
	if err := galleryTmpl.Execute(&buf, d); err != nil {
		s.log.Error("gallery", "err", err)
		http.Error(w, "gallery: "+err.Error(), http.StatusInternalServerError)
		return
	}
	nonce := newNonce()
	data := inject(buf.Bytes(), st, nonce)
	h := w.Header()
	h.Set("Content-Security-Policy", csp(nonce)+"; frame-src 'self'")
	h.Set("Content-Type", bundle.ContentType(bundle.HTML))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
