// Package deploy holds no code, only this test: it checks the Kubernetes
// manifests (deploy/kubernetes) and the Grafana dashboard (deploy/grafana)
// against the proxy as it is built, since no cluster and no Grafana run
// where the project is tested. The configuration in the ConfigMap is loaded
// by the proxy's own loader; the dashboard's queries may only name metrics
// the proxy's own registry has.
package deploy

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/metrics"
)

const (
	manifestDir   = "kubernetes"
	dashboardFile = "grafana/portcullis-dashboard.json"
)

// notInKustomization are the files under deploy/kubernetes deliberately
// left out of kustomization.yaml's resources (see their header comments).
var notInKustomization = []string{"servicemonitor.yaml", "secrets.example.yaml"}

// doc is one YAML document of a manifest file.
type doc struct {
	file string
	node *yaml.Node // the document's root mapping
	head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
}

// readManifests decodes every YAML document of every file under deploy/kubernetes.
func readManifests(t *testing.T) []doc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under %s (%v)", manifestDir, err)
	}
	var docs []doc
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(fh)
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(n.Content) == 0 { // an empty document (comments only)
				continue
			}
			d := doc{file: filepath.Base(f), node: n.Content[0]}
			if err := d.node.Decode(&d.head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			docs = append(docs, d)
		}
		fh.Close()
	}
	return docs
}

// find returns the documents of one kind.
func find(docs []doc, kind string) []doc {
	var out []doc
	for _, d := range docs {
		if d.head.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func decode[T any](t *testing.T, d doc) T {
	t.Helper()
	var v T
	if err := d.node.Decode(&v); err != nil {
		t.Fatalf("%s: %s %s: %v", d.file, d.head.Kind, d.head.Metadata.Name, err)
	}
	return v
}

// The parts of a pod template the tests look at.
type (
	workload struct {
		Spec struct {
			Replicas int `yaml:"replicas"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			VolumeClaimTemplates []struct {
				Metadata objectMeta `yaml:"metadata"`
			} `yaml:"volumeClaimTemplates"`
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot   *bool          `yaml:"runAsNonRoot"`
			SeccompProfile seccompProfile `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		Affinity struct {
			PodAntiAffinity struct {
				Required []topologyTerm `yaml:"requiredDuringSchedulingIgnoredDuringExecution"`
			} `yaml:"podAntiAffinity"`
		} `yaml:"affinity"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	}
	seccompProfile struct {
		Type string `yaml:"type"`
	}
	objectMeta struct {
		Name string `yaml:"name"`
	}
	topologyTerm struct {
		TopologyKey string `yaml:"topologyKey"`
	}
	container struct {
		Name  string   `yaml:"name"`
		Args  []string `yaml:"args"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name string `yaml:"name"`
		} `yaml:"env"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Lifecycle      struct {
			PreStop struct {
				Sleep struct {
					Seconds int `yaml:"seconds"`
				} `yaml:"sleep"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		SecurityContext struct {
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
			SeccompProfile seccompProfile `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	probe struct {
		HTTPGet *struct {
			Path string    `yaml:"path"`
			Port yaml.Node `yaml:"port"`
		} `yaml:"httpGet"`
	}
	volume struct {
		Name      string    `yaml:"name"`
		EmptyDir  yaml.Node `yaml:"emptyDir"`
		Projected *struct {
			Sources []struct {
				ConfigMap *projectedSource `yaml:"configMap"`
				Secret    *projectedSource `yaml:"secret"`
			} `yaml:"sources"`
		} `yaml:"projected"`
	}
	projectedSource struct {
		Name  string `yaml:"name"`
		Items []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	}
)

// proxyPod is the one workload's pod template and its proxy container.
type proxyPod struct {
	workload workload
	pod      podSpec
	c        container
}

func readProxyPod(t *testing.T, docs []doc) proxyPod {
	t.Helper()
	ws := append(find(docs, "StatefulSet"), find(docs, "Deployment")...)
	if len(ws) != 1 {
		t.Fatalf("want exactly one StatefulSet or Deployment, found %d", len(ws))
	}
	w := decode[workload](t, ws[0])
	p := proxyPod{workload: w, pod: w.Spec.Template.Spec}
	i := slices.IndexFunc(p.pod.Containers, func(c container) bool { return c.Name == "proxy" })
	if i < 0 {
		t.Fatalf("%s: no container named proxy", ws[0].file)
	}
	p.c = p.pod.Containers[i]
	return p
}

// port returns the container port named name, or 0.
func (p proxyPod) port(name string) int {
	for _, cp := range p.c.Ports {
		if cp.Name == name {
			return cp.ContainerPort
		}
	}
	return 0
}

// mountOf returns the mount holding the absolute path f (the longest prefix).
func (p proxyPod) mountOf(f string) (mountPath, volumeName string, readOnly bool) {
	for _, m := range p.c.VolumeMounts {
		if (f == m.MountPath || strings.HasPrefix(f, m.MountPath+"/")) && len(m.MountPath) > len(mountPath) {
			mountPath, volumeName, readOnly = m.MountPath, m.Name, m.ReadOnly
		}
	}
	return mountPath, volumeName, readOnly
}

func (p proxyPod) volume(name string) *volume {
	for i := range p.pod.Volumes {
		if p.pod.Volumes[i].Name == name {
			return &p.pod.Volumes[i]
		}
	}
	return nil
}

func (p proxyPod) claimTemplate(name string) bool {
	for _, v := range p.workload.Spec.VolumeClaimTemplates {
		if v.Metadata.Name == name {
			return true
		}
	}
	return false
}

// TestManifestsWellFormed: every document is a named Kubernetes object, and
// kustomization.yaml lists every file but the deliberately optional ones.
func TestManifestsWellFormed(t *testing.T) {
	docs := readManifests(t)
	var resources []string
	for _, d := range docs {
		if d.head.Kind == "Kustomization" {
			var k struct {
				Resources []string `yaml:"resources"`
			}
			if err := d.node.Decode(&k); err != nil {
				t.Fatal(err)
			}
			resources = k.Resources
			continue
		}
		if d.head.APIVersion == "" || d.head.Kind == "" || d.head.Metadata.Name == "" {
			t.Errorf("%s: a document lacks apiVersion, kind or metadata.name: %+v", d.file, d.head)
		}
		if d.head.Metadata.Namespace != "" {
			t.Errorf("%s: %s %s names namespace %q; the manifests are namespace-agnostic", d.file, d.head.Kind, d.head.Metadata.Name, d.head.Metadata.Namespace)
		}
	}
	if len(resources) == 0 {
		t.Fatal("kustomization.yaml lists no resources")
	}
	files, _ := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case base == "kustomization.yaml":
		case slices.Contains(notInKustomization, base):
			if slices.Contains(resources, base) {
				t.Errorf("%s is meant to stay out of kustomization.yaml's resources", base)
			}
		case !slices.Contains(resources, base):
			t.Errorf("%s is not listed in kustomization.yaml's resources", base)
		}
	}
	for _, r := range resources {
		if _, err := os.Stat(filepath.Join(manifestDir, r)); err != nil {
			t.Errorf("kustomization.yaml resource %s: %v", r, err)
		}
	}
}

// TestPodSpec: the proxy runs hardened, its probes hit the operations
// endpoints on a port it declares, and Services, PodDisruptionBudget and
// NetworkPolicy select its pods and name its ports.
func TestPodSpec(t *testing.T) {
	docs := readManifests(t)
	p := readProxyPod(t, docs)
	c := p.c

	if p.workload.Spec.Replicas < 2 {
		t.Errorf("replicas = %d, want at least 2", p.workload.Spec.Replicas)
	}
	for k, v := range p.workload.Spec.Selector.MatchLabels {
		if p.workload.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the pod template lacks the selector's label %s=%s", k, v)
		}
	}
	if want := []string{"serve", "--config", "/etc/portcullis/config.yaml"}; !slices.Equal(c.Args, want) {
		t.Errorf("args = %q, want %q", c.Args, want)
	}

	sc := c.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("container securityContext.runAsNonRoot must be true")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container securityContext.readOnlyRootFilesystem must be true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container securityContext.allowPrivilegeEscalation must be false")
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("capabilities.drop = %q, want ALL", sc.Capabilities.Drop)
	}
	if sc.SeccompProfile.Type != "RuntimeDefault" && p.pod.SecurityContext.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("seccompProfile must be RuntimeDefault")
	}
	if !slices.ContainsFunc(p.pod.Affinity.PodAntiAffinity.Required, func(r topologyTerm) bool {
		return r.TopologyKey == "kubernetes.io/hostname"
	}) {
		t.Error("no required pod anti-affinity across nodes (kubernetes.io/hostname)")
	}

	for _, pr := range []struct {
		name, path string
		probe      *probe
	}{{"livenessProbe", "/healthz", c.LivenessProbe}, {"readinessProbe", "/readyz", c.ReadinessProbe}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s: missing or not httpGet", pr.name)
			continue
		}
		g := pr.probe.HTTPGet
		if g.Path != pr.path {
			t.Errorf("%s path = %q, want %q", pr.name, g.Path, pr.path)
		}
		if g.Port.Tag != "!!str" || p.port(g.Port.Value) == 0 {
			t.Errorf("%s port %q is not a port name the container declares", pr.name, g.Port.Value)
		} else if g.Port.Value != "metrics" {
			t.Errorf("%s port = %q, want the metrics port (the operations listener)", pr.name, g.Port.Value)
		}
	}

	podLabels := p.workload.Spec.Template.Metadata.Labels
	selects := func(sel map[string]string) bool {
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	for _, d := range find(docs, "Service") {
		s := decode[struct {
			Spec struct {
				Selector map[string]string `yaml:"selector"`
				Ports    []struct {
					TargetPort string `yaml:"targetPort"`
				} `yaml:"ports"`
			} `yaml:"spec"`
		}](t, d)
		if !selects(s.Spec.Selector) {
			t.Errorf("Service %s does not select the proxy's pods", d.head.Metadata.Name)
		}
		for _, sp := range s.Spec.Ports {
			if p.port(sp.TargetPort) == 0 {
				t.Errorf("Service %s: targetPort %q is not a port name the container declares", d.head.Metadata.Name, sp.TargetPort)
			}
		}
	}
	// The ServiceMonitor scrapes a Service that has its port.
	for _, d := range find(docs, "ServiceMonitor") {
		sm := decode[struct {
			Spec struct {
				Selector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"selector"`
				Endpoints []struct {
					Port string `yaml:"port"`
				} `yaml:"endpoints"`
			} `yaml:"spec"`
		}](t, d)
		found := false
		for _, sd := range find(docs, "Service") {
			svc := decode[struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec struct {
					Ports []struct {
						Name string `yaml:"name"`
					} `yaml:"ports"`
				} `yaml:"spec"`
			}](t, sd)
			matches := len(sm.Spec.Selector.MatchLabels) > 0
			for k, v := range sm.Spec.Selector.MatchLabels {
				matches = matches && svc.Metadata.Labels[k] == v
			}
			if !matches {
				continue
			}
			found = true
			for _, ep := range sm.Spec.Endpoints {
				if !slices.ContainsFunc(svc.Spec.Ports, func(sp struct {
					Name string `yaml:"name"`
				}) bool {
					return sp.Name == ep.Port
				}) {
					t.Errorf("ServiceMonitor port %q is not a port of Service %s", ep.Port, sd.head.Metadata.Name)
				}
			}
		}
		if !found {
			t.Error("the ServiceMonitor selects no Service")
		}
	}
	for _, kind := range []string{"PodDisruptionBudget", "NetworkPolicy"} {
		ds := find(docs, kind)
		if len(ds) != 1 {
			t.Errorf("want one %s, found %d", kind, len(ds))
			continue
		}
		s := decode[selectorSpec](t, ds[0])
		sel := s.Spec.Selector.MatchLabels
		if kind == "NetworkPolicy" {
			sel = s.Spec.PodSelector.MatchLabels
		}
		if !selects(sel) {
			t.Errorf("%s does not select the proxy's pods", kind)
		}
		for _, in := range s.Spec.Ingress {
			for _, ip := range in.Ports {
				if p.port(ip.Port) == 0 {
					t.Errorf("NetworkPolicy ingress port %q is not a port name the container declares", ip.Port)
				}
			}
		}
	}
}

// selectorSpec is what a PodDisruptionBudget (selector) or NetworkPolicy
// (podSelector, ingress ports) says about the pods and ports it applies to.
type selectorSpec struct {
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		PodSelector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
		Ingress []struct {
			Ports []struct {
				Port string `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

// configMapText returns config.yaml from the ConfigMap that the pod mounts
// as its --config file.
func configMapText(t *testing.T, docs []doc, p proxyPod) string {
	t.Helper()
	cfgPath := p.c.Args[len(p.c.Args)-1]
	mountPath, volName, _ := p.mountOf(cfgPath)
	v := p.volume(volName)
	if v == nil || v.Projected == nil {
		t.Fatalf("%s is not on a projected volume", cfgPath)
	}
	rel := strings.TrimPrefix(cfgPath, mountPath+"/")
	for _, s := range v.Projected.Sources {
		if s.ConfigMap == nil {
			continue
		}
		for _, it := range s.ConfigMap.Items {
			if it.Path != rel {
				continue
			}
			for _, d := range find(docs, "ConfigMap") {
				if d.head.Metadata.Name != s.ConfigMap.Name {
					continue
				}
				cm := decode[struct {
					Data map[string]string `yaml:"data"`
				}](t, d)
				if text, ok := cm.Data[it.Key]; ok {
					return text
				}
			}
			t.Fatalf("ConfigMap %s key %s (mounted as %s) not found", s.ConfigMap.Name, it.Key, cfgPath)
		}
	}
	t.Fatalf("no ConfigMap item is mounted at %s", cfgPath)
	return ""
}

// TestConfigMapConfig loads the ConfigMap's config.yaml with the proxy's own
// loader. Parse alone reports the schema problems (unknown keys, wrong
// types, unset ${VAR}s); Load also checks the files the configuration names,
// so the pod's volumes are recreated in a temporary directory (every
// projected item as a file, the other mounts as empty folders) and the
// paths are rewritten into it: Load must then report no problem at all.
// Every absolute path in the configuration must be on a volume, and one on
// a read-only volume must be a file that volume holds.
func TestConfigMapConfig(t *testing.T) {
	docs := readManifests(t)
	p := readProxyPod(t, docs)
	text := configMapText(t, docs, p)

	// ${VAR}s must be set by the container's env.
	env := func(name string) (string, bool) {
		for _, e := range p.c.Env {
			if e.Name == name {
				return "placeholder", true
			}
		}
		return "", false
	}
	cfg, probs := config.Parse("config.yaml", []byte(text), env)
	for _, pr := range probs {
		t.Errorf("schema: %s", pr)
	}
	if cfg == nil {
		t.FailNow()
	}

	// The pod's filesystem, as far as the configuration can see it.
	root := t.TempDir()
	for _, m := range p.c.VolumeMounts {
		if err := os.MkdirAll(filepath.Join(root, m.MountPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if v := p.volume(m.Name); v != nil && v.Projected != nil {
			for _, s := range v.Projected.Sources {
				src := s.ConfigMap
				if src == nil {
					src = s.Secret
				}
				for _, it := range src.Items {
					f := filepath.Join(root, m.MountPath, it.Path)
					if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(f, []byte("placeholder\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	var unmounted []string
	rewriteValues(&doc, func(v string) string {
		if !path.IsAbs(v) {
			return v
		}
		mp, _, ro := p.mountOf(v)
		if mp == "" {
			unmounted = append(unmounted, v)
			return v
		}
		// Load does not open every file (the cursor and HMAC keys are read
		// at start): on a read-only volume, the file must be one it holds.
		if _, err := os.Stat(filepath.Join(root, v)); ro && err != nil {
			t.Errorf("%s is on read-only volume %s but no item of it is mounted there", v, mp)
		}
		return filepath.Join(root, v)
	})
	if len(unmounted) > 0 {
		t.Errorf("paths on no volume of the container (its root filesystem is read-only and holds none of them): %q", unmounted)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "config.yaml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, probs := config.Load(file, env); len(probs) > 0 {
		for _, pr := range probs {
			t.Errorf("load: %s", pr)
		}
	}

	t.Run("ports", func(t *testing.T) {
		for _, l := range []struct{ key, addr, port string }{
			{"listen", cfg.Listen, "https"}, {"metrics.listen", cfg.Metrics.Listen, "metrics"},
		} {
			_, port, err := net.SplitHostPort(l.addr)
			if err != nil {
				t.Errorf("%s: %v", l.key, err)
				continue
			}
			if strconv.Itoa(p.port(l.port)) != port {
				t.Errorf("%s port %s differs from the container port %q (%d)", l.key, port, l.port, p.port(l.port))
			}
			if host, _, _ := net.SplitHostPort(l.addr); host == "127.0.0.1" || host == "localhost" {
				t.Errorf("%s listens on loopback: unreachable for the kubelet's probes and the Services", l.key)
			}
		}
	})
	t.Run("drain", func(t *testing.T) {
		need := time.Duration(p.c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + cfg.Server.ShutdownTimeout
		if grace := time.Duration(p.pod.TerminationGracePeriodSeconds) * time.Second; grace <= need {
			t.Errorf("terminationGracePeriodSeconds %v must exceed preStop sleep + server.shutdown_timeout (%v)", grace, need)
		}
		if p.c.Lifecycle.PreStop.Sleep.Seconds == 0 {
			t.Error("no preStop sleep: the proxy stops accepting on SIGTERM before the endpoints are removed")
		}
	})
	t.Run("writable paths", func(t *testing.T) {
		// The audit log: its replica's own persistent volume.
		if _, vol, ro := p.mountOf(path.Dir(cfg.Audit.File)); ro || !p.claimTemplate(vol) {
			t.Errorf("audit.file %s must be on a writable volumeClaimTemplate (one persistent volume per replica), not volume %q", cfg.Audit.File, vol)
		}
		if d := cfg.Upstream.SpoolDir; d == "" {
			t.Error("upstream.spool_dir is unset: the system temp folder is on the read-only root filesystem")
		} else if _, vol, ro := p.mountOf(d); ro || p.volume(vol) == nil || p.volume(vol).EmptyDir.Kind == 0 {
			t.Errorf("upstream.spool_dir %s must be on a writable emptyDir", d)
		}
		if f := cfg.Security.APIKeys.File; f != "" {
			if _, vol, ro := p.mountOf(f); ro || p.claimTemplate(vol) {
				t.Errorf("security.api_keys.file %s must be on a writable volume every replica shares (not a per-replica claim)", f)
			}
		}
	})
	t.Run("audit events", func(t *testing.T) {
		// internal/audit: nil is Elastic's default, an empty list none.
		if cfg.Audit.Include != nil && len(cfg.Audit.Include) == 0 {
			t.Error("audit.include is an empty list: no event would be recorded (leave the key out for the default)")
		}
	})
	t.Run("replicas share", func(t *testing.T) {
		if p.workload.Spec.Replicas < 2 {
			t.Skip("one replica")
		}
		if cfg.Security.DLSFLS.CursorKeyFile == "" {
			t.Error("security.dls_fls.cursor_key_file is unset: each replica would refuse the others' scroll/PIT ids")
		}
		if cfg.Security.OIDC.Login.Enabled && cfg.Security.Sessions.Store != "redis" {
			t.Error("browser login with several replicas needs security.sessions.store: redis")
		}
	})
}

// rewriteValues applies f to every scalar value (not key) of a YAML tree.
func rewriteValues(n *yaml.Node, f func(string) string) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = f(n.Value)
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			rewriteValues(n.Content[i], f)
		}
	default:
		for _, c := range n.Content {
			rewriteValues(c, f)
		}
	}
}

// registeredMetrics lists the series names the proxy's registry can expose:
// every registered family (from Describe, which lists vectors before any
// label combination was observed), plus _bucket/_sum/_count of histograms
// and _sum/_count of summaries (types from Gather, after one observation
// of each collector).
func registeredMetrics(t *testing.T) (names map[string]bool, portcullis []string) {
	t.Helper()
	m := metrics.New()
	m.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	m.UpstreamRequest("http://n1:9200", 200, time.Millisecond)
	m.UpstreamError("http://n1:9200", "dial")
	m.NodeHealth("http://n1:9200", true)
	m.CacheHit("default_file")
	m.CacheMiss("default_file")
	m.LoginFailed("default_file", "invalid_credentials")
	m.RateLimited("ip")
	m.Reloaded("users", nil)
	m.Committed(4, 1024, time.Millisecond)
	m.AppendFailed("io")
	m.Unaudited("access_granted")
	m.Rotated()
	m.Shipped("index", 4)
	m.ShipFailed("index", "http")
	m.ShipLag("index", 1, 100)

	names = map[string]bool{}
	ch := make(chan *prometheus.Desc)
	go func() { m.Registry().Describe(ch); close(ch) }()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		mm := fqName.FindStringSubmatch(d.String())
		if mm == nil {
			t.Fatalf("no fqName in %s", d)
		}
		names[mm[1]] = true
		if strings.HasPrefix(mm[1], "portcullis_") {
			portcullis = append(portcullis, mm[1])
		}
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		var suffixes []string
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			suffixes = []string{"_bucket", "_sum", "_count"}
		case "SUMMARY":
			suffixes = []string{"_sum", "_count"}
		}
		for _, s := range suffixes {
			names[f.GetName()+s] = true
		}
	}
	if len(portcullis) < 10 {
		t.Fatalf("only %d portcullis metrics registered: %q", len(portcullis), portcullis)
	}
	return names, portcullis
}

// PromQL pieces that are not metric names.
var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promToken    = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|\$[a-zA-Z_]\w*|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	labelValues  = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$`)
	promKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
		"and", "or", "unless", "offset", "inf", "nan", "atan2"}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges and grouping
// clauses are removed, other than function calls and keywords.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promToken.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if tok[0] >= '0' && tok[0] <= '9' || tok[0] == '$' || slices.Contains(promKeywords, strings.ToLower(tok)) {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or aggregation
		}
		out = append(out, tok)
	}
	return out
}

func TestMetricNamesParser(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{job=~"$job", x="b c"}[$__rate_interval]))) / ignoring(x) b_total offset 5m or vector(0) + sum without (le) (c:rec)`)
	if want := []string{"a_bucket", "b_total", "c:rec"}; !slices.Equal(got, want) {
		t.Errorf("metricNames = %q, want %q", got, want)
	}
}

// TestDashboardMetrics: every query of the dashboard (panel targets and
// template variables) names only metrics the proxy registers, and every
// portcullis metric is on the dashboard.
func TestDashboardMetrics(t *testing.T) {
	known, portcullis := registeredMetrics(t)
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		SchemaVersion int               `json:"schemaVersion"`
		Panels        []json.RawMessage `json:"panels"`
		Templating    struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	if dash.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want a current Grafana dashboard (≥ 36)", dash.SchemaVersion)
	}

	used := map[string]bool{}
	check := func(where, expr string) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			used[n] = true
			if !known[n] {
				t.Errorf("%s: metric %s is not registered by the proxy (internal/metrics)", where, n)
			}
		}
	}

	vars := map[string]string{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var s string
			if json.Unmarshal(v.Query, &s) != nil {
				t.Fatalf("variable %s: query is neither an object nor a string", v.Name)
			}
			q.Query = s
		}
		// Grafana's label_values(metric, label): the label is no metric.
		if m := labelValues.FindStringSubmatch(q.Query); m != nil {
			q.Query = m[1]
		}
		check("variable "+v.Name, q.Query)
	}
	if vars["datasource"] != "datasource" || vars["job"] != "query" || vars["instance"] != "query" {
		t.Errorf("template variables = %v, want datasource (datasource), job and instance (query)", vars)
	}

	var walk func(raw []json.RawMessage)
	targets := 0
	walk = func(raw []json.RawMessage) {
		for _, r := range raw {
			var p struct {
				Title      string `json:"title"`
				Type       string `json:"type"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: datasource uid %q, want ${datasource}", p.Title, p.Datasource.UID)
			}
			for _, tg := range p.Targets {
				targets++
				if !strings.Contains(tg.Expr, `instance=~"$instance"`) {
					t.Errorf("panel %q: query ignores the instance variable: %s", p.Title, tg.Expr)
				}
				check("panel "+strconv.Quote(p.Title), tg.Expr)
			}
		}
	}
	walk(dash.Panels)
	if targets == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for _, n := range portcullis {
		if !used[n] {
			t.Errorf("metric %s is on no panel of the dashboard", n)
		}
	}
}
