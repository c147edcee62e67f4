package upstream

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// pool is the set of nodes with round-robin selection and passive ejection.
type pool struct {
	nodes     []*node
	next      atomic.Uint64
	threshold int           // consecutive failures before ejection; <= 0 disables
	ejectFor  time.Duration // how long an ejection lasts at most
	now       func() time.Time
	obs       Observer
	log       *zap.Logger
}

func newPool(cfg Config, obs Observer, log *zap.Logger) *pool {
	p := &pool{
		nodes:     make([]*node, len(cfg.Nodes)),
		threshold: cfg.EjectAfterFailures,
		ejectFor:  cfg.EjectFor,
		now:       time.Now,
		obs:       obs,
		log:       log,
	}
	for i, u := range cfg.Nodes {
		p.nodes[i] = newNode(u)
	}
	return p
}

// pick returns the next available node in round-robin order, skipping the
// nodes whose index is set in tried (nil: none tried). It returns nil when
// no untried node is available.
func (p *pool) pick(tried []bool) *node {
	n := uint64(len(p.nodes))
	start := p.next.Add(1) - 1
	now := p.now()
	for i := range n {
		idx := (start + i) % n
		if tried != nil && tried[idx] {
			continue
		}
		nd := p.nodes[idx]
		ok, changed := nd.available(now, p.threshold)
		if changed {
			p.reportAvailability(nd, ok, "ejection expired")
		}
		if ok {
			return nd
		}
	}
	return nil
}

// fallback returns the node that failed least recently, for when no node is
// available: the health information may be stale (a whole cluster restart
// ejects every node) and one attempt costs little compared with refusing
// all traffic until the next health check.
func (p *pool) fallback() *node {
	best := p.nodes[0]
	bestAt := best.lastFailed()
	for _, nd := range p.nodes[1:] {
		if at := nd.lastFailed(); at.Before(bestAt) {
			best, bestAt = nd, at
		}
	}
	return best
}

// index returns nd's position in the pool.
func (p *pool) index(nd *node) int {
	for i, x := range p.nodes {
		if x == nd {
			return i
		}
	}
	return -1
}

// failure records a connection failure on nd, ejecting it at the threshold.
func (p *pool) failure(nd *node) {
	if nd.recordFailure(p.now(), p.threshold, p.ejectFor) {
		p.reportAvailability(nd, false, "ejected after consecutive connection failures")
	}
}

// success records that nd answered an attempt started at start.
func (p *pool) success(nd *node, start time.Time) {
	if nd.recordSuccess(start) {
		p.reportAvailability(nd, true, "answered a request")
	}
}

// setHealth records an active health check result.
func (p *pool) setHealth(nd *node, up bool, start time.Time) {
	avail, changed := nd.setHealth(up, start, p.now(), p.threshold)
	p.obs.NodeHealth(nd.name, avail)
	if changed {
		p.logAvailability(nd, avail, "active health check")
	}
}

// reportAvailability tells the observer and the log about a change.
func (p *pool) reportAvailability(nd *node, available bool, why string) {
	p.obs.NodeHealth(nd.name, available)
	p.logAvailability(nd, available, why)
}

func (p *pool) logAvailability(nd *node, available bool, why string) {
	if available {
		p.log.Info("upstream node back in rotation", zap.String("node", nd.name), zap.String("reason", why))
		return
	}
	p.log.Warn("upstream node out of rotation", zap.String("node", nd.name), zap.String("reason", why))
}

// ready reports whether at least one node is available. With active checks
// enabled a node must also have passed one; otherwise not being down or
// ejected suffices.
func (p *pool) ready(activeChecks bool) bool {
	now := p.now()
	for _, nd := range p.nodes {
		st := nd.status(now)
		if st.Available && (!activeChecks || st.Health == HealthUp) {
			return true
		}
	}
	return false
}

// statuses returns a snapshot of every node, in configuration order.
func (p *pool) statuses() []NodeStatus {
	now := p.now()
	out := make([]NodeStatus, len(p.nodes))
	for i, nd := range p.nodes {
		out[i] = nd.status(now)
	}
	return out
}
