package listen

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the budgets' gauges and counters, labelled by listener class;
// one Metrics serves every Budget of a daemon.
type Metrics struct {
	open         *prometheus.GaugeVec   // by class
	refused      *prometheus.CounterVec // by class, reason
	acceptErrors *prometheus.CounterVec // by class
	caps         *prometheus.GaugeVec   // by class, scope (class, listener, source)
}

// NewMetrics returns the budgets' metrics, registered with reg unless it is nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "listen", Name: "open_connections",
			Help: "Accepted connections open now, by listener class (static_ip, balancer, endpoint, dns_tcp, aws_api).",
		}, []string{"class"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "listen", Name: "refused_total",
			Help: "Connections reset at accept because a cap was reached, by listener class and reason (listener_cap, class_cap, source_cap).",
		}, []string{"class", "reason"}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "listen", Name: "accept_errors_total",
			Help: "Failed accepts (out of file descriptors, …), by listener class.",
		}, []string{"class"}),
		caps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "listen", Name: "connection_cap",
			Help: "Open connections allowed, by listener class and scope (class, listener, source); 0 is no cap.",
		}, []string{"class", "scope"}),
	}
	if reg != nil {
		reg.MustRegister(m.open, m.refused, m.acceptErrors, m.caps)
	}
	return m
}
