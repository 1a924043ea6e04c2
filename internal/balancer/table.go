package balancer

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"gatehouse/internal/model"
)

// table is the compiled, immutable view of every load balancer, listener and
// target group. Only the round-robin counters in group change after compile.
type table struct {
	listeners map[string]*listenerEntry // by socket address "nodeIP:port"
	addrs     []string                  // every socket address, sorted
	lbs       map[string]*lbEntry       // by load balancer ARN
	groups    map[string]*group         // by target group ARN
	checks    map[string]checkSpec      // by check key (see checkKey)
	nodeIPs   map[string]bool           // every node IP of every load balancer
	// proxies are the static IPs of every accelerator: the only sources whose
	// PROXY protocol header is used (proxyPolicy), besides Deps.TrustedProxies.
	proxies  map[netip.Addr]bool
	stale    []string // TargetHealth records whose target group is gone
	problems []string // parts of the snapshot left out, for the log
}

// lbEntry is one load balancer's sockets and its last stored state.
type lbEntry struct {
	arn, reason string
	state       lbState
	addrs       []string
}

// listenerEntry is what one socket serves.
type listenerEntry struct {
	lbARN, arn string
	protocol   string // "HTTP" or "HTTPS"
	port       int
	certs      *certSet      // HTTPS only
	tls        *tls.Config   // HTTPS only: the listener's SslPolicy and certificates
	idle       time.Duration // the load balancer's idle_timeout.timeout_seconds
	rules      []rule        // by priority; see route
	action     action        // the default action
	// forwarded is what verbatim writes between X-Forwarded-For's value
	// and the trace id's: the listener's X-Forwarded-Proto and -Port.
	forwarded string
}

// group is a target group as the data path needs it.
type group struct {
	arn      string
	protocol string // to the targets: "HTTP" or "HTTPS"
	inUse    bool   // some listener forwards to it
	hc       model.HealthCheck
	targets  []target                     // registered, in registration order
	healthy  []target                     // of those, the ones the stored health says are healthy
	stored   map[string]model.TargetState // stored health by "ip:port"
	next     *atomic.Uint64               // round-robin position; restarts with each table
	// local, once set, replaces healthy: the targets this node's own checks
	// found healthy (Service.localHealthOf). It changes with every check
	// that changes a state, without a new table.
	local atomic.Pointer[[]target]
	lat   atomic.Pointer[latency] // latency's
}

type target struct {
	id   string
	port int
	addr string // "ip:port"
	ap   netip.AddrPort
	key  string // checkKey(group ARN, addr): its passive health and prober
}

// pick chooses the next target round robin among the healthy targets, or among
// all registered targets when none is healthy (ALB fails open), leaving out
// the targets in tried (this request's earlier attempts) and those passive
// health holds suspect, unless every target left is suspect: then it picks
// among them as ALB would, so passive health never empties the group. nil: no
// target left.
func (g *group) pick(p *passive, tried []string) *target {
	pool := g.healthy
	if local := g.local.Load(); local != nil {
		pool = *local
	}
	if len(pool) == 0 {
		pool = g.targets
	}
	if len(pool) == 0 {
		return nil
	}
	n := g.next.Add(1) - 1
	var fallback *target
	for i := range uint64(len(pool)) {
		t := &pool[(n+i)%uint64(len(pool))]
		if slices.Contains(tried, t.addr) {
			continue
		}
		if p.suspect(t.key) {
			if fallback == nil {
				fallback = t
			}
			continue
		}
		return t
	}
	return fallback
}

// checkSpec is one health check task: a (target group, target) pair and how to
// check it. It is comparable: a prober restarts only when its spec changes.
type checkSpec struct {
	key       string
	tgARN     string
	targetID  string
	port      int    // traffic port (the target's)
	addr      string // "ip:port" checked (the health check port)
	protocol  string // "HTTP" or "HTTPS"
	path      string
	interval  time.Duration
	timeout   time.Duration
	healthy   int
	unhealthy int
	matcher   string
	source    string // node IP the probe is sent from
}

func checkKey(tgARN, addr string) string { return tgARN + "|" + addr }

// certSet picks a listener certificate by SNI: exact name, then wildcard, then
// the default (the listener's first certificate).
type certSet struct {
	def   *tls.Certificate
	exact map[string]*tls.Certificate
	wild  map[string]*tls.Certificate // "*.example.com" stored as "example.com"
}

var errNoCertificate = errors.New("listener has no usable certificate")

func (c *certSet) get(sni string) (*tls.Certificate, error) {
	if c == nil || c.def == nil {
		return nil, errNoCertificate
	}
	name := model.DomainKey(sni)
	if name == "" {
		return c.def, nil
	}
	if cert := c.exact[name]; cert != nil {
		return cert, nil
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		if cert := c.wild[parent]; cert != nil {
			return cert, nil
		}
	}
	return c.def, nil
}
