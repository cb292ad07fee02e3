package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// helmChart is the chart; helmFullValues turns on every optional part of it.
var (
	helmChart      = filepath.Join(repoRoot, "deploy", "helm", "ouchie")
	helmFullValues = filepath.Join("testdata", "helm-full-values.yaml")
)

// requireHelm returns the helm binary. Debian has none; .ci/run builds it.
func requireHelm(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("helm test: skipped in -short mode")
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	missingTool(t, "no helm: go install helm.sh/helm/v3/cmd/helm@v3.22.0 (.ci/run does)")
	return ""
}

// chartValues is what the tests read back from a values file.
type chartValues struct {
	Image struct {
		Repository string `yaml:"repository"`
		Tag        string `yaml:"tag"`
	} `yaml:"image"`
}

type secret struct {
	Metadata meta              `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

// TestHelmChart lints deploy/helm/ouchie with the real helm and renders it
// as release "ouchie" in namespace "ouchie", with the chart's own values and
// with every optional part on (testdata/helm-full-values.yaml), then checks
// the manifests as TestKubernetesManifests checks the plain ones (kinds,
// namespace, selectors, ports, probes on /healthz, resources, non-root and
// read-only, real flags and OUCHIE_* variables), plus the image named in
// the values, GOMEMLIMIT under the memory limit, the admin token Secret
// mounted where --admin-token-file reads it, and the HPA and PDB aimed at
// the Deployment. Then it runs ouchie with each Deployment's command line
// and environment, the mounts laid out locally: the probes answer 200, a
// page answers, and the admin API takes the Secret's token.
func TestHelmChart(t *testing.T) {
	helm := requireHelm(t)
	serve := commandFlags(t, "serve")

	// Every flag the templates can pass, whichever values turn it on.
	tmpl, err := os.ReadFile(filepath.Join(helmChart, "templates", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checkArgs(t, "templates/deployment.yaml", regexp.MustCompile(`--[a-z0-9-]+`).FindAllString(string(tmpl), -1), serve)

	cases := []struct {
		name, values string
		kinds        map[string]int
		flags        []string // flags the values must turn on
	}{
		{"default values", filepath.Join(helmChart, "values.yaml"),
			map[string]int{"Deployment": 1, "Service": 1}, []string{"--listen"}},
		{"full values", helmFullValues,
			map[string]int{"Deployment": 1, "Service": 2, "Secret": 1, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1},
			[]string{"--listen", "--theme", "--default-status", "--always-200", "--trusted-proxies", "--no-access-log", "--log-format", "--shutdown-timeout", "--dist", "--admin-listen", "--admin-token-file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"--values", c.values}
			if out, code := run(t, nil, nil, helm, append([]string{"lint", "--strict", helmChart}, args...)...); code != 0 {
				t.Fatalf("helm lint --strict: exit %d:\n%s", code, out)
			}
			out, code := run(t, nil, nil, helm, append([]string{"template", "ouchie", helmChart, "--namespace", "ouchie"}, args...)...)
			if code != 0 {
				t.Fatalf("helm template: exit %d:\n%s", code, out)
			}
			objs := parseManifests(t, "helm template ("+c.name+")", []byte(out))
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.Kind]++
				if want, ok := wantKinds[o.Kind]; (ok && o.APIVersion != want) || (o.Kind == "Secret" && o.APIVersion != "v1") {
					t.Errorf("%s %s has apiVersion %q", o.Kind, o.Metadata.Name, o.APIVersion)
				}
				if o.Metadata.Namespace != "ouchie" {
					t.Errorf("%s %s in namespace %q, want the release's (ouchie)", o.Kind, o.Metadata.Name, o.Metadata.Namespace)
				}
			}
			for k, n := range c.kinds {
				if kinds[k] != n {
					t.Errorf("rendered %d %s, want %d (all: %v)", kinds[k], k, n, kinds)
				}
			}
			var want chartValues
			data, err := os.ReadFile(c.values)
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(data, &want); err != nil {
				t.Fatalf("%s: %v", c.values, err)
			}
			checkChart(t, objs, serve, want, c.flags)
			if c.name == "default values" {
				checkChartIngressNginx(t, objs)
			}
		})
	}
}

// checkChartIngressNginx checks the ingress-nginx values the chart's README
// shows are deploy/kubernetes/ingress-nginx/values.yaml, verbatim, and name
// the pages' Service as the chart renders it for release "ouchie" in
// namespace "ouchie".
func checkChartIngressNginx(t *testing.T, objs []object) {
	values, err := os.ReadFile(filepath.Join(k8sDir, "ingress-nginx", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(helmChart, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(values)+"```") {
		t.Errorf("%s/README.md does not show deploy/kubernetes/ingress-nginx/values.yaml verbatim; copy it there again", helmChart)
	}
	svc := find(t, objs, "Service")
	if want := "default-backend-service: " + svc.Metadata.Namespace + "/" + svc.Metadata.Name; !strings.Contains(string(values), want) {
		t.Errorf("ingress-nginx/values.yaml lacks %q, the chart's Service", want)
	}
}

// checkChart checks one rendering of the chart, then runs its pod locally.
func checkChart(t *testing.T, objs []object, serve flagSet, values chartValues, flags []string) {
	d, c := checkDeployment(t, objs, serve)
	pod := d.Spec.Template.Spec
	if want := values.Image.Repository + ":" + values.Image.Tag; values.Image.Repository == "" || c.Image != want {
		t.Errorf("container image %q, want %q (the values' image)", c.Image, want)
	}
	arg := map[string]string{}
	for _, a := range c.Args[1:] {
		name, value, _ := strings.Cut(a, "=")
		arg[name] = value
	}
	for _, f := range flags {
		if _, ok := arg[f]; !ok {
			t.Errorf("container args %q lack %s, which the values turn on", c.Args, f)
		}
	}
	env := c.env()
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if arg["--listen"] != fmt.Sprintf("0.0.0.0:%d", ports["http"]) {
		t.Errorf("container: --listen=%s, want 0.0.0.0 and the http port %d", arg["--listen"], ports["http"])
	}
	for name, p := range map[string]*probe{"startupProbe": c.StartupProbe, "readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || fmt.Sprint(p.HTTPGet.Port) != "http" {
			t.Errorf("container: %s %+v, want httpGet /healthz on port http", name, p)
		}
	}

	// GOMEMLIMIT under the memory limit.
	limit, err := quantity(c.Resources.Limits["memory"])
	if err != nil {
		t.Errorf("container: memory limit: %v", err)
	}
	if soft, err := quantity(env["GOMEMLIMIT"]); err != nil || soft <= 0 || soft >= limit {
		t.Errorf("container: GOMEMLIMIT %q (%v), want one below the memory limit %s", env["GOMEMLIMIT"], err, c.Resources.Limits["memory"])
	}

	// Services select the pods and target named container ports; the one
	// named as the Deployment is the pages' (ingress-nginx names it), on http.
	var services []service
	for _, o := range objs {
		if o.Kind == "Service" {
			var s service
			decode(t, o, &s)
			services = append(services, s)
			if len(s.Spec.Ports) != 1 || ports[fmt.Sprint(s.Spec.Ports[0].TargetPort)] == 0 {
				t.Errorf("Service %s ports %+v, want one targeting a named container port (%v)", o.Metadata.Name, s.Spec.Ports, ports)
			}
			if o.Metadata.Name == d.Metadata.Name && fmt.Sprint(s.Spec.Ports[0].TargetPort) != "http" {
				t.Errorf("Service %s targets %v, want the pages' port http", o.Metadata.Name, s.Spec.Ports[0].TargetPort)
			}
		}
	}
	for _, s := range services {
		if !labelsMatch(s.Spec.Selector, d.Spec.Template.Metadata.Labels) {
			t.Errorf("Service selector %v does not select the pods", s.Spec.Selector)
		}
	}
	for _, o := range objs {
		switch o.Kind {
		case "HorizontalPodAutoscaler":
			var h hpa
			decode(t, o, &h)
			if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name != d.Metadata.Name {
				t.Errorf("HPA scales %+v, want Deployment %s", ref, d.Metadata.Name)
			}
			if d.Spec.Replicas != 0 {
				t.Errorf("Deployment sets replicas %d beside an HPA, which would fight it on every upgrade", d.Spec.Replicas)
			}
		case "PodDisruptionBudget":
			var p pdb
			decode(t, o, &p)
			if !labelsMatch(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) || p.Spec.MinAvailable == nil {
				t.Errorf("PDB selector %v / minAvailable %v, want the pods and a minimum", p.Spec.Selector.MatchLabels, p.Spec.MinAvailable)
			}
		}
	}

	// Where the container's files come from: each mount's volume, laid out
	// locally (a Secret's keys as files, the bundle ConfigMap as a built
	// bundle), so the command line can run here.
	local := map[string]string{} // mount path -> local folder
	var token string
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(v volume) bool { return v.Name == m.Name })
		if i < 0 {
			t.Errorf("container mounts %s, which is no volume of the pod", m.Name)
			continue
		}
		if !m.ReadOnly {
			t.Errorf("container mounts %s at %s writable, want readOnly", m.Name, m.MountPath)
		}
		switch v := pod.Volumes[i]; {
		case v.Secret != nil:
			var s secret
			decode(t, findNamed(t, objs, "Secret", v.Secret.SecretName), &s)
			dir := t.TempDir()
			for k, b64 := range s.Data {
				b, err := base64.StdEncoding.DecodeString(b64)
				if err != nil {
					t.Fatalf("Secret %s key %s: %v", s.Metadata.Name, k, err)
				}
				if err := os.WriteFile(filepath.Join(dir, k), b, 0o400); err != nil {
					t.Fatal(err)
				}
				if filepath.Join(m.MountPath, k) == arg["--admin-token-file"] {
					token = string(b)
				}
			}
			local[m.MountPath] = dir
		case v.ConfigMap != nil:
			if arg["--dist"] != m.MountPath {
				t.Errorf("ConfigMap %s mounted at %s, but --dist is %q", v.ConfigMap.Name, m.MountPath, arg["--dist"])
			}
			local[m.MountPath] = bundleDir(t)
		}
	}
	if _, ok := arg["--admin-token-file"]; ok && token == "" {
		t.Errorf("--admin-token-file=%s is no key of a mounted Secret", arg["--admin-token-file"])
	}
	runChartPod(t, c, local, ports, token)
}

// runChartPod runs ouchie with the container's args and environment, the
// listen addresses moved to loopback ports and the mounted paths to local
// folders, in an empty working folder as in the image.
func runChartPod(t *testing.T, c container, local map[string]string, ports map[string]int, token string) {
	bin, _ := ouchieBuild(t)
	addr, admin := freePort(t), freePort(t)
	var args []string
	for _, a := range c.Args {
		name, value, _ := strings.Cut(a, "=")
		switch name {
		case "--listen":
			value = addr
		case "--admin-listen":
			value = admin
		}
		for mount, dir := range local {
			if value == mount || strings.HasPrefix(value, mount+"/") {
				value = dir + strings.TrimPrefix(value, mount)
			}
		}
		if value != "" {
			a = name + "=" + value
		}
		args = append(args, a)
	}
	var env []string
	for k, v := range c.env() {
		env = append(env, k+"="+v)
	}
	p := startIn(t, t.TempDir(), "ouchie-chart", env, bin, args...)
	p.waitListening(t, addr)
	if r := get(t, "http://"+addr+c.ReadinessProbe.HTTPGet.Path); r.status != 200 {
		t.Errorf("probe %s: %d, want 200", c.ReadinessProbe.HTTPGet.Path, r.status)
	}
	if r := get(t, "http://"+addr+"/502", "Accept", acceptJSON); !strings.Contains(string(r.body), `"status": 502`) {
		t.Errorf("/502 answered %d %s, want a page for 502", r.status, excerpt(r.body))
	}
	if token == "" {
		return
	}
	p.waitListening(t, admin)
	if r := get(t, "http://"+admin+"/v1/crashlogs/web"); r.status != 401 {
		t.Errorf("admin API without a token: %d, want 401", r.status)
	}
	if r := get(t, "http://"+admin+"/v1/crashlogs/web", "Authorization", "Bearer "+token); r.status == 401 || r.status >= 500 {
		t.Errorf("admin API with the Secret's token: %d %s, want it accepted", r.status, excerpt(r.body))
	}
}

// findNamed returns the object of a kind and name, failing the test without one.
func findNamed(t testing.TB, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return object{}
}

// quantity reads a memory size as Kubernetes (128Mi, 1Gi) or GOMEMLIMIT
// (115MiB) write it, in bytes.
func quantity(s string) (int64, error) {
	m := regexp.MustCompile(`^(\d+)(Ki|Mi|Gi|KiB|MiB|GiB|B)?$`).FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size in Ki, Mi or Gi", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	shift := map[string]int{"Ki": 10, "Mi": 20, "Gi": 30}[strings.TrimSuffix(m[2], "B")]
	return n << shift, err
}
