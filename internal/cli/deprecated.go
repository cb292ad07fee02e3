package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
)

// Old spellings of flags and environment variables keep working for one
// release after they were renamed, each with a line on stderr saying what
// replaces it. They are all here, so removing them later is deleting this
// file and the hidden fields it names.

// deprecated tells the person at the terminal that an old spelling still
// works, for now.
func deprecated(w io.Writer, old, now string) {
	fmt.Fprintf(w, "ouchie: warning: %s is deprecated and goes away in the next release; use %s\n", old, now)
}

// onArgs reports whether flag (its long name) was on the command line, as
// opposed to taken from the environment or its default.
func onArgs(ctx *kong.Context, flag string) bool {
	for _, p := range ctx.Path {
		if p.Flag != nil && p.Flag.Name == flag {
			return true
		}
	}
	return false
}

// spelling names how a value was given: the flag when it was on the
// command line, else the environment variable.
func spelling(ctx *kong.Context, flag, env string) string {
	if onArgs(ctx, flag) {
		return "--" + flag
	}
	return env
}

// AfterApply takes build's old --out (OUCHIE_OUT) as --dist (OUCHIE_DIST),
// which wins when both are given the same way, and warns of a list in
// OUCHIE_THEME.
func (c *BuildCmd) AfterApply(ctx *kong.Context, env *Env) error {
	if c.Out != "" {
		deprecated(env.Stderr, spelling(ctx, "out", "OUCHIE_OUT"), "--dist (OUCHIE_DIST)")
		_, distEnv := os.LookupEnv("OUCHIE_DIST")
		switch {
		case onArgs(ctx, "out") && onArgs(ctx, "dist"):
			if c.Out != c.Dist {
				return withHint(errors.New("--out and --dist name different folders"), "--out is the old spelling of --dist: give only --dist")
			}
		case onArgs(ctx, "out") || !onArgs(ctx, "dist") && !distEnv:
			c.Dist = c.Out
		}
	}
	themeList(ctx, env, &c.Theme)
	return nil
}

// AfterApply warns of a list in OUCHIE_THEME.
func (c *PreviewCmd) AfterApply(ctx *kong.Context, env *Env) error {
	themeList(ctx, env, &c.Theme)
	return nil
}

// themeList takes build's or preview's themes from OUCHIE_THEME when
// neither --theme nor OUCHIE_THEMES (set and not empty) gives them, and
// warns when it holds a list: OUCHIE_THEME names one theme in every command
// now, OUCHIE_THEMES holds a list.
func themeList(ctx *kong.Context, env *Env, themes *[]string) {
	one := os.Getenv("OUCHIE_THEME")
	if onArgs(ctx, "theme") || os.Getenv("OUCHIE_THEMES") != "" || one == "" {
		return
	}
	*themes = splitList([]string{one})
	if len(*themes) > 1 {
		deprecated(env.Stderr, "a list in OUCHIE_THEME", "OUCHIE_THEMES for a list (OUCHIE_THEME names one theme, as ouchie serve takes it)")
	}
}

// AfterApply takes the crashlog commands' token file from the server's
// variable, OUCHIE_ADMIN_TOKEN_FILE, when neither --token-file nor
// OUCHIE_TOKEN_FILE gives it.
func (f *AdminFlags) AfterApply(env *Env) error {
	if old := os.Getenv("OUCHIE_ADMIN_TOKEN_FILE"); f.TokenFile == "" && old != "" {
		deprecated(env.Stderr, "OUCHIE_ADMIN_TOKEN_FILE for ouchie crashlog", "OUCHIE_TOKEN_FILE (OUCHIE_ADMIN_TOKEN_FILE is ouchie serve's)")
		f.TokenFile = old
	}
	return nil
}
