package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"gatehouse/internal/bgp"
)

// DefaultDrainTimeout bounds how long a graceful stop with BGP keeps serving
// established connections after withdrawing the static IPs.
const DefaultDrainTimeout = 30 * time.Second

// announceInterval is how often the announced set is recomputed besides on
// every snapshot: a socket that opens on a retry or a table applied after the
// snapshot arrived shows up within it.
const announceInterval = time.Second

// drainPoll is how often a graceful stop looks whether the accelerator's
// connections have ended.
const drainPoll = 100 * time.Millisecond

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
// the accelerator can serve here (accelerator.Service.Announceable) and keeps
// that set current with every snapshot. When stop ends (SIGTERM, Ctrl-C) it
// withdraws everything, waits for the accelerator's flows to end or the drain
// timeout, closes the speaker and then ends the services with stopServices.
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

// drain is the graceful stop: withdraw, wait for the accelerator's flows to
// end (or DrainTimeout), close the speaker, then end the services.
func (d *Daemon) drain(ctx context.Context, speaker *bgp.Speaker, stopServices context.CancelFunc) error {
	defer stopServices()
	timeout := d.cfg.DrainTimeout
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	drainCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	d.cfg.Log.Info("stopping: withdrawing the static IPs from BGP, then draining connections", "flows", d.Accelerator.OpenFlows(), "timeout", timeout)
	drained := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(drainPoll)
		defer t.Stop()
		for d.Accelerator.OpenFlows() > 0 {
			select {
			case <-t.C:
			case <-drainCtx.Done():
				return
			}
		}
		close(drained)
	}()
	err := speaker.Shutdown(drainCtx, drained)
	cancel()
	<-watched
	d.cfg.Log.Info("drained", "after", time.Since(start).Round(time.Millisecond), "flows_left", d.Accelerator.OpenFlows())
	if err != nil {
		return fmt.Errorf("bgp: %w", err)
	}
	return nil
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
