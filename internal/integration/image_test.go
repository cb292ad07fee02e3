package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// maxImageSize is the most the image may weigh as a registry stores it and
// a node pulls it: its layers gzipped. (Uncompressed it is the static
// binary, about 25 MB with the Redis client.)
const maxImageSize = 15_000_000

// imageConfig is what `podman image inspect` says of an image.
type imageConfig struct {
	Os           string
	Architecture string
	Size         int64
	Config       struct {
		User         string
		Env          []string
		Entrypoint   []string
		Cmd          []string
		Labels       map[string]string
		ExposedPorts map[string]any
	}
	Healthcheck *struct{ Test []string } // from the Docker-format config
	RootFS      struct{ Layers []string }
}

// TestImage builds the image with `make image` (podman, with its storage in
// a temporary folder: nothing pulled, nothing left behind) and checks what
// `podman image inspect` says: one layer on an empty base, under 15 MB, a
// numeric non-root user, /ouchie serve with real flags and OUCHIE_*
// variables, listening on all interfaces at the EXPOSEd port, a HEALTHCHECK
// running ouchie healthcheck there, and the OCI labels. Containers cannot run
// here, so it then takes the binary out of the saved image's layer and runs
// it as the image would (listen address moved to loopback, in a folder with
// no site): the embedded default site answers, and so does the HEALTHCHECK.
func TestImage(t *testing.T) {
	podman := requireTool(t, "podman", "podman")
	tmp := t.TempDir()
	podmanCmd := []string{podman, "--root", filepath.Join(tmp, "root"), "--runroot", filepath.Join(tmp, "runroot"), "--storage-driver", "vfs"}
	const version, image = "v0.0.0-test", "localhost/ouchie-test:latest"
	makeTarget(t, "image", "PODMAN="+strings.Join(podmanCmd, " "), "IMAGE="+image, "VERSION="+version,
		"IMAGE_CONTEXT="+filepath.Join(tmp, "context"))

	out, code := run(t, nil, nil, podmanCmd[0], append(podmanCmd[1:], "image", "inspect", image)...)
	var inspected []imageConfig
	if err := json.Unmarshal([]byte(out), &inspected); code != 0 || err != nil || len(inspected) != 1 {
		t.Fatalf("podman image inspect: exit %d, %v:\n%s", code, err, out)
	}
	img := inspected[0]
	cfg := img.Config
	if img.Os != "linux" || img.Architecture != runtime.GOARCH {
		t.Errorf("image for %s/%s, want linux/%s", img.Os, img.Architecture, runtime.GOARCH)
	}
	if len(img.RootFS.Layers) != 1 {
		t.Errorf("image has %d layers, want 1 (the binary, FROM scratch)", len(img.RootFS.Layers))
	}
	if img.Size <= 0 {
		t.Errorf("image size %d bytes", img.Size)
	}
	t.Logf("image size: %d bytes", img.Size)
	if !regexp.MustCompile(`^[1-9]\d*(:[1-9]\d*)?$`).MatchString(cfg.User) {
		t.Errorf("image user %q, want a numeric non-root uid[:gid]", cfg.User)
	}
	if len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "/ouchie" || len(cfg.Cmd) == 0 || cfg.Cmd[0] != "serve" {
		t.Errorf("image entrypoint %q cmd %q, want [/ouchie] [serve ...]", cfg.Entrypoint, cfg.Cmd)
	}
	serve := commandFlags(t, "serve")
	checkArgs(t, "image cmd", cfg.Cmd, serve)
	env := map[string]string{}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if strings.HasPrefix(k, "OUCHIE_") && !serve.env[k] {
			t.Errorf("image env %s is not a variable of ouchie serve", k)
		}
	}
	port := portOf(env["OUCHIE_LISTEN"])
	if env["OUCHIE_LISTEN"] != "0.0.0.0:"+port || cfg.ExposedPorts[port+"/tcp"] == nil {
		t.Errorf("image OUCHIE_LISTEN %q, exposed %v: want 0.0.0.0:PORT and PORT/tcp exposed", env["OUCHIE_LISTEN"], cfg.ExposedPorts)
	}
	var probe []string
	if hc := img.Healthcheck; hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/ouchie" || hc.Test[2] != "healthcheck" {
		t.Errorf("image healthcheck %+v, want CMD /ouchie healthcheck ... (podman keeps it only with --format docker)", hc)
	} else {
		probe = hc.Test[2:]
		checkArgs(t, "image healthcheck", probe, commandFlags(t, "healthcheck"))
		if !strings.Contains(strings.Join(probe, " "), "http://127.0.0.1:"+port+"/healthz") {
			t.Errorf("image healthcheck %q, want it to ask http://127.0.0.1:%s/healthz", probe, port)
		}
	}
	for _, l := range []string{"title", "description", "source", "version", "revision", "created"} {
		if cfg.Labels["org.opencontainers.image."+l] == "" {
			t.Errorf("image has no org.opencontainers.image.%s label (%v)", l, cfg.Labels)
		}
	}
	if v := cfg.Labels["org.opencontainers.image.version"]; v != version {
		t.Errorf("image version label %q, want %q", v, version)
	}
	if _, err := time.Parse(time.RFC3339, cfg.Labels["org.opencontainers.image.created"]); err != nil {
		t.Errorf("image created label: %v", err)
	}

	// The binary, out of the saved image, run as the image runs it.
	archive := filepath.Join(tmp, "image.tar")
	if out, code := run(t, nil, nil, podmanCmd[0], append(podmanCmd[1:], "save", "--format", "docker-archive", "-o", archive, image)...); code != 0 {
		t.Fatalf("podman save: exit %d:\n%s", code, out)
	}
	if n := gzipSize(t, archive); n >= maxImageSize {
		t.Errorf("image %d bytes gzipped (%d uncompressed), want under %d", n, img.Size, maxImageSize)
	} else {
		t.Logf("image: %d bytes gzipped, %d uncompressed", n, img.Size)
	}
	bin := filepath.Join(tmp, "ouchie")
	if err := os.WriteFile(bin, imageFile(t, archive, cfg.Entrypoint[0]), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, nil, nil, bin, "version"); code != 0 || strings.TrimSpace(out) != "ouchie "+version {
		t.Errorf("the image's ouchie version: %q (exit %d), want \"ouchie %s\"", out, code, version)
	}
	addr := freePort(t)
	var vars []string
	for k, v := range env {
		if k == "OUCHIE_LISTEN" {
			v = addr
		}
		vars = append(vars, k+"="+v)
	}
	srv := startIn(t, t.TempDir(), "ouchie-image", vars, bin, cfg.Cmd...)
	srv.waitListening(t, addr)
	r := get(t, "http://"+addr+"/503", "Accept", acceptJSON)
	if r.status != 503 || !strings.Contains(string(r.body), `"id": "503"`) {
		t.Errorf("the image's ouchie serve: /503 answered %d %s, want the default site's 503 page", r.status, excerpt(r.body))
	}
	if len(probe) > 0 {
		for i, a := range probe {
			probe[i] = strings.ReplaceAll(a, "127.0.0.1:"+port, addr)
		}
		if out, code := run(t, nil, nil, bin, probe...); code != 0 {
			t.Errorf("the image's HEALTHCHECK %q: exit %d, want 0:\n%s", probe, code, out)
		}
	}
}

// imageFile returns a file of a docker-archive image (as `podman save
// --format docker-archive` writes it), read from the layers named in its
// manifest, the last layer holding the file winning.
func imageFile(t testing.TB, archive, name string) []byte {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	members := map[string][]byte{}
	for _, m := range readTar(t, archive, f) {
		if m.hdr.Typeflag == tar.TypeReg {
			members[m.hdr.Name] = m.data
		}
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(members["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("%s: manifest.json: %v (%d images)", archive, err, len(manifest))
	}
	var found []byte
	want := strings.TrimPrefix(path.Clean(name), "/")
	for _, l := range manifest[0].Layers {
		layer, ok := members[l]
		if !ok {
			t.Fatalf("%s: no layer %s", archive, l)
		}
		for _, m := range readTar(t, archive+": layer "+l, bytes.NewReader(layer)) {
			if strings.TrimPrefix(path.Clean(m.hdr.Name), "/") == want {
				if m.hdr.FileInfo().Mode()&0o111 == 0 {
					t.Errorf("%s: %s is not executable (%v)", archive, name, m.hdr.FileInfo().Mode())
				}
				found = m.data
			}
		}
	}
	if found == nil {
		t.Fatalf("%s: no %s in any layer", archive, name)
	}
	return found
}

// gzipSize returns the size of file gzipped at the default level, as image
// layers are pushed and pulled.
func gzipSize(t *testing.T, file string) int64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n countWriter
	zw := gzip.NewWriter(&n)
	if _, err := io.Copy(zw, f); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
