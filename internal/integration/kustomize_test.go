package integration

import (
	"os/exec"
	"reflect"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestKustomization runs `kubectl kustomize deploy/kubernetes/` (what
// `kubectl apply -k` applies) and checks the Namespace comes first and every
// manifest of the folder comes out once, unchanged. kubectl is not among the
// tools .ci/run installs, so without it the test skips, under CI too.
func TestKustomization(t *testing.T) {
	if testing.Short() {
		t.Skip("kubectl test: skipped in -short mode")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl: this test runs where kubectl is installed (kustomize is built in)")
	}
	out, code := run(t, nil, nil, kubectl, "kustomize", k8sDir)
	if code != 0 {
		t.Fatalf("kubectl kustomize %s: exit %d:\n%s", k8sDir, code, out)
	}
	got := parseManifests(t, "kubectl kustomize", []byte(out))
	if len(got) == 0 || got[0].Kind != "Namespace" {
		t.Fatalf("kubectl kustomize: the first object is not the Namespace (%d objects)", len(got))
	}
	type key struct{ kind, name string }
	rendered := map[key]object{}
	for _, o := range got {
		k := key{o.Kind, o.Metadata.Name}
		if _, dup := rendered[k]; dup {
			t.Errorf("kubectl kustomize: %s %s twice", o.Kind, o.Metadata.Name)
		}
		rendered[k] = o
	}
	files := readManifests(t, k8sDir)
	for _, f := range files {
		r, ok := rendered[key{f.Kind, f.Metadata.Name}]
		if !ok {
			t.Errorf("%s: %s %s is not in kustomization.yaml's resources", f.file, f.Kind, f.Metadata.Name)
			continue
		}
		var want, have map[string]any
		decode(t, f, &want)
		if err := yaml.Unmarshal(r.raw, &have); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(want, have) {
			t.Errorf("%s: kustomize changes %s %s; kustomization.yaml should only list the files", f.file, f.Kind, f.Metadata.Name)
		}
	}
	if len(got) != len(files) {
		t.Errorf("kubectl kustomize printed %d objects, the folder's manifests hold %d", len(got), len(files))
	}
}
