package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Log is where audit records go. Append returns only after the record is
// durable (written and fsync'ed); any error means it is not known to be.
type Log interface {
	// Append makes ev durable. It does not modify ev.
	Append(ctx context.Context, ev *Event) error
}

// BatchLog is a Log that can make several records durable together, in
// order and in the same group commit (one REST request's rest event and
// transport events).
type BatchLog interface {
	Log
	// AppendBatch makes every event durable, or returns an error.
	AppendBatch(ctx context.Context, evs []*Event) error
}

// File is the handle FileLog writes through; *os.File implements it. Tests
// inject failing implementations.
type File interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
	Close() error
}

// OpenFunc opens path for appending, creating it if needed.
type OpenFunc func(path string) (File, error)

// OpenAppend is the default OpenFunc: O_WRONLY|O_CREATE|O_APPEND, mode 0600.
func OpenAppend(path string) (File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}

// FileLogOptions configures a FileLog. Only Path is required.
type FileLogOptions struct {
	// Path is the active audit file; rotated files go next to it.
	Path string
	// Rotate is the rotation and retention policy.
	Rotate RotateConfig
	// HMACKey, when set, makes chain hashes HMAC-SHA256 instead of SHA-256.
	HMACKey []byte
	// QueueSize bounds the records waiting for the writer (default 4096).
	QueueSize int
	// MaxBatchBytes bounds one group commit (default 8 MiB).
	MaxBatchBytes int
	// AppendTimeout bounds how long Append waits to enqueue and for the
	// fsync (default 5s); the caller's context may end it sooner.
	AppendTimeout time.Duration
	// PreallocateBytes is the chunk the active file is extended by ahead of
	// its writes; 0 (or less) opens it with O_APPEND. Ignored when Open is
	// set.
	PreallocateBytes int64
	// Open opens the active file (default: OpenPreallocated(PreallocateBytes),
	// whose fsync fails once the file was deleted: see ErrFileDeleted).
	Open OpenFunc
	// Observer receives metrics (default NopObserver).
	Observer Observer
	// Logger receives operational messages (default: none).
	Logger *zap.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Watermark is the committed end of the log: everything before Size in the
// active file (whose first record is FileSeq) is durable.
type Watermark struct {
	// FileSeq is the chain.seq of the active file's first record; 0 while
	// the active file is empty.
	FileSeq uint64
	// Size is the committed size of the active file.
	Size int64
	// Seq is the last committed record's chain.seq.
	Seq uint64
	// Hash is the last committed record's chain.hash.
	Hash string
}

// FileLog is the durable audit log: one active file of JSON lines, rotated,
// hash-chained, written by a single goroutine with group commit.
type FileLog struct {
	opts   FileLogOptions
	dir    string
	stem   string
	ext    string
	obs    Observer
	log    *zap.Logger
	now    func() time.Time
	bodies sync.Pool

	queue   chan *pending
	quit    chan struct{}
	stopped chan struct{}
	closed  atomic.Bool
	once    sync.Once

	// Owned by the writer goroutine.
	f         File
	broken    error
	size      int64
	fileSeq   uint64
	fileStart time.Time
	// rotateRetryAt delays rotation after a failed rename.
	rotateRetryAt time.Time
	head          chainHead
	hasher        *hasher
	buf           []byte
	batch         []*pending
	// lastReleased and lastFsync describe the previous commit: the
	// appends it released and its fsync's duration; gatherTarget is the
	// appends expected in the next group (see gather).
	lastReleased int
	lastFsync    time.Duration
	gatherTarget int
	// gatherMisses counts the gathers in a row that ran out of time, and
	// gatherSkips the gathers still to skip because of them (see gather).
	gatherMisses, gatherSkips int

	mu      sync.Mutex // guards wm and changed
	wm      Watermark
	changed chan struct{}

	hk *housekeeper
}

// pending is one Append waiting for its group commit.
type pending struct {
	bodies [][]byte
	size   int
	done   chan error
	// abandoned is set when its Append gave up (deadline, canceled
	// caller): the request was refused or not forwarded, so a record
	// not yet written must not be written later, or the trail would show
	// a grant for a request that never reached the cluster.
	abandoned atomic.Bool
}

// OpenFileLog recovers the chain head from the existing files (truncating a
// torn last line left by a crash: its Append never returned) and starts the
// writer.
func OpenFileLog(opts FileLogOptions) (*FileLog, error) {
	if opts.Path == "" {
		return nil, errors.New("audit: no file path")
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 8 << 20
	}
	if opts.AppendTimeout <= 0 {
		opts.AppendTimeout = 5 * time.Second
	}
	if opts.Open == nil {
		opts.Open = linkChecked(OpenPreallocated(opts.PreallocateBytes))
	}
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Rotate = opts.Rotate.withDefaults()
	l := &FileLog{
		opts:    opts,
		obs:     opts.Observer,
		log:     opts.Logger,
		now:     opts.Now,
		queue:   make(chan *pending, opts.QueueSize),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
		hasher:  newHasher(opts.HMACKey),
		changed: make(chan struct{}),
	}
	l.dir, l.stem, l.ext = splitLogPath(opts.Path)
	st, err := recoverState(opts.Path, l.dir, l.stem, l.ext, l.log)
	if err != nil {
		return nil, err
	}
	l.head, l.size, l.fileSeq = st.head, st.size, st.fileSeq
	l.fileStart = st.fileStart
	if l.fileStart.IsZero() {
		l.fileStart = l.now()
	}
	if l.f, err = opts.Open(opts.Path); err != nil {
		return nil, fmt.Errorf("audit: opening %s: %w", opts.Path, err)
	}
	// The file may have just been created: make its name durable too.
	if err := syncDir(l.dir); err != nil {
		_ = l.f.Close()
		return nil, fmt.Errorf("audit: fsync of %s: %w", l.dir, err)
	}
	l.publish()
	l.hk = startHousekeeper(l.dir, l.stem, l.ext, opts.Rotate, l.log, l.now)
	go l.run()
	return l, nil
}

// Append implements Log.
func (l *FileLog) Append(ctx context.Context, ev *Event) error {
	return l.AppendBatch(ctx, []*Event{ev})
}

// AppendBatch implements BatchLog: the events are written contiguously, in
// order, in one group commit.
func (l *FileLog) AppendBatch(ctx context.Context, evs []*Event) error {
	if len(evs) == 0 {
		return nil
	}
	if l.closed.Load() {
		l.failed(FailClosed, len(evs))
		return ErrClosed
	}
	p := &pending{bodies: make([][]byte, len(evs)), done: make(chan error, 1)}
	now := time.Time{}
	for i, ev := range evs {
		t := ev.Time
		if t.IsZero() {
			if now.IsZero() {
				now = l.now()
			}
			t = now
		}
		b, _ := l.bodies.Get().(*[]byte)
		if b == nil {
			b = new([]byte)
		}
		*b = appendEventFieldsAt((*b)[:0], ev, t)
		p.bodies[i] = *b
		p.size += len(*b) + 160
	}
	deadline := time.NewTimer(l.opts.AppendTimeout)
	defer deadline.Stop()
	select {
	case l.queue <- p:
	default:
		select {
		case l.queue <- p:
		case <-deadline.C:
			l.failed(FailQueueFull, len(evs))
			return ErrQueueFull
		case <-ctx.Done():
			l.failed(contextFailure(ctx), len(evs))
			return fmt.Errorf("audit: queueing record: %w", ctx.Err())
		case <-l.stopped:
			l.failed(FailClosed, len(evs))
			return ErrClosed
		}
	}
	select {
	case err := <-p.done:
		return err
	case <-deadline.C:
		p.abandoned.Store(true)
		l.failed(FailTimeout, len(evs))
		return ErrTimeout
	case <-ctx.Done():
		p.abandoned.Store(true)
		l.failed(contextFailure(ctx), len(evs))
		return fmt.Errorf("audit: waiting for fsync: %w", ctx.Err())
	case <-l.stopped:
		// The writer may have committed p just before stopping.
		select {
		case err := <-p.done:
			return err
		default:
		}
		l.failed(FailClosed, len(evs))
		return ErrClosed
	}
}

// contextFailure is the failure reason for an append whose context ended:
// a canceled one (the client went away) is not the trail's failure.
func contextFailure(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return FailCanceled
	}
	return FailTimeout
}

func (l *FileLog) failed(reason string, n int) {
	for i := 0; i < n; i++ {
		l.obs.AppendFailed(reason)
	}
}

// Close stops accepting records, commits those already queued, and closes
// the file. Appends racing with Close either commit or get ErrClosed.
func (l *FileLog) Close() error {
	var err error
	l.once.Do(func() {
		l.closed.Store(true)
		close(l.quit)
		<-l.stopped
		l.hk.stop()
		if l.f != nil {
			err = l.f.Close()
			l.f = nil
		}
	})
	return err
}

// Path returns the active file's path.
func (l *FileLog) Path() string { return l.opts.Path }

// Watermark returns the committed end of the log.
func (l *FileLog) Watermark() Watermark {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wm
}

// Changed returns a channel closed at the next commit or rotation; shippers
// wait on it instead of polling.
func (l *FileLog) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// publish exposes the writer's committed state to readers.
func (l *FileLog) publish() {
	l.mu.Lock()
	l.wm = Watermark{FileSeq: l.fileSeq, Size: l.size, Seq: l.head.seq, Hash: l.head.hash}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// splitLogPath splits /var/log/audit.json into its folder, "audit" and ".json".
func splitLogPath(path string) (dir, stem, ext string) {
	dir = filepath.Dir(path)
	base := filepath.Base(path)
	ext = filepath.Ext(base)
	stem = base[:len(base)-len(ext)]
	if stem == "" { // ".audit"
		stem, ext = base, ""
	}
	return dir, stem, ext
}
