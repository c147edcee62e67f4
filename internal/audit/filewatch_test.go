package audit

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type memRecorder struct {
	mu  sync.Mutex
	evs []*Event
}

func (m *memRecorder) Record(_ context.Context, evs ...*Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, evs...)
	return nil
}

func (m *memRecorder) events() []*Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Event(nil), m.evs...)
}

func TestWatchFilesRecordsChanges(t *testing.T) {
	dir := t.TempDir()
	roles := filepath.Join(dir, "roles.yml")
	_ = os.WriteFile(roles, []byte("a: {}\n"), 0o600)
	rec := &memRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go WatchFiles(ctx, rec, []WatchedFile{{Kind: "roles", Path: roles}}, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	if n := len(rec.events()); n != 0 {
		t.Fatalf("%d events without a change", n)
	}
	// One atomic change (os.WriteFile truncates first: a poll between the
	// truncation and the write would see two changes, an empty file and
	// the new one).
	tmp := roles + ".tmp"
	if err := os.WriteFile(tmp, []byte("a: {}\nb: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, roles); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(rec.events()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	evs := rec.events()
	if len(evs) != 1 || evs[0].EventType != TypeSecurityConfigChange || evs[0].Change == nil {
		t.Fatalf("events: %+v", evs)
	}
	line := Marshal(evs[0])
	for _, want := range []string{`"event.type":"security_config_change"`, `"event.action":"reload_file"`, `"roles":{"path":"` + roles} {
		if !strings.Contains(string(line), want) {
			t.Fatalf("record %s lacks %s", line, want)
		}
	}
}

// TestFileChangeEntries: a reload names the entries added, removed and
// modified, by name only; hashes and role definitions never appear.
func TestFileChangeEntries(t *testing.T) {
	const hashA = "$2a$10$aaaaaaaaaaaaaaaaaaaaaOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const hashB = "$2a$10$bbbbbbbbbbbbbbbbbbbbbObbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tests := []struct {
		name                     string
		kind                     string
		before, after            string
		added, removed, modified []string
		unparsable               bool
		mustNotContain           []string
	}{
		{name: "users: password change, new and removed user", kind: "users",
			before: "alice:" + hashA + "\nbob:" + hashA + "\n",
			after:  "# comment\nalice:" + hashB + "\ncarol:" + hashB + "\n",
			added:  []string{"carol"}, removed: []string{"bob"}, modified: []string{"alice"},
			mustNotContain: []string{hashA, hashB, "$2a$"}},
		{name: "users: comment only", kind: "users",
			before: "alice:" + hashA + "\n", after: "# hello\nalice:" + hashA + "\n"},
		{name: "users_roles by user", kind: "users_roles",
			before: "admin:alice\nviewer:bob,carol\n",
			after:  "admin:alice,bob\nviewer:carol\nops:dave\n",
			added:  []string{"dave"}, modified: []string{"bob"}},
		{name: "users_roles: user loses every role", kind: "users_roles",
			before: "admin:alice\nviewer:bob\n", after: "admin:alice\n",
			removed: []string{"bob"}},
		{name: "roles: reformatting is not a change", kind: "roles",
			before: "a:\n  cluster: [monitor]\nb:\n  indices:\n    - names: [x]\n      privileges: [read]\n",
			after:  "# c\nb: {indices: [{privileges: [read], names: [\"x\"]}]}\na:\n  cluster:\n    - monitor\n",
		},
		{name: "roles: put, delete, change", kind: "roles",
			before: "a:\n  cluster: [monitor]\nb:\n  cluster: [all]\n",
			after:  "a:\n  cluster: [manage]\nc:\n  cluster: [monitor]\n",
			added:  []string{"c"}, removed: []string{"b"}, modified: []string{"a"},
			mustNotContain: []string{"manage", "monitor"}},
		{name: "role mappings", kind: "role_mapping",
			before: "m1:\n  roles: [a]\n  rules: {field: {username: x}}\n  enabled: true\n",
			after:  "m1:\n  roles: [a]\n  rules: {field: {username: y}}\n  enabled: true\nm2:\n  roles: [b]\n  rules: {field: {username: z}}\n  enabled: true\n",
			added:  []string{"m2"}, modified: []string{"m1"}},
		{name: "unparsable roles keep the old entries", kind: "roles",
			before: "a:\n  cluster: [monitor]\n", after: "a: [unclosed\n", unparsable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.kind)
			writeTestFile(t, path, tc.before)
			w := newFileWatcher([]WatchedFile{{Kind: tc.kind, Path: path}})
			writeTestFile(t, path, tc.after)
			rec := &memRecorder{}
			w.check(context.Background(), rec)
			evs := rec.events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			line := string(Marshal(evs[0]))
			var rec1 struct {
				Change map[string]struct {
					Added, Removed, Modified []string
					Unparsable               bool
					SHA256                   string `json:"sha256"`
					Previous                 string `json:"previous_sha256"`
				} `json:"change"`
			}
			if err := json.Unmarshal([]byte(line), &rec1); err != nil {
				t.Fatalf("record is not JSON: %v: %s", err, line)
			}
			got, ok := rec1.Change[tc.kind]
			if !ok {
				t.Fatalf("no change.%s in %s", tc.kind, line)
			}
			if !slices.Equal(got.Added, tc.added) || !slices.Equal(got.Removed, tc.removed) || !slices.Equal(got.Modified, tc.modified) || got.Unparsable != tc.unparsable {
				t.Fatalf("added %v removed %v modified %v unparsable %v; want %v %v %v %v\n%s",
					got.Added, got.Removed, got.Modified, got.Unparsable, tc.added, tc.removed, tc.modified, tc.unparsable, line)
			}
			if got.SHA256 == "" || got.Previous == "" || got.SHA256 == got.Previous {
				t.Fatalf("digests not recorded: %s", line)
			}
			for _, s := range tc.mustNotContain {
				if strings.Contains(line, s) {
					t.Fatalf("record leaks %q: %s", s, line)
				}
			}
		})
	}
}

// TestFileChangeAfterUnparsableVersion: after a version that did not parse,
// the next good version is compared with the last good one, as the stores
// (which kept their state) see it.
func TestFileChangeAfterUnparsableVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yml")
	writeTestFile(t, path, "a: {cluster: [monitor]}\n")
	w := newFileWatcher([]WatchedFile{{Kind: "roles", Path: path}})
	rec := &memRecorder{}
	writeTestFile(t, path, "a: [broken\n")
	w.check(context.Background(), rec)
	writeTestFile(t, path, "a: {cluster: [monitor]}\nb: {cluster: [monitor]}\n")
	w.check(context.Background(), rec)
	evs := rec.events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	if line := string(Marshal(evs[1])); !strings.Contains(line, `"added":["b"]`) || strings.Contains(line, `"modified"`) {
		t.Fatalf("second event should add b only: %s", line)
	}
}

// TestFileChangeRetriedAfterRecordFailure: a change whose event could not
// be recorded is reported again at the next check.
func TestFileChangeRetriedAfterRecordFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	writeTestFile(t, path, "")
	w := newFileWatcher([]WatchedFile{{Kind: "users", Path: path}})
	writeTestFile(t, path, "alice:$2a$10$aaaaaaaaaaaaaaaaaaaaaOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")
	w.check(context.Background(), failingRecorder{})
	rec := &memRecorder{}
	w.check(context.Background(), rec)
	evs := rec.events()
	if len(evs) != 1 || !strings.Contains(string(Marshal(evs[0])), `"added":["alice"]`) {
		t.Fatalf("the change was not reported again: %v", evs)
	}
}

type failingRecorder struct{}

func (failingRecorder) Record(context.Context, ...*Event) error { return errors.New("disk full") }

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
