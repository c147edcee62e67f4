package audit

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"
)

// OnFailure modes: what happens to a request whose record cannot be made
// durable.
const (
	// OnFailureDeny refuses the request (Trail.Record returns the error;
	// the server answers 503). The default.
	OnFailureDeny = "deny"
	// OnFailureAllow lets the request through unaudited (Trail.Record
	// returns nil) and counts it with Observer.Unaudited.
	OnFailureAllow = "allow"
)

// MinHMACKeyBytes is the shortest accepted chain HMAC key.
const MinHMACKeyBytes = 32

// Config is the audit trail's configuration, the proxy's counterpart of
// xpack.security.audit.logfile.*; the YAML mapping lives with the lead's
// config package.
type Config struct {
	// File is the active audit file; rotated files are written next to it.
	File string
	// NodeID is written as node.id (default: the host name).
	NodeID string
	// Include is events.include: nil means Elasticsearch's default
	// (DefaultInclude), "_all" every event, an empty list none.
	Include []string
	// Exclude is events.exclude, removed from Include.
	Exclude []string
	// EmitRequestBody is events.emit_request_body: request.body is kept,
	// with credentials redacted (RedactBody).
	EmitRequestBody bool
	// IgnoreFilters are the events.ignore_filters policies, by name.
	IgnoreFilters map[string]IgnoreFilter
	// OnFailure is OnFailureDeny (default) or OnFailureAllow.
	OnFailure string
	// Rotate is the rotation and retention policy.
	Rotate RotateConfig
	// HMACKeyFile, when set, holds the key (at least 32 bytes) that turns
	// chain hashes into HMAC-SHA256: without it, someone who can rewrite the
	// file can also recompute the chain.
	HMACKeyFile string
	// Stdout copies committed records to standard output (position kept in
	// File + ".stdout-cursor"; a first start begins at the end of the log).
	Stdout bool
	// Index copies committed records into a cluster index.
	Index IndexConfig
	// QueueSize bounds the records waiting for the writer (default 4096).
	QueueSize int
	// AppendTimeout bounds how long a request waits for its record to be
	// durable before it is refused (default 5s).
	AppendTimeout time.Duration
	// PreallocateBytes is the chunk of zeros the active file is extended by
	// ahead of its writes, so that a commit overwrites allocated blocks
	// instead of appending; 0 appends (O_APPEND), as file tailers expect.
	PreallocateBytes int64
}

// IndexConfig configures shipping to an Elasticsearch/OpenSearch index;
// disabled while URL is empty.
type IndexConfig struct {
	// URL is the cluster's base URL (http or https).
	URL string
	// IndexPattern names the index from the record's UTC date (default
	// DefaultIndexPattern, portcullis-audit-{yyyy.MM.dd}).
	IndexPattern string
	// Username is the Basic user for the cluster (optional).
	Username string
	// Password goes with Username.
	Password string
	// BatchSize is the most records per _bulk (default 500).
	BatchSize int
	// FlushInterval is how long a partial batch waits (default 1s).
	FlushInterval time.Duration
	// CursorFile persists the shipping position (default File + ".index-cursor").
	CursorFile string
}

// Validate checks the configuration without touching the disk (except
// that the HMAC key file, when named, must be readable and long enough).
// All problems are reported, joined.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.File == "" {
		add("audit.file: a path for the audit log is required")
	}
	if _, err := NewEventFilter(c.Include, c.Exclude); err != nil {
		add("audit.%v", err)
	}
	if _, err := NewPolicies(c.IgnoreFilters); err != nil {
		add("audit.%v", err)
	}
	switch c.OnFailure {
	case "", OnFailureDeny, OnFailureAllow:
	default:
		add("audit.on_failure: %q is not deny or allow", c.OnFailure)
	}
	if c.Rotate.MaxFiles < 0 || c.Rotate.MaxAge < 0 {
		add("audit.rotate: max_files and max_age must not be negative")
	}
	if c.QueueSize < 0 || c.AppendTimeout < 0 {
		add("audit: queue_size and append_timeout must not be negative")
	}
	if c.HMACKeyFile != "" {
		if _, err := LoadHMACKey(c.HMACKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("audit.hmac_key_file: %w", err))
		}
	}
	if ix := c.Index; ix.URL != "" {
		u, err := url.Parse(ix.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("audit.index.url: %q is not an http(s) URL", ix.URL)
		}
		if ix.IndexPattern != "" {
			if _, err := parseIndexPattern(ix.IndexPattern); err != nil {
				add("audit.index.index_pattern: %v", err)
			}
		}
		if ix.BatchSize < 0 || ix.FlushInterval < 0 {
			add("audit.index: batch_size and flush_interval must not be negative")
		}
		if ix.Password != "" && ix.Username == "" {
			add("audit.index: password without username")
		}
	}
	return errors.Join(errs...)
}

// LoadHMACKey reads a chain HMAC key file. Surrounding whitespace (a
// trailing newline) is not part of the key.
func LoadHMACKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < MinHMACKeyBytes {
		return nil, fmt.Errorf("%s: key is %d bytes, at least %d are required", path, len(b), MinHMACKeyBytes)
	}
	return b, nil
}

// nodeID is Config.NodeID or the host name.
func (c Config) nodeID() string {
	if c.NodeID != "" {
		return c.NodeID
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "portcullis"
}
