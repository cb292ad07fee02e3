package preview

import (
	"bytes"
	"html/template"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// galleryTmpl lists every page of every theme with a link per format. It
// uses no script of its own; the preview's script is injected as for a page.
var galleryTmpl = template.Must(template.New("gallery").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ouchie preview · {{.Site}}</title>
<style>
:root{color-scheme:light dark;--fg:#1b1b1f;--muted:#5c5f66;--bg:#fff;--line:#e3e4e8;--accent:#0b57d0;--tag:#eef1f6}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--muted:#a2a6b0;--bg:#16171a;--line:#2c2e33;--accent:#8ab4f8;--tag:#24262b}}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:1100px;margin:0 auto;padding:16px 20px}
header{border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0}
h2{font-size:17px;margin:28px 0 8px}
p{margin:4px 0;color:var(--muted)}
a{color:var(--accent)}
a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:13px;color:var(--muted);font-weight:600}
td.id{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:var(--tag);font-size:13px}
.links a{margin-right:8px;white-space:nowrap}
.bad{color:#d93025}
</style>
</head>
<body>
<header>
<h1>ouchie preview · {{.Site}}</h1>
<p>{{.Dir}} · {{len .Pages}} pages × {{len .Themes}} themes ·
{{if .Err}}<span class="bad">the latest build failed</span>: showing the last good one, built {{.Built}}{{else}}built in {{.Took}} at {{.Built}}{{end}}.
Pages reload themselves when a file changes.</p>
</header>
<main>
{{range .Themes}}{{$t := .Name}}
<section id="theme-{{$t}}" aria-labelledby="h-{{$t}}">
<h2 id="h-{{$t}}">{{$t}}{{if .Default}} <span class="tag">default</span>{{end}}</h2>
<div class="wrap"><table>
<thead><tr><th scope="col">page</th><th scope="col">status</th><th scope="col">title</th><th scope="col">whose problem</th><th scope="col">open</th></tr></thead>
<tbody>
{{range .Pages}}<tr>
<td class="id"><a href="/{{$t}}/{{.ID}}.html">{{.ID}}</a></td>
<td>{{.Status}}</td>
<td>{{.Title}}{{if .Aliases}}<br><p>aliases: {{range $i, $a := .Aliases}}{{if $i}}, {{end}}{{$a}}{{end}}</p>{{end}}</td>
<td><span class="tag">{{.Source}}</span></td>
<td class="links">{{range .Formats}}<a href="/{{$t}}/{{.Name}}">{{.Format}}</a>{{end}}
<br><a href="/{{$t}}/{{.ID}}.html?request_id=">+ request id</a>{{if .Crashlog}}<a href="/{{$t}}/{{.ID}}.html?crashlog=1&amp;request_id=">+ crashlog</a>{{end}}</td>
</tr>
{{end}}</tbody>
</table></div>
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
	Aliases           []string
	Crashlog          bool
	Formats           []galleryFile
}

type galleryFile struct{ Format, Name string }

func (s *Server) serveGallery(w http.ResponseWriter, r *http.Request) {
	st, _ := s.current()
	d := struct {
		Site, Dir, Took, Built string
		Err                    bool
		Pages                  []galleryPage
		Themes                 []galleryTheme
	}{Site: "(no build yet)", Dir: s.dir, Built: "never", Err: st.err != nil}
	if abs, err := filepath.Abs(s.dir); err == nil {
		d.Dir = abs
	}
	if g := st.good; g != nil {
		d.Took = g.took.Round(time.Millisecond).String()
		d.Built = g.at.Format("15:04:05")
		for _, b := range g.bundles {
			m := &b.Manifest
			d.Site = m.Site.Name
			t := galleryTheme{Name: m.Theme, Default: m.Theme == m.Site.DefaultTheme}
			for _, p := range m.Pages {
				gp := galleryPage{ID: p.ID, Title: p.Title, Source: p.Source, Status: strconv.Itoa(p.Status),
					Aliases: p.Aliases, Crashlog: p.Crashlog}
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
			d.Pages = t.Pages
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
	h.Set("Content-Security-Policy", csp(nonce))
	h.Set("Content-Type", bundle.ContentType(bundle.HTML))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
