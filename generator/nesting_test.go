package generator

import (
	"errors"
	"strings"
	"testing"
)

// loadBody loads the base site with content/404.md holding body.
func loadBody(t *testing.T, body string) (*Site, error) {
	t.Helper()
	site := baseSite(t)
	site["content/404.md"].Data = []byte("---\nstatus: 404\ntitle: Not found\nsummary: s\nsource: client\n---\n" + body)
	return Load(site)
}

// The worst shapes Markdown has for its parser: each is refused at its
// line, before it is parsed, so a page costs time linear in its size. The
// cap comes first; a build that took minutes would not get here.
func TestDeepNestingIsRefused(t *testing.T) {
	indented := func(levels int) string {
		var b strings.Builder
		for i := range levels {
			b.WriteString(strings.Repeat(" ", 2*i) + "- x\n")
		}
		return b.String()
	}
	lazy := func(levels int) string {
		var b strings.Builder
		for i := range levels {
			b.WriteString(strings.Repeat(" ", 2*i) + "- x\ny\n")
		}
		return b.String()
	}
	for name, body := range map[string]string{
		"list on one line":      strings.Repeat("- ", 100_000) + "x\n",
		"ordered list":          strings.Repeat("1. ", 80_000) + "x\n",
		"mixed markers":         strings.Repeat("* + 9) ", 30_000) + "x\n",
		"block quotes":          strings.Repeat(">", 200_000) + " x\n",
		"spaced block quotes":   strings.Repeat("> ", 100_000) + "x\n",
		"quotes and lists":      strings.Repeat("> - ", 50_000) + "x\n",
		"indented lists":        indented(400),
		"lazy lines":            lazy(300),
		"unclosed brackets":     strings.Repeat("[", 200_000) + "x\n",
		"nested links":          strings.Repeat("[", 40_000) + "x" + strings.Repeat("](u)", 40_000) + "\n",
		"nested images":         strings.Repeat("![", 30_000) + "x" + strings.Repeat("](u)", 30_000) + "\n",
		"emphasis runs":         strings.Repeat("*", 100_000) + "x" + strings.Repeat("*", 100_000) + "\n",
		"alternating emphasis":  strings.Repeat("*a _a ", 20_000) + "x" + strings.Repeat(" a_ a*", 20_000) + "\n",
		"just over the cap":     strings.Repeat("- ", maxNesting+1) + "x\n",
		"indented over the cap": "Text.\n\n" + indented(maxNesting+1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadBody(t, body)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an error naming the line, got %v", err)
			}
			if e := list[0]; len(list) != 1 || e.File != "content/404.md" || e.Line < 7 || !strings.Contains(e.Msg, "nested") {
				t.Errorf("want one error naming the line, got:\n%v", err)
			}
		})
	}
}

// Nesting within the cap, and lines that only look like deep lists, build.
func TestNestingWithinTheCapBuilds(t *testing.T) {
	for name, body := range map[string]string{
		"at the cap":        strings.Repeat("- ", maxNesting) + "x\n",
		"rules":             strings.Repeat("- ", 60) + "\n\n" + strings.Repeat("* ", 60) + "\n",
		"many flat links":   strings.Repeat("[a](u) [b] ", 5_000) + "\n",
		"escaped brackets":  strings.Repeat("\\[", 1_000) + "\n",
		"brackets per para": strings.Repeat(strings.Repeat("[", 20)+"\n\n", 10),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := loadBody(t, body)
			if err != nil {
				t.Fatal(formatErr(err))
			}
			if _, err := s.Build(Options{}); err != nil {
				t.Fatal(formatErr(err))
			}
		})
	}
}
