package certs

import "github.com/prometheus/client_golang/prometheus"

// metrics are the service's counters. They always exist, registered or not, so
// the code that counts never checks.
type metrics struct {
	checks  *prometheus.CounterVec // validation record lookups, by result
	issued  *prometheus.CounterVec // certificates issued, by kind (acm, internal)
	pending prometheus.Gauge       // certificates waiting for validation
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "certs", Name: "validation_lookups_total",
			Help: "DNS lookups of certificate validation records, by result (match, mismatch, missing, error).",
		}, []string{"result"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "certs", Name: "issued_total",
			Help: "Certificates issued by the built-in CA, by kind (acm: requested certificates; internal: gatehouse's own).",
		}, []string{"kind"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "certs", Name: "pending_validation",
			Help: "Certificates in PENDING_VALIDATION.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.checks, m.issued, m.pending)
	}
	return m
}
