package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// MaxErrorfileSize is HAProxy's limit for an errorfile (its default buffer
// size less room for rewrites).
const MaxErrorfileSize = 15360

// Data is what a theme's templates are executed with.
type Data struct {
	Site  SiteData
	Page  PageData
	Theme string
}

// SiteData is the site-wide part of Data.
type SiteData struct {
	Name string
	// Lang is the page's language, a BCP 47 tag ("en", "pt-BR").
	Lang string
	// Dir is the direction of Lang's script: "rtl" or "ltr", for HTML's
	// dir attribute.
	Dir    string
	Accent template.CSS
	Logo   template.HTML
	Links  Links
	// Labels are the words around the page's text, in the page's language.
	Labels Labels
}

// Links are the site's links from ouchie.yaml; each may be empty.
type Links struct{ Homepage, Support, Status string }

// PageData is the page-specific part of Data.
type PageData struct {
	ID, Status, Variant   string
	Title, Summary        string
	Source, SourceLabel   string
	Crashlog              bool
	RetryAfter            int
	Illustration, Content template.HTML
}

// output is one rendered file with its slots.
type output struct {
	data  []byte
	slots []bundle.Slot
}

// slotDefault is what a static copy shows in place of a slot.
func slotDefault(p *Page, format, name string) string {
	if name != bundle.SlotStatus {
		return ""
	}
	if p.Fallback && format != bundle.HTML && format != bundle.Text {
		return strconv.Itoa(p.Status) // a number where the format needs one
	}
	return string(p.Meta.Status)
}

// placeSlots takes the slot markers out of rendered output, writes each slot's
// default in its place and records where it is.
func placeSlots(p *Page, format string, raw []byte) (output, error) {
	var out output
	out.data = make([]byte, 0, len(raw))
	for {
		i := bytes.Index(raw, []byte(slotOpen))
		if i < 0 {
			break
		}
		out.data = append(out.data, raw[:i]...)
		raw = raw[i+len(slotOpen):]
		j := bytes.Index(raw, []byte(slotClose))
		if j < 0 {
			return out, fmt.Errorf("slot marker cut apart: put {{ slot }} in HTML text, not in an attribute or URL")
		}
		name := string(raw[:j])
		raw = raw[j+len(slotClose):]
		if name == bundle.SlotCrashlog && !p.Meta.Crashlog {
			continue // only pages that declare crashlog: true ever show one
		}
		def := slotDefault(p, format, name)
		out.slots = append(out.slots, bundle.Slot{Name: name, Offset: len(out.data), Len: len(def)})
		out.data = append(out.data, def...)
	}
	out.data = append(out.data, raw...)
	if bytes.Contains(out.data, []byte(slotClose)) || hasEscapedMarker(out.data) {
		return out, fmt.Errorf("slot marker cut apart: put {{ slot }} in HTML text, not in an attribute or URL")
	}
	return out, nil
}

// escapedMarker finds a slot marker that an escaper rewrote (URL, JS or CSS
// context), where the server could never find it.
var escapedMarker = regexp.MustCompile(`(?i)%ee%80%80|\\u\{?e000|\\e000|&#x0*e000;|&#57344;`)

// hasEscapedMarker runs escapedMarker only where a cheap scan finds a hint of
// one: a regular expression over every page costs a quarter of a big build.
func hasEscapedMarker(data []byte) bool {
	for _, hint := range [][]byte{[]byte("e000"), []byte("E000"), []byte("%80%80"), []byte("57344")} {
		if bytes.Contains(data, hint) {
			return escapedMarker.Match(data)
		}
	}
	return false
}

func slot(name string) string { return slotOpen + name + slotClose }

// renderHTML executes the theme for one page.
func renderHTML(t *Theme, site SiteData, p *Page, body rendered) ([]byte, error) {
	d := Data{
		Site: site,
		Page: PageData{
			ID: p.ID, Status: string(p.Meta.Status), Variant: p.Variant,
			Title: p.Meta.Title, Summary: p.Meta.Summary,
			Source: p.Meta.Source, SourceLabel: site.Labels.source(p.Meta.Source),
			Crashlog: p.Meta.Crashlog, RetryAfter: p.Meta.RetryAfter,
			Illustration: p.Illustration, Content: body.HTML,
		},
		Theme: t.Name,
	}
	var buf bytes.Buffer
	if err := t.layout(p.ID).ExecuteTemplate(&buf, "baseof.html", d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pageJSON is the JSON form of a page. Slot values are strings spliced in
// between the quotes, so they are written as markers inside json strings.
type pageJSON struct {
	ID        string `json:"id"`
	Lang      string `json:"lang"`
	Title     string `json:"title"`
	Summary   string `json:"summary"`
	Source    string `json:"source"`
	RequestID string `json:"request_id"`
	Crashlog  string `json:"crashlog,omitempty"`
}

func renderJSON(site SiteData, p *Page) []byte {
	v := pageJSON{ID: p.ID, Lang: site.Lang, Title: p.Meta.Title, Summary: p.Meta.Summary, Source: p.Meta.Source,
		RequestID: slot(bundle.SlotRequestID)}
	if p.Meta.Crashlog {
		v.Crashlog = slot(bundle.SlotCrashlog)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // strings only: cannot fail
	// The status leads, as a number the server can replace.
	return append([]byte("{\n  \"status\": "+slot(bundle.SlotStatus)+",\n  "), bytes.TrimPrefix(buf.Bytes(), []byte("{\n  "))...)
}

func renderText(site SiteData, p *Page, body rendered) []byte {
	var b strings.Builder
	head := slot(bundle.SlotStatus) + " " + p.Meta.Title
	b.WriteString(head + "\n" + strings.Repeat("=", len(string(p.Meta.Status))+1+len([]rune(p.Meta.Title))) + "\n\n")
	b.WriteString(p.Meta.Summary + "\n\n")
	b.WriteString(site.Labels.WhoseProblem + " " + site.Labels.source(p.Meta.Source) + "\n\n")
	b.WriteString(body.Text + "\n")
	if p.Meta.Crashlog {
		b.WriteString(site.Labels.CrashLog + "\n" + strings.Repeat("-", len([]rune(site.Labels.CrashLog))) + "\n" + slot(bundle.SlotCrashlog) + "\n\n")
	}
	b.WriteString(site.Labels.RequestID + ": " + slot(bundle.SlotRequestID) + "\n")
	b.WriteString("-- " + site.Name)
	for _, l := range []struct{ label, url string }{
		{"", site.Links.Homepage}, {site.Labels.Support + ": ", site.Links.Support}, {site.Labels.StatusPage + ": ", site.Links.Status},
	} {
		if l.url != "" {
			b.WriteString(" · " + l.label + l.url)
		}
	}
	b.WriteString("\n")
	return []byte(b.String())
}

func renderXML(site SiteData, p *Page) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<error xml:lang=\"")
	_ = xmlEscape(&b, site.Lang)
	b.WriteString("\">\n")
	b.WriteString("  <status>" + slot(bundle.SlotStatus) + "</status>\n")
	for _, f := range []struct{ name, val string }{
		{"id", p.ID}, {"title", p.Meta.Title}, {"summary", p.Meta.Summary}, {"source", p.Meta.Source},
	} {
		b.WriteString("  <" + f.name + ">")
		_ = xmlEscape(&b, f.val)
		b.WriteString("</" + f.name + ">\n")
	}
	b.WriteString("  <request-id>" + slot(bundle.SlotRequestID) + "</request-id>\n")
	if p.Meta.Crashlog {
		b.WriteString("  <crashlog>" + slot(bundle.SlotCrashlog) + "</crashlog>\n")
	}
	b.WriteString("</error>\n")
	return b.Bytes()
}

// renderErrorfile wraps a static HTML page as a raw HTTP/1.0 response for
// HAProxy's errorfile directive.
func renderErrorfile(site SiteData, p *Page, html []byte) ([]byte, error) {
	var b bytes.Buffer
	reason := http.StatusText(p.Status)
	if reason == "" {
		reason = "Error" // 499, 520 and other statuses outside the registry
	}
	fmt.Fprintf(&b, "HTTP/1.0 %d %s\r\n", p.Status, reason)
	b.WriteString("Cache-Control: no-store\r\n")
	b.WriteString("Connection: close\r\n")
	b.WriteString("Content-Language: " + site.Lang + "\r\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\r\n")
	b.WriteString("X-Content-Type-Options: nosniff\r\n")
	if p.Meta.RetryAfter > 0 {
		fmt.Fprintf(&b, "Retry-After: %d\r\n", p.Meta.RetryAfter)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(html))
	b.Write(html)
	if b.Len() > MaxErrorfileSize {
		return nil, fmt.Errorf("HAProxy errorfile is %d bytes, over HAProxy's %d-byte limit (shorten the page, or build without --format http)", b.Len(), MaxErrorfileSize)
	}
	return b.Bytes(), nil
}

var xmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(b *bytes.Buffer, s string) error {
	_, err := xmlReplacer.WriteString(b, s)
	return err
}
