package network

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the data plane's counters. They work unregistered when Deps.Metrics
// is nil, so the hot path never checks.
type metrics struct {
	conns *prometheus.CounterVec // by result: allowed, denied, unbound
	// The children of conns, resolved once: admit counts every connection.
	allowed, denied, unbound prometheus.Counter
	listenFailures           prometheus.Counter
	listeners                prometheus.Gauge

	// handedOff counts requests handed over in process (handoff.go) that
	// admission let through; the ones it refused count in conns, as each
	// would have been a connection refused.
	handedOff prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "network", Name: "connections_total",
			Help: "Connections accepted on interface endpoint addresses, by result: allowed (handed off), denied (no security group rule), unbound (no endpoint on the address).",
		}, []string{"result"}),
		handedOff: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "network", Name: "handoff_requests_total",
			Help: "Requests handed over in process to an interface endpoint (no connection) that its security groups admitted.",
		}),
		listenFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "network", Name: "endpoint_failures_total",
			Help: "Times an interface endpoint went to state failed (an address that could not be opened).",
		}),
		listeners: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "network", Name: "listeners",
			Help: "Interface endpoint sockets open now.",
		}),
	}
	m.allowed = m.conns.WithLabelValues("allowed")
	m.denied = m.conns.WithLabelValues("denied")
	m.unbound = m.conns.WithLabelValues("unbound")
	if reg != nil {
		for _, c := range []prometheus.Collector{m.conns, m.listenFailures, m.listeners, m.handedOff} {
			if err := reg.Register(c); err != nil {
				log.Warn("register network metric", "err", err)
			}
		}
	}
	return m
}
