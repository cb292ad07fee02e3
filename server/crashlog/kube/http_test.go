package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/crashlog"
)

// apiServer answers the API paths the source uses with the objects in
// testdata: lists, watches (the initial events streamed, then held open)
// and the pod's log, or 403 for the log when forbidden is set.
type apiServer struct {
	t         *testing.T
	objects   map[string]json.RawMessage // by resource: pods, services, namespaces
	log       []byte
	forbidden bool
	logReads  atomic.Int64
}

func newAPIServer(t *testing.T, forbidden bool) *httptest.Server {
	a := &apiServer{t: t, objects: map[string]json.RawMessage{}, forbidden: forbidden}
	for res, file := range map[string]string{"pods": "pod.json", "services": "service.json", "namespaces": "namespace.json"} {
		a.objects[res] = readTestdata(t, file)
	}
	a.log = readTestdata(t, "log.txt")
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	servers[srv] = a
	return srv
}

var servers = map[*httptest.Server]*apiServer{}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const logPath = "/api/v1/namespaces/shop/pods/cart-6c9f7d8b5-x2kqp/log"

func (a *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == logPath {
		a.logReads.Add(1)
		if q.Get("previous") != "true" || q.Get("tailLines") != "200" || q.Get("limitBytes") == "" || q.Get("container") != "app" {
			a.t.Errorf("log asked with %s: want previous=true, tailLines=200, limitBytes, container=app", r.URL.RawQuery)
		}
		if a.forbidden {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"cart-6c9f7d8b5-x2kqp\" is forbidden: User \"system:serviceaccount:ouchie:ouchie\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"shop\"","reason":"Forbidden","details":{"name":"cart-6c9f7d8b5-x2kqp","kind":"pods"},"code":403}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(a.log)
		return
	}
	res := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	obj, ok := a.objects[res]
	if !ok {
		http.NotFound(w, r)
		return
	}
	kind := map[string]string{"pods": "Pod", "services": "Service", "namespaces": "Namespace"}[res]
	w.Header().Set("Content-Type", "application/json")
	if q.Get("watch") != "true" && q.Get("watch") != "1" {
		fmt.Fprintf(w, `{"kind":"%sList","apiVersion":"v1","metadata":{"resourceVersion":"50000"},"items":[%s]}`, kind, obj)
		return
	}
	if q.Get("sendInitialEvents") == "true" {
		fmt.Fprintf(w, "{\"type\":\"ADDED\",\"object\":%s}\n", compact(a.t, obj))
		fmt.Fprintf(w, `{"type":"BOOKMARK","object":{"kind":"%s","apiVersion":"v1","metadata":{"resourceVersion":"50000","annotations":{"k8s.io/initial-events-end":"true"}}}}`+"\n", kind)
	}
	w.(http.Flusher).Flush()
	<-r.Context().Done() // a watch stays open
}

func compact(t *testing.T, raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// kubeconfig writes a kubeconfig file naming server.
func kubeconfig(t *testing.T, server string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
users:
- name: ouchie
  user:
    token: not-a-real-token
contexts:
- name: test
  context: {cluster: test, user: ouchie}
current-context: test
`, server)
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func startHTTP(t *testing.T, server string, o Options) *Source {
	t.Helper()
	client, err := Client(kubeconfig(t, server))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := New(client, o)
	s.Start(ctx)
	return s
}

var shopCart = crashlog.Query{Namespace: "shop", Service: "cart"}

// TestHTTP: through a kubeconfig and the API's HTTP paths, the crash-looping
// pod's previous log is read once and shown sanitized.
func TestHTTP(t *testing.T) {
	srv := newAPIServer(t, false)
	s := startHTTP(t, srv.URL, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !s.WaitForSync(ctx) {
		t.Fatal("informers did not sync against the test API server")
	}
	log, ok := eventually(s, shopCart)
	if !ok {
		t.Fatal("no log")
	}
	want := "cart 1.4.2 starting on :8080\nWARN config loaded from env\nconnecting to postgres://cart:[redacted]@db.shop.svc:5432/cart\npanic: dial tcp 10.96.3.4:5432: connect: connection refused\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1d4\n"
	if string(log) != want {
		t.Errorf("log\n%q\nwant\n%q", log, want)
	}
	for range 1000 {
		s.Lookup(shopCart)
	}
	if n := servers[srv].logReads.Load(); n != 1 {
		t.Errorf("%d log reads, want 1", n)
	}
}

// TestHTTPForbidden: a 403 on pods/log shows no log and is counted.
func TestHTTPForbidden(t *testing.T) {
	srv := newAPIServer(t, true)
	s := startHTTP(t, srv.URL, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !s.WaitForSync(ctx) {
		t.Fatal("informers did not sync")
	}
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
