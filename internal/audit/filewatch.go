package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"time"
)

// WatchedFile is a security file whose changes are audited.
type WatchedFile struct {
	// Kind names the file under "change" in the event: "users",
	// "users_roles", "roles", "role_mapping".
	Kind string
	Path string
}

// Recorder is what WatchFiles records events with (*Trail).
type Recorder interface {
	Record(ctx context.Context, evs ...*Event) error
}

// WatchFiles records a security_config_change event (event.action
// reload_file) whenever the content of one of the files changes, checking
// every interval until ctx is done; the proxy's stores re-read the same
// files at the same interval. The event names the file and the SHA-256 of
// its previous and new content. Entry-level lists (added/removed users or
// roles) are left empty here.
func WatchFiles(ctx context.Context, rec Recorder, files []WatchedFile, interval time.Duration) {
	last := make(map[string]string, len(files))
	for _, f := range files {
		last[f.Path] = fileDigest(f.Path)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, f := range files {
				d := fileDigest(f.Path)
				if d == last[f.Path] {
					continue
				}
				ev := FileReloadEvent(FileChange{Kind: f.Kind, Path: f.Path, SHA256: d, PreviousSHA256: last[f.Path]})
				if rec.Record(ctx, ev) == nil {
					last[f.Path] = d // a failed record is tried again next tick
				}
			}
		}
	}
}

// fileDigest is the hex SHA-256 of a file's content, or "" when it cannot
// be read (a missing file is a change too).
func fileDigest(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
