package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Addresses and paths the router configurations in testdata/ use, as the
// docs show them. A test replaces them with its own loopback ports and
// temporary paths; nothing else in a configuration changes.
const (
	docOuchie = "127.0.0.1:8080"           // ouchie serve
	docApp    = "127.0.0.1:3000"           // the app
	docBundle = "/srv/ouchie/dist/classic" // a built bundle
)

// config returns testdata/name with each old string replaced by its new one
// (old, new pairs). Every old string must occur: a configuration edited so
// that the test no longer reaches into it fails here instead of silently
// testing something else.
func config(t testing.TB, name string, pairs ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if len(pairs)%2 != 0 {
		t.Fatalf("config %s: odd replacement list", name)
	}
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("config %s no longer holds %q, which the test replaces", name, pairs[i])
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
