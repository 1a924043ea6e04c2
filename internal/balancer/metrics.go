package balancer

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the balancer's counters. A nil Registerer leaves them
// unregistered but usable.
type metrics struct {
	requests *prometheus.CounterVec
	target   prometheus.Histogram
	checks   *prometheus.CounterVec
	retries  prometheus.Counter
	suspects prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "requests_total",
			Help: "Requests answered by the load balancers, by status code.",
		}, []string{"code"}),
		target: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "target_response_seconds",
			Help:    "Time from forwarding a request to a target until its response headers.",
			Buckets: prometheus.DefBuckets,
		}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "health_checks_total",
			Help: "Health checks sent to targets, by result (success or the failure reason).",
		}, []string{"result"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "target_retries_total",
			Help: "Requests sent to another target because the connection to the chosen one failed.",
		}),
		suspects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "target_suspects_total",
			Help: "Targets held down by passive health after a failed connection.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.target, m.checks, m.retries, m.suspects)
	}
	return m
}

func (m *metrics) request(code int)             { m.requests.WithLabelValues(strconv.Itoa(code)).Inc() }
func (m *metrics) targetDone(started time.Time) { m.target.Observe(time.Since(started).Seconds()) }
func (m *metrics) check(result string)          { m.checks.WithLabelValues(result).Inc() }
func (m *metrics) retry()                       { m.retries.Inc() }
func (m *metrics) suspect()                     { m.suspects.Inc() }
