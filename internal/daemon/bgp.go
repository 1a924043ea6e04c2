package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gatehouse/internal/bgp"
)

// DefaultDrainTimeout bounds how long a graceful stop with BGP keeps serving
// the connections still open after withdrawing the static IPs.
const DefaultDrainTimeout = 30 * time.Second

// announceInterval is how often the announced set is recomputed besides on
// every snapshot: a socket that opens on a retry or a table applied after the
// snapshot arrived shows up within it.
const announceInterval = time.Second

// drainPoll is how often a graceful stop looks whether the accelerator's
// connections have ended.
const drainPoll = 20 * time.Millisecond

// The graceful stop's timing (drain, below, has the reasoning).
const (
	// quietBound bounds step 2: how long the static IP sockets drop SYNs
	// while this node is still announced. With the time the withdrawal takes
	// to reach the router and be installed, it must stay under a client's
	// initial SYN retransmission timeout, 1 s.
	quietBound = 500 * time.Millisecond
	// quietMin is step 2's least: a handshake that began before step 1
	// (its SYN got through) completes a round trip later and waits in the
	// accept queue before the accelerator counts it as a flow. Withdrawing
	// at once, on no flows counted, moved such a connection to another
	// node, which reset it (the cluster test saw one in ~7,600).
	quietMin = 100 * time.Millisecond
	// updateBound bounds how long step 3 waits for the UPDATE to be sent.
	updateBound = 2 * time.Second
	// withdrawGrace is step 4: how long after the UPDATE went out the
	// sockets stay open (dropping SYNs) for the router to install the
	// withdrawal, before an exit would answer late SYNs with resets.
	withdrawGrace = time.Second
)

// servicesContext returns the context the services run under. Without BGP it
// ends with ctx, as it always did. With BGP it outlives ctx: runBGP ends it
// only after the static IPs are withdrawn and the established connections
// have drained (or Config.DrainTimeout passed), so that a stop loses no
// connection that routers already sent here.
func (d *Daemon) servicesContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d.cfg.BGP == nil {
		return context.WithCancel(ctx)
	}
	return context.WithCancel(context.WithoutCancel(ctx))
}

// runBGP runs the node's BGP speaker: it announces a /32 for every static IP
// the accelerator can serve here (accelerator.Service.Announceable: on this
// node's own health checks) and keeps that set current with every snapshot.
// When stop ends (SIGTERM, Ctrl-C) it stops gracefully (drain): new
// connections are dropped silently, open ones get a moment to finish, the
// /32s are withdrawn, what is still open is served until the drain timeout,
// then it closes the speaker and ends the services with stopServices.
// When ctx ends first (a service failed), it closes the speaker at once.
func (d *Daemon) runBGP(stop, ctx context.Context, stopServices context.CancelFunc) error {
	for _, p := range d.cfg.Pools {
		if p.Addr().IsLoopback() {
			// Routers drop loopback prefixes (host scope) as bogus.
			d.cfg.Log.Warn("bgp: static IP pool is loopback; routers will ignore its /32s", "pool", p)
		}
	}
	cfg := *d.cfg.BGP
	cfg.Log = d.cfg.Log
	speaker, err := bgp.Start(ctx, cfg)
	if err != nil {
		return err
	}
	tick := time.NewTicker(announceInterval)
	defer tick.Stop()
	var last []netip.Prefix
	for {
		_, changed := d.Feed.Current()
		if next := d.Accelerator.Announceable(); !equalPrefixes(next, last) {
			if err := speaker.Reconcile(next); err != nil {
				d.cfg.Log.Error("bgp announce", "err", err)
			} else {
				last = next
			}
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return speaker.Close()
		case <-stop.Done():
			return d.drain(ctx, speaker, stopServices)
		}
	}
}

// drain is the graceful stop. A router that spreads flows over the nodes by
// hash (ECMP) keeps no state per flow: once this node's route is gone, every
// packet of a connection still open here goes to another node, which resets
// it. Draining after the withdrawal therefore serves nothing there; what
// counts is that as few connections as possible are open here at the
// withdrawal, and that no client is refused meanwhile. So:
//
//  1. Stop taking new connections, silently: the static IP sockets drop SYNs
//     without an answer (Accelerator.StopAccepting, a socket filter). A
//     client whose SYN is dropped sends it again after its initial
//     retransmission timeout, 1 s; a reset or a closed port would fail it.
//     Established connections and handshakes under way carry on.
//  2. Let the connections open here finish, for at most quietBound (500 ms,
//     or the drain timeout if shorter) and at least quietMin (100 ms: the
//     handshakes under way become flows). Requests on a connection of their
//     own finish within it; long-lived connections do not, and nothing can
//     save them from step 3 behind a stateless router.
//  3. Withdraw the /32s and wait until the UPDATE is sent to every router
//     (bgp.Speaker.Withdraw; the router installs it within milliseconds).
//     The SYNs dropped since step 1 come back 1 s after they were sent:
//     steps 2 and 3 take quietBound plus the UPDATE's trip, under that
//     second, so the retries find the route without this node and go to
//     another (the next retry would come 3 s after the first SYN, which
//     clients feel and short client timeouts do not survive).
//  4. Keep the sockets (still dropping SYNs) for withdrawGrace while the
//     router installs the withdrawal: an exit would reset late SYNs.
//  5. Serve what is still open until it ends or the drain timeout passes, as
//     before: behind one router, or a router that keeps flows (resilient
//     hashing, connection tracking), those connections still reach here.
//
// Then close the speaker (CEASE) and end the services. Only the static IPs
// are quieted: the AWS API, DNS and the load balancers' own sockets serve
// until the end. Without BGP none of this runs: a stop ends the services at
// once, as it always did.
func (d *Daemon) drain(ctx context.Context, speaker *bgp.Speaker, stopServices context.CancelFunc) error {
	defer stopServices()
	timeout := d.cfg.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	start := time.Now()
	deadline := start.Add(timeout)
	log := d.cfg.Log
	log.Info("stopping: static IPs take no new connections; draining, then withdrawing them from BGP",
		"flows", d.Accelerator.OpenFlows(), "timeout", timeout)
	if err := d.Accelerator.StopAccepting(); err != nil {
		log.Warn("stopping: some static IP sockets still accept new connections", "err", err)
	}
	flows := d.waitFlows(ctx, start.Add(min(quietMin, timeout)), start.Add(min(quietBound, timeout)))
	log.Info("stopping: withdrawing the static IPs", "after", time.Since(start).Round(time.Millisecond), "flows_open", flows)
	wctx, cancel := context.WithTimeout(ctx, updateBound)
	werr := speaker.Withdraw(wctx)
	cancel()
	if werr != nil {
		log.Error("stopping: withdraw", "err", werr)
	}
	grace := time.NewTimer(min(withdrawGrace, time.Until(deadline)))
	select {
	case <-grace.C:
	case <-ctx.Done():
	}
	grace.Stop()
	flows = d.waitFlows(ctx, start, deadline)
	log.Info("drained", "after", time.Since(start).Round(time.Millisecond), "flows_left", flows)
	err := speaker.Close()
	if err = errors.Join(werr, err); err != nil {
		return fmt.Errorf("bgp: %w", err)
	}
	return nil
}

// waitFlows waits until the accelerator has no open flow once earliest has
// passed, or deadline passes, or ctx ends, and returns the flows still open.
func (d *Daemon) waitFlows(ctx context.Context, earliest, deadline time.Time) int {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		n := d.Accelerator.OpenFlows()
		now := time.Now()
		if n == 0 && !now.Before(earliest) || !now.Before(deadline) {
			return n
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return d.Accelerator.OpenFlows()
		}
	}
}

func equalPrefixes(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
