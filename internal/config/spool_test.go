package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBulkSpoolSettings: defaults, and what validation refuses.
func TestBulkSpoolSettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, upstream string
		want           string // substring of the problems; "" = none
		threshold      int64
	}{
		{"defaults", "", "", 4 << 20},
		{"explicit", "  bulk_spool_threshold_bytes: 1024\n  spool_dir: " + dir + "\n", "", 1024},
		{"negative threshold", "  bulk_spool_threshold_bytes: -1\n", "bulk_spool_threshold_bytes must be positive", 0},
		{"missing dir", "  spool_dir: " + filepath.Join(dir, "nope") + "\n", "upstream.spool_dir", 0},
		{"dir is a file", "  spool_dir: " + file + "\n", "must be an existing directory", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := "listen: 127.0.0.1:1\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\n" + tc.upstream
			cfg, probs := Parse("c.yaml", []byte(y), env(nil))
			if len(probs) == 0 {
				probs = cfg.Validate()
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			if tc.want == "" {
				if strings.Contains(all, "spool") || cfg.Upstream.BulkSpoolThresholdBytes != tc.threshold {
					t.Fatalf("threshold %d, problems:\n%s", cfg.Upstream.BulkSpoolThresholdBytes, all)
				}
				return
			}
			if !strings.Contains(all, tc.want) {
				t.Fatalf("problems %q do not contain %q", all, tc.want)
			}
		})
	}
}
