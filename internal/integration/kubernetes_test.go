package integration

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goccy/go-yaml"
	"github.com/ouchie/ouchie/generator/bundle"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes/bundle-configmap.yaml from testdata/custom-site")

// wantKinds are the objects deploy/kubernetes/ holds, with their API versions.
var wantKinds = map[string]string{
	"Namespace":               "v1",
	"Deployment":              "apps/v1",
	"Service":                 "v1",
	"HorizontalPodAutoscaler": "autoscaling/v2",
	"PodDisruptionBudget":     "policy/v1",
	"ConfigMap":               "v1",
	"ServiceAccount":          "v1",
	"ClusterRole":             "rbac.authorization.k8s.io/v1",
	"ClusterRoleBinding":      "rbac.authorization.k8s.io/v1",
}

// clusterScoped are the kinds that live in no namespace.
var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true}

// TestKubernetesManifests parses every manifest under deploy/kubernetes/ and
// checks what a cluster would only find out at run time: kinds and API
// versions, one namespace, selectors that select the pods, the Service's
// target port and the probes' port are the container's, the probes ask
// /healthz, the container runs ouchie serve with flags and OUCHIE_*
// variables the binary really has, listens where its port says, is
// non-root with a read-only root and resource limits, and mounts the bundle
// ConfigMap inside the folder OUCHIE_DIST names.
func TestKubernetesManifests(t *testing.T) {
	objs := readManifests(t, k8sDir)
	for _, o := range objs {
		want, ok := wantKinds[o.Kind]
		switch {
		case !ok:
			t.Errorf("%s: unexpected kind %q", o.file, o.Kind)
		case o.APIVersion != want:
			t.Errorf("%s: %s has apiVersion %q, want %q", o.file, o.Kind, o.APIVersion, want)
		}
		if !clusterScoped[o.Kind] && o.Metadata.Namespace != "ouchie" {
			t.Errorf("%s: %s %s in namespace %q, want ouchie", o.file, o.Kind, o.Metadata.Name, o.Metadata.Namespace)
		}
	}
	for kind := range wantKinds {
		find(t, objs, kind)
	}

	d, c := checkDeployment(t, objs, commandFlags(t, "serve"))
	pod := d.Spec.Template.Spec
	env := c.env()
	listen := env["OUCHIE_LISTEN"]
	if !strings.HasPrefix(listen, "0.0.0.0:") {
		t.Errorf("container: OUCHIE_LISTEN %q, want 0.0.0.0:PORT (ouchie's default listens on loopback only)", listen)
	}
	if len(c.Ports) != 1 || fmt.Sprint(c.Ports[0].ContainerPort) != portOf(listen) {
		t.Errorf("container ports %+v, want the one OUCHIE_LISTEN %q listens on", c.Ports, listen)
	}
	portName := ""
	if len(c.Ports) > 0 {
		portName = c.Ports[0].Name
	}

	// Probes: /healthz on the container's port.
	for name, p := range map[string]*probe{"startupProbe": c.StartupProbe, "readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		switch {
		case p == nil || p.HTTPGet == nil:
			t.Errorf("container: no httpGet %s", name)
		case p.HTTPGet.Path != "/healthz":
			t.Errorf("container: %s asks %q, want /healthz", name, p.HTTPGet.Path)
		case fmt.Sprint(p.HTTPGet.Port) != portName && fmt.Sprint(p.HTTPGet.Port) != portOf(listen):
			t.Errorf("container: %s on port %v, want %q", name, p.HTTPGet.Port, portName)
		}
	}

	// The bundle ConfigMap is mounted in the dist folder ouchie serves.
	var cm object
	for _, o := range objs {
		if o.Kind == "ConfigMap" {
			cm = o
		}
	}
	mounted := false
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil || v.ConfigMap.Name != cm.Metadata.Name {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				mounted = true
				if filepath.Dir(m.MountPath) != env["OUCHIE_DIST"] || !m.ReadOnly {
					t.Errorf("ConfigMap %s mounted at %s (readOnly %v), want a read-only subfolder of OUCHIE_DIST %q", cm.Metadata.Name, m.MountPath, m.ReadOnly, env["OUCHIE_DIST"])
				}
			}
		}
	}
	if !mounted {
		t.Errorf("Deployment does not mount ConfigMap %s", cm.Metadata.Name)
	}

	// Service, HPA and PDB point at the Deployment and its pods.
	var svc service
	decode(t, find(t, objs, "Service"), &svc)
	if !labelsMatch(svc.Spec.Selector, d.Spec.Template.Metadata.Labels) {
		t.Errorf("Service selector %v does not select the pods", svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || (fmt.Sprint(svc.Spec.Ports[0].TargetPort) != portName && fmt.Sprint(svc.Spec.Ports[0].TargetPort) != portOf(listen)) {
		t.Errorf("Service ports %+v, want one targeting the container's port %q", svc.Spec.Ports, portName)
	}
	var h hpa
	decode(t, find(t, objs, "HorizontalPodAutoscaler"), &h)
	if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name != d.Metadata.Name {
		t.Errorf("HPA scales %+v, want Deployment %s", ref, d.Metadata.Name)
	}
	if h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < h.Spec.MinReplicas {
		t.Errorf("HPA replicas %d-%d, want at least 2 (the PDB keeps one through a drain)", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	var p pdb
	decode(t, find(t, objs, "PodDisruptionBudget"), &p)
	if !labelsMatch(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) || p.Spec.MinAvailable == nil {
		t.Errorf("PDB selector %v / minAvailable %v, want the pods and a minimum", p.Spec.Selector.MatchLabels, p.Spec.MinAvailable)
	}
}

// TestKubernetesPodRuns runs ouchie the way the Deployment's container runs
// it: its args and environment, with only the listen address moved to a
// loopback port and /dist to a local build whose "custom" folder holds the
// bundle ConfigMap laid out as the kubelet mounts it (keys as symlinks into
// a ..data folder). Every probe's path answers 200; with OUCHIE_THEME=custom
// the ConfigMap's pages answer, as docs/kubernetes.md says.
func TestKubernetesPodRuns(t *testing.T) {
	t.Parallel()
	objs := readManifests(t, k8sDir)
	var d deployment
	decode(t, find(t, objs, "Deployment"), &d)
	c := d.Spec.Template.Spec.Containers[0]
	var cm configMap
	decode(t, find(t, objs, "ConfigMap"), &cm)
	env := c.env()

	// /dist as the image has it, plus the ConfigMap's mount.
	bin, built := ouchieBuild(t)
	dist := filepath.Join(t.TempDir(), "dist")
	if err := os.CopyFS(dist, os.DirFS(built)); err != nil {
		t.Fatal(err)
	}
	mount := ""
	for _, m := range c.VolumeMounts {
		mount = m.MountPath
	}
	mountConfigMap(t, filepath.Join(dist, strings.TrimPrefix(mount, env["OUCHIE_DIST"])), cm.Data)

	for _, theme := range []string{"", "custom"} {
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
		if theme != "" {
			vars = append(vars, "OUCHIE_THEME="+theme)
		}
		p := start(t, "ouchie-pod"+theme, vars, bin, c.Args...)
		p.waitListening(t, addr)
		for _, pr := range []*probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
			if r := get(t, "http://"+addr+pr.HTTPGet.Path); r.status != 200 {
				t.Errorf("probe %s: %d, want 200", pr.HTTPGet.Path, r.status)
			}
		}
		r := get(t, "http://"+addr+"/503", "Accept", acceptJSON)
		wantID := "503" // the default site's own page
		if theme == "custom" {
			wantID = "5xx" // the custom bundle has only fallbacks
		}
		if !strings.Contains(string(r.body), `"id": "`+wantID+`"`) || r.status != 503 {
			t.Errorf("OUCHIE_THEME=%q: /503 answered %d %s, want page %s", theme, r.status, excerpt(r.body), wantID)
		}
		p.stop(t)
	}
}

// mountConfigMap writes data into dir the way the kubelet mounts a
// ConfigMap: the files in a timestamped folder, ..data a symlink to it, and
// each key a symlink through ..data.
func mountConfigMap(t testing.TB, dir string, data map[string]string) {
	t.Helper()
	ts := filepath.Join(dir, "..2026_01_01_00_00_00.000000001")
	if err := os.MkdirAll(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(ts, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBundleConfigMap checks deploy/kubernetes/bundle-configmap.yaml: its
// data is a complete, valid bundle (every file the manifest names, sizes
// and checksums right) and fits a ConfigMap (1 MiB). With -update it is
// rebuilt from testdata/custom-site with the default site's minimal theme.
func TestBundleConfigMap(t *testing.T) {
	path := filepath.Join(k8sDir, "bundle-configmap.yaml")
	if *update {
		writeBundleConfigMap(t, path)
	}
	objs := readManifests(t, k8sDir)
	var cm configMap
	decode(t, find(t, objs, "ConfigMap"), &cm)
	fsys := fstest.MapFS{}
	size := 0
	for k, v := range cm.Data {
		fsys[k] = &fstest.MapFile{Data: []byte(v), Mode: 0o644}
		size += len(k) + len(v)
	}
	b, err := bundle.Read(fsys)
	if err != nil {
		t.Fatalf("%s is not a valid bundle: %v (rebuild it: go test ./internal/integration -run TestBundleConfigMap -update)", path, err)
	}
	if size > 1<<20 {
		t.Errorf("%s holds %d bytes; a ConfigMap holds at most 1 MiB", path, size)
	}
	for _, id := range []string{"4xx", "5xx"} {
		if _, ok := b.Page(id); !ok {
			t.Errorf("%s: no %s page; a bundle with only a few pages needs both fallbacks", path, id)
		}
	}
}

// writeBundleConfigMap builds testdata/custom-site with the default site's
// minimal theme and writes the bundle as a ConfigMap, as `kubectl create
// configmap ouchie-bundle --from-file=DIR` would.
func writeBundleConfigMap(t testing.TB, path string) {
	t.Helper()
	bin, _ := ouchieBuild(t)
	site := filepath.Join(t.TempDir(), "site")
	if err := os.CopyFS(site, os.DirFS(filepath.Join("testdata", "custom-site"))); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(site, "themes", "minimal"), os.DirFS(filepath.Join(repoRoot, "themes", "minimal"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if log, code := run(t, nil, nil, bin, "build", "--src", site, "--dist", out, "--format", "html,json,txt"); code != 0 {
		t.Fatalf("ouchie build: %s", log)
	}
	entries, err := os.ReadDir(filepath.Join(out, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, "minimal", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data[e.Name()] = string(b)
	}
	doc := yaml.MapSlice{
		{Key: "apiVersion", Value: "v1"},
		{Key: "kind", Value: "ConfigMap"},
		{Key: "metadata", Value: yaml.MapSlice{
			{Key: "name", Value: "ouchie-bundle"},
			{Key: "namespace", Value: "ouchie"},
			{Key: "labels", Value: map[string]string{"app.kubernetes.io/name": "ouchie"}},
		}},
		{Key: "data", Value: data},
	}
	y, err := yaml.MarshalWithOptions(doc, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		t.Fatal(err)
	}
	head := `# An example bundle of your own: three pages (404 and the 4xx and 5xx
# fallbacks) in the minimal theme, for an "Example Shop". The Deployment mounts
# it at /dist/custom; set OUCHIE_THEME=custom to serve it. Replace it with
# your site's bundle:
#
#   ouchie build --src mysite --theme minimal --format html,json,txt --dist dist
#   kubectl -n ouchie create configmap ouchie-bundle --from-file=dist/minimal/ \
#     --dry-run=client -o yaml | kubectl apply -f -
#
# Generated: go test ./internal/integration -run TestBundleConfigMap -update
`
	if err := os.WriteFile(path, append([]byte(head), y...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIngressNginxWiring checks deploy/kubernetes/ingress-nginx/: the
// controller's default backend is ouchie's Service (namespace/name), and the
// custom-http-errors it sets are the codes testdata/nginx-ingress.conf
// intercepts, in the Helm values and in the plain-manifest patch alike.
func TestIngressNginxWiring(t *testing.T) {
	objs := readManifests(t, k8sDir)
	svc := find(t, objs, "Service")
	backend := svc.Metadata.Namespace + "/" + svc.Metadata.Name

	conf := config(t, "nginx-ingress.conf")
	var codes []string
	for _, m := range regexp.MustCompile(`(?m)^\s*error_page (\d{3}) = @custom_`).FindAllStringSubmatch(conf, -1) {
		codes = append(codes, m[1])
	}
	wantErrors := `custom-http-errors: "` + strings.Join(codes, ",") + `"`

	dir := filepath.Join(k8sDir, "ingress-nginx")
	for file, wants := range map[string][]string{
		"values.yaml":                     {wantErrors, "default-backend-service: " + backend},
		"controller-configmap-patch.yaml": {wantErrors},
		"controller-args-patch.yaml":      {"value: --default-backend-service=" + backend},
	} {
		data := string(readFileOrEmpty(t, filepath.Join(dir, file)))
		if data == "" {
			t.Errorf("%s/%s is missing", dir, file)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(data, w) {
				t.Errorf("%s/%s lacks %q", dir, file, w)
			}
		}
	}
	if !slices.Equal(codes, []string{"404", "500", "502", "503", "504"}) {
		t.Errorf("nginx-ingress.conf intercepts %v; docs/ingress-nginx.md documents 404,500,502,503,504", codes)
	}
}
