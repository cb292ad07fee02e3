package generator

import (
	"bytes"
	"regexp"

	"github.com/yuin/goldmark/ast"
)

// maxNesting caps how deep a page may nest lists, block quotes, links and
// emphasis. Markdown's block parser costs the square of the depth per line,
// so without a cap a 200 KB page of nested lists takes minutes; with it,
// every accepted page costs time linear in its size. An error page never
// needs more than a few levels.
const maxNesting = 32

const nestingHint = "nest lists, quotes, links and emphasis at most 32 deep (a line indented by 64 columns counts as 32 deep)"

// checkNesting scans a page body before it is parsed, in one pass, for
// nesting over maxNesting: per line, the block markers ('>' and list markers)
// it starts with plus half its indentation (a nested list needs two columns
// a level); per paragraph, the brackets opened and not closed. It reports
// the first place over the cap and whether there was none.
func checkNesting(c *errs, p *Page) bool {
	src := p.src.body
	brackets := 0
	for off, line := 0, 1; off < len(src); line++ {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src) - off
		}
		text := src[off : off+end]
		depth, _ := blockDepth(text)
		if depth > maxNesting {
			c.add(p.File, p.src.line+line-1, 1, nestingHint, "blocks nested %d deep, over the limit of %d", depth, maxNesting)
			return false
		}
		if len(bytes.TrimSpace(text)) == 0 {
			brackets = 0 // a blank line ends the paragraph and its links
		}
		for i := 0; i < len(text); i++ {
			switch text[i] {
			case '\\':
				i++ // an escaped character opens nothing
			case '[':
				if brackets++; brackets > maxNesting {
					c.add(p.File, p.src.line+line-1, i+1, nestingHint, "links nested more than %d deep", maxNesting)
					return false
				}
			case ']':
				brackets = max(0, brackets-1)
			}
		}
		off += end + 1
	}
	return true
}

// blockDepth returns how many containers a line can be inside at most: the
// '>' and list markers it starts with, plus half its indentation. It also
// returns the offset of the text after them.
func blockDepth(line []byte) (depth, at int) {
	col := 0
	for at < len(line) && (line[at] == ' ' || line[at] == '\t') {
		if line[at] == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
		at++
	}
	depth = col / 2
scan:
	for at < len(line) {
		switch b := line[at]; {
		case b == ' ' || b == '\t' || b == '>':
			if b == '>' {
				depth++
			}
			at++
			continue
		case b == '-' || b == '+' || b == '*':
			if at+1 == len(line) || line[at+1] == ' ' || line[at+1] == '\t' {
				depth++
				at++
				continue
			}
		case b >= '0' && b <= '9':
			j := at
			for j < len(line) && j-at < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j < len(line) && (line[j] == '.' || line[j] == ')') && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t') {
				depth++
				at = j + 1
				continue
			}
		}
		break scan
	}
	if at == len(line) && thematicBreak.Match(line) {
		return col / 2, at // "- - -" and "* * *" are rules, not lists
	}
	return depth, at
}

// thematicBreak matches a line Markdown reads as a horizontal rule.
var thematicBreak = regexp.MustCompile(`^[ \t]*(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$`)

// checkTreeDepth reports the first node of a parsed page nested more than
// maxNesting deep in quotes, list items, links and emphasis: what the scan
// before parsing cannot count (emphasis) or may count low. Parsing inline
// text costs time linear in its size, so this check can come after it.
func checkTreeDepth(c *errs, p *Page, doc ast.Node) bool {
	depth, ok := 0, true
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.(type) {
		case *ast.Blockquote, *ast.ListItem, *ast.Emphasis, *ast.Link, *ast.Image:
		default:
			return ast.WalkContinue, nil
		}
		if !entering {
			depth--
			return ast.WalkContinue, nil
		}
		if depth++; depth > maxNesting {
			line, col := lineCol(p.src.body, firstOffset(n))
			c.add(p.File, p.src.line+line-1, col, nestingHint, "nested more than %d deep", maxNesting)
			ok = false
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return ok
}

// firstOffset returns the offset in the source of a node's first text.
func firstOffset(n ast.Node) int {
	at := 0
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			at = t.Segment.Start
			return ast.WalkStop, nil
		}
		if c.Type() == ast.TypeBlock && c.Lines().Len() > 0 {
			at = c.Lines().At(0).Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return at
}
