package generator

import (
	"bytes"
	"fmt"
	"strings"
)

// The placeholder text of a page Skeleton writes. Load warns about any of it
// left in a page (Site.Warnings), so a page is not published half written.
const (
	placeholderSummary = "One sentence saying what happened and whose problem it is."
	placeholderBody    = "What the visitor can do now, in a sentence or two."
	placeholderCheck   = "- What to check first."
)

// Skeleton returns the text of a new page content/<id>.md: its front matter
// and placeholder text to replace. ok is false when id names no page (see
// PageStatus).
func Skeleton(id string) (page []byte, ok bool) {
	status, ok := PageStatus(id)
	if !ok {
		return nil, false
	}
	source, title := "app", "Something went wrong"
	if strings.HasSuffix(status, "xx") {
		status = `"` + status + `"`
	}
	if strings.HasPrefix(id, "4") {
		source, title = "client", "This request could not be handled"
	}
	return fmt.Appendf(nil, `---
status: %s
title: %s
summary: %s
source: %s   # app, platform or client
# aliases: [H10, crashed]   # other router keys that select this page
# crashlog: true            # show the app's crashlog on this page
# retry_after: 60           # seconds, sent as Retry-After
---
%s

## For the app's developer

%s
`, status, title, placeholderSummary, source, placeholderBody, placeholderCheck), true
}

// checkPlaceholders adds a warning for each piece of Skeleton's placeholder
// text still in p.
func (p *Page) checkPlaceholders(w *errs) {
	const hint = "replace the text `ouchie new` wrote with the page's own"
	if strings.TrimSpace(p.Meta.Summary) == placeholderSummary {
		p.src.doc.add(w, "$.summary", hint, "summary is still the placeholder")
	}
	for i, line := range bytes.Split(p.src.body, []byte("\n")) {
		if s := string(bytes.TrimSpace(line)); s == placeholderBody || s == placeholderCheck {
			w.add(p.File, p.src.line+i, 1, hint, "placeholder text %q", s)
		}
	}
}
