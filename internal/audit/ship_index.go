package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
)

// DefaultIndexPattern names one index per day, from each record's timestamp
// (UTC): portcullis-audit-2026.11.27.
const DefaultIndexPattern = "portcullis-audit-{yyyy.MM.dd}"

// IndexShipperOptions configures an IndexShipper.
type IndexShipperOptions struct {
	// Path is the active audit file.
	Path string
	// Log, when set, limits reading to committed records and wakes the
	// shipper at each commit.
	Log *FileLog
	// URL is the cluster's base URL, e.g. http://127.0.0.1:9200.
	URL string
	// IndexPattern names the target index; {…} holds a date format of the
	// record's UTC timestamp with yyyy, MM, dd, HH (default
	// DefaultIndexPattern).
	IndexPattern string
	// Username, when set, is sent with Password as Basic credentials.
	Username string
	// Password goes with Username.
	Password string
	// BatchSize is the most records per _bulk request (default 500).
	BatchSize int
	// MaxBatchBytes is the most record bytes per _bulk request (default 5 MiB).
	MaxBatchBytes int
	// FlushInterval is how long a partial batch may wait for more records
	// (default 1s).
	FlushInterval time.Duration
	// CursorFile persists the position after each successful _bulk; it is
	// required. Rejected records are appended to CursorFile + ".rejected".
	CursorFile string
	// Client sends the requests (default: a client with a 30s timeout).
	Client *http.Client
	// MinBackoff is the first retry delay (default 100ms).
	MinBackoff time.Duration
	// MaxBackoff caps the retry delay (default 30s).
	MaxBackoff time.Duration
	// Observer receives metrics (default: none).
	Observer Observer
	// Logger receives operational messages (default: none).
	Logger *zap.Logger
}

// IndexShipper copies committed audit records into an Elasticsearch or
// OpenSearch index with _bulk, at least once:
//
//   - documents are the records, byte for byte (same fields), created with
//     _id = chain.hash, so a record sent twice is indexed once (409 on the
//     second create counts as delivered);
//   - the cursor is persisted only after every item of a batch was
//     delivered, so a crash re-sends at most one batch;
//   - a failed request, 429 or 5xx is retried with exponential backoff;
//     failed items alone are retried; an item the cluster rejects for good
//     (400 mapping error…) goes to CursorFile.rejected and is not retried;
//   - back-pressure: one request in flight; what accumulates meanwhile
//     makes the next batch bigger (up to BatchSize), a 429 halves the batch
//     limit, successes double it back.
type IndexShipper struct {
	*shipCommon
	o       IndexShipperOptions
	bulkURL string
	pattern indexPattern
	limit   int
	bo      backoff
}

// NewIndexShipper prepares a shipper; Run starts it. Without a cursor it
// starts from the oldest audit file.
func NewIndexShipper(o IndexShipperOptions) (*IndexShipper, error) {
	if o.URL == "" {
		return nil, errors.New("audit index shipper: no URL")
	}
	if o.CursorFile == "" {
		return nil, errors.New("audit index shipper: no cursor file")
	}
	if o.IndexPattern == "" {
		o.IndexPattern = DefaultIndexPattern
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 5 << 20
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	pattern, err := parseIndexPattern(o.IndexPattern)
	if err != nil {
		return nil, err
	}
	c, err := newShipCommon("index", o.Path, o.Log, o.CursorFile, false, o.Observer, o.Logger)
	if err != nil {
		return nil, err
	}
	return &IndexShipper{
		shipCommon: c, o: o, pattern: pattern, limit: o.BatchSize,
		bulkURL: strings.TrimRight(o.URL, "/") + "/_bulk",
		bo:      backoff{min: o.MinBackoff, max: o.MaxBackoff},
	}, nil
}

// Run ships until ctx ends.
func (s *IndexShipper) Run(ctx context.Context) error {
	defer s.t.close()
	var (
		batch []tailLine
		bytes int
		since time.Time
	)
	for ctx.Err() == nil {
		if len(batch) < s.limit && bytes < s.o.MaxBatchBytes {
			lines, err := s.t.read(s.limit-len(batch), s.o.MaxBatchBytes-bytes)
			if err != nil {
				s.logger.Warn("reading audit file for the index shipper", zap.Error(err))
				s.obs.ShipFailed(s.sink, "io")
				sleep(ctx, s.bo.next())
				continue
			}
			if len(batch) == 0 && len(lines) > 0 {
				since = time.Now()
			}
			for _, l := range lines {
				bytes += len(l.data)
			}
			batch = append(batch, lines...)
		}
		if len(batch) == 0 {
			s.reportLag(s.t.cur)
			s.wait(ctx, 0)
			continue
		}
		if wait := s.o.FlushInterval - time.Since(since); len(batch) < s.limit && bytes < s.o.MaxBatchBytes && wait > 0 {
			s.wait(ctx, wait)
			continue
		}
		if !s.deliver(ctx, batch) {
			return nil
		}
		next := batch[len(batch)-1].next
		if err := SaveCursor(s.cursorFile, next); err != nil {
			// Delivered but not remembered: a restart re-sends, which the
			// _id makes harmless.
			s.logger.Warn("saving index shipper cursor", zap.Error(err))
		}
		s.obs.Shipped(s.sink, len(batch))
		s.reportLag(next)
		batch, bytes = batch[:0], 0
	}
	return nil
}

// deliver sends the batch until every record is indexed (or rejected for
// good); false when ctx ended first.
func (s *IndexShipper) deliver(ctx context.Context, batch []tailLine) bool {
	todo := batch
	for {
		retry, throttled, err := s.bulk(ctx, todo)
		if err == nil && len(retry) == 0 {
			s.bo.reset()
			if s.limit < s.o.BatchSize {
				s.limit = min(s.limit*2, s.o.BatchSize)
			}
			return true
		}
		if err != nil {
			s.logger.Warn("audit _bulk request failed", zap.Error(err), zap.Int("records", len(todo)))
		}
		if throttled && s.limit > 1 {
			s.limit /= 2
		}
		if len(retry) > 0 {
			todo = retry
		}
		if !sleep(ctx, s.bo.next()) {
			return false
		}
	}
}

type bulkItem struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

type bulkResponse struct {
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"`
}

// bulk sends one _bulk request. It returns the records to send again
// (all of them when err is set) and whether the cluster asked to slow down.
func (s *IndexShipper) bulk(ctx context.Context, todo []tailLine) (retry []tailLine, throttled bool, err error) {
	var body bytes.Buffer
	for _, l := range todo {
		body.WriteString(`{"create":{"_index":`)
		body.Write(appendJSONString(nil, s.indexFor(l.data)))
		if rec, err := parseSealed(l.data); err == nil {
			body.WriteString(`,"_id":"`)
			body.WriteString(rec.hash)
			body.WriteByte('"')
		}
		body.WriteString("}}\n")
		body.Write(l.data)
		body.WriteByte('\n')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.bulkURL, &body)
	if err != nil {
		return todo, false, fmt.Errorf("audit index shipper: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if s.o.Username != "" {
		req.SetBasicAuth(s.o.Username, s.o.Password)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		s.obs.ShipFailed(s.sink, "http")
		return todo, false, fmt.Errorf("audit index shipper: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		s.obs.ShipFailed(s.sink, "http")
		return todo, false, fmt.Errorf("audit index shipper: reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		s.obs.ShipFailed(s.sink, "status")
		return todo, resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("audit index shipper: _bulk: HTTP %d: %s", resp.StatusCode, truncate(raw, 300))
	}
	var br bulkResponse
	if err := json.Unmarshal(raw, &br); err != nil || len(br.Items) != len(todo) {
		s.obs.ShipFailed(s.sink, "status")
		return todo, false, fmt.Errorf("audit index shipper: unexpected _bulk response (%d items for %d records): %s", len(br.Items), len(todo), truncate(raw, 300))
	}
	if !br.Errors {
		return nil, false, nil
	}
	for i, item := range br.Items {
		var it bulkItem
		for _, v := range item {
			it = v
		}
		switch {
		case it.Status >= 200 && it.Status < 300, it.Status == http.StatusConflict:
			// Indexed now, or earlier by a send whose response was lost.
		case it.Status == http.StatusTooManyRequests || it.Status >= 500:
			throttled = throttled || it.Status == http.StatusTooManyRequests
			retry = append(retry, todo[i])
		default:
			s.reject(todo[i], it)
		}
	}
	if len(retry) > 0 {
		s.obs.ShipFailed(s.sink, "item")
	}
	return retry, throttled, nil
}

// reject appends a record the cluster refused for good to the rejected
// file, so that it is not lost from view; it stays in the audit file.
func (s *IndexShipper) reject(l tailLine, it bulkItem) {
	s.obs.ShipFailed(s.sink, "rejected")
	s.logger.Error("audit record rejected by the cluster", zap.Uint64("seq", l.seq), zap.Int("status", it.Status), zap.ByteString("error", it.Error))
	f, err := os.OpenFile(s.cursorFile+".rejected", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.logger.Error("recording rejected audit record", zap.Error(err))
		return
	}
	defer f.Close()
	line := append([]byte(nil), l.data...)
	line = append(line, '\n')
	if _, err := f.Write(line); err == nil {
		_ = f.Sync()
	}
}

// indexFor names the index of a record from its timestamp (now, if the
// record has none).
func (s *IndexShipper) indexFor(line []byte) string {
	t := recordTime(line)
	if t.IsZero() {
		t = time.Now()
	}
	return s.pattern.format(t)
}

// indexPattern is a parsed index name pattern such as
// "portcullis-audit-{yyyy.MM.dd}": literal text, and in braces a date of
// yyyy, MM, dd and HH with '.', '-' or '_' between them.
type indexPattern struct {
	parts []indexPart
}

type indexPart struct {
	literal string
	layout  string // Go time layout; empty for a literal
}

func parseIndexPattern(p string) (indexPattern, error) {
	var ip indexPattern
	rest := p
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			open = len(rest)
		}
		if lit := rest[:open]; lit != "" {
			if lit != strings.ToLower(lit) {
				return ip, fmt.Errorf("audit index pattern %q: index names must be lowercase", p)
			}
			if strings.ContainsAny(lit, "}\\/*?\"<>| ,#:") {
				return ip, fmt.Errorf("audit index pattern %q: invalid character in %q", p, lit)
			}
			ip.parts = append(ip.parts, indexPart{literal: lit})
		}
		if open == len(rest) {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return ip, fmt.Errorf("audit index pattern %q: unbalanced '{'", p)
		}
		spec := rest[open+1 : open+end]
		var layout strings.Builder
		for s := spec; s != ""; {
			switch {
			case strings.HasPrefix(s, "yyyy"):
				layout.WriteString("2006")
				s = s[4:]
			case strings.HasPrefix(s, "mm"), strings.HasPrefix(s, "MM"):
				if s[0] == 'm' {
					return ip, fmt.Errorf("audit index pattern %q: use MM for the month", p)
				}
				layout.WriteString("01")
				s = s[2:]
			case strings.HasPrefix(s, "dd"):
				layout.WriteString("02")
				s = s[2:]
			case strings.HasPrefix(s, "HH"):
				layout.WriteString("15")
				s = s[2:]
			case strings.ContainsRune(".-_", rune(s[0])):
				layout.WriteByte(s[0])
				s = s[1:]
			default:
				return ip, fmt.Errorf("audit index pattern %q: unsupported date format {%s} (use yyyy, MM, dd, HH)", p, spec)
			}
		}
		ip.parts = append(ip.parts, indexPart{layout: layout.String()})
		rest = rest[open+end+1:]
	}
	if len(ip.parts) == 0 {
		return ip, fmt.Errorf("audit index pattern: empty")
	}
	return ip, nil
}

func (ip indexPattern) format(t time.Time) string {
	var b strings.Builder
	t = t.UTC()
	for _, part := range ip.parts {
		if part.layout == "" {
			b.WriteString(part.literal)
		} else {
			b.WriteString(t.Format(part.layout))
		}
	}
	return b.String()
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
