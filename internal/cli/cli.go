// Package cli is the ouchie command: one kong struct per subcommand, each with
// a Run method. Only Main turns errors into an exit status.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/human"
)

// Version is set at link time (-ldflags "-X .../cli.Version=...").
var Version = "dev"

// Env is what every command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	// DefaultSite is the site embedded in the binary.
	DefaultSite fs.FS
	// Log is the structured logger of long-running commands.
	Log *slog.Logger
}

// CLI is the command line.
type CLI struct {
	Build       BuildCmd       `cmd:"" help:"Render the site's pages into one bundle per theme."`
	Check       CheckCmd       `cmd:"" help:"Validate the site as a build would, writing nothing."`
	Crashlog    CrashlogCmd    `cmd:"" help:"Manage crashlogs on a running server."`
	Init        InitCmd        `cmd:"" help:"Write the default site into DIR for editing."`
	New         NewCmd         `cmd:"" help:"Write a new page, content/STATUS[-VARIANT].md, with its front matter."`
	Serve       ServeCmd       `cmd:"" help:"Serve the error pages to routers (ingress-nginx, Traefik, nginx, Caddy, HAProxy ...)."`
	Healthcheck HealthcheckCmd `cmd:"" help:"Exit 0 when a running server answers its /healthz (for Docker HEALTHCHECK and probes)."`
	Preview     PreviewCmd     `cmd:"" help:"Serve a live preview of a site folder: a gallery of every page, reloaded on every change."`
	Version     VersionCmd     `cmd:"" help:"Print the version."`
	Help        HelpCmd        `cmd:"" help:"Show the help of a command (ouchie help serve), or the command list."`

	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

// hinter is an error that carries advice for the person at the terminal.
type hinter interface{ Hint() string }

// Main runs the command line and returns the process exit status.
func Main(args []string, env Env) int {
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	if len(args) == 0 {
		args = []string{"--help"} // the command list, not an error
	}
	var cli CLI
	exit := -1
	parser, err := newParser(&cli,
		kong.Name("ouchie"),
		kong.Description("Error pages done properly: Markdown in, self-contained bundles out, served to any router."),
		kong.UsageOnError(),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.Bind(&env),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ouchie: error: %v\n", err)
		return 2
	}
	ctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit // --help and the like
	}
	if err != nil {
		var h hinter
		if errors.As(err, &h) { // a flag's own check, with its own advice
			printError(env.Stderr, err)
			return 2
		}
		fmt.Fprintf(env.Stderr, "ouchie: error: %v\n", err)
		var pe *kong.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintln(env.Stderr, "hint: run 'ouchie --help' for usage")
		}
		return 2
	}
	if err := ctx.Run(); err != nil {
		printError(env.Stderr, err)
		return 1
	}
	return 0
}

// newParser is kong.New with the variables the flags' tags name.
func newParser(cli *CLI, opts ...kong.Option) (*kong.Kong, error) {
	return kong.New(cli, append(opts, kong.Vars{
		"formats":         strings.Join(bundle.Formats, ","),
		"default_formats": strings.Join(generator.DefaultFormats, ","),
		"version":         versionLine(),
	})...)
}

// printError writes an error the way a person can act on it: one line per
// problem, each followed by its hint.
func printError(w io.Writer, err error) {
	var list generator.ErrorList
	var h hinter
	hasHint := errors.As(err, &h) && h.Hint() != ""
	if errors.As(err, &list) {
		printList(w, "error", list)
	} else {
		fmt.Fprintf(w, "ouchie: error: %v\n", err)
	}
	if hasHint {
		fmt.Fprintf(w, "hint: %s\n", h.Hint())
	}
}

// printList writes a site's problems of one kind ("error", "warning"), each
// followed by its hint, and their number when there is more than one.
func printList(w io.Writer, kind string, list generator.ErrorList) {
	for _, e := range list {
		fmt.Fprintf(w, "ouchie: %s: %s\n", kind, e)
		if e.Hint != "" {
			fmt.Fprintf(w, "hint: %s\n", e.Hint)
		}
	}
	if len(list) > 1 {
		fmt.Fprintf(w, "ouchie: %s\n", human.Count(len(list), kind))
	}
}

// hintError adds a hint to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

func withHint(err error, hint string) error { return &hintError{err, hint} }

// listenError words a failure to bind the same for every command that
// listens: "listen ADDR: address already in use", with a hint naming the
// flags that choose another address.
func listenError(err error, flags string) error {
	var op *net.OpError
	isOp := errors.As(err, &op) && op.Op == "listen"
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		if isOp && op.Addr != nil {
			err = fmt.Errorf("listen %s: %w", op.Addr, syscall.EADDRINUSE)
		}
		return withHint(err, "another process holds that port; choose another address with "+flags)
	case isOp:
		return withHint(err, "choose another address with "+flags)
	}
	return err
}

// embeddedOrigin is how commands name the site built into the binary.
const embeddedOrigin = "the default site built into ouchie"

// SiteFlag selects a site: a folder, or the embedded default.
type SiteFlag struct {
	Src string `help:"Site folder (holding content/, themes/, ouchie.yaml). Default: ./ when it holds content/, else the default site built into ouchie." env:"OUCHIE_SRC" placeholder:"DIR"`
}

// open returns the site's files and a description of where they came from.
func (s SiteFlag) open(env *Env) (fs.FS, string, error) {
	src := s.Src
	if src == "" {
		if generator.CheckSite(".") != nil {
			return env.DefaultSite, embeddedOrigin, nil
		}
		src = "."
	}
	if err := generator.CheckSite(src); err != nil {
		return nil, "", withHint(err, "--src names a folder holding content/ and themes/; `ouchie init DIR` writes one")
	}
	fsys, err := generator.OpenDir(src)
	if err != nil {
		return nil, "", fmt.Errorf("site %s: %w", src, err)
	}
	return fsys, "site " + src, nil
}

// splitList splits comma lists given once or many times ("--format html,json").
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version, as --version does.
func (VersionCmd) Run(env *Env) error {
	fmt.Fprintln(env.Stdout, versionLine())
	return nil
}

func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return "ouchie " + version(Version, bi)
}

// version is the version to print: the one set at link time (make build,
// make release), else the module version go install records
// ("go install github.com/ouchie/ouchie@v1.2.3"), else "dev" with the
// commit go build records from a git checkout.
func version(linked string, bi *debug.BuildInfo) string {
	if linked != "dev" || bi == nil {
		return linked
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return linked
	}
	rev = rev[:min(len(rev), 12)]
	if modified == "true" {
		rev += ", modified"
	}
	return linked + " (" + rev + ")"
}

// HelpCmd shows the help of a command, as "ouchie CMD --help" does.
type HelpCmd struct {
	Command []string `arg:"" optional:"" help:"Command, and subcommand, to show the help of."`
}

// Run prints the help of the command named, or of ouchie itself.
func (h *HelpCmd) Run(ctx *kong.Context) error {
	traced, err := kong.Trace(ctx.Kong, h.Command)
	if err != nil {
		return err
	}
	if traced.Error != nil {
		return withHint(traced.Error, "run 'ouchie help' for the command list")
	}
	return traced.PrintUsage(false)
}
