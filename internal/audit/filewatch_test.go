package audit

import (
	"context"
	"os"
	"path/filepath"
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
	_ = os.WriteFile(roles, []byte("a: {}\nb: {}\n"), 0o600)
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
