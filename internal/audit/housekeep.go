package audit

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
)

// housekeeper compresses rotated files and applies retention, in its own
// goroutine: neither may delay a group commit.
type housekeeper struct {
	dir, stem, ext string
	cfg            RotateConfig
	log            *zap.Logger
	now            func() time.Time
	kickc          chan struct{}
	quit           chan struct{}
	done           chan struct{}
}

var errStopped = errors.New("housekeeping stopped")

func startHousekeeper(dir, stem, ext string, cfg RotateConfig, log *zap.Logger, now func() time.Time) *housekeeper {
	h := &housekeeper{
		dir: dir, stem: stem, ext: ext, cfg: cfg, log: log, now: now,
		kickc: make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	h.kick() // finish what a previous process left behind
	go h.run()
	return h
}

func (h *housekeeper) kick() {
	select {
	case h.kickc <- struct{}{}:
	default:
	}
}

func (h *housekeeper) stop() {
	close(h.quit)
	<-h.done
}

func (h *housekeeper) run() {
	defer close(h.done)
	for {
		select {
		case <-h.quit:
			return
		case <-h.kickc:
			if err := h.once(); err != nil && !errors.Is(err, errStopped) {
				h.log.Warn("audit housekeeping", zap.Error(err))
			}
		}
	}
}

// once removes temporary files of interrupted compressions, compresses
// plain rotated files and deletes what retention says to.
func (h *housekeeper) once() error {
	ents, err := os.ReadDir(h.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".gz.tmp") {
			if _, _, ok := parseRotatedName(strings.TrimSuffix(e.Name(), ".tmp"), h.stem, h.ext); ok {
				_ = os.Remove(filepath.Join(h.dir, e.Name()))
			}
		}
	}
	files, err := listRotated(h.dir, h.stem, h.ext)
	if err != nil {
		return err
	}
	if h.cfg.Compress {
		for i, f := range files {
			if f.gz {
				continue
			}
			gz, err := h.compress(f.path)
			if err != nil {
				return fmt.Errorf("compressing %s: %w", f.path, err)
			}
			files[i].path, files[i].gz = gz, true
		}
	}
	return h.retain(files)
}

// compress writes path.gz through a temporary file, fsyncs it, renames it
// into place and only then removes path.
func (h *housekeeper) compress(path string) (string, error) {
	dst := path + ".gz"
	if fileExists(dst) { // a previous run renamed it but did not remove path
		return dst, removeSynced(path)
	}
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, stopReader{src, h.quit})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	if err := syncDir(h.dir); err != nil {
		return "", err
	}
	return dst, removeSynced(path)
}

func removeSynced(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// retain deletes the oldest rotated files beyond MaxFiles and those older
// than MaxAge.
func (h *housekeeper) retain(files []rotatedFile) error {
	var errs []error
	del := func(f rotatedFile) {
		if err := os.Remove(f.path); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
			return
		}
		h.log.Info("audit file deleted by retention", zap.String("file", f.path))
	}
	if h.cfg.MaxFiles > 0 && len(files) > h.cfg.MaxFiles {
		for _, f := range files[:len(files)-h.cfg.MaxFiles] {
			del(f)
		}
		files = files[len(files)-h.cfg.MaxFiles:]
	}
	if h.cfg.MaxAge > 0 {
		limit := h.now().Add(-h.cfg.MaxAge)
		for _, f := range files {
			if st, err := os.Stat(f.path); err == nil && st.ModTime().Before(limit) {
				del(f)
			}
		}
	}
	return errors.Join(errs...)
}

// stopReader aborts a copy when quit is closed.
type stopReader struct {
	r    io.Reader
	quit <-chan struct{}
}

// Read implements io.Reader.
func (s stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.quit:
		return 0, errStopped
	default:
	}
	return s.r.Read(p)
}
