package nameserver

import (
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the nameserver's counters. Nil-safe: a Service without a registerer
// still counts, it just exposes nothing.
type metrics struct {
	queries  *prometheus.CounterVec // by transport and response code
	duration *prometheus.HistogramVec
	rejected prometheus.Counter // tables that failed to compile
	// fallback counts UDP queries the fast path left to miekg/dns, dropped
	// those of them that found its queue full.
	fallback, dropped prometheus.Counter

	// The fast path's series, looked up once (udp.go).
	udpByRcode  [16]atomic.Pointer[prometheus.Counter]
	udpObserver atomic.Pointer[prometheus.Observer]
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "dns", Name: "queries_total",
			Help: "DNS queries answered, by transport and response code.",
		}, []string{"proto", "rcode"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gatehouse", Subsystem: "dns", Name: "query_duration_seconds",
			Help:    "Time to build and write one DNS answer.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05},
		}, []string{"proto"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "dns", Name: "tables_rejected_total",
			Help: "Snapshots whose DNS table failed to compile (the previous table kept serving).",
		}),
		fallback: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "dns", Name: "udp_fallback_total",
			Help: "UDP queries the wire-format fast path left to the full DNS message path.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "dns", Name: "udp_fallback_dropped_total",
			Help: "UDP queries left to the full message path that were dropped because its queue was full.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.queries, m.duration, m.rejected, m.fallback, m.dropped} {
			if err := reg.Register(c); err != nil {
				log.Warn("register dns metric", "err", err)
			}
		}
	}
	return m
}
