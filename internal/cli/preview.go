package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/internal/human"
	"github.com/ouchie/ouchie/internal/preview"
)

// PreviewCmd serves a live preview of a site folder.
type PreviewCmd struct {
	Src    string   `help:"Site folder to preview and watch (holding content/, themes/, ouchie.yaml). Default: ./ when it holds content/." env:"OUCHIE_SRC" placeholder:"DIR"`
	Listen string   `help:"Address to serve the preview on; keep it on loopback. Default: ${default}." default:"127.0.0.1:8090" env:"OUCHIE_PREVIEW_LISTEN" placeholder:"ADDR"`
	Theme  []string `help:"Themes to preview (repeatable or comma list; OUCHIE_THEMES lists them, OUCHIE_THEME names one). Default: every theme of the site." env:"OUCHIE_THEMES,OUCHIE_THEME" placeholder:"NAME"`
}

// Run previews the site until interrupted.
func (c *PreviewCmd) Run(env *Env) error {
	dir := c.Src
	if dir == "" {
		if generator.CheckSite(".") != nil {
			return withHint(fmt.Errorf("no site here to preview: ./ holds no content/ folder, and the default site built into ouchie cannot be watched for changes"),
				"write a copy to edit with `ouchie init mysite`, then `ouchie preview --src mysite`")
		}
		dir = "."
	}
	if err := generator.CheckSite(dir); err != nil {
		return withHint(err, "--src names a folder holding content/ and themes/; `ouchie init DIR` writes one")
	}
	first := true
	report := func(r preview.Result) {
		if r.Err != nil {
			printError(env.Stderr, r.Err)
			fmt.Fprintln(env.Stderr, "ouchie: the preview keeps showing the last good build until this is fixed")
			return
		}
		if first {
			fmt.Fprintf(env.Stderr, "ouchie: built %s × %s (%s) in %s\n",
				human.Count(r.Pages, "page"), human.Count(len(r.Themes), "theme"), strings.Join(r.Themes, ", "), r.Took.Round(time.Millisecond))
		} else {
			fmt.Fprintf(env.Stderr, "ouchie: rebuilt in %s\n", r.Took.Round(time.Millisecond))
		}
		first = false
	}
	s := preview.New(dir,
		preview.WithAddr(c.Listen),
		preview.WithThemes(splitList(c.Theme)...),
		preview.WithLogger(env.Log),
		preview.WithReport(report),
	)
	if err := s.Open(); err != nil {
		return listenError(err, "--listen")
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(env.Stdout, "previewing %s at %s (Ctrl-C to stop)\n", abs, s.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return s.Close()
}
