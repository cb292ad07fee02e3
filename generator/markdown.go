package generator

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// newMarkdown returns the Markdown converter every page goes through: GFM,
// typographer and heading IDs, with the renderer in safe mode.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Typographer),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
}

// rendered is a page body in the forms the outputs need.
type rendered struct {
	HTML template.HTML
	Text string
}

// checkMarkdown checks a page body: what Markdown would decode into a
// refused character, nesting over the cap, images that are not inline, and
// raw HTML, an error at its position (safe mode would silently drop it, and
// the author would never know). Load checks every page; rendering it again
// (renderMarkdown) needs no checks, the file being the same.
func checkMarkdown(c *errs, md goldmark.Markdown, p *Page) bool {
	if !checkCharRefs(c, p) || !checkNesting(c, p) {
		return false
	}
	doc := md.Parser().Parse(text.NewReader(p.src.body))
	if !checkTreeDepth(c, p, doc) {
		return false
	}
	ok, lastLine := true, 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var at int = -1
		switch n := n.(type) {
		case *ast.Image:
			if !checkImage(c, p, n) {
				ok = false
			}
		case *ast.HTMLBlock:
			if n.Lines().Len() > 0 {
				at = n.Lines().At(0).Start
			}
		case *ast.RawHTML:
			if n.Segments.Len() > 0 {
				at = n.Segments.At(0).Start
			}
		}
		if at >= 0 {
			line, col := lineCol(p.src.body, at)
			ok = false
			if line == lastLine {
				return ast.WalkSkipChildren, nil // one report per line is enough
			}
			lastLine = line
			c.add(p.File, p.src.line+line-1, col, "write Markdown only; themes add the markup around it",
				"raw HTML is not allowed in pages")
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return ok
}

// renderMarkdown converts a page body checked by checkMarkdown.
func renderMarkdown(md goldmark.Markdown, p *Page) (rendered, error) {
	return renderDoc(md, md.Parser().Parse(text.NewReader(p.src.body)), p.src.body)
}

// bufWriters are the buffered writers goldmark renders through, which it
// would otherwise make, 4 KiB each, a page at a time.
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// renderDoc renders doc, the parsed tree of the Markdown src.
func renderDoc(md goldmark.Markdown, doc ast.Node, src []byte) (rendered, error) {
	var buf bytes.Buffer
	bw := bufWriters.Get().(*bufio.Writer)
	bw.Reset(&buf)
	defer func() {
		bw.Reset(nil)
		bufWriters.Put(bw)
	}()
	if err := md.Renderer().Render(bw, src, doc); err != nil {
		return rendered{}, fmt.Errorf("render Markdown: %w", err)
	}
	return rendered{
		HTML: template.HTML(buf.String()), // #nosec: goldmark in safe mode, raw HTML rejected by checkMarkdown
		Text: plainText(doc, src),
	}, nil
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(src []byte, off int) (int, int) {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// plainText renders a Markdown tree as readable plain text: paragraphs,
// "- " lists, headings underlined, links followed by their URL.
func plainText(doc ast.Node, src []byte) string {
	var b strings.Builder
	textBlocks(&b, doc, src)
	return strings.TrimSpace(b.String()) + "\n"
}

func textBlocks(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Heading:
			t := textInline(c, src)
			b.WriteString(t + "\n" + strings.Repeat("-", len([]rune(t))) + "\n\n")
		case *ast.Paragraph:
			b.WriteString(textInline(c, src) + "\n\n")
		case *ast.TextBlock:
			b.WriteString(textInline(c, src) + "\n")
		case *ast.List:
			i := c.Start
			for item := c.FirstChild(); item != nil; item = item.NextSibling() {
				mark := "- "
				if c.IsOrdered() {
					mark = strconv.Itoa(i) + ". "
					i++
				}
				var sub strings.Builder
				textBlocks(&sub, item, src)
				body := strings.TrimRight(sub.String(), "\n")
				b.WriteString(mark + strings.ReplaceAll(body, "\n", "\n"+strings.Repeat(" ", len(mark))) + "\n")
			}
			b.WriteString("\n")
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			lines := c.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.WriteString("    " + string(seg.Value(src)))
			}
			b.WriteString("\n")
		case *ast.Blockquote:
			var sub strings.Builder
			textBlocks(&sub, c, src)
			body := strings.TrimRight(sub.String(), "\n")
			b.WriteString("> " + strings.ReplaceAll(body, "\n", "\n> ") + "\n\n")
		case *ast.ThematicBreak:
			b.WriteString("---\n\n")
		case *extast.Table:
			for row := c.FirstChild(); row != nil; row = row.NextSibling() {
				var cells []string
				for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
					cells = append(cells, textInline(cell, src))
				}
				b.WriteString(strings.Join(cells, " | ") + "\n")
			}
			b.WriteString("\n")
		default:
			textBlocks(b, c, src)
		}
	}
}

func textInline(n ast.Node, src []byte) string {
	var s strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		switch c := c.(type) {
		case *ast.Text:
			if entering {
				s.Write(c.Value(src))
				if c.HardLineBreak() {
					s.WriteByte('\n')
				} else if c.SoftLineBreak() {
					s.WriteByte(' ')
				}
			}
		case *ast.String:
			if entering {
				s.WriteString(html.UnescapeString(string(c.Value)))
			}
		case *extast.TaskCheckBox:
			if entering {
				s.WriteString(map[bool]string{true: "[x] ", false: "[ ] "}[c.IsChecked])
			}
		case *ast.Link:
			if !entering {
				s.WriteString(" <" + string(c.Destination) + ">")
			}
		case *ast.AutoLink:
			if entering {
				s.Write(c.URL(src))
				return ast.WalkSkipChildren, nil
			}
		}
		return ast.WalkContinue, nil
	})
	return s.String()
}

var dashReplacer = strings.NewReplacer("---", "—", "--", "–", "...", "…")

// smarten gives front-matter text (titles, summaries) the punctuation the
// typographer gives page bodies: curly quotes and apostrophes, dashes and
// ellipses, so a title and the text under it match.
func smarten(s string) string {
	s = dashReplacer.Replace(s)
	if !strings.ContainsAny(s, `'"`) {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		opening := i == 0 || strings.ContainsRune(" \t\n([{—–/", rs[i-1])
		switch {
		case r == '\'' && opening:
			b.WriteRune('‘')
		case r == '\'':
			b.WriteRune('’')
		case r == '"' && opening:
			b.WriteRune('“')
		case r == '"':
			b.WriteRune('”')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
