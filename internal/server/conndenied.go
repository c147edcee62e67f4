package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
)

// connection_denied. Elasticsearch records it when its IP filter drops a
// connection: event.type ip_filter, origin.type rest for the HTTP layer,
// origin.address, transport.profile ".http" and the rule that matched
// ("deny _all"). The proxy records its IP filter's refusals
// (security.ip_filter, ipfilter.go) that way, and those of its TLS policy
// (a required client certificate missing or not trusted, a protocol
// version or cipher suite it does not allow) in the same shape, with the
// policy as the rule, e.g. "deny client_authentication: required, no
// client certificate". Handshakes
// that fail for other reasons (the client hung up, timed out, spoke plain
// HTTP, rejected the proxy's certificate) are not policy decisions: they are
// only logged, as http.Server logged them.
//
// A flood of refused handshakes must not fill the disk: per window, each
// source IP is recorded once, and at most connDenialMaxPerWindow addresses
// one by one; the rest are counted and summed up in one connection_denied
// event (without origin.address) when the window ends.

const (
	// connDenialWindow is the period over which denials are aggregated.
	connDenialWindow = time.Minute
	// connDenialMaxPerWindow bounds the individual events per window.
	connDenialMaxPerWindow = 100
	// httpProfile is Elasticsearch's transport.profile of the HTTP layer.
	httpProfile = ".http"
)

// denialRule names the TLS policy that refused a handshake, or "" when
// the failure was not a policy decision. Go reports a missing client
// certificate and version or suite mismatches only as message text; the
// tests pin these messages.
func denialRule(err error) string {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return "deny client_authentication: certificate not trusted (" + verr.Err.Error() + ")"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "client didn't provide a certificate"):
		return "deny client_authentication: required, no client certificate"
	case strings.Contains(msg, "client offered only unsupported versions"):
		return "deny tls min_version: the client offered only older protocol versions"
	case strings.Contains(msg, "no cipher suite supported by both client and server"):
		return "deny tls cipher_suites: no allowed cipher suite offered"
	}
	return ""
}

// connDenials records connection_denied events for refused handshakes,
// aggregated per window.
type connDenials struct {
	rec    Auditor
	log    *zap.Logger
	window time.Duration
	max    int
	now    func() time.Time

	mu         sync.Mutex
	start      time.Time
	seen       map[string]bool // source IPs of this window
	recorded   int             // individual events this window
	suppressed int             // denials not recorded one by one
}

func newConnDenials(rec Auditor, log *zap.Logger, window time.Duration, max int, now func() time.Time) *connDenials {
	return &connDenials{rec: rec, log: log, window: window, max: max, now: now, start: now(), seen: map[string]bool{}}
}

// handshakeFailed is the handshakeListener's failure hook.
func (d *connDenials) handshakeFailed(remote net.Addr, err error) {
	rule := denialRule(err)
	if rule == "" {
		d.log.Info("TLS handshake failed", zap.Stringer("remote", remote), zap.Error(err))
		return
	}
	d.log.Info("TLS connection refused", zap.Stringer("remote", remote), zap.String("rule", rule), zap.Error(err))
	d.deny(remote.String(), rule)
}

// filtered is the IP filter's refusal hook.
func (d *connDenials) filtered(addr, rule string) {
	d.log.Info("connection refused by the IP filter", zap.String("remote", addr), zap.String("rule", rule))
	d.deny(addr, rule)
}

// deny records one refused connection from addr (ip:port), unless its
// address was already recorded in this window or the window's budget is
// spent; then it is only counted.
func (d *connDenials) deny(addr, rule string) {
	ip := addr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		ip = host
	}
	d.mu.Lock()
	summary := d.rollLocked(d.now())
	record := false
	switch {
	case d.seen[ip]:
		d.suppressed++
	case d.recorded >= d.max:
		d.suppressed++
		if len(d.seen) < 4*d.max { // bounded memory under a many-address flood
			d.seen[ip] = true
		}
	default:
		d.seen[ip] = true
		d.recorded++
		record = true
	}
	d.mu.Unlock()
	d.record(summary)
	if record {
		d.record(deniedEvent(addr, rule))
	}
}

// run writes the summary of each window that suppressed denials, until
// ctx ends (and then the last one).
func (d *connDenials) run(ctx context.Context) {
	t := time.NewTicker(d.window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			d.flush(d.now().Add(d.window))
			return
		case <-t.C:
			d.flush(d.now())
		}
	}
}

func (d *connDenials) flush(now time.Time) {
	d.mu.Lock()
	summary := d.rollLocked(now)
	d.mu.Unlock()
	d.record(summary)
}

// rollLocked starts a new window when the current one is over, and returns
// the summary event of the one that ended (nil when nothing was
// suppressed).
func (d *connDenials) rollLocked(now time.Time) *audit.Event {
	if now.Sub(d.start) < d.window {
		return nil
	}
	var summary *audit.Event
	if d.suppressed > 0 {
		summary = deniedEvent("", fmt.Sprintf(
			"deny (aggregated): %d further refused connections between %s and %s were not recorded one by one (each source address once per %s, at most %d addresses)",
			d.suppressed, d.start.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), d.window, d.max))
	}
	d.start, d.seen, d.recorded, d.suppressed = now, map[string]bool{}, 0, 0
	return summary
}

func (d *connDenials) record(ev *audit.Event) {
	if ev == nil {
		return
	}
	if err := d.rec.Record(context.Background(), ev); err != nil {
		d.log.Error("audit write failed for connection_denied", zap.Error(err))
	}
}

// deniedEvent is a connection_denied event in Elasticsearch's shape.
func deniedEvent(addr, rule string) *audit.Event {
	return &audit.Event{
		EventType: audit.TypeIPFilter, EventAction: audit.ConnectionDenied,
		OriginType: audit.OriginRest, OriginAddress: addr,
		TransportProfile: httpProfile, Rule: rule,
	}
}
