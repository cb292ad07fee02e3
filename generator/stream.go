package generator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ouchie/ouchie/generator/bundle"
)

// BuildOut builds the chosen themes straight into out/<theme>/ and, with a
// target (see AddTarget), adds what that static host needs. It writes what
// WriteOut(out, Build(opts)) would, without holding the site's output: each
// page is rendered, its files written to its theme's staging folder and its
// manifest entry appended to manifest.json there, and then it is forgotten.
// Memory stays that of the loaded site (see Load), whatever the number of
// pages.
//
// Every error is collected as Build does; then nothing replaces anything,
// the staging folders are removed and out is left exactly as it was. A
// write error stops the build at once and is returned as an *OutputError.
func (s *Site) BuildOut(out string, opts Options, target string) (WriteStats, error) {
	staged, err := s.StageOut(out, opts, target)
	if err != nil {
		return staged.Stats, err
	}
	return staged.Stats, staged.Publish()
}

// Staged is a build written to its staging folders, not yet in place of
// the old output: a build of several sites (brands) stages every one
// before any replaces its output. Publish puts it in place; Discard drops
// it.
type Staged struct {
	Stats WriteStats
	dirs  stagedDirs
}

// Publish puts every staged bundle in place of its theme's folder, then
// removes the old ones. A failure is an *OutputError.
func (st *Staged) Publish() error {
	defer st.Discard()
	if err := st.dirs.publish(); err != nil {
		return &OutputError{err}
	}
	return nil
}

// Discard removes the staging folders (the old bundles, after Publish).
func (st *Staged) Discard() {
	st.dirs.remove()
	st.dirs = nil
}

// StageOut is BuildOut but for its last step: the bundles are left in
// their staging folders, for Publish. On an error nothing is left staged,
// and the returned Staged holds only what was written.
func (s *Site) StageOut(out string, opts Options, target string) (*Staged, error) {
	st := &Staged{}
	if target != "" {
		if err := checkTarget(target); err != nil {
			return st, err
		}
	}
	themes, formats, err := s.plan(opts)
	if err != nil {
		return st, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return st, &OutputError{err}
	}
	for _, t := range themes {
		removeStale(out, t.Name)
	}
	ok := false
	defer func() {
		if !ok {
			st.Discard()
		}
	}()
	c := &errs{}
	for _, t := range themes {
		tmp, err := st.dirs.add(out, t.Name)
		if err != nil {
			return st, &OutputError{err}
		}
		w := &themeWriter{site: s, theme: t, dir: tmp, formats: formats, compress: opts.Compress, target: target}
		if err := w.write(c); err != nil {
			return st, &OutputError{fmt.Errorf("write %s: %w", filepath.Join(out, t.Name), err)}
		}
		st.Stats.Themes = append(st.Stats.Themes, t.Name)
		st.Stats.Files += int(w.files.Load())
		st.Stats.Bytes += w.bytes.Load()
	}
	if err := c.list.Err(); err != nil {
		return st, err
	}
	ok = true
	return st, nil
}

// OutputError is a failure to write a build's output, as opposed to a
// problem of the site: the previous output is unchanged.
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *OutputError) Unwrap() error { return e.Err }

// themeWriter streams one theme's bundle into its staging folder.
type themeWriter struct {
	site     *Site
	theme    *Theme
	dir      string
	d        *os.File // dir, open while pages are written
	formats  []string
	compress bool
	target   string
	failed   atomic.Bool // a write failed: render no more pages
	files    atomic.Int64
	bytes    atomic.Int64
}

// written is one page's outcome, numbered by its place in Site.all.
type written struct {
	index int
	entry []byte // its manifest entry (see manifestEntry)
	errs  ErrorList
	err   error // writing its files failed
}

// write renders every page on a pool of GOMAXPROCS workers, which write
// the page's files themselves, while write appends the manifest entries in
// page order. At most a window of runs of pages is in flight, so the
// entries waiting for an earlier page stay few.
func (w *themeWriter) write(c *errs) error {
	d, err := os.Open(w.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	w.d = d
	mf, err := w.create(bundle.ManifestName)
	if err != nil {
		return err
	}
	defer mf.Close()
	man := &manifestWriter{w: bufio.NewWriter(mf)}
	m := w.site.manifest(w.theme)
	if err := man.start(&m); err != nil {
		return err
	}
	w.files.Add(1)

	// Workers take pages a run at a time, and hand each run over whole: a
	// page is too little work to pass between goroutines one by one.
	workers, pages := runtime.GOMAXPROCS(0), len(w.site.all)
	results := make(chan []written, 4*workers)
	slots := make(chan struct{}, 4*workers) // a run in flight holds one
	stop := make(chan struct{})
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				start := int(claimed.Add(pageRun)) - pageRun
				if start >= pages {
					return
				}
				run := make([]written, 0, min(pageRun, pages-start))
				for i := start; i < start+cap(run); i++ {
					run = append(run, w.page(i))
				}
				results <- run
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	pending := map[int][]written{} // runs done ahead of the next, by first page
	next := 0
	var werr error
	for run := range results {
		for _, r := range run {
			if r.err != nil && werr == nil {
				werr = r.err
				w.failed.Store(true)
				close(stop)
			}
		}
		pending[run[0].index] = run
		for run, ok := pending[next]; ok && werr == nil; run, ok = pending[next] {
			delete(pending, next)
			next += len(run)
			<-slots
			for _, r := range run {
				if r.errs != nil {
					c.list = append(c.list, r.errs...)
					continue
				}
				if err := man.page(r.entry); err != nil {
					werr = err
					w.failed.Store(true)
					close(stop)
					break
				}
			}
		}
	}
	if werr != nil {
		return werr
	}
	if w.target != "" {
		if err := w.targetFiles(); err != nil {
			return err
		}
	}
	if err := man.end(); err != nil {
		return err
	}
	return mf.Close()
}

// pageRun is how many pages a worker of themeWriter.write takes at a time.
const pageRun = 16

// page renders page i of the site and writes its files.
func (w *themeWriter) page(i int) written {
	if w.failed.Load() {
		return written{index: i}
	}
	p := w.site.all[i]
	r := w.site.renderPage(w.theme, p, w.formats, w.compress)
	out := written{index: i, errs: r.errs}
	if r.errs != nil {
		return out
	}
	out.entry = manifestEntry(&r.page)
	for name, data := range r.files {
		if out.err = w.writeFile(name, data, false); out.err != nil {
			return out
		}
	}
	if w.target != "" {
		html := r.files[r.page.Files[bundle.HTML].Name]
		for _, name := range targetCopies(&r.page) {
			if out.err = w.writeFile(name, html, true); out.err != nil {
				return out
			}
		}
	}
	return out
}

// targetFiles writes the files of the target beside the pages.
func (w *themeWriter) targetFiles() error {
	html := map[[2]string]string{} // by id and language
	for _, p := range w.site.all {
		html[[2]string{p.ID, p.Lang}] = p.ID + langSuffix(p.Lang) + "." + bundle.HTML
	}
	files, err := targetFiles(w.target, w.site.manifest(w.theme).Site.Languages, func(id, lang string) (string, bool) {
		name, ok := html[[2]string{id, lang}]
		return name, ok
	})
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := w.writeFile(name, data, false); err != nil {
			return err
		}
	}
	return nil
}

// create creates a new file of the bundle.
func (w *themeWriter) create(name string) (*os.File, error) {
	return os.OpenFile(filepath.Join(w.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// writeFile writes a file of the bundle and counts it. A copy (a target's
// other name for a page) gives way to a file already there, as in AddTarget.
func (w *themeWriter) writeFile(name string, data []byte, copy bool) error {
	err := writeNew(w.d, name, data)
	if copy && errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	w.files.Add(1)
	w.bytes.Add(int64(len(data)))
	return nil
}

// manifestWriter writes a manifest one page at a time, byte for byte as
// bundle.MarshalManifest writes the whole.
type manifestWriter struct {
	w     *bufio.Writer
	pages int
}

// pagesOpen ends the part of an indented manifest before its first page.
var pagesOpen = []byte(`"pages": [`)

// start writes everything of m before its pages (m.Pages is ignored).
func (mw *manifestWriter) start(m *bundle.Manifest) error {
	head := *m
	head.Pages = []bundle.Page{}
	data, err := bundle.MarshalManifest(&head)
	if err != nil {
		return err
	}
	at := bytes.LastIndex(data, pagesOpen)
	if at < 0 {
		return fmt.Errorf("encode manifest: no pages list in %q", data)
	}
	_, err = mw.w.Write(data[:at+len(pagesOpen)])
	return err
}

// manifestEntry encodes a page as manifestWriter.page writes it; the
// workers do, each for its own pages.
func manifestEntry(p *bundle.Page) []byte {
	return bundle.AppendPageJSON(make([]byte, 0, 2048), p, "    ")
}

// page appends one page's entry (see manifestEntry).
func (mw *manifestWriter) page(data []byte) error {
	sep := ",\n    "
	if mw.pages == 0 {
		sep = "\n    "
	}
	mw.pages++
	if _, err := mw.w.WriteString(sep); err != nil {
		return err
	}
	_, err := mw.w.Write(data)
	return err
}

// end closes the pages list and the manifest, and flushes.
func (mw *manifestWriter) end() error {
	tail := "\n  ]\n}\n"
	if mw.pages == 0 {
		tail = "]\n}\n"
	}
	if _, err := mw.w.WriteString(tail); err != nil {
		return err
	}
	return mw.w.Flush()
}
