// Package deploy holds no code, only this test: it checks the Kubernetes
// manifests (deploy/kubernetes) and the Grafana dashboard (deploy/grafana)
// against the proxy as it is built, since no cluster and no Grafana run
// where the project is tested. The configuration in the ConfigMap is loaded
// by the proxy's own loader; the dashboard's queries may only name metrics
// the proxy's own registry has.
package deploy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
