package upstream

import (
	"net/url"
	"strings"
	"sync"
	"time"
)

// Health is the result of the active health checks for one node.
type Health string

// Active health states.
const (
	// HealthUnknown: no check has completed yet (or checks are disabled).
	// The node is routable.
	HealthUnknown Health = "unknown"
	// HealthUp: the last check got a 2xx response.
	HealthUp Health = "up"
	// HealthDown: the last check failed. The node is not routable.
	HealthDown Health = "down"
)

// NodeStatus is a point-in-time view of one node, for diagnostics.
type NodeStatus struct {
	// Node is the node's URL, without credentials.
	Node string
	// Available reports whether the node is in rotation: not down and not
	// ejected.
	Available bool
	// Health is the result of the last active health check.
	Health Health
	// Ejected reports whether passive checks took the node out of rotation;
	// EjectedUntil is when that ends at the latest.
	Ejected      bool
	EjectedUntil time.Time
	// ConsecutiveFailures counts connection failures since the last
	// success.
	ConsecutiveFailures int
	// LastFailure is when the node last failed (zero if never).
	LastFailure time.Time
}

// node is one upstream endpoint and its health bookkeeping.
type node struct {
	name      string
	scheme    string
	host      string
	prefix    string // decoded path prefix without trailing slash
	rawPrefix string // escaped path prefix without trailing slash

	mu           sync.Mutex
	health       Health
	fails        int
	ejectedAt    time.Time
	ejectedUntil time.Time
	lastFailure  time.Time
}

func newNode(u *url.URL) *node {
	return &node{
		name:      nodeName(u),
		scheme:    u.Scheme,
		host:      u.Host,
		prefix:    strings.TrimSuffix(u.Path, "/"),
		rawPrefix: strings.TrimSuffix(u.EscapedPath(), "/"),
		health:    HealthUnknown,
	}
}

// nodeName identifies a node in logs, metrics and NodeStatus: scheme, host
// and path prefix, never credentials.
func nodeName(u *url.URL) string {
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
}

// target returns the URL of in (a request's path and query) on this node.
func (n *node) target(in *url.URL) *url.URL {
	out := *in
	out.Scheme, out.Host, out.User, out.Opaque = n.scheme, n.host, nil, ""
	out.Path, out.RawPath = n.joinPath(in)
	return &out
}

// joinPath prefixes in's path with the node's path prefix, preserving the
// client's escaping (index names may contain %2F and similar).
func (n *node) joinPath(in *url.URL) (path, rawPath string) {
	p, raw := in.Path, in.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p, raw = "/"+p, "/"+raw
	}
	if n.prefix == "" && n.rawPrefix == "" {
		return p, in.RawPath
	}
	return n.prefix + p, n.rawPrefix + raw
}

// availableLocked reports whether the node is routable at now, ending an
// expired ejection first (half-open: one more failure ejects it again).
// It returns whether the expiry changed availability.
func (n *node) availableLocked(now time.Time, threshold int) (available, changed bool) {
	if !n.ejectedUntil.IsZero() && !now.Before(n.ejectedUntil) {
		n.ejectedAt, n.ejectedUntil = time.Time{}, time.Time{}
		n.fails = max(threshold-1, 0)
		changed = n.health != HealthDown
	}
	return n.health != HealthDown && n.ejectedUntil.IsZero(), changed
}

// available is availableLocked with locking.
func (n *node) available(now time.Time, threshold int) (available, changed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.availableLocked(now, threshold)
}

// routableLocked is availableLocked without side effects.
func (n *node) routableLocked(now time.Time) bool {
	return n.health != HealthDown && !n.ejectedLocked(now)
}

func (n *node) ejectedLocked(now time.Time) bool {
	return !n.ejectedUntil.IsZero() && now.Before(n.ejectedUntil)
}

// recordFailure counts one connection failure and ejects the node when the
// threshold is reached (threshold <= 0 disables ejection). It reports
// whether this call ejected the node.
func (n *node) recordFailure(now time.Time, threshold int, ejectFor time.Duration) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.availableLocked(now, threshold) // end an expired ejection first
	n.lastFailure = now
	n.fails++
	if threshold <= 0 || n.fails < threshold || !n.ejectedUntil.IsZero() {
		return false
	}
	n.ejectedAt, n.ejectedUntil = now, now.Add(ejectFor)
	return n.health != HealthDown
}

// recordSuccess notes that the node answered a request started at start. It
// resets the failure count and, when the evidence is newer than the
// ejection, ends it. It reports whether availability changed.
func (n *node) recordSuccess(start time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fails = 0
	return n.clearEjectionLocked(start)
}

func (n *node) clearEjectionLocked(evidence time.Time) bool {
	if n.ejectedUntil.IsZero() || !evidence.After(n.ejectedAt) {
		return false
	}
	n.ejectedAt, n.ejectedUntil = time.Time{}, time.Time{}
	n.fails = 0
	return n.health != HealthDown
}

// setHealth records an active check result for a check started at start
// and reports the node's availability afterwards and whether it changed.
func (n *node) setHealth(up bool, start, now time.Time, threshold int) (available, changed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	before, _ := n.availableLocked(now, threshold)
	if up {
		n.health = HealthUp
		n.clearEjectionLocked(start)
	} else {
		n.health = HealthDown
		n.lastFailure = now
	}
	after, _ := n.availableLocked(now, threshold)
	return after, after != before
}

// status returns a snapshot of the node.
func (n *node) status(now time.Time) NodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	ejected := n.ejectedLocked(now)
	var until time.Time
	if ejected {
		until = n.ejectedUntil
	}
	return NodeStatus{
		Node:                n.name,
		Available:           n.routableLocked(now),
		Health:              n.health,
		Ejected:             ejected,
		EjectedUntil:        until,
		ConsecutiveFailures: n.fails,
		LastFailure:         n.lastFailure,
	}
}

// lastFailed returns when the node last failed.
func (n *node) lastFailed() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lastFailure
}
