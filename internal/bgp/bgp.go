package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

const (
	// DefaultHoldTime is the hold time the speaker offers when Config leaves
	// it zero: a silent node is dropped by its routers within 9 s.
	DefaultHoldTime = 9 * time.Second
	// MinHoldTime is the smallest non-zero hold time BGP allows (RFC 4271, 4.2).
	MinHoldTime = 3 * time.Second
	// connectRetry is how long the speaker waits before dialing a peer again
	// after a failed attempt. GoBGP's default (120 s) would keep a node's IPs
	// unannounced for two minutes after a router restart.
	connectRetry = 5 * time.Second
)

// Peer is one router the speaker opens a session with.
type Peer struct {
	Address netip.Addr
	ASN     uint32
	Port    uint16 // 0: 179
}

func (p Peer) String() string {
	if p.Port != 0 {
		return fmt.Sprintf("%d@%s", p.ASN, netip.AddrPortFrom(p.Address, p.Port))
	}
	return fmt.Sprintf("%d@%s", p.ASN, p.Address)
}

// Config is one node's speaker.
type Config struct {
	LocalASN uint32
	RouterID netip.Addr // IPv4, unique among the routers' peers
	// ListenPort is the TCP port the speaker accepts sessions on; -1 does not
	// listen (the speaker dials every peer itself), 0 means 179.
	ListenPort int32
	Peers      []Peer
	// HoldTime is offered to every peer; 0 means DefaultHoldTime. Keepalives
	// go every third of it.
	HoldTime time.Duration
	// NextHop is the next hop the paths carry; the zero value means RouterID.
	// On an eBGP session GoBGP sends its own session address instead, as
	// routers expect.
	NextHop netip.Addr
	Log     *slog.Logger
}

// Validate reports a configuration the speaker cannot start with.
func (c Config) Validate() error {
	var errs []error
	if c.LocalASN == 0 {
		errs = append(errs, errors.New("local ASN is required"))
	}
	if !c.RouterID.Is4() {
		errs = append(errs, fmt.Errorf("router id %q: want an IPv4 address", c.RouterID))
	}
	if c.ListenPort < -1 || c.ListenPort > 65535 {
		errs = append(errs, fmt.Errorf("listen port %d: want -1 (none) or 0-65535", c.ListenPort))
	}
	if c.HoldTime != 0 && (c.HoldTime < MinHoldTime || c.HoldTime > 65535*time.Second || c.HoldTime%time.Second != 0) {
		errs = append(errs, fmt.Errorf("hold time %s: want whole seconds from %s to 65535s", c.HoldTime, MinHoldTime))
	}
	if c.NextHop.IsValid() && !c.NextHop.Is4() {
		errs = append(errs, fmt.Errorf("next hop %s: want an IPv4 address", c.NextHop))
	}
	if len(c.Peers) == 0 {
		errs = append(errs, errors.New("at least one peer is required"))
	}
	seen := map[netip.Addr]bool{}
	for _, p := range c.Peers {
		if !p.Address.IsValid() || p.ASN == 0 {
			errs = append(errs, fmt.Errorf("peer %s: want an address and an ASN", p))
		}
		if seen[p.Address] {
			errs = append(errs, fmt.Errorf("peer %s: address given twice", p.Address))
		}
		seen[p.Address] = true
	}
	return errors.Join(errs...)
}

// Speaker announces a set of prefixes to its peers. Create it with Start.
type Speaker struct {
	cfg Config
	log *slog.Logger
	srv *server.BgpServer

	served  chan struct{}      // closed when the server's Serve loop has returned
	unwatch context.CancelFunc // ends the peer state watch

	mu        sync.Mutex
	announced map[netip.Prefix]uuid.UUID // prefix → the GoBGP path it was added as
	closed    bool
}

// Start starts the speaker and its sessions; it announces nothing until
// Reconcile. ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (*Speaker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bgp: %w", err)
	}
	if cfg.HoldTime == 0 {
		cfg.HoldTime = DefaultHoldTime
	}
	if !cfg.NextHop.IsValid() {
		cfg.NextHop = cfg.RouterID
	}
	if cfg.ListenPort == 0 {
		cfg.ListenPort = bgp.BGP_PORT
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	log := cfg.Log.With("svc", "bgp")
	// GoBGP logs every FSM step at info; warnings and errors are what an
	// operator needs from it, the speaker logs its own changes itself.
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	gobgpLog := slog.New(minLevel{level, log.Handler()}).With("component", "gobgp")
	s := &Speaker{
		cfg:       cfg,
		log:       log,
		srv:       server.NewBgpServer(server.LoggerOption(gobgpLog, level)),
		served:    make(chan struct{}),
		announced: map[netip.Prefix]uuid.UUID{},
	}
	go func() {
		defer close(s.served)
		s.srv.Serve()
	}()
	err := s.srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn:        cfg.LocalASN,
		RouterId:   cfg.RouterID.String(),
		ListenPort: cfg.ListenPort,
	}})
	if err != nil {
		s.stopServer()
		return nil, fmt.Errorf("bgp: start: %w", err)
	}
	watchCtx, unwatch := context.WithCancel(context.Background())
	s.unwatch = unwatch
	if err := s.srv.WatchEvent(watchCtx, server.WatchEventMessageCallbacks{OnPeerUpdate: s.peerChanged()}, server.WatchPeer()); err != nil {
		s.stopServer()
		return nil, fmt.Errorf("bgp: watch peers: %w", err)
	}
	hold := uint64(cfg.HoldTime / time.Second)
	for _, p := range cfg.Peers {
		err := s.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
			Conf: &api.PeerConf{NeighborAddress: p.Address.String(), PeerAsn: p.ASN},
			Timers: &api.Timers{Config: &api.TimersConfig{
				HoldTime:          hold,
				KeepaliveInterval: max(1, hold/3),
				ConnectRetry:      uint64(connectRetry / time.Second),
			}},
			Transport: &api.Transport{RemotePort: uint32(p.Port)},
			AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{
				Family:  &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST},
				Enabled: true,
			}}},
		}})
		if err != nil {
			s.stopServer()
			return nil, fmt.Errorf("bgp: peer %s: %w", p, err)
		}
	}
	log.Info("bgp speaker started", "asn", cfg.LocalASN, "router_id", cfg.RouterID, "listen_port", cfg.ListenPort,
		"peers", len(cfg.Peers), "hold_time", cfg.HoldTime)
	return s, nil
}

// Reconcile makes the announced set equal to prefixes: IPv4 prefixes, each
// usually a /32. It adds the new ones and withdraws the gone ones; an error
// leaves the rest of the change applied. After Close it announces nothing.
func (s *Speaker) Reconcile(prefixes []netip.Prefix) error {
	want := make(map[netip.Prefix]bool, len(prefixes))
	var errs []error
	for _, p := range prefixes {
		if !p.IsValid() || !p.Addr().Is4() {
			errs = append(errs, fmt.Errorf("prefix %s: want IPv4", p))
			continue
		}
		want[p.Masked()] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.Join(errs...)
	}
	for p := range want {
		if _, ok := s.announced[p]; ok {
			continue
		}
		if err := s.add(p); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("announce", "prefix", p)
	}
	for p := range s.announced {
		if want[p] {
			continue
		}
		if err := s.withdraw(p); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("withdraw", "prefix", p)
	}
	return errors.Join(errs...)
}

// Announced returns the prefixes announced now, sorted.
func (s *Speaker) Announced() []netip.Prefix {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]netip.Prefix, 0, len(s.announced))
	for p := range s.announced {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// add announces p; s.mu is held.
func (s *Speaker) add(p netip.Prefix) error {
	nlri, err := bgp.NewIPAddrPrefix(p)
	if err != nil {
		return fmt.Errorf("announce %s: %w", p, err)
	}
	nh, err := bgp.NewPathAttributeNextHop(s.cfg.NextHop)
	if err != nil {
		return fmt.Errorf("announce %s: next hop: %w", p, err)
	}
	path := &apiutil.Path{
		Family: bgp.RF_IPv4_UC,
		Nlri:   nlri,
		Age:    time.Now().Unix(),
		Attrs:  []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP), nh},
	}
	resp, err := s.srv.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{path}})
	if err != nil {
		return fmt.Errorf("announce %s: %w", p, err)
	}
	s.announced[p] = resp[0].UUID
	return nil
}

// withdraw withdraws p; s.mu is held.
func (s *Speaker) withdraw(p netip.Prefix) error {
	if err := s.srv.DeletePath(apiutil.DeletePathRequest{UUIDs: []uuid.UUID{s.announced[p]}}); err != nil {
		return fmt.Errorf("withdraw %s: %w", p, err)
	}
	delete(s.announced, p)
	return nil
}

// Withdraw withdraws every prefix and waits until each peer whose session is
// established has been sent an UPDATE since (GoBGP sends the withdrawals
// from its own goroutines), or ctx ends. It returns when the routers have the
// withdrawal on the wire: how long they take to act on it is theirs. The
// speaker stays up, so the sessions do not drop (which would withdraw too,
// but only after the peers notice), and Reconcile may announce again.
func (s *Speaker) Withdraw(ctx context.Context) error {
	before, err := s.sentUpdates(ctx)
	if err != nil {
		return fmt.Errorf("bgp: list peers: %w", err)
	}
	s.mu.Lock()
	var errs []error
	withdrew := 0
	if !s.closed {
		for p := range s.announced {
			if err := s.withdraw(p); err != nil {
				errs = append(errs, err)
				continue
			}
			withdrew++
		}
	}
	s.mu.Unlock()
	if withdrew == 0 || len(before) == 0 {
		return errors.Join(errs...)
	}
	tick := time.NewTicker(updatePoll)
	defer tick.Stop()
	for {
		now, err := s.sentUpdates(ctx)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("bgp: list peers: %w", err))...)
		}
		waiting := 0
		for peer, n := range before {
			if m, up := now[peer]; up && m <= n {
				waiting++ // still established and not sent to yet
			}
		}
		if waiting == 0 {
			s.log.Info("withdrawals sent", "prefixes", withdrew, "peers", len(before))
			return errors.Join(errs...)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return errors.Join(append(errs, fmt.Errorf("bgp: withdrawals not sent to %d peers: %w", waiting, ctx.Err()))...)
		}
	}
}

// updatePoll is how often Withdraw looks whether the UPDATEs went out.
const updatePoll = 10 * time.Millisecond

// sentUpdates returns the UPDATE messages sent so far to each peer whose
// session is established.
func (s *Speaker) sentUpdates(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := s.srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		if p.GetState().GetSessionState() == api.PeerState_SESSION_STATE_ESTABLISHED {
			out[p.GetState().GetNeighborAddress()] = p.GetState().GetMessages().GetSent().GetUpdate()
		}
	})
	return out, err
}

// Shutdown stops the speaker gracefully: it withdraws every prefix, so the
// routers send no new connections here, then waits until drained is closed
// (the established connections have ended) or ctx ends (the drain timeout),
// and then closes. A nil drained waits for ctx alone.
func (s *Speaker) Shutdown(ctx context.Context, drained <-chan struct{}) error {
	s.mu.Lock()
	var errs []error
	if !s.closed {
		for p := range s.announced {
			if err := s.withdraw(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.mu.Unlock()
	if len(errs) == 0 {
		s.log.Info("withdrew every prefix; draining")
	}
	select {
	case <-drained:
	case <-ctx.Done():
	}
	errs = append(errs, s.Close())
	return errors.Join(errs...)
}

// Close stops the speaker at once: every session ends with a CEASE
// notification, which makes the peers drop this node's routes. It waits for
// the server's goroutines; calling it again does nothing.
func (s *Speaker) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.announced = map[netip.Prefix]uuid.UUID{}
	s.stopServer()
	s.log.Info("bgp speaker stopped")
	return nil
}

// stopServer ends the GoBGP server and waits for its Serve loop.
func (s *Speaker) stopServer() {
	if s.unwatch != nil {
		s.unwatch()
	}
	s.srv.Stop()
	<-s.served
}

// peerChanged returns the callback that logs sessions coming up and going
// down: a session that is down means that router no longer sends this node
// traffic. GoBGP calls it from one goroutine, so up needs no lock.
func (s *Speaker) peerChanged() func(*apiutil.WatchEventMessage_PeerEvent, time.Time) {
	up := map[netip.Addr]bool{}
	return func(ev *apiutil.WatchEventMessage_PeerEvent, _ time.Time) {
		if ev.Type != apiutil.PEER_EVENT_STATE {
			return
		}
		st := ev.Peer.State
		established := st.SessionState == bgp.BGP_FSM_ESTABLISHED
		switch {
		case established && !up[st.NeighborAddress]:
			s.log.Info("bgp session up", "peer", st.NeighborAddress, "peer_asn", st.PeerASN)
		case !established && up[st.NeighborAddress]:
			s.log.Warn("bgp session down", "peer", st.NeighborAddress, "state", st.SessionState, "reason", st.DisconnectMessage)
		}
		up[st.NeighborAddress] = established
	}
}

// Established returns the number of peers whose session is established.
func (s *Speaker) Established(ctx context.Context) (int, error) {
	n := 0
	err := s.srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		if p.GetState().GetSessionState() == api.PeerState_SESSION_STATE_ESTABLISHED {
			n++
		}
	})
	return n, err
}

// minLevel drops records below its level whatever the handler it wraps
// would let through.
type minLevel struct {
	level slog.Leveler
	slog.Handler
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.level, h.Handler.WithAttrs(as)}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.level, h.Handler.WithGroup(name)}
}
