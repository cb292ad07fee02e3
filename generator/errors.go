package generator

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem with a site, at a position in one of its files.
type Error struct {
	File string // slash path relative to the site root, e.g. "content/404.md"
	Line int    // 1-based; 0 when the problem is with the file as a whole
	Col  int    // 1-based; 0 when unknown
	Msg  string
	Hint string // optional advice for the person fixing it
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one run, sorted by file and position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the list by file, line, column and message, and drops exact duplicates.
func (l *ErrorList) Sort() {
	slices.SortStableFunc(*l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), cmp.Compare(a.Msg, b.Msg))
	})
	*l = slices.CompactFunc(*l, func(a, b *Error) bool { return *a == *b })
}

// Err returns the sorted list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// errs collects errors during a run.
type errs struct{ list ErrorList }

func (c *errs) add(file string, line, col int, hint, format string, args ...any) {
	c.list = append(c.list, &Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Hint: hint})
}
