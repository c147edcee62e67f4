package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func (m *Metrics) newAuditCollectors() {
	m.auditRecords = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "records_total", Help: "Audit records written and fsync'ed."}, []string{"site"})
	m.auditFsync = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "fsync_seconds", Help: "Latency of one group commit's fsync.", Buckets: latencyBuckets}, []string{"site"})
	m.auditGroup = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "group_size", Help: "Records made durable by one fsync.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)}, []string{"site"})
	m.auditFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "append_failures_total", Help: "Records that could not be made durable (the request was refused), by reason."}, []string{"site", "reason"})
	m.auditUnaudited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "unaudited_total", Help: "Requests let through without their record (on_failure: allow), by event action."}, []string{"site", "action"})
	m.auditRotations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "rotations_total", Help: "Rotations of the audit log."}, []string{"site"})
	m.auditShipped = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "shipped_total", Help: "Records delivered by a shipper."}, []string{"site", "sink"})
	m.auditShipFail = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "ship_failures_total", Help: "Failed shipping attempts."}, []string{"site", "sink", "reason"})
	m.auditShipLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "ship_lag_records", Help: "Committed records not yet shipped."}, []string{"site", "sink"})
	m.registry.MustRegister(m.auditRecords, m.auditFsync, m.auditGroup, m.auditFailures, m.auditUnaudited,
		m.auditRotations, m.auditShipped, m.auditShipFail, m.auditShipLag)
}

// Committed records one group commit of the audit log.
func (m *Metrics) Committed(records, bytes int, fsync time.Duration) {
	m.auditRecords.WithLabelValues(m.site).Add(float64(records))
	m.auditFsync.WithLabelValues(m.site).Observe(fsync.Seconds())
	m.auditGroup.WithLabelValues(m.site).Observe(float64(records))
}

// AppendFailed records an audit record that could not be made durable.
func (m *Metrics) AppendFailed(reason string) { m.auditFailures.WithLabelValues(m.site, reason).Inc() }

// Unaudited records a request forwarded without its record.
func (m *Metrics) Unaudited(action string) { m.auditUnaudited.WithLabelValues(m.site, action).Inc() }

// Rotated records a rotation of the audit log.
func (m *Metrics) Rotated() { m.auditRotations.WithLabelValues(m.site).Inc() }

// Shipped records records delivered by a shipper.
func (m *Metrics) Shipped(sink string, records int) {
	m.auditShipped.WithLabelValues(m.site, sink).Add(float64(records))
}

// ShipFailed records a failed shipping attempt.
func (m *Metrics) ShipFailed(sink, reason string) {
	m.auditShipFail.WithLabelValues(m.site, sink, reason).Inc()
}

// ShipLag records how far a shipper is behind.
func (m *Metrics) ShipLag(sink string, records, bytes int64) {
	m.auditShipLag.WithLabelValues(m.site, sink).Set(float64(records))
}
