package accelerator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Defaults.
const (
	// DefaultIdleTimeout is Global Accelerator's TCP idle timeout.
	DefaultIdleTimeout = 340 * time.Second
	// DefaultDialTimeout bounds the connect to one load balancer node.
	DefaultDialTimeout = 5 * time.Second
	// DefaultFinTimeout bounds a half-closed flow's silence. It is Linux's
	// default tcp_fin_timeout (how long the kernel keeps an orphaned socket in
	// FIN-WAIT-2) and the load balancer's default idle timeout, so an answer
	// the balancer would still send after a client's FIN still gets through.
	// Global Accelerator documents no half-close timeout of its own; its
	// sibling Network Load Balancer stops tracking gracefully closed flows.
	DefaultFinTimeout = 60 * time.Second

	// headerWriteTimeout bounds writing the PROXY header to a fresh connection.
	headerWriteTimeout = 5 * time.Second
)

// Deps is what the service needs from its owner.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger
	Env     model.Env
	Metrics prometheus.Registerer // nil: metrics are kept but not exported

	// Pools are the static IP pools of exactly two network zones; every
	// accelerator gets one address from each.
	Pools []netip.Prefix
	// DialTimeout bounds the connect to one load balancer node. Default 5s.
	DialTimeout time.Duration
	// IdleTimeout closes a TCP flow that moved no byte in either direction for
	// this long. Default 340s, as Global Accelerator.
	IdleTimeout time.Duration
	// FinTimeout closes a flow one direction of which has ended (a FIN) once
	// the other direction moves no byte for this long. Default 60s.
	FinTimeout time.Duration
	// Budget caps the client connections open on the static IPs (nil: none);
	// the daemon sizes it from the file descriptor limit.
	Budget *listen.Budget
	// RetryInterval is how soon a socket that would not open (its address
	// in use) is tried again. Default live.DefaultRetryInterval (2s).
	RetryInterval time.Duration
	// Leader reports whether this node leads the cluster: only the leader
	// writes accelerator status (IN_PROGRESS → DEPLOYED), so it is written
	// once, while every node opens its sockets. nil: always (a single node).
	Leader func() bool
	// LocalHealth reports a load balancer's health as this node's own
	// health checks see it (balancer.Service.LoadBalancerHealthy), and
	// whether they have seen it yet. When set, Announceable counts an
	// endpoint healthy only on this node's own word: a node that has not
	// completed a check does not attract traffic on the strength of another
	// node's report. nil: the stored target-health report decides.
	LocalHealth func(lbARN string) (healthy, known bool)
	// Handoff, when it has an entry for the load balancer node a flow goes
	// to, takes the client connection in process instead of a dial
	// (handoff.go). nil: every flow dials.
	Handoff *handoff.Registry
}

// Service is the accelerator: Global Accelerator operations and the static-IP
// L4 proxy. Create it with New and start the data plane with Run; operations
// may be called before, during and after Run.
type Service struct {
	d       Deps
	log     *slog.Logger
	table   live.Table[table]
	metrics *metrics

	handlers sync.WaitGroup // one per accepted connection

	mu     sync.Mutex
	flows  map[*flow]struct{} // established flows, for shutdown and the idle sweep
	closed bool               // Run is shutting down: no new flows
	// sockets are the static IP listening sockets being accepted on, and
	// quiet says StopAccepting was called: every socket, and any opened
	// later, drops new connections' SYNs.
	sockets map[net.Listener]struct{}
	quiet   bool

	listening atomic.Pointer[[]string] // the static IP sockets open after the last apply (Announceable)
}

// New returns a service with defaults applied to d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.DialTimeout <= 0 {
		d.DialTimeout = DefaultDialTimeout
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	if d.FinTimeout <= 0 {
		d.FinTimeout = DefaultFinTimeout
	}
	if d.Env == (model.Env{}) {
		d.Env = model.DefaultEnv
	}
	return &Service{
		d:       d,
		log:     d.Log.With("service", "accelerator"),
		table:   live.Table[table]{RetryInterval: d.RetryInterval},
		metrics: newMetrics(d.Metrics),
		flows:   map[*flow]struct{}{},
		sockets: map[net.Listener]struct{}{},
	}
}

// checkPools reports a configuration the service cannot allocate from.
func (s *Service) checkPools() error {
	if len(s.d.Pools) != 2 {
		return fmt.Errorf("accelerator: want static IP pools of exactly 2 network zones, have %d", len(s.d.Pools))
	}
	for _, p := range s.d.Pools {
		if !p.IsValid() || !p.Addr().Is4() {
			return fmt.Errorf("accelerator: static IP pool %s is not an IPv4 prefix", p)
		}
	}
	return nil
}

// Run serves the data plane until ctx ends: it compiles every snapshot, keeps
// the listening sockets in line with the table, writes accelerator status and
// proxies connections. On return every socket is closed and every goroutine
// it started has ended.
func (s *Service) Run(ctx context.Context) error {
	if err := s.checkPools(); err != nil {
		return err
	}
	if s.d.Feed == nil || s.d.Store == nil {
		return errors.New("accelerator: Deps.Feed and Deps.Store are required")
	}
	s.mu.Lock()
	s.closed, s.quiet = false, false // a Run after an earlier one returned
	s.mu.Unlock()
	set := listen.NewLimitedSet(s.d.Budget, func(l net.Listener) { s.accept(ctx, l) })
	// TCP, as Global Accelerator's listeners are, and so that a graceful
	// stop can attach a socket filter (StopAccepting): an MPTCP socket takes
	// none.
	set.PlainTCP()
	var bg sync.WaitGroup
	bg.Go(func() { s.sweepIdle(ctx) })

	s.table.Run(ctx, s.d.Feed, s.log, compile, func(t *table) bool { return s.apply(ctx, set, t) })

	set.Close() // no new connections; accept loops have returned
	s.closeFlows()
	s.handlers.Wait()
	bg.Wait()
	return nil
}

// apply keeps the listening sockets in line with t, cuts the flows t no
// longer carries and reports status. It reports whether some socket failed to
// open: the table follower applies t again after Deps.RetryInterval (a port
// held by another process may be freed). Flows are cut after the sockets are
// reconciled (no new client reaches a removed listener meanwhile) and before
// status and Served say the change is live.
func (s *Service) apply(ctx context.Context, set *listen.Set, t *table) (retry bool) {
	failed := set.Reconcile(ctx, t.addrs)
	listening := set.Addrs()
	s.listening.Store(&listening)
	if ctx.Err() != nil {
		return false
	}
	s.cutFlows(t)
	if failed != nil {
		s.log.Warn("listeners not open", "err", failed.Err())
	}
	if s.d.Leader == nil || s.d.Leader() {
		s.report(ctx, t, failed)
	}
	return failed != nil
}

// report writes each accelerator's status where it differs from the stored one:
// DEPLOYED once every socket of an enabled accelerator is open (or it is
// disabled and therefore has none), IN_PROGRESS with the reason otherwise.
func (s *Service) report(ctx context.Context, t *table, failed listen.Failures) {
	for arn, st := range t.accelerators {
		status, reason := model.AcceleratorDeployed, ""
		switch {
		case st.problem != "":
			status, reason = model.AcceleratorInProgress, st.problem
		case st.enabled:
			var msgs []string
			for _, a := range st.addrs {
				if m, ok := failed[a]; ok {
					msgs = append(msgs, m)
				}
			}
			if len(msgs) > 0 {
				status, reason = model.AcceleratorInProgress, summarize(msgs)
			}
		}
		if status == st.status && reason == st.reason {
			continue
		}
		if err := s.writeStatus(ctx, arn, t.rev, status, reason); err != nil && ctx.Err() == nil {
			s.log.Error("write accelerator status", "accelerator", arn, "err", err)
		}
	}
}

func summarize(failed []string) string {
	const show = 3
	if len(failed) <= show {
		return strings.Join(failed, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(failed[:show], "; "), len(failed)-show)
}

// writeStatus stores the accelerator's observed status, unless the record
// changed after the revision the table was compiled from: then a newer table is
// on its way and will decide (an operation may just have marked it IN_PROGRESS
// for a change this table does not carry yet).
func (s *Service) writeStatus(ctx context.Context, arn string, rev int64, status, reason string) error {
	key := model.Key(model.KindAccelerator, arn)
	for {
		acc, modRev, err := store.Load[model.Accelerator](ctx, s.d.Store, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if modRev > rev || (acc.Status == status && acc.StatusReason == reason) {
			return nil
		}
		acc.Status, acc.StatusReason = status, reason
		_, err = store.Save(ctx, s.d.Store, key, acc, modRev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
}

// Served is the newest snapshot revision the data plane serves, sockets and
// status included.
func (s *Service) Served() int64 { return s.table.Served() }
