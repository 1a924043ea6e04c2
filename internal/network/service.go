package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// DefaultVPCCIDR is the default VPC's range: a loopback range, so every private
// address in it is local to this machine.
const DefaultVPCCIDR = "127.31.0.0/16"

// DefaultPort is the port interface endpoints listen on (HTTPS).
const DefaultPort = 443

// SubnetPlan is one subnet of the default VPC: its availability zone (a full name
// such as "us-west-2a", or only the letter "a") and its CIDR inside the VPC CIDR.
type SubnetPlan struct {
	AZ   string
	CIDR string
}

// Deps is what the service needs. Zero values take the defaults noted.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger // default: discard
	Env     model.Env    // default: model.DefaultEnv
	Metrics prometheus.Registerer

	// VPCCIDR is the default VPC's CIDR (default DefaultVPCCIDR).
	VPCCIDR string
	// Subnets are the default VPC's subnets (default: <region>a, b, c on
	// 127.31.1.0/24, 127.31.2.0/24, 127.31.3.0/24). They are created once; a later
	// start with another plan keeps the subnets that exist.
	Subnets []SubnetPlan
	// Port is the port endpoints listen on (default DefaultPort).
	Port int
	// Handoff serves the bytes of an admitted connection: the gateway. It owns c
	// (and must close it) and runs on its own goroutine, which Run waits for on
	// shutdown, so it must return once the daemon's context ends. nil closes
	// admitted connections at once.
	Handoff func(c net.Conn, vpceID string)
	// Handoffs, when set, gets an in-process entry for every endpoint
	// address while its socket is open (handoff.go): a request handed over
	// is admitted as a connection would be and served by ServeHTTP (the
	// gateway's ServeHTTPFrom). nil, or no ServeHTTP: sockets only.
	Handoffs  *handoff.Registry
	ServeHTTP func(w http.ResponseWriter, r *http.Request, vpceID string, source netip.AddrPort) error
	// Budget caps the connections open on the endpoint addresses (nil: none);
	// the daemon sizes it from the file descriptor limit.
	Budget *listen.Budget

	// Quotas lowers (or raises) Amazon VPC's quotas, so a test can fill one
	// quickly; zero fields take AWS's defaults.
	Quotas Quotas

	// Leader reports whether this node leads the cluster: only the leader
	// writes endpoint state (pending → available or failed), so it is written
	// once, while every node opens the endpoint sockets. nil: always (a
	// single node).
	Leader func() bool
}

// Quotas are the Amazon VPC quotas the operations enforce (Amazon VPC User
// Guide, "Amazon VPC quotas"; AWS General Reference, "Amazon Virtual Private
// Cloud endpoints and quotas"). EC2 counts security groups per Region, but
// names the VPC when refusing one; with one VPC per region, as gatehouse has,
// the two counts are the same. Every quota is exact, on one node and across
// nodes: a create is written in a Txn conditioned on no resource of its kind
// having changed since the listing it counted, and the rule quota is checked
// inside the group's compare-and-swap write.
type Quotas struct {
	SecurityGroups int // security groups per VPC (per Region); default 2,500
	Endpoints      int // interface VPC endpoints per VPC; default 50
	// RulesPerGroup is the inbound rules per security group, one per source
	// (CIDR or group); outbound rules count apart with the same quota. Default 60.
	RulesPerGroup int
}

// orDefault fills the zero fields of q with AWS's defaults.
func (q Quotas) orDefault() Quotas {
	if q.SecurityGroups == 0 {
		q.SecurityGroups = 2500
	}
	if q.Endpoints == 0 {
		q.Endpoints = 50
	}
	if q.RulesPerGroup == 0 {
		q.RulesPerGroup = 60
	}
	return q
}

// Service is the network service: operations on VPC resources and the data plane
// of interface endpoints.
type Service struct {
	st      store.Store
	feed    *live.Feed
	log     *slog.Logger
	env     model.Env
	cidr    string
	plan    []SubnetPlan
	port    int
	handoff func(net.Conn, string)
	budget  *listen.Budget
	quotas  Quotas
	leader  func() bool // nil: always leader
	m       *metrics

	// handoffs and serveHTTP are Deps.Handoffs and Deps.ServeHTTP (handoff.go).
	handoffs  *handoff.Registry
	serveHTTP func(http.ResponseWriter, *http.Request, string, netip.AddrPort) error

	table live.Table[table]
	conns sync.WaitGroup // Handoff goroutines
}

// New returns a service with defaults applied. It does not touch the store.
func New(d Deps) *Service {
	s := &Service{
		st:      d.Store,
		feed:    d.Feed,
		log:     d.Log,
		env:     d.Env,
		cidr:    d.VPCCIDR,
		plan:    d.Subnets,
		port:    d.Port,
		handoff: d.Handoff,
		budget:  d.Budget,
		quotas:  d.Quotas.orDefault(),
		leader:  d.Leader,
	}
	s.handoffs, s.serveHTTP = d.Handoffs, d.ServeHTTP
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.env.Region == "" {
		s.env = model.DefaultEnv
	}
	if s.cidr == "" {
		s.cidr = DefaultVPCCIDR
	}
	if len(s.plan) == 0 {
		s.plan = []SubnetPlan{
			{AZ: "a", CIDR: "127.31.1.0/24"},
			{AZ: "b", CIDR: "127.31.2.0/24"},
			{AZ: "c", CIDR: "127.31.3.0/24"},
		}
	}
	s.plan = append([]SubnetPlan(nil), s.plan...)
	for i, p := range s.plan {
		if len(p.AZ) == 1 {
			s.plan[i].AZ = s.env.Region + p.AZ
		}
	}
	if s.port == 0 {
		s.port = DefaultPort
	}
	s.m = newMetrics(d.Metrics, s.log)
	return s
}

// Run serves interface endpoints until ctx ends. It closes its sockets and waits
// for its goroutines before it returns. The default VPC is not its business: the
// owner calls EnsureDefaultVPC once, before anything applies resources to it.
func (s *Service) Run(ctx context.Context) error {
	if s.feed == nil {
		return fmt.Errorf("network: no snapshot feed")
	}
	set := listen.NewLimitedSet(s.budget, s.serveListener)
	cfg := compileConfig{service: model.ExecuteAPIService(s.env.Region), port: s.port}
	s.table.Run(ctx, s.feed, s.log, func(snap *model.Snapshot) (*table, error) {
		return compile(snap, cfg)
	}, func(t *table) bool { return s.apply(ctx, set, t) })
	set.Close() // stops the accept loops: no Handoff starts after this
	s.conns.Wait()
	return nil
}

// apply brings the sockets in line with t and records each endpoint's observed
// state. It runs on the table follower's goroutine, after each swap, and
// reports whether some socket failed to open (the follower tries again).
func (s *Service) apply(ctx context.Context, set *listen.Set, t *table) (retry bool) {
	failed := set.Reconcile(ctx, t.addrs)
	if ctx.Err() != nil {
		return false // shutting down: a cancelled listen is no endpoint failure
	}
	s.m.listeners.Set(float64(len(set.Addrs())))
	leading := s.leader == nil || s.leader()
	for _, ep := range t.endpoints {
		state, lastErr := model.EndpointAvailable, ep.problem
		var msgs []string
		if lastErr != "" {
			msgs = append(msgs, lastErr)
		}
		for _, a := range ep.addrs {
			if m, ok := failed[a]; ok {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 {
			state, lastErr = model.EndpointFailed, strings.Join(msgs, "; ")
		}
		if state == ep.state && lastErr == ep.lastError {
			continue
		}
		if state == model.EndpointFailed {
			s.m.listenFailures.Inc()
			s.log.Warn("vpc endpoint failed", "vpce", ep.id, "err", lastErr)
		}
		if leading {
			s.setState(ctx, ep, state, lastErr)
		}
	}
	return len(failed) > 0
}

// setState writes an endpoint's observed state, unless an operation changed the
// endpoint's interfaces since the table was compiled (a newer table will tell).
func (s *Service) setState(ctx context.Context, ep endpointPlan, state, lastErr string) {
	_, err := store.Update(ctx, s.st, model.Key(model.KindVpcEndpoint, ep.id), func(v *model.VpcEndpoint) error {
		if !slices.Equal(v.NetworkInterfaceIDs, ep.enis) {
			return errStale
		}
		v.State, v.LastError = state, lastErr
		return nil
	})
	switch {
	case err == nil:
		s.log.Info("vpc endpoint state", "vpce", ep.id, "state", state)
	case errors.Is(err, errStale) || errors.Is(err, store.ErrNotFound) || ctx.Err() != nil:
	default:
		s.log.Error("write vpc endpoint state", "vpce", ep.id, "err", err)
	}
}

var errStale = errors.New("endpoint changed since the table was compiled")

// Served is the newest snapshot revision the data plane serves, sockets and
// status included.
func (s *Service) Served() int64 { return s.table.Served() }

// Env is the region and account the service's resources live in.
func (s *Service) Env() model.Env { return s.env }
