package kube

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/crashlog/kube/kubetest"
)

// The HTTP tests run the source through a kubeconfig against kubetest's
// stand-in API server, which answers the real API paths with real API JSON.

func startHTTP(t *testing.T, server string, o Options) *Source {
	t.Helper()
	client, err := Client(kubetest.Kubeconfig(t, server))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := New(client, o)
	s.Start(ctx)
	return s
}

// syncedHTTP is startHTTP once the informers have synced.
func syncedHTTP(t *testing.T, server string, o Options) *Source {
	t.Helper()
	s := startHTTP(t, server, o)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !s.WaitForSync(ctx) {
		t.Fatalf("namespace %q: informers did not sync against the test API server", o.Namespace)
	}
	return s
}

var shopCart = crashlog.Query{Namespace: kubetest.Namespace, Service: kubetest.Service}

// TestHTTP: through a kubeconfig and the API's HTTP paths, the crash-looping
// pod's previous log is read once and shown sanitized.
func TestHTTP(t *testing.T) {
	srv := kubetest.Start(t, false)
	s := syncedHTTP(t, srv.URL, Options{})
	log, ok := eventually(s, shopCart)
	if !ok {
		t.Fatal("no log")
	}
	if string(log) != kubetest.Log {
		t.Errorf("log\n%q\nwant\n%q", log, kubetest.Log)
	}
	for range 1000 {
		s.Lookup(shopCart)
	}
	if n := srv.LogReads(); n != 1 {
		t.Errorf("%d log reads, want 1", n)
	}
}

// TestHTTPNamespace: with Options.Namespace the source lists and watches
// that namespace's paths only: the Service's log is found in its own
// namespace, and nothing is when another one is watched.
func TestHTTPNamespace(t *testing.T) {
	srv := kubetest.Start(t, false)
	for ns, want := range map[string]bool{kubetest.Namespace: true, "web": false} {
		s := syncedHTTP(t, srv.URL, Options{Namespace: ns})
		if want {
			if log, ok := eventually(s, shopCart); !ok || string(log) != kubetest.Log {
				t.Errorf("--namespace %s: log %q, %v; want the log", ns, log, ok)
			}
		} else if log, ok := s.Lookup(shopCart); ok {
			t.Errorf("--namespace %s: log %q of another namespace", ns, log)
		}
		if n := s.watchErrors.Load(); n != 0 {
			t.Errorf("--namespace %s: %d watch errors", ns, n)
		}
	}
}

// TestHTTPForbidden: a 403 on pods/log shows no log and is counted.
func TestHTTPForbidden(t *testing.T) {
	srv := kubetest.Start(t, true)
	s := syncedHTTP(t, srv.URL, Options{})
	if log, ok := s.Lookup(shopCart); ok {
		t.Fatalf("log %q despite 403", log)
	}
	waitFor(t, func() bool { return s.fetchErrors.Load() == 1 })
	if log, ok := s.Lookup(shopCart); ok {
		t.Errorf("log %q despite 403", log)
	}
}

// TestHTTPDown: with nothing listening where the kubeconfig points, a
// lookup answers at once with no log, and the failing watches are counted.
func TestHTTPDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := startHTTP(t, "http://"+addr, Options{})
	if log, ok := s.Lookup(shopCart); ok {
		t.Fatalf("log %q with the API down", log)
	}
	waitFor(t, func() bool { return s.watchErrors.Load() > 0 })
	var m strings.Builder
	s.WriteMetrics(&m)
	if !strings.Contains(m.String(), `ouchie_crashlog_kubernetes_errors_total{op="watch"} `) || strings.Contains(m.String(), `{op="watch"} 0`) {
		t.Errorf("watch errors not counted:\n%s", m.String())
	}
}
