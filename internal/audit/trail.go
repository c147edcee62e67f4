package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Options are a Trail's dependencies that do not come from configuration.
type Options struct {
	// Observer receives metrics (default NopObserver).
	Observer Observer
	// Logger receives operational messages (default: none).
	Logger *zap.Logger
	// Stdout is where the stdout shipper writes (default os.Stdout).
	Stdout io.Writer
	// HTTPClient is used by the index shipper (default: 30s timeout).
	HTTPClient *http.Client
	// Open opens the active file (default: see Config.PreallocateBytes); for tests.
	Open OpenFunc
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Trail is the audit trail the server talks to: it applies the event
// filter, the ignore policies and the redaction of bodies and query strings, makes the surviving
// records durable, and runs the shippers.
//
// The rule for callers is one line: forward the request only if Record
// returned nil. With on_failure: deny (the default) a record that cannot be
// made durable makes Record fail; with on_failure: allow, Record returns nil
// anyway and the failure is counted with Observer.Unaudited and logged.
type Trail struct {
	filter   *EventFilter
	policies *Policies
	log      Log
	file     *FileLog // nil when built around another Log
	nodeID   string
	body     bool
	allow    bool
	obs      Observer
	logger   *zap.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New validates cfg, opens the audit file (recovering its chain) and
// starts the configured shippers.
func New(cfg Config, o Options) (*Trail, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	var key []byte
	if cfg.HMACKeyFile != "" {
		var err error
		if key, err = LoadHMACKey(cfg.HMACKeyFile); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	fl, err := OpenFileLog(FileLogOptions{
		Path: cfg.File, Rotate: cfg.Rotate, HMACKey: key,
		QueueSize: cfg.QueueSize, AppendTimeout: cfg.AppendTimeout, PreallocateBytes: cfg.PreallocateBytes,
		Open: o.Open, Observer: o.Observer, Logger: o.Logger, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	t, err := newTrail(cfg, fl, o)
	if err != nil {
		_ = fl.Close()
		return nil, err
	}
	t.file = fl
	var shippers []func(context.Context) error
	if cfg.Stdout {
		s, err := NewStdoutShipper(StdoutShipperOptions{
			Path: cfg.File, Log: fl, Out: o.Stdout, CursorFile: cfg.File + ".stdout-cursor",
			Observer: o.Observer, Logger: o.Logger,
		})
		if err != nil {
			_ = fl.Close()
			return nil, err
		}
		shippers = append(shippers, s.Run)
	}
	if ix := cfg.Index; ix.URL != "" {
		cursor := ix.CursorFile
		if cursor == "" {
			cursor = cfg.File + ".index-cursor"
		}
		s, err := NewIndexShipper(IndexShipperOptions{
			Path: cfg.File, Log: fl, URL: ix.URL, IndexPattern: ix.IndexPattern,
			Username: ix.Username, Password: ix.Password, BatchSize: ix.BatchSize,
			FlushInterval: ix.FlushInterval, CursorFile: cursor, Client: o.HTTPClient,
			Observer: o.Observer, Logger: o.Logger,
		})
		if err != nil {
			_ = fl.Close()
			return nil, err
		}
		shippers = append(shippers, s.Run)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	for _, run := range shippers {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			if err := run(ctx); err != nil {
				t.logger.Error("audit shipper stopped", zap.Error(err))
			}
		}()
	}
	return t, nil
}

// NewWithLog builds a Trail around any Log, without shippers (tests, or a
// caller that manages its own log).
func NewWithLog(cfg Config, log Log, o Options) (*Trail, error) {
	cfg.File = "-" // not used
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newTrail(cfg, log, o.withDefaults())
}

func newTrail(cfg Config, log Log, o Options) (*Trail, error) {
	f, err := NewEventFilter(cfg.Include, cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	p, err := NewPolicies(cfg.IgnoreFilters)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Trail{
		filter: f, policies: p, log: log, nodeID: cfg.nodeID(), body: cfg.EmitRequestBody,
		allow: cfg.OnFailure == OnFailureAllow, obs: o.Observer, logger: o.Logger,
		cancel: func() {},
	}, nil
}

func (o Options) withDefaults() Options {
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	return o
}

// Enabled reports whether events named name (an event.action, or
// SecurityConfigChange) are recorded at all, so the server can skip
// building events nobody wants.
func (t *Trail) Enabled(name string) bool { return t.filter.Enabled(name) }

// EmitRequestBody reports whether request.body is recorded; when false the
// server need not buffer bodies for the audit trail.
func (t *Trail) EmitRequestBody() bool { return t.body }

// Record filters the events and makes the rest durable, in order, in one
// group commit. The caller's events are not modified. A nil error means
// the request may be forwarded.
func (t *Trail) Record(ctx context.Context, evs ...*Event) error {
	var keep []*Event
	for _, ev := range evs {
		if ev == nil || !t.filter.Enabled(ev.level()) {
			continue
		}
		if ignored, _ := t.policies.Ignored(ev); ignored {
			continue
		}
		e := *ev
		if e.NodeID == "" {
			e.NodeID = t.nodeID
		}
		if e.URLQuery != "" {
			e.URLQuery = RedactQuery(e.URLPath, e.URLQuery)
		}
		if e.RequestBody != "" {
			if t.body {
				e.RequestBody = RedactBody(e.URLPath, e.RequestBody)
			} else {
				e.RequestBody = ""
			}
		}
		keep = append(keep, &e)
	}
	if len(keep) == 0 {
		return nil
	}
	var err error
	if bl, ok := t.log.(BatchLog); ok {
		err = bl.AppendBatch(ctx, keep)
	} else {
		for _, e := range keep {
			if err = t.log.Append(ctx, e); err != nil {
				break
			}
		}
	}
	if err == nil {
		return nil
	}
	if !t.allow {
		return err
	}
	for _, e := range keep {
		t.obs.Unaudited(e.EventAction)
	}
	t.logger.Error("audit record not written; request allowed (on_failure: allow)", zap.Error(err))
	return nil
}

// FileLog returns the durable log, or nil for a Trail built with
// NewWithLog.
func (t *Trail) FileLog() *FileLog { return t.file }

// Close stops the shippers and closes the log, committing what is queued.
func (t *Trail) Close() error {
	var err error
	t.once.Do(func() {
		t.cancel()
		t.wg.Wait()
		if c, ok := t.log.(io.Closer); ok {
			err = c.Close()
		}
	})
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
