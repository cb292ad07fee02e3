package generator

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// Pages are self-contained: they make no request of their own, so they work
// from a CDN, in an iframe and as an HAProxy errorfile, and tell no one who
// read them. Every resource a page or a theme names (images, style sheets,
// fonts, media) must be inline, as a data: URI; links may point anywhere.

const inlineHint = "pages make no requests: inline the resource as a data: URI (an SVG goes in as illustration: or a theme asset), or make it a link"

// inlineImage matches the data: images Markdown keeps: the ones its
// renderer does not blank as dangerous.
var inlineImage = regexp.MustCompile(`^data:image/(?:png|gif|jpeg|webp)[;,]`)

// checkImage reports a Markdown image that is not inline, and whether it is.
func checkImage(c *errs, p *Page, n *ast.Image) bool {
	if inlineImage.Match(n.Destination) {
		return true
	}
	at := n.Pos()
	if at < 0 {
		at = firstOffset(n)
	}
	line, col := lineCol(p.src.body, at)
	c.add(p.File, p.src.line+line-1, col, inlineHint, "image %q is not inline", n.Destination)
	return false
}

var (
	// htmlTag finds a start tag in a theme's HTML, template actions and all.
	htmlTag = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>{]|\{\{.*?\}\}|\{)*)>`)
	// resourceAttr finds the attributes that make a browser fetch what they
	// name (href only outside links: see fetches).
	resourceAttr = regexp.MustCompile(`(?i)(?:^|\s)(src|srcset|poster|data|background|href|xlink:href|manifest|ping|lowsrc|dynsrc|codebase|archive|icon|imagesrcset)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)`)
	// cssRef finds what makes CSS fetch something: @import, and the
	// argument of url(), src() and image-set().
	cssRef = regexp.MustCompile(`(?i)@import|(?:url|src|image-set|-webkit-image-set|image)\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))`)
	// cssEscape is a CSS escape: a backslash and a character or hex code.
	cssEscape = regexp.MustCompile(`\\(?:([0-9a-fA-F]{1,6})[ \t]?|(.))`)
)

// checkHTMLSource reports every resource a theme's HTML (a layout or an
// asset inlined with asset) names that is not inline: in attributes, and in
// CSS (<style> and style attributes).
func checkHTMLSource(c *errs, file string, src []byte) {
	s := string(src)
	for _, m := range htmlTag.FindAllStringSubmatchIndex(s, -1) {
		tag := strings.ToLower(s[m[2]:m[3]])
		attrs := s[m[4]:m[5]]
		for _, a := range resourceAttr.FindAllStringSubmatchIndex(attrs, -1) {
			name := strings.ToLower(attrs[a[2]:a[3]])
			if (name == "href" || name == "xlink:href") && (tag == "a" || tag == "area") {
				continue // a link: followed only when the visitor chooses to
			}
			value := strings.Trim(attrs[a[4]:a[5]], `"'`)
			if !inlineRef(name, value) {
				line, col := lineCol(src, m[4]+a[2])
				c.add(file, line, col, inlineHint, "%s=%q on <%s> is not inline", name, value, tag)
			}
		}
	}
	checkCSSSource(c, file, src)
}

// inlineRef reports whether an attribute's value names only inline data.
func inlineRef(name, value string) bool {
	value = strings.TrimSpace(value)
	if strings.HasSuffix(name, "srcset") {
		for _, cand := range strings.Split(value, ", ") {
			if !strings.HasPrefix(strings.TrimSpace(cand), "data:") {
				return false
			}
		}
		return value != ""
	}
	return strings.HasPrefix(value, "data:") || strings.HasPrefix(value, "#")
}

// checkCSSSource reports every @import, and every url(), src() and
// image-set() whose argument is not inline, in CSS or in HTML holding CSS.
// Escapes are decoded first, so u\72l( is found as url(.
func checkCSSSource(c *errs, file string, src []byte) {
	for i, line := range strings.Split(string(src), "\n") {
		if !strings.Contains(line, "\\") && !strings.Contains(line, "(") && !strings.Contains(line, "@") {
			continue
		}
		line = cssEscape.ReplaceAllStringFunc(line, decodeCSSEscape)
		for _, m := range cssRef.FindAllStringSubmatchIndex(line, -1) {
			what := line[m[0]:m[1]]
			arg := ""
			for g := 2; g < 8; g += 2 {
				if m[g] >= 0 {
					arg = line[m[g]:m[g+1]]
				}
			}
			if strings.HasPrefix(strings.ToLower(what), "@import") {
				c.add(file, i+1, m[0]+1, inlineHint, "@import fetches a style sheet; put its rules in the theme's CSS")
			} else if a := strings.TrimSpace(arg); !strings.HasPrefix(a, "data:") && !strings.HasPrefix(a, "#") && a != "" {
				c.add(file, i+1, m[0]+1, inlineHint, "%s is not inline", strings.TrimSpace(what)+")")
			}
		}
	}
}

// decodeCSSEscape turns one CSS escape into the character it stands for.
func decodeCSSEscape(esc string) string {
	m := cssEscape.FindStringSubmatch(esc)
	if m[1] != "" {
		if r, err := strconv.ParseUint(m[1], 16, 32); err == nil && r > 0 && r <= 0x10ffff {
			return string(rune(r))
		}
		return "\ufffd"
	}
	return m[2]
}
