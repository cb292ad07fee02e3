package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// repoRoot is the default site: the repository's own content/ and themes/.
const repoRoot = "../.."

// shared is the one browser every test of the package uses, each in its
// own tab; TestMain stops it.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// newTab opens a tab in the shared browser, starting it on first use.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := Require(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "ouchie-chromium-")
		if shared.err == nil {
			shared.ctx, shared.cancel, shared.err = Start(path, shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	ctx, cancel := chromedp.NewContext(shared.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// recorder keeps what a tab did besides rendering: requests and console errors.
type recorder struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func record(t *testing.T, ctx context.Context) *recorder {
	t.Helper()
	r := &recorder{}
	err := chromedp.Listen(ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r.requests = append(r.requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				r.errors = append(r.errors, "console."+string(ev.Type)+": "+args(ev.Args))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			r.errors = append(r.errors, "exception: "+msg)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				r.errors = append(r.errors, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func args(a []*runtime.RemoteObject) string {
	var s []string
	for _, o := range a {
		if o.Description != "" {
			s = append(s, o.Description)
		} else {
			s = append(s, strings.Trim(string(o.Value), `"`))
		}
	}
	return strings.Join(s, " ")
}

// take returns and forgets what was recorded.
func (r *recorder) take() (requests, errors []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	requests, errors = r.requests, r.errors
	r.requests, r.errors = nil, nil
	return requests, errors
}

// emulate sets the tab's viewport and colour scheme.
func emulate(t *testing.T, ctx context.Context, width, height int64, scale float64, mobile bool, scheme string) {
	t.Helper()
	if err := Emulate(ctx, width, height, scale, mobile, scheme); err != nil {
		t.Fatal(err)
	}
}
