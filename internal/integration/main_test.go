package integration

import (
	"bytes"
	"fmt"
	gobuild "go/build"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// repoRoot is the module root: the default site, docs/ and deploy/.
const repoRoot = "../.."

// built is the ouchie binary and the default site's bundles, made once per
// test run by ouchieBuild and removed by TestMain.
var built struct {
	once sync.Once
	dir  string
	bin  string // the ouchie binary
	dist string // every theme, every format (html,json,txt,xml,http)
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// ouchieBuild returns the ouchie binary and a dist/ folder holding every
// theme's bundle in every format, building both on first use. The binary is
// built with go test's own settings, so it reuses the build cache; the
// Dockerfile's flags (CGO_ENABLED=0, -trimpath) are checked in
// TestDockerfile.
func ouchieBuild(t testing.TB) (bin, dist string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the ouchie binary: skipped in -short mode")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "ouchie-integration-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "ouchie")
		built.dist = filepath.Join(built.dir, "dist")
		build := exec.Command(goTool(), "build", "-o", built.bin, ".")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		dist := exec.Command(built.bin, "build", "--src", repoRoot, "--dist", built.dist, "--format", "all")
		var out bytes.Buffer
		dist.Stdout, dist.Stderr = &out, &out
		if err := dist.Run(); err != nil {
			built.err = fmt.Errorf("ouchie build: %v\n%s", err, out.Bytes())
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin, built.dist
}

// goTool returns the go command: the one on the PATH, else the one of the
// Go that built the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(gobuild.Default.GOROOT, "bin", "go")
}

// theme is the bundle the router tests serve.
const theme = "classic"

// bundleDir returns the served theme's bundle folder.
func bundleDir(t testing.TB) string {
	t.Helper()
	_, dist := ouchieBuild(t)
	return filepath.Join(dist, theme)
}

// requireTool returns the path of a router binary. Without it the test
// skips, or fails under CI=true, where .ci/run must have installed it.
func requireTool(t testing.TB, name, pkg string, candidates ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s test: skipped in -short mode", name)
	}
	for _, c := range append(candidates, name) {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	missingTool(t, fmt.Sprintf("no %s: install Debian's %s (apt-get install %s); .ci/run does", name, pkg, pkg))
	return ""
}

// missingTool skips the test, or fails it under CI=true, where .ci/run must
// have installed every tool.
func missingTool(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
