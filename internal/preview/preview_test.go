package preview

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator"
)

// repoRoot is the default site: the repository's own content/ and themes/.
const repoRoot = "../.."

// copySite writes the default site into a new temporary folder, as
// `ouchie init` would, and returns the folder.
func copySite(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if _, err := generator.CopySite(os.DirFS(repoRoot), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// open starts a preview of dir on a free loopback port.
func open(t *testing.T, dir string, opts ...Option) *Server {
	t.Helper()
	s := New(dir, append([]Option{WithAddr("127.0.0.1:0")}, opts...)...)
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stream reads server-sent events.
type stream struct {
	events chan sse
	body   io.Closer
}

type sse struct{ name, data string }

func subscribe(t *testing.T, s *Server) *stream {
	t.Helper()
	return subscribeURL(t, s.URL()+strings.TrimPrefix(EventsPath, "/"))
}

func subscribeURL(t *testing.T, url string) *stream {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	st := &stream{events: make(chan sse, 16), body: resp.Body}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(st.events)
		r := bufio.NewReader(resp.Body)
		var ev sse
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					st.events <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return st
}

// next returns the next event, failing after a generous timeout.
func (st *stream) next(t *testing.T) sse {
	t.Helper()
	select {
	case ev, ok := <-st.events:
		if !ok {
			t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sse{}
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func setTitle(t *testing.T, file, title string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^title: .*$`)
	if !re.Match(data) {
		t.Fatalf("%s has no title line", file)
	}
	out := re.ReplaceAll(data, []byte("title: "+title))
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRebuildEvents edits, breaks and fixes a page and follows the event
// stream and the served page through each step.
func TestRebuildEvents(t *testing.T) {
	dir := copySite(t)
	s := open(t, dir, WithThemes("classic"))
	st := subscribe(t, s)
	hello := st.next(t)
	var h event
	if err := json.Unmarshal([]byte(hello.data), &h); err != nil || hello.name != "hello" || !h.OK {
		t.Fatalf("first event = %+v (%v), want hello with ok", hello, err)
	}
	page := s.URL() + "classic/404.html"
	file := filepath.Join(dir, "content", "404.md")
	original, _ := os.ReadFile(file)

	setTitle(t, file, "Lost in the stacks")
	if ev := st.next(t); ev.name != "reload" {
		t.Fatalf("after an edit: event %q, want reload", ev.name)
	}
	if code, _, body := get(t, page); code != 404 || !strings.Contains(body, "Lost in the stacks") {
		t.Fatalf("after the edit: status %d, new title shown: %v", code, strings.Contains(body, "Lost in the stacks"))
	}

	broken := strings.Replace(string(original), "\ntitle:", "\nstatsu: 404\ntitle:", 1)
	broken = regexp.MustCompile(`(?m)^title: .*$`).ReplaceAllString(broken, "title: Lost in the stacks")
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := st.next(t)
	if ev.name != "build-error" {
		t.Fatalf("after breaking the page: event %q, want build-error", ev.name)
	}
	var e event
	if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
		t.Fatal(err)
	}
	if e.OK || !strings.Contains(e.Overlay, "content/404.md:") || !strings.Contains(e.Overlay, "statsu") {
		t.Fatalf("build-error overlay does not name content/404.md and the field: %s", e.Overlay)
	}
	code, _, body := get(t, page)
	if code != 404 || !strings.Contains(body, "Lost in the stacks") || !strings.Contains(body, "<ouchie-preview-overlay>") {
		t.Fatalf("during the error: want the last good page with the overlay; status %d\n%s", code, body)
	}

	if err := os.WriteFile(file, original, 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := st.next(t); ev.name != "reload" {
		t.Fatalf("after the fix: event %q, want reload", ev.name)
	}
	if _, _, body := get(t, page); strings.Contains(body, "<ouchie-preview-overlay>") || strings.Contains(body, "Lost in the stacks") {
		t.Fatal("after the fix the page still shows the overlay or the old title")
	}
}

// TestReloadTranslations: a new translation, and an edit of one, reload
// the preview like any page.
func TestReloadTranslations(t *testing.T) {
	dir := translatedSite(t)
	s := open(t, dir, WithThemes("classic"))
	st := subscribe(t, s)
	if ev := st.next(t); ev.name != "hello" {
		t.Fatalf("first event %q", ev.name)
	}
	file := filepath.Join(dir, "content", "410.de.md")
	if err := os.WriteFile(file, []byte("---\ntitle: Entfernt\nsummary: Diese Seite gibt es nicht mehr.\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := st.next(t); ev.name != "reload" {
		t.Fatalf("after a new translation: event %q, want reload", ev.name)
	}
	page := s.URL() + "classic/410.de.html"
	if _, _, body := get(t, page); !strings.Contains(body, "Entfernt") {
		t.Fatal("the new translation is not served")
	}
	setTitle(t, file, "Für immer entfernt")
	if ev := st.next(t); ev.name != "reload" {
		t.Fatalf("after an edit: event %q, want reload", ev.name)
	}
	if _, _, body := get(t, page); !strings.Contains(body, "Für immer entfernt") {
		t.Fatal("the edited translation is not served")
	}
}

// TestEventStream drives builds by hand, without watching files, against
// the handler alone.
func TestEventStream(t *testing.T) {
	dir := copySite(t)
	s := New(dir, WithThemes("minimal"))
	s.Rebuild()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close) // after the stream below is closed: Close waits for it
	st := subscribeURL(t, srv.URL+EventsPath)
	if ev := st.next(t); ev.name != "hello" {
		t.Fatalf("first event %q, want hello", ev.name)
	}
	s.Rebuild()
	if ev := st.next(t); ev.name != "reload" {
		t.Fatalf("after a good build: %q, want reload", ev.name)
	}
	if err := os.WriteFile(filepath.Join(dir, "content", "404.md"), []byte("---\nstatus: 404\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Rebuild()
	if ev := st.next(t); ev.name != "build-error" || !strings.Contains(ev.data, "content/404.md") {
		t.Fatalf("after a failed build: %+v, want build-error naming content/404.md", ev)
	}
}

// TestHelloAfterMissedBuild: a stream opened after a build reports it in
// hello, so a tab that was disconnected catches up.
func TestHelloAfterMissedBuild(t *testing.T) {
	s := open(t, copySite(t), WithThemes("minimal"))
	first := subscribe(t, s).next(t)
	s.Rebuild()
	second := subscribe(t, s).next(t)
	if first.name != "hello" || second.name != "hello" || first.data == second.data {
		t.Fatalf("hello before and after a rebuild: %v, %v", first, second)
	}
}

// TestWatchNewFolders: folders made after the preview started are watched,
// and so is layouts/, which a site may not have at first.
func TestWatchNewFolders(t *testing.T) {
	dir := copySite(t)
	s := open(t, dir, WithThemes("classic"))
	st := subscribe(t, s)
	st.next(t) // hello
	if err := os.MkdirAll(filepath.Join(dir, "layouts", "partials"), 0o755); err != nil {
		t.Fatal(err)
	}
	st.next(t) // the new folders themselves
	// Give the watcher a moment to add the new folder; the event for the
	// file below is what the test waits for.
	time.Sleep(100 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(dir, "layouts", "partials", "unused.html"), []byte("{{/* nothing */}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := st.next(t); ev.name != "reload" && ev.name != "build-error" {
		t.Fatalf("after a file in a new folder: event %q", ev.name)
	}
}

// TestDebounce: a burst of writes makes far fewer builds than writes.
func TestDebounce(t *testing.T) {
	dir := copySite(t)
	var builds atomic.Int32
	open(t, dir, WithThemes("minimal"), WithDebounce(100*time.Millisecond),
		WithReport(func(Result) { builds.Add(1) }))
	file := filepath.Join(dir, "content", "404.md")
	for i := range 20 {
		setTitle(t, file, "Burst "+string(rune('a'+i)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for builds.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := builds.Load(); n < 2 || n > 5 {
		t.Fatalf("20 writes in a burst made %d builds after the first, want 1 to 4", n-1)
	}
}

// TestFirstBuildFails: a site broken from the start still previews, with
// the overlay and no page.
func TestFirstBuildFails(t *testing.T) {
	dir := copySite(t)
	if err := os.WriteFile(filepath.Join(dir, "content", "418.md"), []byte("---\nstatus: 418\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	code, _, body := get(t, s.URL()+"classic/404.html")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "content/418.md") || !strings.Contains(body, "No build has succeeded yet") {
		t.Fatalf("status %d\n%s", code, body)
	}
	code, _, body = get(t, s.URL())
	if code != 200 || !strings.Contains(body, "content/418.md") {
		t.Fatalf("gallery: status %d\n%s", code, body)
	}
}

func TestOpenNeedsContent(t *testing.T) {
	s := New(t.TempDir(), WithAddr("127.0.0.1:0"))
	if err := s.Open(); err == nil || !strings.Contains(err.Error(), "content/") {
		s.Close()
		t.Fatalf("Open of an empty folder: %v", err)
	}
}
