package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Targets are the static hosts a build can prepare a bundle for.
var Targets = []string{"netlify", "cloudflare", "s3", "github-pages"}

// AddTarget adds to a bundle what a static host needs beside the pages:
//
//   - every host: "<name>.html" copies for each variant and slug alias
//     (maintenance.html, app-failed-to-boot.html, H10.html), so a page can be
//     named by its router key, and "<name>.<lang>.html" for each translation
//     (H10.de.html). 404.html is already the 404 page, 404.de.html its
//     German translation.
//   - netlify, cloudflare: _headers with content types and security headers.
//   - github-pages: .nojekyll.
//   - s3: cloudfront-error-responses.json, a CustomErrorResponses list for
//     CloudFront mapping every status with a page to it (in the default
//     language: CloudFront cannot choose one).
//
// These files are not in the manifest: a server never reads them.
func AddTarget(b *bundle.Bundle, target string) error {
	if !slices.Contains(Targets, target) {
		return fmt.Errorf("unknown target %q (targets are %s)", target, strings.Join(Targets, ", "))
	}
	for _, p := range b.Manifest.Pages {
		f, ok := p.Files[bundle.HTML]
		if !ok {
			continue
		}
		keys := slices.Clone(p.Aliases)
		if p.Variant != "" {
			keys = append(keys, p.Variant)
		}
		for _, k := range keys {
			name := k + langSuffix(p.Lang) + ".html"
			if _, taken := b.Files[name]; !taken {
				b.Files[name] = b.Files[f.Name]
			}
		}
	}
	switch target {
	case "netlify", "cloudflare":
		var h strings.Builder
		h.WriteString("# Written by ouchie build --target " + target + ".\n/*\n")
		for _, ph := range bundle.Headers { // what ouchie serve sends
			h.WriteString("  " + ph.Name + ": " + ph.Value + "\n")
		}
		for _, format := range []string{bundle.JSON, bundle.Text, bundle.XML} {
			fmt.Fprintf(&h, "/*.%s\n  Content-Type: %s\n", format, bundle.ContentType(format))
		}
		b.Files["_headers"] = []byte(h.String())
	case "github-pages":
		b.Files[".nojekyll"] = []byte{}
	case "s3":
		type response struct {
			ErrorCode          int    `json:"ErrorCode"`
			ResponsePagePath   string `json:"ResponsePagePath"`
			ResponseCode       string `json:"ResponseCode"`
			ErrorCachingMinTTL int    `json:"ErrorCachingMinTTL"`
		}
		// CloudFront customises these error codes only.
		allowed := []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}
		var list []response
		for _, code := range allowed {
			p, ok := b.Page(fmt.Sprint(code))
			if !ok {
				p, ok = b.Page(fmt.Sprintf("%dxx", code/100))
			}
			if ok {
				list = append(list, response{code, "/" + p.Files[bundle.HTML].Name, fmt.Sprint(code), 10})
			}
		}
		out, err := json.MarshalIndent(map[string]any{"Quantity": len(list), "Items": list}, "", "  ")
		if err != nil {
			return err
		}
		b.Files["cloudfront-error-responses.json"] = append(bytes.TrimSpace(out), '\n')
	}
	return nil
}
