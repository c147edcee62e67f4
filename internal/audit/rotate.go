package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// RotateConfig is the rotation and retention policy of the audit files.
// Rotation happens only between group commits, so a record is never split
// across files and the chain simply continues in the new file.
type RotateConfig struct {
	// MaxBytes rotates the active file before a batch would take it past
	// this size (default 1 GiB, as Elasticsearch; negative disables).
	MaxBytes int64 `yaml:"max_bytes" json:"max_bytes,omitempty"`
	// Interval rotates the active file once it is this old (default 24h,
	// Elasticsearch rotates daily; negative disables).
	Interval time.Duration `yaml:"interval" json:"interval,omitempty"`
	// MaxFiles keeps at most this many rotated files, deleting the oldest
	// (0 keeps all).
	MaxFiles int `yaml:"max_files" json:"max_files,omitempty"`
	// MaxAge deletes rotated files older than this (0 keeps them forever).
	MaxAge time.Duration `yaml:"max_age" json:"max_age,omitempty"`
	// Compress gzips rotated files (name.json → name.json.gz).
	Compress bool `yaml:"compress" json:"compress,omitempty"`
}

func (c RotateConfig) withDefaults() RotateConfig {
	if c.MaxBytes == 0 {
		c.MaxBytes = 1 << 30
	}
	if c.Interval == 0 {
		c.Interval = 24 * time.Hour
	}
	return c
}

func (c RotateConfig) dueBySize(size int64, adding int) bool {
	return c.MaxBytes > 0 && size+int64(adding) > c.MaxBytes
}

func (c RotateConfig) dueByAge(start, now time.Time) bool {
	return c.Interval > 0 && now.Sub(start) >= c.Interval
}

// checkEvery is how often an idle writer checks the age of its file.
func (c RotateConfig) checkEvery() time.Duration {
	d := time.Minute
	if c.Interval > 0 && c.Interval/10 < d {
		d = c.Interval / 10
	}
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d
}

// rotate renames the active file to its rotated name and opens a fresh
// one. It runs in the writer goroutine between batches, after the last
// fsync. If the rename fails the log keeps writing to the active file and
// retries a minute later. It returns false when no file is open any more
// (l.broken says why).
func (l *FileLog) rotate(reason string) bool {
	now := l.now()
	if now.Before(l.rotateRetryAt) {
		return true
	}
	target := filepath.Join(l.dir, rotatedName(l.stem, l.ext, l.fileSeq, now))
	for i := 1; fileExists(target); i++ {
		target = filepath.Join(l.dir, fmt.Sprintf("%s-%0*d-%s-%d%s", l.stem, seqDigits, l.fileSeq, now.UTC().Format(rotatedTimeLayout), i, l.ext))
	}
	// A preallocated file is cut to its records first: once renamed, the
	// housekeeper may compress it at any moment.
	if fin, ok := l.f.(finisher); ok {
		if err := fin.Finish(); err != nil {
			l.log.Error("cannot trim the audit file for rotation, still writing to it", zap.String("file", l.opts.Path), zap.Error(err))
			l.rotateRetryAt = now.Add(time.Minute)
			return true
		}
	}
	if err := os.Rename(l.opts.Path, target); err != nil {
		l.log.Error("cannot rotate audit file, still writing to it", zap.String("file", l.opts.Path), zap.Error(err))
		l.rotateRetryAt = now.Add(time.Minute)
		return true
	}
	if err := l.f.Close(); err != nil {
		l.log.Warn("closing rotated audit file", zap.String("file", target), zap.Error(err))
	}
	l.f = nil
	l.size, l.fileSeq, l.fileStart = 0, 0, now
	f, err := l.opts.Open(l.opts.Path)
	if err != nil {
		l.broken = err
		l.publish()
		return false
	}
	l.f = f
	if err := syncDir(l.dir); err != nil {
		l.log.Warn("fsync of audit folder after rotation", zap.String("dir", l.dir), zap.Error(err))
	}
	l.publish()
	l.obs.Rotated()
	l.log.Info("audit file rotated", zap.String("to", target), zap.String("reason", reason))
	l.hk.kick()
	return true
}

// finisher is a File that must be trimmed to its logical end before it is
// renamed (preallocFile).
type finisher interface {
	Finish() error
}

const (
	seqDigits         = 12
	rotatedTimeLayout = "20060102T150405Z"
)

// rotatedName is "<stem>-<first chain.seq, 12 digits>-<UTC time><ext>",
// e.g. audit-000000000001-20261127T105109Z.json: names sort in chain order
// and the current file ("audit.json") sorts after them.
func rotatedName(stem, ext string, firstSeq uint64, now time.Time) string {
	return fmt.Sprintf("%s-%0*d-%s%s", stem, seqDigits, firstSeq, now.UTC().Format(rotatedTimeLayout), ext)
}

// rotatedFile is a rotated audit file found in the folder.
type rotatedFile struct {
	path string
	seq  uint64 // chain.seq of its first record
	gz   bool
}

// parseRotatedName recognises rotated names (with or without .gz).
func parseRotatedName(name, stem, ext string) (seq uint64, gz, ok bool) {
	rest, found := strings.CutPrefix(name, stem+"-")
	if !found {
		return 0, false, false
	}
	if r, isGz := strings.CutSuffix(rest, ".gz"); isGz {
		rest, gz = r, true
	}
	if rest, found = strings.CutSuffix(rest, ext); !found {
		return 0, false, false
	}
	digits, _, found := strings.Cut(rest, "-")
	if !found || len(digits) < seqDigits {
		return 0, false, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false, false
	}
	return seq, gz, true
}

// listRotated returns the rotated files of the log, oldest first. When both
// name and name.gz exist (compression finished but the plain file is not
// removed yet), the plain one is listed; both hold the same records.
func listRotated(dir, stem, ext string) ([]rotatedFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: listing %s: %w", dir, err)
	}
	bySeq := map[uint64]rotatedFile{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		seq, gz, ok := parseRotatedName(e.Name(), stem, ext)
		if !ok {
			continue
		}
		if prev, dup := bySeq[seq]; dup && !prev.gz {
			continue
		}
		bySeq[seq] = rotatedFile{path: filepath.Join(dir, e.Name()), seq: seq, gz: gz}
	}
	out := make([]rotatedFile, 0, len(bySeq))
	for _, f := range bySeq {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// syncDir fsyncs a folder so that renames and creations in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
