package integration

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildTimeout bounds a make run that compiles: a release cross-compiles
// the standard library for six platforms on a cold cache.
const buildTimeout = 15 * time.Minute

// makeTarget runs `make TARGET VAR=value...` in the repository with the go
// command the tests use, failing the test when it fails.
func makeTarget(t testing.TB, target string, vars ...string) string {
	t.Helper()
	mk := requireTool(t, "make", "make")
	out, code := runFor(t, buildTimeout, nil, nil, mk, append([]string{"-C", repoRoot, target, "GO=" + goTool()}, vars...)...)
	if code != 0 {
		t.Fatalf("make %s %s: exit %d:\n%s", target, strings.Join(vars, " "), code, out)
	}
	return out
}

// releasePlatforms are the GOOS/GOARCH pairs make release must cover.
var releasePlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// TestRelease runs `make release` twice into two folders and checks the
// two are byte for byte the same, then what they hold: one archive per
// platform (tar.gz, or zip for Windows) holding a folder with the binary and
// README.md, SHA256SUMS right for every archive, binaries built for their
// platform with CGO_ENABLED=0 and -trimpath and no path of this checkout in
// them, the Linux ones static, and this machine's own printing the version.
func TestRelease(t *testing.T) {
	const version = "v0.0.0-test"
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	for _, d := range dirs {
		makeTarget(t, "release", "RELEASE="+d, "VERSION="+version)
	}
	files := map[string][]byte{}
	for i, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, e.Name())
			if i == 0 {
				files[e.Name()] = data
			} else if !bytes.Equal(files[e.Name()], data) {
				t.Errorf("make release is not reproducible: %s differs between two runs", e.Name())
			}
		}
		if len(names) != len(files) {
			t.Errorf("make release wrote %q the second time, %d files the first", names, len(files))
		}
	}

	// SHA256SUMS names every archive, with its sum.
	sums := files["SHA256SUMS"]
	var listed []string
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || sum != fmt.Sprintf("%x", sha256.Sum256(files[name])) || files[name] == nil {
			t.Errorf("SHA256SUMS: line %q does not match a file of the release", sc.Text())
		}
		listed = append(listed, name)
	}
	if len(listed) != len(releasePlatforms) || len(files) != len(releasePlatforms)+1 {
		t.Errorf("release holds %d files and SHA256SUMS lists %q; want an archive per platform (%d) and SHA256SUMS", len(files), listed, len(releasePlatforms))
	}

	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range releasePlatforms {
		goos, goarch, _ := strings.Cut(p, "/")
		dir := fmt.Sprintf("ouchie_%s_%s_%s", version, goos, goarch)
		exe, archive := "ouchie", dir+".tar.gz"
		if goos == "windows" {
			exe, archive = "ouchie.exe", dir+".zip"
		}
		if !slices.Contains(listed, archive) {
			t.Errorf("SHA256SUMS does not list %s", archive)
			continue
		}
		members := unpack(t, archive, files[archive])
		if got, want := slices.Sorted(maps.Keys(members)), []string{dir + "/", dir + "/README.md", dir + "/" + exe}; !slices.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", archive, got, want)
			continue
		}
		if !bytes.Equal(members[dir+"/README.md"], readme) {
			t.Errorf("%s: README.md is not the repository's", archive)
		}
		bin := members[dir+"/"+exe]
		checkReleaseBinary(t, archive, bin, goos, goarch, abs)
		if goos == "linux" {
			if f, err := elf.NewFile(bytes.NewReader(bin)); err != nil {
				t.Errorf("%s: %s is not ELF: %v", archive, exe, err)
			} else if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC }) {
				t.Errorf("%s: %s is dynamically linked, want static", archive, exe)
			}
		}
		if p == runtime.GOOS+"/"+runtime.GOARCH {
			path := filepath.Join(t.TempDir(), exe)
			if err := os.WriteFile(path, bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, code := run(t, nil, nil, path, "version"); code != 0 || strings.TrimSpace(out) != "ouchie "+version {
				t.Errorf("%s: ouchie version printed %q (exit %d), want \"ouchie %s\"", archive, out, code, version)
			}
		}
	}
}

// checkReleaseBinary checks a binary's build settings: its platform, no cgo,
// -trimpath, no build id, and no trace of the checkout's path.
func checkReleaseBinary(t testing.TB, archive string, bin []byte, goos, goarch, checkout string) {
	t.Helper()
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Errorf("%s: no Go build information: %v", archive, err)
		return
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[k] != v {
			t.Errorf("%s: built with %s=%q, want %q", archive, k, settings[k], v)
		}
	}
	path := filepath.Join(t.TempDir(), "ouchie")
	if err := os.WriteFile(path, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if id, code := run(t, nil, nil, goTool(), "tool", "buildid", path); code != 0 || strings.TrimSpace(id) != "" {
		t.Errorf("%s: build id %q (exit %d), want none (-ldflags -buildid=)", archive, strings.TrimSpace(id), code)
	}
	if bytes.Contains(bin, []byte(checkout)) {
		t.Errorf("%s: the binary holds the build's path %s", archive, checkout)
	}
}

// unpack returns an archive's members by name, failing the test on a member
// whose time or owner differs from the first's (archives must not record
// when or by whom they were made).
func unpack(t testing.TB, name string, data []byte) map[string][]byte {
	t.Helper()
	members := map[string][]byte{}
	var first time.Time
	same := func(member string, mtime time.Time, uid, gid int) {
		if first.IsZero() {
			first = mtime
		}
		if !mtime.Equal(first) || uid != 0 || gid != 0 {
			t.Errorf("%s: %s has time %v, owner %d:%d; want every member at %v, owner 0:0", name, member, mtime, uid, gid, first)
		}
	}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
			members[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
			same(f.Name, f.Modified, 0, 0)
		}
		return members
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, m := range readTar(t, name, zr) {
		members[m.hdr.Name] = m.data
		same(m.hdr.Name, m.hdr.ModTime, m.hdr.Uid, m.hdr.Gid)
	}
	return members
}

// tarMember is one member of a tar stream, with its bytes.
type tarMember struct {
	hdr  *tar.Header
	data []byte
}

// readTar reads every member of a tar stream (at most 100 MiB each), failing
// the test on a broken one; name says which stream.
func readTar(t testing.TB, name string, r io.Reader) []tarMember {
	t.Helper()
	var members []tarMember
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return members
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := io.ReadAll(io.LimitReader(tr, 100<<20))
		if err != nil {
			t.Fatalf("%s: %s: %v", name, h.Name, err)
		}
		members = append(members, tarMember{h, data})
	}
}

// TestInstall runs `make install` with PREFIX and checks the binary lands in
// PREFIX/bin and runs; without PREFIX, `make -n install` must aim at the
// first folder of `go env GOPATH`, plus bin.
func TestInstall(t *testing.T) {
	const version = "v0.0.0-test"
	tmp := t.TempDir()
	makeTarget(t, "install", "PREFIX="+filepath.Join(tmp, "prefix"), "BIN="+filepath.Join(tmp, "build", "ouchie"), "VERSION="+version)
	bin := filepath.Join(tmp, "prefix", "bin", "ouchie")
	if out, code := run(t, nil, nil, bin, "version"); code != 0 || strings.TrimSpace(out) != "ouchie "+version {
		t.Errorf("%s version: %q (exit %d), want \"ouchie %s\"", bin, out, code, version)
	}
	gopath, code := run(t, nil, nil, goTool(), "env", "GOPATH")
	if code != 0 {
		t.Fatalf("go env GOPATH: %s", gopath)
	}
	want := filepath.Join(filepath.SplitList(strings.TrimSpace(gopath))[0], "bin", "ouchie")
	if plan := makeTarget(t, "install", "-n"); !strings.Contains(plan, want) {
		t.Errorf("make -n install does not install to %s:\n%s", want, plan)
	}
}
