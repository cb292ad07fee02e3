// Command release builds ouchie for every release platform and packs each
// binary, with the README, into an archive: tar.gz for Linux and macOS, zip
// for Windows, then writes SHA256SUMS. The same source, version, date and Go
// give the same bytes: the archives hold no build time, owner or host path.
// `make release` runs it:
//
//	go run ./scripts/release -out bin/release -version v1.2.0 -date 1767225600 \
//	    -platforms 'linux/amd64 windows/arm64' -- go build -trimpath -ldflags '-s -w -buildid= -X ...'
//
// Everything after -- is the build command; release appends -o and the
// package, and runs it with CGO_ENABLED=0 and each platform's GOOS and
// GOARCH.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// safeVersion is what a version may hold: it becomes part of file names.
var safeVersion = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "release: error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "bin/release", "folder to write the archives and SHA256SUMS into; must not exist or be empty")
	version := flag.String("version", "", "version in the archive names (the binary's own comes from the build command's -ldflags)")
	date := flag.Int64("date", 315532800, "modification time of every archived file, in seconds since 1970 (SOURCE_DATE_EPOCH)")
	targets := flag.String("platforms", "", "GOOS/GOARCH pairs to build, space-separated (the Makefile's PLATFORMS)")
	pkg := flag.String("pkg", ".", "package to build")
	files := flag.String("files", "README.md", "files packed beside the binary, space-separated")
	flag.Parse()
	build := flag.Args()
	switch {
	case !safeVersion.MatchString(*version):
		return fmt.Errorf("-version %q: want letters, digits and ._+- (e.g. git describe's output)", *version)
	case len(build) == 0:
		return fmt.Errorf("no build command: give it after --, e.g. -- go build -trimpath")
	case strings.TrimSpace(*targets) == "":
		return fmt.Errorf("no -platforms: give GOOS/GOARCH pairs, e.g. -platforms 'linux/amd64 windows/arm64'")
	case *date < 315532800:
		return fmt.Errorf("-date %d is before 1980, which zip cannot store", *date)
	}
	if err := emptyDir(*out); err != nil {
		return err
	}
	mtime := time.Unix(*date, 0).UTC()
	extra := make([]entry, 0, 2)
	for _, f := range strings.Fields(*files) {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		extra = append(extra, entry{name: filepath.Base(f), mode: 0o644, data: data})
	}

	tmp, err := os.MkdirTemp("", "ouchie-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var archives []string
	for _, p := range strings.Fields(*targets) {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("-platforms: %q is not GOOS/GOARCH", p)
		}
		name := fmt.Sprintf("ouchie_%s_%s_%s", *version, goos, goarch)
		exe := "ouchie"
		if goos == "windows" {
			exe += ".exe"
		}
		bin := filepath.Join(tmp, name, exe)
		if err := goBuild(build, goos, goarch, bin, *pkg); err != nil {
			return err
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		entries := append([]entry{{name: exe, mode: 0o755, data: data}}, extra...)
		archive := filepath.Join(*out, name+".tar.gz")
		if goos == "windows" {
			archive = filepath.Join(*out, name+".zip")
			err = writeZip(archive, name, mtime, entries)
		} else {
			err = writeTarGz(archive, name, mtime, entries)
		}
		if err != nil {
			return err
		}
		archives = append(archives, archive)
		fmt.Println(archive)
	}
	sums := filepath.Join(*out, "SHA256SUMS")
	if err := writeSums(sums, archives); err != nil {
		return err
	}
	fmt.Println(sums)
	return nil
}

// goBuild runs the build command for one platform, writing a static binary.
// The microarchitecture levels are pinned to the baseline so a release runs
// on every machine of its architecture, whatever the builder's environment.
func goBuild(build []string, goos, goarch, bin, pkg string) error {
	args := append(append(build[1:len(build):len(build)], "-o", bin), pkg)
	cmd := exec.Command(build[0], args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOAMD64=v1", "GOARM64=v8.0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s/%s: %s: %w", goos, goarch, strings.Join(cmd.Args, " "), err)
	}
	return nil
}

// emptyDir makes dir, refusing one that already holds files: a release
// folder holds one release, and SHA256SUMS lists all of it.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("-out %s is not empty (it holds %s); remove it first", dir, entries[0].Name())
	}
	return nil
}
