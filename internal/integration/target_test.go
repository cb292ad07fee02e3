package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// buildTarget builds the default site's classic theme for a static host, as
// the docs tell users to, and returns the bundle folder.
func buildTarget(t testing.TB, target string) string {
	t.Helper()
	bin, _ := ouchieBuild(t)
	out := filepath.Join(t.TempDir(), "dist")
	if log, code := run(t, nil, nil, bin, "build", "--src", repoRoot, "--theme", theme,
		"--format", "html,json,txt", "--target", target, "--dist", out); code != 0 {
		t.Fatalf("ouchie build --target %s: %s", target, log)
	}
	return filepath.Join(out, theme)
}

// external finds what would make a framed page load something or run
// something: scripts, stylesheets or images from elsewhere, CSS imports,
// and framing rules.
var external = regexp.MustCompile(`(?i)<script|<link[^>]+rel=["']?stylesheet|<(img|iframe|embed|object|source|video|audio)[^>]+src=["']?https?:|url\(\s*["']?https?:|@import|frame-ancestors|x-frame-options`)

// TestStaticTargets builds each --target the docs describe and checks what
// the docs say the hosts get: the pages routers point at by name
// (application-error.html and maintenance.html for Heroku, 404.html for
// GitHub Pages, Netlify and Cloudflare Pages), self-contained and framable;
// _headers with ouchie serve's content types and security headers, shown in
// docs/netlify-cloudflare-pages.md as written, and for Netlify alone
// _redirects choosing the 404 page's language, shown there too; .nojekyll;
// and a CloudFront CustomErrorResponses list that points every code at a
// page of that status.
func TestStaticTargets(t *testing.T) {
	t.Parallel()
	pg := loadPages(t)
	for _, target := range []string{"netlify", "cloudflare", "s3", "github-pages"} {
		dir := buildTarget(t, target)
		read := func(name string) []byte {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("--target %s: %v", target, err)
			}
			return data
		}
		// Pages by router key, as the docs point at them.
		for name, id := range map[string]string{
			"404.html":               "404",
			"5xx.html":               "5xx",
			"application-error.html": "500-application-error",
			"maintenance.html":       "422-maintenance-mode",
			"app-crashed.html":       "502-app-crashed",
			"H10.html":               "502-app-crashed",
		} {
			if got := read(name); got != nil && !bytes.Equal(got, pg.file(t, id, bundle.HTML)) {
				t.Errorf("--target %s: %s is not page %s", target, name, id)
			}
		}
		// Self-contained and framable (Heroku frames them).
		htmls, _ := filepath.Glob(filepath.Join(dir, "*.html"))
		for _, f := range htmls {
			data, _ := os.ReadFile(f)
			if m := external.Find(data); m != nil {
				t.Errorf("--target %s: %s holds %q: a framed page must load and run nothing", target, filepath.Base(f), m)
			}
		}

		switch target {
		case "netlify", "cloudflare":
			headers := string(read("_headers"))
			for _, format := range []string{bundle.JSON, bundle.Text, bundle.XML} {
				want := "/*." + format + "\n  Content-Type: " + bundle.ContentType(format) + "\n"
				if !strings.Contains(headers, want) {
					t.Errorf("--target %s: _headers lacks %q", target, want)
				}
			}
			for _, want := range []string{"X-Content-Type-Options: nosniff", "Content-Security-Policy: default-src 'none'"} {
				if !strings.Contains(headers, want) {
					t.Errorf("--target %s: _headers lacks %q", target, want)
				}
			}
			if external.MatchString(headers) {
				t.Errorf("--target %s: _headers forbids framing:\n%s", target, headers)
			}
			asNetlify := strings.Replace(headers, "--target "+target, "--target netlify", 1)
			if !strings.Contains(readDoc(t, "netlify-cloudflare-pages.md"), "```\n"+asNetlify+"```") {
				t.Errorf("docs/netlify-cloudflare-pages.md does not show the _headers file as written:\n%s", headers)
			}
			redirects, err := os.ReadFile(filepath.Join(dir, "_redirects"))
			switch {
			case target == "cloudflare" && err == nil:
				t.Errorf("--target cloudflare: _redirects written; Cloudflare Pages has no Language= condition:\n%s", redirects)
			case target == "netlify" && err != nil:
				t.Errorf("--target netlify: %v", err)
			case target == "netlify" && !strings.Contains(readDoc(t, "netlify-cloudflare-pages.md"), "```\n"+string(redirects)+"```"):
				t.Errorf("docs/netlify-cloudflare-pages.md does not show the _redirects file as written:\n%s", redirects)
			}
		case "github-pages":
			if _, err := os.Stat(filepath.Join(dir, ".nojekyll")); err != nil {
				t.Errorf("--target github-pages: %v", err)
			}
		case "s3":
			checkCloudFront(t, pg, dir, read("cloudfront-error-responses.json"))
		}
	}

	// The upload commands in the docs give each format ouchie serve's type.
	s3doc := readDoc(t, "s3-cloudfront.md")
	for _, format := range []string{bundle.HTML, bundle.JSON, bundle.Text} {
		if want := "--include '*." + format + "'"; !strings.Contains(s3doc, want) {
			t.Errorf("docs/s3-cloudfront.md: no upload with %s", want)
		}
		if want := "--content-type '" + bundle.ContentType(format) + "'"; !strings.Contains(s3doc, want) {
			t.Errorf("docs/s3-cloudfront.md: no upload with %s", want)
		}
	}
}

// cloudFrontCodes are the statuses CloudFront lets a distribution customise.
var cloudFrontCodes = []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}

// checkCloudFront checks a CustomErrorResponses list against the bundle.
func checkCloudFront(t testing.TB, pg *pages, dir string, data []byte) {
	t.Helper()
	var list struct {
		Quantity int
		Items    []struct {
			ErrorCode          int
			ResponsePagePath   string
			ResponseCode       string
			ErrorCachingMinTTL int
		}
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("cloudfront-error-responses.json: %v", err)
	}
	if list.Quantity != len(list.Items) || list.Quantity == 0 {
		t.Errorf("cloudfront-error-responses.json: Quantity %d for %d items", list.Quantity, len(list.Items))
	}
	for _, it := range list.Items {
		if !slices.Contains(cloudFrontCodes, it.ErrorCode) {
			t.Errorf("cloudfront-error-responses.json: CloudFront does not customise %d", it.ErrorCode)
		}
		if it.ResponseCode != strconv.Itoa(it.ErrorCode) {
			t.Errorf("cloudfront-error-responses.json: %d answered as %s, want the same status", it.ErrorCode, it.ResponseCode)
		}
		name := strings.TrimPrefix(it.ResponsePagePath, "/")
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("cloudfront-error-responses.json: %d points at %s: %v", it.ErrorCode, it.ResponsePagePath, err)
			continue
		}
		id := strconv.Itoa(it.ErrorCode)
		if _, ok := pg.b.Page(id); !ok {
			id = id[:1] + "xx"
		}
		if !bytes.Equal(got, pg.file(t, id, bundle.HTML)) {
			t.Errorf("cloudfront-error-responses.json: %d points at %s, not page %s", it.ErrorCode, name, id)
		}
	}
}
