//go:build kubernetes

package cli

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/server/crashlog/kube/kubetest"
)

// TestServeKubernetes: ouchie serve --crashlog-source kubernetes with a
// kubeconfig reads the crash-looping container's log through the API once
// and answers ingress-nginx's 503 for its Service with the crashlog page,
// the log in it and the router's status; /metrics counts the one fetch.
func TestServeKubernetes(t *testing.T) {
	api := kubetest.Start(t, false)
	url, _, logs, _ := startServe(t, &ServeCmd{CrashlogSource: "kubernetes", Kubeconfig: api.Kubeconfig(t), Namespace: kubetest.Namespace})
	router := []string{"X-Code", "503", "X-Namespace", kubetest.Namespace, "X-Service-Name", kubetest.Service}
	var doc map[string]any
	await(t, "the crashlog page shows the log", func() bool {
		var status int
		status, doc = getJSON(t, url+"/", router...)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want the router's 503", status)
		}
		return doc["crashlog"] == kubetest.Log
	})
	if doc["id"] != "502-app-crashed" || doc["status"] != float64(503) {
		t.Errorf("page %v with status %v; want 502-app-crashed showing 503", doc["id"], doc["status"])
	}
	for range 50 {
		if _, doc := getJSON(t, url+"/", router...); doc["crashlog"] != kubetest.Log {
			t.Fatalf("crashlog %q, want the log again", doc["crashlog"])
		}
	}
	if n := api.LogReads(); n != 1 {
		t.Errorf("%d log reads for one restart, want 1", n)
	}
	// Another Service has no crashlog: its own 503 page.
	if _, doc := getJSON(t, url+"/", "X-Code", "503", "X-Namespace", kubetest.Namespace, "X-Service-Name", "web"); doc["id"] != "503" || doc["crashlog"] != nil {
		t.Errorf("a Service with no crashing pod: page %v, crashlog %v", doc["id"], doc["crashlog"])
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metrics), "ouchie_crashlog_kubernetes_fetches_total 1\n") {
		t.Errorf("/metrics does not count the one fetch:\n%s", metrics)
	}
	if !strings.Contains(logs.String(), "crashlogs from kubernetes") {
		t.Errorf("the log does not say where crashlogs come from:\n%s", logs.String())
	}
}

// TestServeKubernetesErrors: a namespace that is not a name and a
// kubeconfig that cannot be read stop ouchie at startup with a hint.
func TestServeKubernetesErrors(t *testing.T) {
	missing := t.TempDir() + "/missing"
	for _, tt := range []struct {
		cmd       ServeCmd
		err, hint string
	}{
		{ServeCmd{CrashlogSource: "kubernetes", Kubeconfig: missing, Namespace: "Shop!"}, `namespace "Shop!" is not a namespace name`, "--namespace"},
		{ServeCmd{CrashlogSource: "kubernetes", Kubeconfig: missing}, "kubeconfig " + missing, "--kubeconfig"},
	} {
		c := tt.cmd
		c.Listen = "127.0.0.1:0"
		env := &Env{Stdout: io.Discard, Stderr: io.Discard, DefaultSite: repoSite, Log: slog.New(slog.DiscardHandler)}
		err := c.serve(env, make(chan os.Signal), nil)
		var h hinter
		switch {
		case err == nil || !strings.Contains(err.Error(), tt.err):
			t.Errorf("%+v: error %v, want one saying %q", tt.cmd, err, tt.err)
		case !asHinter(err, &h) || !strings.Contains(h.Hint(), tt.hint):
			t.Errorf("%+v: %v has no hint naming %s", tt.cmd, err, tt.hint)
		}
	}
}
