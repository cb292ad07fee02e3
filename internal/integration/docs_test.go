package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// quoted lists the files the tests run (or check) and the docs that must
// show them verbatim, so a snippet a reader copies is the one that passed.
var quoted = []struct {
	file string
	docs []string
}{
	{"internal/integration/testdata/nginx-ingress.conf", []string{"ingress-nginx.md", "nginx.md"}},
	{"internal/integration/testdata/nginx-static.conf", []string{"nginx.md"}},
	{"internal/integration/testdata/nginx-languages.conf", []string{"nginx.md"}},
	{"internal/integration/testdata/haproxy.cfg", []string{"haproxy.md"}},
	{"internal/integration/testdata/haproxy-languages.cfg", []string{"haproxy.md"}},
	{"internal/integration/testdata/caddy-static.Caddyfile", []string{"caddy.md"}},
	{"internal/integration/testdata/caddy-proxy.Caddyfile", []string{"caddy.md"}},
	{"internal/integration/testdata/caddy-languages.Caddyfile", []string{"caddy.md"}},
	{"internal/integration/testdata/nginx-brands.conf", []string{"brands.md"}},
	{"internal/integration/testdata/caddy-brands.Caddyfile", []string{"brands.md"}},
	{"deploy/kubernetes/ingress-nginx/values.yaml", []string{"ingress-nginx.md"}},
	{"Dockerfile", []string{"docker.md"}},
	{"Containerfile", []string{"docker.md"}},
}

// routerDocs are the setup pages this package owns; each says what was
// tested and what wasn't.
var routerDocs = []string{
	"ingress-nginx.md", "traefik.md", "nginx.md", "caddy.md", "haproxy.md", "envoy.md",
	"heroku.md", "s3-cloudfront.md", "netlify-cloudflare-pages.md", "github-pages.md",
	"kubernetes.md", "docker.md",
}

func readDoc(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestDocsQuoteTestedConfigs checks that every configuration a test runs
// appears in its docs exactly as the test runs it (before the test swaps in
// its ports and paths).
func TestDocsQuoteTestedConfigs(t *testing.T) {
	for _, q := range quoted {
		data, err := os.ReadFile(filepath.Join(repoRoot, q.file))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.TrimRight(string(data), "\n") + "\n```"
		for _, d := range q.docs {
			if !strings.Contains(readDoc(t, d), text) {
				t.Errorf("docs/%s does not show %s verbatim in a code block; copy it there again", d, q.file)
			}
		}
	}
}

var mdLink = regexp.MustCompile(`\]\(([a-z0-9-]+\.md)(#[a-z0-9-]+)?\)`)

// TestRouterDocs checks each setup page exists, says what was tested and
// what wasn't, and links only to docs that exist.
func TestRouterDocs(t *testing.T) {
	for _, d := range routerDocs {
		doc := readDoc(t, d)
		if !strings.Contains(doc, "tested here") {
			t.Errorf("docs/%s does not say what was tested here", d)
		}
		if !strings.Contains(doc, "Not tested") && !strings.Contains(doc, "not tested") {
			t.Errorf("docs/%s does not say what was not tested", d)
		}
		for _, m := range mdLink.FindAllStringSubmatch(doc, -1) {
			if _, err := os.Stat(filepath.Join(repoRoot, "docs", m[1])); err != nil {
				t.Errorf("docs/%s links to %s, which does not exist", d, m[1])
			}
		}
	}
}
