package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM ... section.
type stage struct {
	from string
	ins  []instruction
}

// parseDockerfile splits a Dockerfile into stages (instructions before the
// first FROM, such as global ARGs, go into a stage with an empty from).
func parseDockerfile(t testing.TB, path string) []stage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	cur := ""
	for _, l := range strings.Split(string(data), "\n") {
		if trimmed := strings.TrimSpace(l); cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cur += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		lines = append(lines, strings.Join(strings.Fields(cur+l), " "))
		cur = ""
	}
	stages := []stage{{}}
	for _, l := range lines {
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{strings.ToUpper(cmd), args}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: args})
			continue
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	return stages
}

// all returns the args of every instruction of a kind in a stage.
func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// one returns the args of the stage's only instruction of a kind.
func (s stage) one(t testing.TB, cmd string) string {
	t.Helper()
	a := s.all(cmd)
	if len(a) != 1 {
		t.Fatalf("Dockerfile: stage FROM %s has %d %s instructions, want 1", s.from, len(a), cmd)
	}
	return a[0]
}

// execForm decodes a JSON-array (exec form) argument.
func execForm(t testing.TB, what, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil || len(out) == 0 {
		t.Fatalf("Dockerfile: %s %s is not in exec form (a JSON array): %v", what, args, err)
	}
	return out
}

// TestDockerfile checks the Dockerfile without Docker: a Go build stage on
// go.mod's Go version building a static, trimmed binary; the bundle build
// command it runs works and uses ouchie's real flags; a distroless (or
// scratch) final stage running ouchie serve as a non-root numeric user,
// listening on 0.0.0.0 at the EXPOSEd port, with OUCHIE_* variables that
// exist and the baked bundle where OUCHIE_DIST points. Then it runs the
// image's command with the image's environment (listen address and /dist
// moved) and its HEALTHCHECK command against it: healthy, then unhealthy
// once the server stops.
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	if len(stages) != 3 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a final one", len(stages)-1)
	}
	global, build, final := stages[0], stages[1], stages[2]

	// The build stage: go.mod's Go, a static binary.
	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goVersion == nil || !strings.Contains(strings.Join(global.all("ARG"), " "), "GO_VERSION="+string(goVersion[1])) {
		t.Errorf("Dockerfile: want ARG GO_VERSION=%s (go.mod's Go)", goVersion[1])
	}
	if !strings.HasPrefix(build.from, "golang:${GO_VERSION}") {
		t.Errorf("Dockerfile: build stage FROM %s, want golang:${GO_VERSION}...", build.from)
	}
	var goBuild, ouchieBuildCmd string
	for _, r := range build.all("RUN") {
		switch {
		case strings.Contains(r, "go build"):
			goBuild = r
		case strings.Contains(r, "/out/ouchie build"):
			ouchieBuildCmd = r
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "github.com/ouchie/ouchie/internal/cli.Version=", "-o /out/ouchie"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("Dockerfile: go build %q lacks %s", goBuild, want)
		}
	}

	// The bundle build command, run here as the image build runs it.
	bin, dist := ouchieBuild(t)
	args := strings.Fields(strings.TrimPrefix(ouchieBuildCmd, "/out/ouchie "))
	checkArgs(t, "Dockerfile's ouchie build", args, commandFlags(t, "build"))
	out := filepath.Join(t.TempDir(), "dist")
	for i, a := range args {
		switch a {
		case `"${SITE}"`, "${SITE}":
			args[i] = repoRoot
		case "/out/dist":
			args[i] = out
		}
	}
	if log, code := run(t, nil, nil, bin, args...); code != 0 {
		t.Fatalf("Dockerfile's ouchie build %q failed:\n%s", args, log)
	}
	if _, err := os.Stat(filepath.Join(out, theme, "502.http")); err != nil {
		t.Errorf("Dockerfile's bundle has no %s/502.http: %v", theme, err)
	}

	// The final stage.
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("Dockerfile: final stage FROM %s, want distroless/static or scratch", final.from)
	}
	if u := final.one(t, "USER"); !regexp.MustCompile(`^[1-9]\d*(:[1-9]\d*)?$`).MatchString(u) {
		t.Errorf("Dockerfile: USER %q, want a numeric non-root uid[:gid] (Kubernetes' runAsNonRoot checks numbers)", u)
	}
	env := map[string]string{}
	for _, e := range final.all("ENV") {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	serve := commandFlags(t, "serve")
	for k := range env {
		if strings.HasPrefix(k, "OUCHIE_") && !serve.env[k] {
			t.Errorf("Dockerfile: ENV %s is not a variable of ouchie serve", k)
		}
	}
	expose := final.one(t, "EXPOSE")
	if env["OUCHIE_LISTEN"] != "0.0.0.0:"+expose {
		t.Errorf("Dockerfile: OUCHIE_LISTEN %q, want 0.0.0.0:%s (the EXPOSEd port, all interfaces)", env["OUCHIE_LISTEN"], expose)
	}
	copies := strings.Join(final.all("COPY"), "\n")
	if !strings.Contains(copies, "/out/ouchie /ouchie") || !strings.Contains(copies, "/out/dist "+env["OUCHIE_DIST"]) {
		t.Errorf("Dockerfile: final COPY %q, want /ouchie and the bundle at OUCHIE_DIST %q", copies, env["OUCHIE_DIST"])
	}
	entry := execForm(t, "ENTRYPOINT", final.one(t, "ENTRYPOINT"))
	cmd := execForm(t, "CMD", final.one(t, "CMD"))
	if len(entry) != 1 || entry[0] != "/ouchie" || cmd[0] != "serve" {
		t.Errorf("Dockerfile: ENTRYPOINT %q CMD %q, want [/ouchie] [serve ...]", entry, cmd)
	}
	checkArgs(t, "Dockerfile CMD", cmd, serve)
	hc := final.one(t, "HEALTHCHECK")
	_, hcCmd, ok := strings.Cut(hc, "CMD ")
	if !ok {
		t.Fatalf("Dockerfile: HEALTHCHECK %q has no CMD", hc)
	}
	probe := execForm(t, "HEALTHCHECK CMD", hcCmd)
	if probe[0] != "/ouchie" || !strings.Contains(hcCmd, "127.0.0.1:"+expose+"/healthz") {
		t.Errorf("Dockerfile: HEALTHCHECK %q, want /ouchie asking 127.0.0.1:%s/healthz", probe, expose)
	}

	// Run the image's command with its environment, then its HEALTHCHECK.
	if out, code := run(t, nil, nil, bin, probe[1], "--help"); code != 0 {
		t.Skipf("the HEALTHCHECK needs `ouchie %s`, which this build lacks (exit %d):\n%s", probe[1], code, out)
	}
	checkArgs(t, "HEALTHCHECK", probe[1:], commandFlags(t, probe[1]))
	addr := freePort(t)
	var vars []string
	for k, v := range env {
		switch k {
		case "OUCHIE_LISTEN":
			v = addr
		case "OUCHIE_DIST":
			v = dist
		}
		vars = append(vars, k+"="+v)
	}
	srv := start(t, "ouchie-image", vars, bin, cmd...)
	srv.waitListening(t, addr)
	for i, a := range probe {
		probe[i] = strings.ReplaceAll(a, "127.0.0.1:"+expose, addr)
	}
	if out, code := run(t, nil, nil, bin, probe[1:]...); code != 0 {
		t.Errorf("HEALTHCHECK %q against the running server: exit %d, want 0:\n%s", probe, code, out)
	}
	srv.stop(t)
	if out, code := run(t, nil, nil, bin, probe[1:]...); code == 0 {
		t.Errorf("HEALTHCHECK %q with the server stopped: exit 0, want failure:\n%s", probe, out)
	}
}

// TestDockerignore checks the build context leaves out local build output
// and history, and keeps everything `go build` and the default site need.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns[strings.Trim(l, "/")] = true
		}
	}
	for _, p := range []string{"dist", "bin", ".git"} {
		if !patterns[p] {
			t.Errorf(".dockerignore does not leave out %s", p)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "main.go", "ouchie.yaml", "logo.svg", "content", "themes", "internal", "generator", "server"} {
		for p := range patterns {
			if ok, _ := filepath.Match(p, keep); ok || p == keep {
				t.Errorf(".dockerignore pattern %q leaves out %s, which the image build needs", p, keep)
			}
		}
	}
}
