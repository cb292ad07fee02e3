// Package kubetest is a stand-in Kubernetes API server for tests of the
// Kubernetes crashlog source: an httptest server answering the core/v1
// paths the source uses with the objects in testdata, in the shape a real
// API server returns them (see testdata/README.md). It serves one
// crash-looping pod of the Service shop/cart, which opted in to showing its
// crashlog, and that pod's previous log.
package kubetest

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// The Service the testdata describes, and its crashing container.
const (
	Namespace = "shop"
	Service   = "cart"
	Pod       = "cart-6c9f7d8b5-x2kqp"
	Container = "app"
)

// Log is the crashing container's previous log as the source shows it:
// testdata/log.txt sanitized (its colour escape stripped, its password
// redacted).
const Log = "cart 1.4.2 starting on :8080\nWARN config loaded from env\nconnecting to postgres://cart:[redacted]@db.shop.svc:5432/cart\npanic: dial tcp 10.96.3.4:5432: connect: connection refused\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1d4\n"

//go:embed testdata/*.json testdata/log.txt
var testdata embed.FS

// Server is a running stand-in API server.
type Server struct {
	// URL is the server's base URL, as a kubeconfig names it.
	URL string

	t         testing.TB
	objects   map[string]json.RawMessage // by resource: pods, services, namespaces
	log       []byte
	forbidden bool
	logReads  atomic.Int64
}

// Start starts a server, closed when the test ends. With forbidden, it
// answers the log request 403 as the API server does for a service
// account that may not get pods/log.
func Start(t testing.TB, forbidden bool) *Server {
	t.Helper()
	s := &Server{t: t, objects: map[string]json.RawMessage{}, forbidden: forbidden}
	for res, file := range map[string]string{"pods": "pod.json", "services": "service.json", "namespaces": "namespace.json"} {
		s.objects[res] = s.read(file)
	}
	s.log = s.read("log.txt")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *Server) read(name string) []byte {
	b, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// LogReads returns how many times the pod's log was asked for.
func (s *Server) LogReads() int64 { return s.logReads.Load() }

// Kubeconfig writes a kubeconfig file naming the server (with a token the
// server does not check) and returns its path.
func (s *Server) Kubeconfig(t testing.TB) string {
	t.Helper()
	return Kubeconfig(t, s.URL)
}

// Kubeconfig writes a kubeconfig file naming the API server at url and
// returns its path.
func Kubeconfig(t testing.TB, url string) string {
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
`, url)
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

const logPath = "/api/v1/namespaces/" + Namespace + "/pods/" + Pod + "/log"

// ServeHTTP answers lists and watches (the initial events streamed, then
// held open), of every namespace or of one, and the pod's log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == logPath {
		s.logReads.Add(1)
		if q.Get("previous") != "true" || q.Get("tailLines") != "200" || q.Get("limitBytes") == "" || q.Get("container") != Container {
			s.t.Errorf("log asked with %s: want previous=true, tailLines=200, limitBytes, container=%s", r.URL.RawQuery, Container)
		}
		if s.forbidden {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"cart-6c9f7d8b5-x2kqp\" is forbidden: User \"system:serviceaccount:ouchie:ouchie\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"shop\"","reason":"Forbidden","details":{"name":"cart-6c9f7d8b5-x2kqp","kind":"pods"},"code":403}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(s.log)
		return
	}
	// /api/v1/RES for every namespace, /api/v1/namespaces/NS/RES for one.
	res, ns := strings.TrimPrefix(r.URL.Path, "/api/v1/"), ""
	if parts := strings.Split(res, "/"); len(parts) == 3 && parts[0] == "namespaces" {
		ns, res = parts[1], parts[2]
	}
	obj, ok := s.objects[res]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if ns == "" && res == "namespaces" {
		ns = strings.TrimPrefix(q.Get("fieldSelector"), "metadata.name=")
	}
	if ns != "" && ns != Namespace {
		obj = nil // nothing in another namespace
	}
	kind := map[string]string{"pods": "Pod", "services": "Service", "namespaces": "Namespace"}[res]
	w.Header().Set("Content-Type", "application/json")
	if q.Get("watch") != "true" && q.Get("watch") != "1" {
		fmt.Fprintf(w, `{"kind":"%sList","apiVersion":"v1","metadata":{"resourceVersion":"50000"},"items":[%s]}`, kind, obj)
		return
	}
	if q.Get("sendInitialEvents") == "true" {
		if obj != nil {
			fmt.Fprintf(w, "{\"type\":\"ADDED\",\"object\":%s}\n", s.compact(obj))
		}
		fmt.Fprintf(w, `{"type":"BOOKMARK","object":{"kind":"%s","apiVersion":"v1","metadata":{"resourceVersion":"50000","annotations":{"k8s.io/initial-events-end":"true"}}}}`+"\n", kind)
	}
	w.(http.Flusher).Flush()
	<-r.Context().Done() // a watch stays open
}

// compact puts raw on one line, as a watch event stream has it.
func (s *Server) compact(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		s.t.Error(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
