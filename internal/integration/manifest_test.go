package integration

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"
)

// k8sDir holds the Kubernetes manifests.
var k8sDir = filepath.Join(repoRoot, "deploy", "kubernetes")

// meta is an object's metadata.
type meta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

// object is one manifest document: its kind, and the document itself for
// decoding into the kind's struct.
type object struct {
	file       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
	raw        []byte
}

type deployment struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta    `yaml:"metadata"`
			Spec     podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    int64 `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name     string `yaml:"name"`
		Optional bool   `yaml:"optional"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// env returns the container's environment as a map.
func (c container) env() map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

type service struct {
	Spec struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type hpa struct {
	Spec struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
	} `yaml:"spec"`
}

type pdb struct {
	Spec struct {
		MinAvailable any `yaml:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
	} `yaml:"spec"`
}

type configMap struct {
	Data map[string]string `yaml:"data"`
}

// readManifests parses every document of every .yaml file directly in dir,
// but kustomization.yaml, which lists them rather than being one.
func readManifests(t testing.TB, dir string) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	var objs []object
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, parseManifests(t, filepath.Base(f), data)...)
	}
	return objs
}

// parseManifests parses every document of a YAML stream (a manifest file,
// or what helm template or kubectl kustomize print); file names it in errors.
func parseManifests(t testing.TB, file string, data []byte) []object {
	t.Helper()
	var objs []object
	for i, doc := range splitDocs(data) {
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			t.Fatalf("%s: document %d: %v", file, i+1, err)
		}
		o.file, o.raw = file, doc
		objs = append(objs, o)
	}
	return objs
}

// splitDocs splits a YAML stream at its "---" lines, dropping empty documents.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// decode decodes an object's document into v, or fails the test.
func decode(t testing.TB, o object, v any) {
	t.Helper()
	if err := yaml.Unmarshal(o.raw, v); err != nil {
		t.Fatalf("%s: %s %s: %v", o.file, o.Kind, o.Metadata.Name, err)
	}
}

// checkDeployment checks what every ouchie Deployment needs, from a file or
// a chart, and returns it with its container: a selector that selects its
// pods; one container running the image's entrypoint with args [serve ...],
// with ouchie serve's own flags and OUCHIE_* variables; CPU and memory
// requests and limits; a non-root user, a read-only root filesystem and no
// privilege escalation.
func checkDeployment(t testing.TB, objs []object, serve flagSet) (deployment, container) {
	t.Helper()
	var d deployment
	decode(t, find(t, objs, "Deployment"), &d)
	pod := d.Spec.Template.Spec
	if !labelsMatch(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("Deployment: selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) != 0 || len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("container: command %q args %q, want the image's entrypoint with args [serve ...]", c.Command, c.Args)
	}
	checkArgs(t, "container args", c.Args, serve)
	for name := range c.env() {
		if strings.HasPrefix(name, "OUCHIE_") && !serve.env[name] {
			t.Errorf("container env %s is not a variable of ouchie serve (%s)", name, strings.Join(slices.Sorted(maps.Keys(serve.env)), " "))
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("container: want %s request and limit, have %v / %v", r, c.Resources.Requests, c.Resources.Limits)
		}
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(pod.SecurityContext.RunAsNonRoot) || pod.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod: want runAsNonRoot and a non-zero runAsUser")
	}
	if !isTrue(c.SecurityContext.ReadOnlyRootFilesystem) || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container: want readOnlyRootFilesystem and no privilege escalation")
	}
	return d, c
}

// find returns the single object of a kind, failing unless there is exactly one.
func find(t testing.TB, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s in %s, found %d", kind, k8sDir, len(found))
	}
	return found[0]
}

// serveFlags is what `ouchie serve --help` says: its flags and the
// environment variables that set them.
type flagSet struct {
	flags map[string]bool // "--listen"
	env   map[string]bool // "OUCHIE_LISTEN"
}

var (
	helpFlag = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--(\[no-\])?([a-z0-9-]+)`) // --name, --[no-]name
	helpEnv  = regexp.MustCompile(`\$(OUCHIE_[A-Z0-9_]+)`)
	helpMu   sync.Mutex
	helpMemo = map[string]flagSet{}
)

// commandFlags runs `ouchie <cmd...> --help` and collects its flags and
// environment variables.
func commandFlags(t testing.TB, cmd ...string) flagSet {
	t.Helper()
	key := strings.Join(cmd, " ")
	helpMu.Lock()
	defer helpMu.Unlock()
	if fs, ok := helpMemo[key]; ok {
		return fs
	}
	bin, _ := ouchieBuild(t)
	out, code := run(t, nil, nil, bin, append(cmd, "--help")...)
	if code != 0 {
		t.Fatalf("ouchie %s --help exited %d:\n%s", key, code, out)
	}
	fs := flagSet{flags: map[string]bool{}, env: map[string]bool{}}
	for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
		fs.flags["--"+m[2]] = true
		if m[1] != "" {
			fs.flags["--no-"+m[2]] = true
		}
	}
	for _, m := range helpEnv.FindAllStringSubmatch(out, -1) {
		fs.env[m[1]] = true
	}
	if !fs.flags["--help"] {
		t.Fatalf("could not read the flags of ouchie %s --help:\n%s", key, out)
	}
	helpMemo[key] = fs
	return fs
}

// checkArgs checks a command line's flags (--name or --name=value) against
// the command's real ones.
func checkArgs(t testing.TB, where string, args []string, fs flagSet) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		if !fs.flags[name] {
			t.Errorf("%s: flag %s is not one of ouchie's (%s)", where, name, strings.Join(slices.Sorted(maps.Keys(fs.flags)), " "))
		}
	}
}

// portOf returns the port of a host:port listen address.
func portOf(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

// labelsMatch reports whether every selector label is among labels.
func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// readFileOrEmpty returns a file's bytes, or nil when it does not exist.
func readFileOrEmpty(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}
