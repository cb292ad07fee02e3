package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// brandsBench times `ouchie build` (default formats, one theme) of the
// default site with n generated brands (see writeBrands) and prints its
// wall time and peak RSS. The dist is left in b.cfg.brandsOut when set, for
// a server to load; else it is removed.
func (b *bench) brandsBench(ctx context.Context, n int) error {
	dir, err := b.buildFolder()
	if err != nil {
		return err
	}
	site := filepath.Join(dir, fmt.Sprintf("site-%d-brands", n))
	out := b.cfg.brandsOut
	if out == "" {
		out = filepath.Join(dir, fmt.Sprintf("out-%d-brands", n))
		defer os.RemoveAll(out)
	}
	defer os.RemoveAll(site)
	if dir != b.dir {
		defer os.RemoveAll(dir)
	}
	initCmd := exec.CommandContext(ctx, b.ouchie, "init", site)
	if o, err := initCmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ouchie init: %v:\n%s", err, indent(strings.TrimSpace(string(o))))
	}
	if err := writeBrands(site, n); err != nil {
		return err
	}
	r, err := b.timeBuild(ctx, fmt.Sprintf("%d brands", n), "--src", site, "--dist", out, "--theme", b.cfg.theme)
	if err != nil {
		return err
	}
	fmt.Printf("\nouchie build of %d brands (theme %s, default formats, in %s): %s, peak RSS %s\n  %s\n",
		n, b.cfg.theme, dir, r.wall.Round(time.Millisecond), mib(r.maxRSS), r.summary)
	if b.cfg.brandsOut != "" {
		fmt.Printf("  dist kept in %s\n", out)
	}
	return nil
}

// writeBrands adds n brands to the site in dir (the default site, written
// by ouchie init): brand-0001 ... brand-N, each with its own name, accent,
// logo (brands/<id>/logo.svg), host, namespace and app, and only the site's
// default language; every tenth overrides the 404 page in
// brands/<id>/content/404.md. The brands: list replaces any in ouchie.yaml.
func writeBrands(dir string, n int) error {
	cfgFile := filepath.Join(dir, "ouchie.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		return err
	}
	var y strings.Builder
	y.Write(cfg)
	y.WriteString("\nbrands:\n")
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("brand-%04d", i)
		h := fnv.New32a()
		h.Write([]byte(id))
		accent := fmt.Sprintf("#%06x", h.Sum32()&0xffffff)
		fmt.Fprintf(&y, "  - id: %s\n    brand:\n      name: Brand %d\n      accent: %q\n      logo: brands/%s/logo.svg\n"+
			"    links:\n      homepage: https://%s.test/\n    languages: [en]\n"+
			"    match:\n      hosts: [%s.test, \"*.%s.test\"]\n      namespaces: [%s]\n      apps: [%s-web]\n",
			id, i, accent, id, id, id, id, id, id)
		bdir := filepath.Join(dir, "brands", id)
		if err := os.MkdirAll(filepath.Join(bdir, "content"), 0o755); err != nil {
			return err
		}
		logo := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="%s"/>`+
			`<text x="32" y="40" font-size="20" text-anchor="middle" fill="#fff">%d</text></svg>`+"\n", accent, i)
		if err := os.WriteFile(filepath.Join(bdir, "logo.svg"), []byte(logo), 0o644); err != nil {
			return err
		}
		if i%10 == 0 {
			page := fmt.Sprintf("---\nstatus: 404\ntitle: Brand %d has no such page\nsummary: Nothing at this address on Brand %d.\n"+
				"source: client\n---\nStart again from [Brand %d's home page](https://%s.test/).\n", i, i, i, id)
			if err := os.WriteFile(filepath.Join(bdir, "content", "404.md"), []byte(page), 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(cfgFile, []byte(y.String()), 0o644)
}
