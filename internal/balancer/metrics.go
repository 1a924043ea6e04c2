package balancer

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the balancer's counters. A nil Registerer leaves them
// unregistered but usable.
type metrics struct {
	requests  *prometheus.CounterVec
	target    prometheus.Histogram
	checks    *prometheus.CounterVec
	retries   prometheus.Counter
	ejections *prometheus.CounterVec

	// byCode holds requests' counter of each status code once used: the
	// vector's lookup formats and hashes the label on every request.
	byCode [600]atomic.Pointer[prometheus.Counter]
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
			Help: "Requests sent to another target because a try on the chosen one failed or timed out.",
		}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "balancer", Name: "target_ejections_total",
			Help: "Targets taken out of rotation by passive health (outlier detection), by reason: " +
				"connect (the connection failed), timeout (no response within the per-try timeout) or " +
				"error (the connection failed after the request was sent), the last two after several in a row.",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.target, m.checks, m.retries, m.ejections)
	}
	return m
}

func (m *metrics) request(code int) {
	if code < 0 || code >= len(m.byCode) {
		m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
		return
	}
	c := m.byCode[code].Load()
	if c == nil {
		counter := m.requests.WithLabelValues(strconv.Itoa(code))
		c = &counter
		m.byCode[code].Store(c)
	}
	(*c).Inc()
}

// targetDone observes the wait for rt's target: from the route to the
// response headers, as forward measured it (every answer comes through it).
func (m *metrics) targetDone(rt *route) { m.target.Observe(rt.took.Seconds()) }

func (m *metrics) check(result string)   { m.checks.WithLabelValues(result).Inc() }
func (m *metrics) retry()                { m.retries.Inc() }
func (m *metrics) ejected(reason string) { m.ejections.WithLabelValues(reason).Inc() }
