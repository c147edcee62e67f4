package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// WatchedFile is a security file whose changes are audited.
type WatchedFile struct {
	// Kind names the file under "change" in the event: "users",
	// "users_roles", "roles", "role_mapping". These four are compared entry
	// by entry; other kinds only by content digest.
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
// files at the same interval. The event names the file, the SHA-256 of its
// previous and new content, and the users, roles or mappings added,
// removed and modified (names only: see FileChange).
func WatchFiles(ctx context.Context, rec Recorder, files []WatchedFile, interval time.Duration) {
	w := newFileWatcher(files)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.check(ctx, rec)
		}
	}
}

// fileWatcher remembers, per file, the last recorded content digest and the
// entries of the last version that parsed (what the stores hold: they keep
// their previous state when a new version does not load).
type fileWatcher struct {
	files []WatchedFile
	state map[string]watchedState
}

type watchedState struct {
	digest  string
	entries fileEntries
}

func newFileWatcher(files []WatchedFile) *fileWatcher {
	w := &fileWatcher{files: files, state: make(map[string]watchedState, len(files))}
	for _, f := range files {
		data, err := reload.ReadFile(f.Path) // never blocks on a named pipe
		st := watchedState{digest: digestOf(data, err)}
		if err == nil {
			st.entries, _ = parseEntries(f.Kind, data)
		}
		w.state[f.Path] = st
	}
	return w
}

// check records one event per file whose content changed since the last
// recorded change. A change whose event cannot be recorded is tried again
// at the next check.
func (w *fileWatcher) check(ctx context.Context, rec Recorder) {
	for _, f := range w.files {
		data, err := reload.ReadFile(f.Path) // never blocks on a named pipe
		d := digestOf(data, err)
		prev := w.state[f.Path]
		if d == prev.digest {
			continue
		}
		change, entries := describeChange(f, prev, data, err)
		change.SHA256 = d
		if rec.Record(ctx, FileReloadEvent(change)) == nil {
			w.state[f.Path] = watchedState{digest: d, entries: entries}
		}
	}
}

// describeChange compares the new content (or read error) with the
// previous state; it returns the change and the entries to remember.
func describeChange(f WatchedFile, prev watchedState, data []byte, readErr error) (FileChange, fileEntries) {
	c := FileChange{Kind: f.Kind, Path: f.Path, PreviousSHA256: prev.digest}
	if !comparableKind(f.Kind) {
		return c, nil
	}
	var next fileEntries
	ok := false
	if readErr == nil {
		next, ok = parseEntries(f.Kind, data)
	}
	if !ok {
		c.Unparsable = true
		return c, prev.entries
	}
	d := diffEntries(prev.entries, next)
	c.Added, c.Removed, c.Modified = d.added, d.removed, d.modified
	return c, next
}

// digestOf is the hex SHA-256 of a file's content, or "" when it could not
// be read (a missing file is a change too).
func digestOf(data []byte, err error) string {
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
