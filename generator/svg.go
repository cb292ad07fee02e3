package generator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strings"
)

// SVG files (the logo, illustrations, a theme's .svg assets) are inlined into
// pages, so a script in one would run there. Rather than look for what is
// dangerous, which escapes and encodings always get past, sanitizeSVG parses
// the file as XML and writes it again from what an allowlist names: shapes,
// text, paint servers, filters and their presentation attributes. The rest is
// left out: scripts, event handlers, foreignObject, unknown elements and
// attributes, editor metadata, comments, and every reference that would make
// the browser fetch or run something (only "#id" references, data: raster
// images, and http(s) and mailto: links remain). CSS, in style attributes,
// <style> and presentation attributes, is kept only when it has no escapes,
// no at-rules but @media, @supports and @keyframes, and no functions but
// colours, maths, transforms, var() and url(#id).

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
	xmlNS   = "http://www.w3.org/XML/1998/namespace"
	// maxSVGDepth caps how deep elements nest in an SVG file.
	maxSVGDepth = 64
)

// svgElements are the elements kept, by their local name.
var svgElements = setOf(
	"svg", "g", "defs", "title", "desc", "symbol", "use", "switch",
	"path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
	"text", "tspan", "textPath", "a", "image", "style",
	"linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
	"filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
	"feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood",
	"feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode",
	"feMorphology", "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
	"animate", "animateTransform", "animateMotion", "mpath", "set",
)

// svgAttributes are the attributes kept (besides href and the xml: ones,
// which have rules of their own), by their name without a namespace.
var svgAttributes = setOf(
	"id", "class", "style", "lang", "tabindex", "role", "focusable", "version", "baseProfile",
	"aria-label", "aria-labelledby", "aria-describedby", "aria-hidden", "aria-roledescription",
	"viewBox", "preserveAspectRatio", "width", "height", "x", "y", "x1", "y1", "x2", "y2",
	"cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points", "pathLength", "transform",
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-dasharray", "stroke-dashoffset",
	"stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity", "stroke-width",
	"opacity", "color", "display", "visibility", "overflow", "clip", "clip-path", "clip-rule", "mask",
	"filter", "paint-order", "vector-effect", "shape-rendering", "text-rendering", "image-rendering",
	"color-interpolation", "color-interpolation-filters", "mix-blend-mode", "isolation", "enable-background",
	"font-family", "font-size", "font-size-adjust", "font-stretch", "font-style", "font-variant", "font-weight",
	"text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
	"word-spacing", "text-decoration", "writing-mode", "direction", "unicode-bidi",
	"dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side",
	"gradientUnits", "gradientTransform", "spreadMethod", "offset", "stop-color", "stop-opacity",
	"patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
	"maskContentUnits", "mask-type", "markerWidth", "markerHeight", "markerUnits", "refX", "refY",
	"orient", "marker-start", "marker-mid", "marker-end", "requiredExtensions", "systemLanguage",
	"filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "type", "values",
	"operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "lighting-color", "baseFrequency",
	"numOctaves", "seed", "stitchTiles", "scale", "xChannelSelector", "yChannelSelector", "kernelMatrix",
	"order", "divisor", "bias", "targetX", "targetY", "edgeMode", "preserveAlpha", "surfaceScale",
	"diffuseConstant", "specularConstant", "specularExponent", "kernelUnitLength", "azimuth", "elevation",
	"z", "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle", "tableValues", "slope", "intercept",
	"amplitude", "exponent", "radius", "media",
	"attributeName", "attributeType", "begin", "dur", "end", "min", "max", "restart", "repeatCount",
	"repeatDur", "calcMode", "keyTimes", "keySplines", "keyPoints", "from", "to", "by", "additive",
	"accumulate", "path",
)

// svgText are attributes that hold words, not CSS values: the CSS rules do
// not apply to them.
var svgText = setOf("id", "class", "lang", "role", "aria-label", "aria-labelledby", "aria-describedby",
	"aria-hidden", "aria-roledescription", "media", "systemLanguage", "requiredExtensions")

// svgAnimations are the elements that change another attribute over time;
// attributeName may name only a kept attribute that holds no reference.
var svgAnimations = setOf("animate", "animateTransform", "animateMotion", "set")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sanitizeSVG returns an SVG file rewritten from the allowlist, ready to be
// inlined into a page, or why it cannot be: too big, not well-formed XML,
// or not one <svg> element.
func sanitizeSVG(data []byte) (template.HTML, error) {
	if len(data) > maxSVGSize {
		return "", fmt.Errorf("over %d KiB", maxSVGSize>>10)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var out bytes.Buffer
	var open []string // kept elements' names, innermost last
	skip := 0         // depth inside an element left out
	depth, roots := 0, 0
	empty := false // the last thing written is a start tag
	styleAt := -1  // where an open <style> starts in out
	var css strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxSVGDepth {
				return "", fmt.Errorf("elements nested more than %d deep", maxSVGDepth)
			}
			if depth == 1 {
				if roots++; roots > 1 || t.Name.Local != "svg" || (t.Name.Space != svgNS && t.Name.Space != "") {
					return "", errors.New("not one <svg>...</svg> element")
				}
			}
			if skip > 0 || styleAt >= 0 || !keepElement(t) {
				skip++
				continue
			}
			if t.Name.Local == "style" {
				styleAt = out.Len()
				css.Reset()
			}
			open = append(open, t.Name.Local)
			out.WriteString("<" + t.Name.Local)
			if depth == 1 {
				out.WriteString(` xmlns="` + svgNS + `"`)
			}
			for _, a := range t.Attr {
				if name, ok := keepAttr(t.Name.Local, a); ok {
					out.WriteString(" " + name + `="`)
					_ = xmlEscape(&out, a.Value)
					out.WriteString(`"`)
				}
			}
			out.WriteString(">")
			empty = true
		case xml.EndElement:
			depth--
			if skip > 0 {
				skip--
				continue
			}
			name := open[len(open)-1]
			open = open[:len(open)-1]
			switch {
			case name == "style":
				if safeCSS(css.String()) {
					_ = xmlEscape(&out, css.String())
					out.WriteString("</style>")
				} else {
					out.Truncate(styleAt) // CSS that could fetch or run something: the whole sheet goes
				}
				styleAt = -1
			case empty:
				out.Truncate(out.Len() - 1)
				out.WriteString("/>")
			default:
				out.WriteString("</" + name + ">")
			}
			empty = false
		case xml.CharData:
			switch {
			case skip > 0 || depth == 0:
			case styleAt >= 0:
				css.Write(t)
			default:
				_ = xmlEscape(&out, string(t))
				empty = false
			}
		}
		// Comments, processing instructions (<?xml ...?>) and directives
		// (<!DOCTYPE ...>) are left out.
	}
	if roots == 0 {
		return "", errors.New("not one <svg>...</svg> element")
	}
	return template.HTML(out.String()), nil // #nosec: rewritten from the allowlist
}

// keepElement reports whether an element is on the allowlist: an SVG
// element by name, and an animation only of an attribute that is too.
func keepElement(t xml.StartElement) bool {
	if (t.Name.Space != svgNS && t.Name.Space != "") || !svgElements[t.Name.Local] {
		return false
	}
	if svgAnimations[t.Name.Local] {
		for _, a := range t.Attr {
			if a.Name.Local == "attributeName" {
				v := strings.TrimSpace(a.Value)
				return svgAttributes[v] && v != "style" && !svgText[v]
			}
		}
	}
	return true
}

// keepAttr returns the name an attribute is written with, and whether it is
// kept: on the allowlist, and its value safe for what it is.
func keepAttr(elem string, a xml.Attr) (string, bool) {
	switch a.Name.Space {
	case "":
	case xlinkNS, "xlink":
		if a.Name.Local == "href" {
			return "href", safeHref(elem, a.Value)
		}
		return "", false
	case xmlNS, "xml":
		return "xml:" + a.Name.Local, a.Name.Local == "space" || a.Name.Local == "lang"
	default:
		return "", false // xmlns declarations, editors' own attributes
	}
	name := a.Name.Local
	switch {
	case name == "href":
		return name, safeHref(elem, a.Value)
	case !svgAttributes[name]:
		return "", false
	case svgText[name]:
		return name, true
	}
	return name, safeCSS(a.Value)
}

var (
	localRef  = regexp.MustCompile(`^#[A-Za-z_][-A-Za-z0-9_.:]*$`)
	dataImage = regexp.MustCompile(`^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$`)
)

// safeHref reports whether a reference may stay: "#id" anywhere, a data:
// raster image in <image>, an http(s) or mailto: link in <a>. Anything with
// white space or controls in it (which browsers drop, so "java\tscript:"
// is javascript:) does not.
func safeHref(elem, v string) bool {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	switch {
	case localRef.MatchString(v):
		return true
	case elem == "image":
		return dataImage.MatchString(v)
	case elem == "a":
		return goodLink(v)
	}
	return false
}

var (
	cssComment  = regexp.MustCompile(`(?s)/\*.*?(?:\*/|$)`)
	cssAtRule   = regexp.MustCompile(`@([a-z-]*)`)
	cssFunction = regexp.MustCompile(`([a-z0-9_-]*)\(\s*['"]?\s*(.?)`)
	cssFuncs    = setOf("", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color",
		"color-mix", "var", "calc", "min", "max", "clamp", "translate", "translatex", "translatey",
		"rotate", "scale", "scalex", "scaley", "skew", "skewx", "skewy", "matrix", "cubic-bezier", "steps", "url")
)

// safeCSS reports whether CSS (a style sheet, a style attribute or a
// presentation attribute's value) can neither fetch nor run anything: no
// escapes (with which "u\72l(" is url(), so none is read as written), no
// at-rules but @media, @supports and @keyframes, no functions but those of
// cssFuncs, and url() only of "#id".
func safeCSS(s string) bool {
	if strings.ContainsRune(s, '\\') {
		return false
	}
	s = strings.ToLower(cssComment.ReplaceAllString(s, ""))
	if strings.Contains(s, "javascript:") || strings.Contains(s, "expression") {
		return false
	}
	for _, m := range cssAtRule.FindAllStringSubmatch(s, -1) {
		if !slices.Contains([]string{"media", "supports", "keyframes"}, m[1]) {
			return false
		}
	}
	for _, m := range cssFunction.FindAllStringSubmatch(s, -1) {
		if !cssFuncs[m[1]] || (m[1] == "url" && m[2] != "#") {
			return false
		}
	}
	return true
}
