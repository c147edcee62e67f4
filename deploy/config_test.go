package deploy

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/config"
)

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
		// The manifests run several replicas (the PodDisruptionBudget keeps
		// one up during a drain); what replicas must share follows.
		if p.workload.Spec.Replicas < 2 {
			t.Fatalf("replicas %d: the manifests ask for at least 2", p.workload.Spec.Replicas)
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
