package audit

import (
	"context"
	"io"
	"time"

	"go.uber.org/zap"
)

// StdoutShipperOptions configures a StdoutShipper.
type StdoutShipperOptions struct {
	// Path is the active audit file.
	Path string
	// Log, when set, limits reading to committed records and wakes the
	// shipper at each commit.
	Log *FileLog
	// Out receives the records, one per line (os.Stdout in production).
	Out io.Writer
	// CursorFile persists the position (at most once a second). Without a
	// cursor the shipper starts at the end of the log (with Log) or at the
	// oldest file.
	CursorFile string
	// Observer receives metrics (default: none).
	Observer Observer
	// Logger receives operational messages (default: none).
	Logger *zap.Logger
}

// StdoutShipper copies committed audit records to a writer, for container
// log collection. The lines are the records, byte for byte.
type StdoutShipper struct {
	*shipCommon
	out io.Writer
}

// NewStdoutShipper prepares a shipper; Run starts it.
func NewStdoutShipper(o StdoutShipperOptions) (*StdoutShipper, error) {
	c, err := newShipCommon("stdout", o.Path, o.Log, o.CursorFile, true, o.Observer, o.Logger)
	if err != nil {
		return nil, err
	}
	return &StdoutShipper{shipCommon: c, out: o.Out}, nil
}

// Run ships until ctx ends, then saves the cursor.
func (s *StdoutShipper) Run(ctx context.Context) error {
	defer s.t.close()
	var (
		bo       = backoff{min: 100 * time.Millisecond, max: 10 * time.Second}
		pending  []byte
		last     = s.t.cur
		n        int
		saved    = s.t.cur
		lastSave time.Time
	)
	save := func() {
		if s.cursorFile == "" || last == saved {
			return
		}
		if err := SaveCursor(s.cursorFile, last); err != nil {
			s.logger.Warn("saving stdout shipper cursor", zap.Error(err))
			return
		}
		saved, lastSave = last, time.Now()
	}
	defer save()
	for ctx.Err() == nil {
		if len(pending) == 0 {
			lines, err := s.t.read(1000, 1<<20)
			if err != nil {
				s.logger.Warn("reading audit file for stdout", zap.Error(err))
				s.obs.ShipFailed(s.sink, "io")
				sleep(ctx, bo.next())
				continue
			}
			if len(lines) == 0 {
				if time.Since(lastSave) >= time.Second {
					save()
				}
				s.reportLag(s.t.cur)
				s.wait(ctx, 0)
				continue
			}
			for _, l := range lines {
				pending = append(pending, l.data...)
				pending = append(pending, '\n')
			}
			last, n = lines[len(lines)-1].next, len(lines)
		}
		if _, err := s.out.Write(pending); err != nil {
			s.obs.ShipFailed(s.sink, "io")
			sleep(ctx, bo.next())
			continue
		}
		bo.reset()
		pending = pending[:0]
		s.obs.Shipped(s.sink, n)
		if time.Since(lastSave) >= time.Second {
			save()
		}
	}
	return nil
}
