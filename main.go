// Command ouchie builds error pages from Markdown into self-contained bundles
// and serves them to routers. See README.md.
package main

import (
	"embed"
	"io/fs"
	"os"

	"github.com/ouchie/ouchie/internal/cli"
)

// site is the default site: the repository's own ouchie.yaml, content/ and
// themes/, so ouchie works with no files at all.
//
//go:embed ouchie.yaml logo.svg content themes
var site embed.FS

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, DefaultSite: defaultSite()}))
}

func defaultSite() fs.FS { return site }
