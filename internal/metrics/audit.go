package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func (m *Metrics) newAuditCollectors() {
	m.auditRecords = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "records_total", Help: "Audit records written and fsync'ed."})
	m.auditFsync = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "fsync_seconds", Help: "Latency of one group commit's fsync.", Buckets: latencyBuckets})
	m.auditGroup = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "group_size", Help: "Records made durable by one fsync.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	m.auditFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "append_failures_total", Help: "Records that could not be made durable (the request was refused), by reason."}, []string{"reason"})
	m.auditUnaudited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "unaudited_total", Help: "Requests let through without their record (on_failure: allow), by event action."}, []string{"action"})
	m.auditRotations = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "rotations_total", Help: "Rotations of the audit log."})
	m.auditShipped = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "shipped_total", Help: "Records delivered by a shipper."}, []string{"sink"})
	m.auditShipFail = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "ship_failures_total", Help: "Failed shipping attempts."}, []string{"sink", "reason"})
	m.auditShipLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "portcullis", Subsystem: "audit",
		Name: "ship_lag_records", Help: "Committed records not yet shipped."}, []string{"sink"})
	m.registry.MustRegister(m.auditRecords, m.auditFsync, m.auditGroup, m.auditFailures, m.auditUnaudited,
		m.auditRotations, m.auditShipped, m.auditShipFail, m.auditShipLag)
}

// Committed records one group commit of the audit log.
func (m *Metrics) Committed(records, bytes int, fsync time.Duration) {
	m.auditRecords.Add(float64(records))
	m.auditFsync.Observe(fsync.Seconds())
	m.auditGroup.Observe(float64(records))
}

// AppendFailed records an audit record that could not be made durable.
func (m *Metrics) AppendFailed(reason string) { m.auditFailures.WithLabelValues(reason).Inc() }

// Unaudited records a request forwarded without its record.
func (m *Metrics) Unaudited(action string) { m.auditUnaudited.WithLabelValues(action).Inc() }

// Rotated records a rotation of the audit log.
func (m *Metrics) Rotated() { m.auditRotations.Inc() }

// Shipped records records delivered by a shipper.
func (m *Metrics) Shipped(sink string, records int) {
	m.auditShipped.WithLabelValues(sink).Add(float64(records))
}

// ShipFailed records a failed shipping attempt.
func (m *Metrics) ShipFailed(sink, reason string) {
	m.auditShipFail.WithLabelValues(sink, reason).Inc()
}

// ShipLag records how far a shipper is behind.
func (m *Metrics) ShipLag(sink string, records, bytes int64) {
	m.auditShipLag.WithLabelValues(sink).Set(float64(records))
}
