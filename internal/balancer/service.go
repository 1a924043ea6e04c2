package balancer

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http/httputil"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Deps is what the balancer needs from the daemon.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger
	Env     model.Env
	Metrics prometheus.Registerer
	// TrustedProxies are sources allowed to send PROXY protocol headers besides
	// the static IPs of the accelerators in the snapshot, which always are: an
	// operator's own proxies in front of the load balancers. Empty by default; a
	// header from any other source is refused.
	TrustedProxies []netip.Prefix
	// Budget caps the connections open on the load balancer nodes (nil:
	// none); the daemon sizes it from the file descriptor limit.
	Budget *listen.Budget

	// HealthCheckSecond is how long one second of a target group's health
	// check interval lasts, for the checks and the passive hold-down that
	// follows them (zero: a second). Tests shorten it so that checks ELBv2
	// spaces at least 5 s apart run every few milliseconds; a check's timeout
	// is not scaled.
	HealthCheckSecond time.Duration
	// IdleTimeoutSecond is how long one second of a load balancer's
	// idle_timeout.timeout_seconds lasts (zero: a second), for tests of
	// the idle timeout that would otherwise wait whole seconds.
	IdleTimeoutSecond time.Duration
	// RetryInterval is how soon sockets that failed to open are tried again
	// (zero: live.DefaultRetryInterval).
	RetryInterval time.Duration
	// MaxLoadBalancers and MaxTargetGroups are the regional quotas (zero:
	// ALB's, DefaultMaxLoadBalancers and DefaultMaxTargetGroups).
	MaxLoadBalancers int
	MaxTargetGroups  int
	// Leader reports whether this node is the cluster's leader, the one
	// that writes observed status: target health reports and load balancer
	// states. nil: always (a single node). Every node serves traffic and
	// checks its targets' health; a follower routes by its own checks and
	// writes none of it.
	Leader func() bool
	// Handoff is the in-process hand-off registry (handoff.go): node
	// listeners take connections handed over, and targets it serves are
	// forwarded to without a socket. nil: sockets only.
	Handoff *handoff.Registry
}

// Service is the application load balancer: data plane and ELBv2 operations.
type Service struct {
	d          Deps
	table      live.Table[table]
	metrics    *metrics
	transports *transports
	passive    *passive
	proxy      *httputil.ReverseProxy
	set        *listen.Set

	healthMu sync.Mutex // one TargetHealth write at a time; guards reported
	// reported holds the target groups whose TargetHealth this node wrote
	// (or found right) while leader; cleared when it is not the leader, so
	// that a node that becomes leader writes its own view on the next
	// check of each group.
	reported map[string]bool

	mu       sync.Mutex                   // guards probers, states and observed
	probers  map[string]*prober           // by check key
	states   map[string]model.TargetState // by check key
	observed map[string]bool              // by check key: this node completed a check of it
	wg       sync.WaitGroup               // probers
}

// New returns a balancer; Run starts serving.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Env == (model.Env{}) {
		d.Env = model.DefaultEnv
	}
	d.HealthCheckSecond = cmp.Or(d.HealthCheckSecond, time.Second)
	d.IdleTimeoutSecond = cmp.Or(d.IdleTimeoutSecond, time.Second)
	d.MaxLoadBalancers = cmp.Or(d.MaxLoadBalancers, DefaultMaxLoadBalancers)
	d.MaxTargetGroups = cmp.Or(d.MaxTargetGroups, DefaultMaxTargetGroups)
	s := &Service{
		d:          d,
		metrics:    newMetrics(d.Metrics),
		transports: newTransports(),
		passive:    newPassive(),
		probers:    map[string]*prober{},
		states:     map[string]model.TargetState{},
		observed:   map[string]bool{},
		reported:   map[string]bool{},
	}
	s.table.RetryInterval = d.RetryInterval
	s.proxy = s.newProxy()
	s.set = listen.NewLimitedSet(d.Budget, s.serveSocket)
	return s
}

// Run serves every load balancer's listeners and runs the health checks until
// ctx ends, then closes the sockets and waits for its goroutines.
func (s *Service) Run(ctx context.Context) error {
	if s.d.Store == nil || s.d.Feed == nil {
		return errors.New("balancer: store and feed are required")
	}
	// The table routes by this node's own health checks where it has made
	// them (localHealth), from the moment it is swapped in.
	var certs model.TLSCache
	compileLocal := func(snap *model.Snapshot) (*table, error) {
		t, err := compile(snap, &certs)
		if err == nil {
			s.localHealth(t)
		}
		return t, err
	}
	s.table.Run(ctx, s.d.Feed, s.d.Log, compileLocal, func(t *table) bool { return s.apply(ctx, t) })
	s.stopProbers()
	s.wg.Wait()
	s.set.Close()
	s.transports.closeIdle()
	return nil
}

// apply brings sockets, load balancer states, probers and target health in
// line with t, the table in force, and reports whether some socket failed to
// open (the table follower applies t again after a while).
func (s *Service) apply(ctx context.Context, t *table) (retry bool) {
	if ctx.Err() != nil {
		return false
	}
	for _, p := range t.problems {
		s.d.Log.Warn("balancer config left out", "problem", p)
	}
	failed := s.set.Reconcile(ctx, t.addrs)
	leader := s.leader()
	for _, lb := range t.lbs {
		if !leader {
			break // observed status is the leader's to write
		}
		var reasons []string
		for _, a := range lb.addrs {
			if msg, ok := failed[a]; ok {
				reasons = append(reasons, msg)
			}
		}
		state, reason := lbActive, ""
		if len(reasons) > 0 {
			state, reason = lbFailed, strings.Join(reasons, "; ")
		}
		if state == lb.state && reason == lb.reason {
			continue
		}
		if err := s.setState(ctx, lb.arn, state, reason); err != nil && ctx.Err() == nil {
			s.d.Log.Error("write load balancer state", "arn", lb.arn, "err", err)
		}
	}
	s.transports.keep(t.nodeIPs)
	s.reconcileProbers(ctx, t)
	// Again after the swap: a check that completed while t was compiled
	// updated the table then in force, not t.
	s.localHealth(t)
	if !leader {
		s.forgetReported()
		return len(failed) > 0
	}
	arns := append(sortedKeys(t.groups), t.stale...)
	for _, arn := range arns {
		if err := s.syncHealth(ctx, arn); err != nil && ctx.Err() == nil {
			s.d.Log.Error("write target health", "target_group", arn, "err", err)
		}
	}
	return len(failed) > 0
}

// lbState is a load balancer's State (model.LoadBalancer.State).
type lbState string

const (
	lbProvisioning lbState = "provisioning" // created; its sockets are not open yet
	lbActive       lbState = "active"       // every socket open
	lbFailed       lbState = "failed"       // some socket would not open: StateReason says why
)

var errUnchanged = errors.New("unchanged")

// leader reports whether this node writes observed status (Deps.Leader).
func (s *Service) leader() bool { return s.d.Leader == nil || s.d.Leader() }

func (s *Service) setState(ctx context.Context, arn string, state lbState, reason string) error {
	_, err := store.Update(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), func(lb *model.LoadBalancer) error {
		if lbState(lb.State) == state && lb.StateReason == reason {
			return errUnchanged
		}
		lb.State, lb.StateReason = string(state), reason
		return nil
	})
	if err == nil {
		s.d.Log.Info("load balancer state", "arn", arn, "state", state, "reason", reason)
	}
	if errors.Is(err, errUnchanged) || errors.Is(err, store.ErrNotFound) {
		return nil // already so, or deleted meanwhile
	}
	return err
}

// configured is how long d, a time a resource configures in whole seconds
// (a health check interval, an idle timeout), lasts when a second lasts
// second (Deps.HealthCheckSecond, Deps.IdleTimeoutSecond).
func configured(d, second time.Duration) time.Duration {
	return d / time.Second * second
}

// Addrs returns the socket addresses the balancer has open, sorted.
func (s *Service) Addrs() []string { return s.set.Addrs() }

// Served is the newest snapshot revision the data plane serves, sockets and
// status included.
func (s *Service) Served() int64 { return s.table.Served() }
