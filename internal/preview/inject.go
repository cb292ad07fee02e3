package preview

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"strings"

	"github.com/ouchie/ouchie/generator"
)

// Marker is in everything the preview adds to a page (its script and its
// error overlay) and in nothing the generator writes; tests scan bundles for it.
const Marker = "ouchie-preview"

// EventsPath is where the preview's server-sent events stream is.
const EventsPath = "/_ouchie/events"

// reloadJS keeps a tab in step with the preview: it reloads on "reload",
// shows the overlay on "build-error", and on (re)connecting compares the
// build the page was served from with the server's, so an event missed while
// disconnected is not lost. The server fills in GEN.
const reloadJS = `(() => {
  const served = GEN;
  const host = () => document.querySelector("ouchie-preview-overlay");
  const show = (inner) => {
    let h = host();
    if (h) h.remove();
    h = document.createElement("ouchie-preview-overlay");
    h.attachShadow({mode: "open"}).innerHTML = inner;
    document.body.append(h);
    wire();
  };
  const wire = () => {
    const h = host();
    const b = h && h.shadowRoot && h.shadowRoot.querySelector("button");
    if (b) b.onclick = () => h.remove();
  };
  wire();
  const es = new EventSource("` + EventsPath + `");
  es.addEventListener("hello", (e) => {
    const d = JSON.parse(e.data);
    if (d.gen === served) return;
    if (d.ok) location.reload(); else show(d.overlay);
  });
  es.addEventListener("reload", () => location.reload());
  es.addEventListener("build-error", (e) => show(JSON.parse(e.data).overlay));
})();`

// overlayCSS styles the overlay inside its shadow root, so neither it nor
// the theme's CSS can change the other. It covers the lower part of the
// window only: the page above stays usable, and the overlay can be closed.
const overlayCSS = `:host{all:initial}
.o{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:60vh;overflow:auto;
box-sizing:border-box;padding:16px 20px;background:#1d1f23;color:#f5f5f5;border-top:4px solid #e5484d;
font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 -8px 24px rgba(0,0,0,.35)}
h2{margin:0 0 8px;font-size:15px;color:#ff9592}
p{margin:0 0 12px;color:#c7c7c7}
pre{margin:0 0 4px;white-space:pre-wrap;overflow-wrap:anywhere;font:inherit}
.hint{margin:0 0 12px;color:#9cd3ff}
button{position:absolute;top:10px;right:12px;font:inherit;background:none;color:#f5f5f5;border:1px solid #666;border-radius:4px;padding:0 8px;cursor:pointer}
button:focus-visible{outline:2px solid #9cd3ff;outline-offset:2px}`

var overlayTmpl = template.Must(template.New("overlay").Parse(
	`<style>{{.CSS}}</style><div class="o" role="alert" data-` + Marker + `>` +
		`<button type="button" aria-label="Close">×</button>` +
		`<h2>ouchie: the build failed</h2>` +
		`<p>{{if .HaveGood}}Showing the last good build.{{else}}No build has succeeded yet.{{end}} Fix the file and save: this clears by itself.</p>` +
		`{{range .Errors}}<pre>{{.Pos}}: {{.Msg}}</pre>{{if .Hint}}<pre class="hint">hint: {{.Hint}}</pre>{{end}}{{end}}` +
		`</div>`))

type overlayError struct{ Pos, Msg, Hint string }

// overlayHTML renders a build error as the inside of the overlay's shadow
// root, every part of the message escaped.
func overlayHTML(err error, haveGood bool) string {
	var list []overlayError
	var el generator.ErrorList
	var one *generator.Error
	switch {
	case errors.As(err, &el):
		for _, e := range el {
			list = append(list, fromError(e))
		}
	case errors.As(err, &one):
		list = append(list, fromError(one))
	default:
		list = append(list, overlayError{Pos: "ouchie", Msg: err.Error()})
	}
	var b strings.Builder
	_ = overlayTmpl.Execute(&b, struct {
		CSS      template.CSS
		HaveGood bool
		Errors   []overlayError
	}{template.CSS(overlayCSS), haveGood, list})
	return b.String()
}

func fromError(e *generator.Error) overlayError {
	pos := (&generator.Error{File: e.File, Line: e.Line, Col: e.Col}).Error()
	return overlayError{Pos: strings.TrimSuffix(pos, ": "), Msg: e.Msg, Hint: e.Hint}
}

// inject adds the preview's script, and the overlay when the latest build
// failed, to an HTML page: before its last </body>, or at its end.
func inject(page []byte, st *state, nonce string) []byte {
	var add bytes.Buffer
	add.WriteString("\n<!-- " + Marker + ": added by ouchie preview, never part of a bundle -->\n")
	if st.err != nil {
		add.WriteString(`<ouchie-preview-overlay><template shadowrootmode="open">`)
		add.WriteString(st.overlay)
		add.WriteString(`</template></ouchie-preview-overlay>`)
	}
	gen, _ := json.Marshal(st.gen)
	add.WriteString(`<script nonce="` + nonce + `" data-` + Marker + `>`)
	add.WriteString(strings.Replace(reloadJS, "GEN", string(gen), 1))
	add.WriteString("</script>\n")
	i := lastIndexFold(page, "</body>")
	if i < 0 {
		i = len(page)
	}
	out := make([]byte, 0, len(page)+add.Len())
	out = append(out, page[:i]...)
	out = append(out, add.Bytes()...)
	return append(out, page[i:]...)
}

// lastIndexFold is bytes.LastIndex ignoring ASCII case.
func lastIndexFold(s []byte, sep string) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		if bytes.EqualFold(s[i:i+len(sep)], []byte(sep)) {
			return i
		}
	}
	return -1
}
