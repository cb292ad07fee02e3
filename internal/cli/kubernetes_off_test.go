//go:build !kubernetes

package cli

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestServeKubernetesOff: a binary built without -tags kubernetes refuses
// --crashlog-source kubernetes at startup, saying how to get one that has it.
func TestServeKubernetesOff(t *testing.T) {
	c := ServeCmd{Listen: "127.0.0.1:0", CrashlogSource: "kubernetes"}
	env := &Env{Stdout: io.Discard, Stderr: io.Discard, DefaultSite: repoSite, Log: slog.New(slog.DiscardHandler)}
	err := c.serve(env, make(chan os.Signal), nil)
	if !errors.Is(err, errNoKubernetes) {
		t.Fatalf("error %v, want %v", err, errNoKubernetes)
	}
	var h hinter
	if !asHinter(err, &h) || !strings.Contains(h.Hint(), "go build -tags kubernetes") || !strings.Contains(h.Hint(), "make build TAGS=kubernetes") {
		t.Errorf("hint for %v does not say how to build with the source", err)
	}
}
