package accelerator

import "github.com/prometheus/client_golang/prometheus"

// metrics are the data plane's counters. They are always kept; they are
// exported only when Deps.Metrics is set.
type metrics struct {
	conns        *prometheus.CounterVec // by outcome
	active       prometheus.Gauge
	bytes        *prometheus.CounterVec // by direction: in (client → endpoint), out
	dial         prometheus.Histogram
	dialFailures prometheus.Counter
	closed       *prometheus.CounterVec // flows closed by the proxy, by reason
	handedOff    prometheus.Counter     // proxied flows handed to a node in process (handoff.go)
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "connections_total",
			Help: "Client connections accepted on static IPs, by outcome (proxied, no_endpoint, no_route, header_failed, route_changed, shutdown).",
		}, []string{"outcome"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "active_flows",
			Help: "Established client-to-endpoint flows.",
		}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "bytes_total",
			Help: "Bytes proxied by finished flows, by direction (in: client to endpoint, out: endpoint to client).",
		}, []string{"direction"}),
		dial: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "dial_seconds",
			Help:    "Time to connect to a load balancer node.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}),
		handedOff: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "handoffs_total",
			Help: "Proxied flows handed in process to a load balancer node this process serves (no dial, no socket to the node).",
		}),
		dialFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "dial_failures_total",
			Help: "Failed connects to load balancer nodes.",
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "accelerator", Name: "flows_closed_total",
			Help: "Flows the accelerator closed, by reason (idle: the idle timeout; fin_timeout: half closed and silent for the FIN timeout; config: the listener or endpoint was removed or the accelerator disabled).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.conns, m.active, m.bytes, m.dial, m.dialFailures, m.closed, m.handedOff)
	}
	return m
}
