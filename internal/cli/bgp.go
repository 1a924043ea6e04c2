package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"gatehouse/internal/bgp"
	"gatehouse/internal/daemon"
)

// bgpFlags are serve's BGP flags; BGP is off unless --bgp-asn is given.
type bgpFlags struct {
	asn      uint32
	routerID string
	peers    peerList
	hold     time.Duration
	nextHop  string
	drain    time.Duration
}

func (f *bgpFlags) register(fl *pflag.FlagSet) {
	fl.Uint32Var(&f.asn, "bgp-asn", 0, "this node's AS number; announces the static IPs it serves by BGP (off when 0)")
	fl.StringVar(&f.routerID, "bgp-router-id", "", "BGP router id, an IPv4 address of this node (required with --bgp-asn)")
	fl.Var(&f.peers, "bgp-peer", "a router to peer with, ASN@IP[:PORT]; repeat for each router")
	fl.DurationVar(&f.hold, "bgp-hold-time", bgp.DefaultHoldTime, "BGP hold time offered to routers: how long they keep a silent node's routes (3s minimum)")
	fl.StringVar(&f.nextHop, "bgp-next-hop", "", "next hop of the announced /32s (default: the router id)")
	fl.DurationVar(&f.drain, "drain-timeout", daemon.DefaultDrainTimeout, "with BGP: how long a stop keeps serving established connections after withdrawing the static IPs")
}

// apply puts the BGP settings into cfg.
func (f *bgpFlags) apply(cfg *daemon.Config) error {
	cfg.DrainTimeout = f.drain
	if f.asn == 0 {
		if f.routerID != "" || len(f.peers) > 0 || f.nextHop != "" {
			return errors.New("--bgp-router-id, --bgp-peer and --bgp-next-hop need --bgp-asn")
		}
		return nil
	}
	c := &bgp.Config{LocalASN: f.asn, ListenPort: -1, Peers: f.peers, HoldTime: f.hold}
	var err error
	if c.RouterID, err = netip.ParseAddr(f.routerID); err != nil {
		return fmt.Errorf("--bgp-router-id %q: want an IPv4 address", f.routerID)
	}
	if f.nextHop != "" {
		if c.NextHop, err = netip.ParseAddr(f.nextHop); err != nil {
			return fmt.Errorf("--bgp-next-hop %q: want an IPv4 address", f.nextHop)
		}
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("bgp flags: %s", oneLine(err))
	}
	cfg.BGP = c
	return nil
}

// peerList is the repeatable --bgp-peer flag.
type peerList []bgp.Peer

func (l *peerList) String() string {
	var out []string
	for _, p := range *l {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

func (l *peerList) Set(v string) error {
	p, err := bgp.ParsePeer(v)
	if err != nil {
		return err
	}
	*l = append(*l, p)
	return nil
}

func (*peerList) Type() string { return "ASN@IP[:PORT]" }
