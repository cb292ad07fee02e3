package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	ID, Status, Variant string
	Title, Summary      string
	Source, SourceLabel string
	Crashlog            bool
	RetryAfter          int
	// HideStatus: the page leads with its title, not its status number
	// (front matter hide_status, as the maintenance page sets it).
	HideStatus            bool
	Illustration, Content template.HTML
}

// output is one rendered file with its slots.
type output struct {
	data  []byte
	slots []bundle.Slot
}

// slotDefault is what a static copy shows in place of a slot: a page's own
// status, and nothing for the rest. A fallback page shows its class as a
// number where the format needs one (JSON, XML), and no status where people
// read it, so a static copy does not headline "5xx".
func slotDefault(p *Page, format, name string) string {
	if name != bundle.SlotStatus {
		return ""
	}
	if p.Fallback {
		if format == bundle.HTML || format == bundle.Text {
			return ""
		}
		return strconv.Itoa(p.Status)
	}
	return string(p.Meta.Status)
}

const errCutApart = "slot marker cut apart: put {{ slot }}, {{ whenslot }} and {{ endslot }} in HTML text, not in an attribute or URL"

// placeSlots takes the slot markers out of rendered output, writes each slot's
// default in its place and records where it is. Text marked by whenslot and
// endslot around a slot becomes the slot's before and after: written with a
// default that is not empty, else left out.
func placeSlots(p *Page, format string, raw []byte) (output, error) {
	var out output
	out.data = make([]byte, 0, len(raw))
	markup := markupScan{page: raw}
	wrapAt := -1     // where the open whenslot's text starts in out.data
	wrapName := ""   // its slot
	inWrap := -1     // index in out.slots of the slot inside it, or -1
	afterAt := 0     // where that slot's after starts in out.data
	dropped := false // the slot inside was left out, and so is the text around it
	for {
		i := indexMarker(raw)
		if i < 0 {
			break
		}
		if format == bundle.HTML {
			if where := markup.at(len(markup.page) - len(raw) + i); where != "" {
				return out, fmt.Errorf("slot marker inside %s: put {{ slot }}, {{ whenslot }} and {{ endslot }} in HTML text, not in an attribute, URL, <style> or <script>", where)
			}
		}
		out.data = append(out.data, raw[:i]...)
		r, size := utf8.DecodeRune(raw[i:])
		raw = raw[i+size:]
		if string(r) == wrapClose {
			if wrapAt < 0 {
				return out, fmt.Errorf("{{ endslot }} without {{ whenslot }}")
			}
			if dropped {
				out.data, wrapAt, dropped = out.data[:wrapAt], -1, false
				continue
			}
			if inWrap < 0 {
				return out, fmt.Errorf("{{ whenslot %q }} holds no {{ slot %q }}", wrapName, wrapName)
			}
			s := &out.slots[inWrap]
			s.After = string(out.data[afterAt:])
			if s.Len == 0 {
				out.data = out.data[:wrapAt] // no default: the static copy leaves the text out
				s.Offset = wrapAt
			} else {
				s.Offset, s.Len = wrapAt, len(out.data)-wrapAt
			}
			wrapAt, inWrap = -1, -1
			continue
		}
		j := bytes.Index(raw, []byte(slotClose))
		if j < 0 {
			return out, errors.New(errCutApart)
		}
		name := string(raw[:j])
		raw = raw[j+len(slotClose):]
		if string(r) == wrapOpen {
			if wrapAt >= 0 {
				return out, fmt.Errorf("{{ whenslot %q }} inside {{ whenslot %q }}", name, wrapName)
			}
			wrapAt, wrapName = len(out.data), name
			continue
		}
		if name == bundle.SlotCrashlog && !p.Meta.Crashlog {
			dropped = wrapAt >= 0
			continue // only pages that declare crashlog: true ever show one
		}
		def := slotDefault(p, format, name)
		slot := bundle.Slot{Name: name, Offset: len(out.data), Len: len(def)}
		if wrapAt >= 0 {
			if name != wrapName || inWrap >= 0 {
				return out, fmt.Errorf("{{ whenslot %q }} holds {{ slot %q }}: it must hold exactly one {{ slot %q }}", wrapName, name, wrapName)
			}
			slot.Before = string(out.data[wrapAt:])
			inWrap, afterAt = len(out.slots), len(out.data)+len(def)
		}
		out.slots = append(out.slots, slot)
		out.data = append(out.data, def...)
	}
	if wrapAt >= 0 {
		return out, fmt.Errorf("{{ whenslot %q }} without {{ endslot }}", wrapName)
	}
	out.data = append(out.data, raw...)
	if bytes.Contains(out.data, []byte(slotClose)) || hasEscapedMarker(out.data) {
		return out, errors.New(errCutApart)
	}
	return out, nil
}

// markupScan finds what holds an offset of an HTML page other than text:
// html/template does not escape a marker there, and a server would then
// write a request's value into CSS, script or markup. Its offsets must
// come in increasing order: it scans the page once, however many markers.
type markupScan struct {
	page []byte
	pos  int    // where scanning goes on: just after a tag, or in raw text
	raw  string // the element whose raw text pos is in: "style" or "script"
}

// at returns what holds offset at: "a tag" (its name or an attribute),
// "<style>" or "<script>"; or "" for text.
func (m *markupScan) at(at int) string {
	for {
		j := bytes.IndexByte(m.page[m.pos:at], '<')
		if j < 0 {
			break
		}
		i := m.pos + j + 1
		if m.raw != "" {
			if hasPrefixFold(m.page[i:], "/"+m.raw) {
				m.raw = ""
			}
			m.pos = i
			continue
		}
		end := bytes.IndexByte(m.page[i:], '>')
		if end < 0 || i+end >= at {
			return "a tag" // the next offset is past this one: pos stays before the tag
		}
		for _, name := range []string{"style", "script"} {
			if hasPrefixFold(m.page[i:], name) && i+len(name) < len(m.page) && !isNameByte(m.page[i+len(name)]) {
				m.raw = name
			}
		}
		m.pos = i + end + 1
	}
	if m.raw != "" {
		return "<" + m.raw + ">"
	}
	return ""
}

// hasPrefixFold reports whether b starts with the lowercase ASCII prefix,
// in any case.
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// isNameByte reports whether c may continue an HTML tag name.
func isNameByte(c byte) bool {
	return c == '-' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// markerPrefix is the UTF-8 of slotOpen, wrapOpen and wrapClose less their
// last byte, which is 0x80, 0x82 or 0x83 (slotClose's is 0x81).
const markerPrefix = "\xee\x80"

// indexMarker returns the offset of the first slotOpen, wrapOpen or
// wrapClose in data, or -1: bytes.IndexAny(data, slotOpen+wrapOpen+wrapClose)
// without decoding every rune on the way (a lead byte, 0xee is never inside
// another character).
func indexMarker(data []byte) int {
	for at := 0; ; {
		i := bytes.Index(data[at:], []byte(markerPrefix))
		if i < 0 || at+i+2 >= len(data) {
			return -1
		}
		at += i + 2
		if b := data[at]; b == 0x80 || b == 0x82 || b == 0x83 {
			return at - 2
		}
	}
}

// escapedMarker finds a slot marker that an escaper rewrote (URL, JS or CSS
// context), where the server could never find it.
var escapedMarker = regexp.MustCompile(`(?i)%ee%80%8[0-3]|\\u\{?e00[0-3]|\\e00[0-3]|&#x0*e00[0-3];|&#5734[4-7];`)

// hasEscapedMarker runs escapedMarker only where a cheap scan finds a hint of
// one: a regular expression over every page costs a quarter of a big build.
// The hints are "e000", "e002" (any case), "%80%8" and "5734", each found
// from a byte that is rare in a page.
func hasEscapedMarker(data []byte) bool {
	hinted := bytes.Contains(data, []byte("5734")) || bytes.Contains(data, []byte("%80%8"))
	for at := 0; !hinted; {
		i := bytes.Index(data[at:], []byte("00"))
		if i < 0 {
			break
		}
		i += at
		at = i + 1
		hinted = i > 0 && data[i-1]|0x20 == 'e' && i+2 < len(data) && (data[i+2] == '0' || data[i+2] == '2')
	}
	return hinted && escapedMarker.Match(data)
}

// renderBufs hold the theme's raw output for placeSlots, which copies it:
// a page's HTML grows a fresh buffer through a dozen sizes otherwise.
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// renderHTML executes the theme for one page into buf, and returns buf's
// bytes.
func renderHTML(buf *bytes.Buffer, t *Theme, site SiteData, p *Page, body rendered) ([]byte, error) {
	d := Data{
		Site: site,
		Page: PageData{
			ID: p.ID, Status: string(p.Meta.Status), Variant: p.Variant,
			Title: p.Meta.Title, Summary: p.Meta.Summary,
			Source: p.Meta.Source, SourceLabel: site.Labels.source(p.Meta.Source),
			Crashlog: p.Meta.Crashlog, RetryAfter: p.Meta.RetryAfter, HideStatus: p.Meta.HideStatus,
			Illustration: p.Illustration, Content: body.HTML,
		},
		Theme: t.Name,
	}
	if err := t.layout(p.ID).ExecuteTemplate(buf, "baseof.html", d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func slot(name string) string { return slotOpen + name + slotClose }

// whenSlot is a slot with the text written around its value only when it
// has one (see placeSlots).
func whenSlot(name, before, after string) string {
	return wrapOpen + name + slotClose + before + slot(name) + after + wrapClose
}

// pageJSON is the JSON form of a page, but for the slots, which are spliced
// in around it.
type pageJSON struct {
	ID      string `json:"id"`
	Lang    string `json:"lang"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Source  string `json:"source"`
}

func renderJSON(site SiteData, p *Page) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(pageJSON{ID: p.ID, Lang: site.Lang, Title: p.Meta.Title, Summary: p.Meta.Summary, Source: p.Meta.Source}) // strings only: cannot fail
	fields := bytes.TrimSuffix(bytes.TrimPrefix(buf.Bytes(), []byte("{\n  ")), []byte("\n}\n"))
	// The status leads, as a number the server can replace; a request id is
	// a field only when there is one.
	out := append([]byte("{\n  \"status\": "+slot(bundle.SlotStatus)+",\n  "), fields...)
	out = append(out, whenSlot(bundle.SlotRequestID, ",\n  \"request_id\": \"", `"`)...)
	if p.Meta.Crashlog {
		out = append(out, ",\n  \"crashlog\": \""+slot(bundle.SlotCrashlog)+`"`...)
	}
	return append(out, "\n}\n"...)
}

func renderText(site SiteData, p *Page, body rendered) []byte {
	var b strings.Builder
	// The status heads the page where it has one to show: not on a static
	// copy of a fallback, nor where the front matter hides it.
	title := len([]rune(p.Meta.Title))
	switch {
	case p.Meta.HideStatus:
	case p.Fallback:
		b.WriteString(whenSlot(bundle.SlotStatus, "", " "))
	default:
		b.WriteString(slot(bundle.SlotStatus) + " ")
		title += len(p.Meta.Status) + 1
	}
	b.WriteString(p.Meta.Title + "\n" + strings.Repeat("=", title) + "\n\n")
	b.WriteString(p.Meta.Summary + "\n\n")
	b.WriteString(site.Labels.WhoseProblem + " " + site.Labels.source(p.Meta.Source) + "\n\n")
	b.WriteString(body.Text + "\n")
	if p.Meta.Crashlog {
		b.WriteString(site.Labels.CrashLog + "\n" + strings.Repeat("-", len([]rune(site.Labels.CrashLog))) + "\n" + slot(bundle.SlotCrashlog) + "\n\n")
	}
	b.WriteString(whenSlot(bundle.SlotRequestID, site.Labels.RequestID+": ", "\n"))
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
	b.WriteString(whenSlot(bundle.SlotRequestID, "  <request-id>", "</request-id>\n"))
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
	b.Grow(len(html) + 256) // the headers
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
