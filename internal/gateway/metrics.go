package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's counters; a nil *metrics records nothing.
type metrics struct {
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
	rev      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "gateway", Name: "requests_total",
			Help: "Requests answered by the API gateway, by HTTP status code.",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "gatehouse", Subsystem: "gateway", Name: "request_duration_seconds",
			Help:    "Time from request headers to the end of the response.",
			Buckets: prometheus.DefBuckets,
		}),
		rev: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "gateway", Name: "table_revision",
			Help: "Store revision of the routing table in force.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.rev)
	return m
}

func (m *metrics) observe(status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *metrics) tableRev(rev int64) {
	if m == nil {
		return
	}
	m.rev.Set(float64(rev))
}
