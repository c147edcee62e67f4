package audit

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("tooshort\n"), 0o600)
	good := filepath.Join(dir, "good.key")
	os.WriteFile(good, []byte(strings.Repeat("k", 32)+"\n"), 0o600)
	tests := []struct {
		name string
		cfg  Config
		errs []string
	}{
		{"minimal", Config{File: "/var/log/audit.json"}, nil},
		{"full", Config{
			File: "/var/log/audit.json", Include: []string{"_all"}, Exclude: []string{"access_granted"},
			IgnoreFilters: map[string]IgnoreFilter{"k": {Users: []string{"kibana_system"}}},
			OnFailure:     OnFailureAllow, HMACKeyFile: good,
			Index: IndexConfig{URL: "https://127.0.0.1:9200", IndexPattern: "audit-{yyyy.MM}", Username: "u", Password: "p"},
		}, nil},
		{"everything wrong", Config{
			Include: []string{"bogus"}, IgnoreFilters: map[string]IgnoreFilter{"p": {Roles: []string{"/(/"}}},
			OnFailure: "maybe", Rotate: RotateConfig{MaxFiles: -1}, HMACKeyFile: short,
			Index: IndexConfig{URL: "ftp://x", IndexPattern: "X-{q}", Password: "p", BatchSize: -1},
		}, []string{
			"audit.file", "invalid event name specified [bogus]", "ignore_filters.p.roles", `"maybe" is not deny or allow`,
			"max_files", "at least 32 are required", "audit.index.url", "audit.index.index_pattern", "batch_size", "password without username",
		}},
		{"missing key file", Config{File: "a", HMACKeyFile: filepath.Join(dir, "nope")}, []string{"audit.hmac_key_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// The assembled trail: file, chain, stdout and index shippers.
func TestTrailEndToEnd(t *testing.T) {
	c := newFakeCluster()
	srv := httptest.NewServer(c)
	defer srv.Close()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "chain.key")
	key := bytes.Repeat([]byte{'s'}, 40)
	os.WriteFile(keyFile, key, 0o600)
	var out syncBuffer
	cfg := Config{
		File: filepath.Join(dir, "audit.json"), NodeID: "proxy-a", HMACKeyFile: keyFile, Stdout: true,
		Index:  IndexConfig{URL: srv.URL, BatchSize: 10, FlushInterval: 10 * time.Millisecond},
		Rotate: RotateConfig{MaxBytes: 4000, Compress: true},
	}
	tr, err := New(cfg, Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if err := tr.Record(context.Background(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "index", func() bool { return c.count() == 30 })
	waitFor(t, "stdout", func() bool { return len(lines([]byte(out.String()))) == 30 })
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, cfg.File)
	rep, err := VerifyWithKey(key, files...)
	if err != nil || !rep.OK() || rep.Records != 30 {
		t.Fatalf("Verify: %+v %v %v", rep, rep.Break, err)
	}
	if _, err := os.Stat(cfg.File + ".index-cursor"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"node.id":"node-1"`) { // set by the event, kept
		t.Fatal("stdout lines differ from records")
	}
}
