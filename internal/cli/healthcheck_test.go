package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	// Against the real server: healthy.
	url, sigs, _, wait := startServe(t, &ServeCmd{})
	var out bytes.Buffer
	env := &Env{Stdout: &out}
	if err := (&HealthcheckCmd{URL: url + "/healthz", Timeout: 3 * time.Second}).Run(env); err != nil {
		t.Fatalf("healthy server: %v", err)
	}
	if !strings.HasPrefix(out.String(), "healthy: ") {
		t.Errorf("stdout %q", out.String())
	}
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	// Stopped: the same URL now fails, with a hint.
	err := (&HealthcheckCmd{URL: url + "/healthz", Timeout: time.Second}).Run(env)
	if err == nil {
		t.Fatal("stopped server reported healthy")
	}
	if h, ok := err.(hinter); !ok || h.Hint() == "" {
		t.Errorf("no hint on %v", err)
	}

	// A server answering something else than 200 is unhealthy.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	if err := (&HealthcheckCmd{URL: bad.URL, Timeout: time.Second}).Run(env); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("503 answer: err = %v", err)
	}
}
