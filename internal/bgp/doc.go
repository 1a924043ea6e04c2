// Package bgp announces static IPs to routers: an embedded GoBGP speaker
// (github.com/osrg/gobgp/v4, pkg/server) per node that keeps the set of /32
// prefixes it announces equal to the set its owner asks for. Several nodes
// announcing the same /32 to a router that does ECMP multipath share one static
// IP (anycast); a node that withdraws, or whose session dies, drops out of the
// router's next hops.
//
// The package knows nothing of accelerators or snapshots: the daemon computes
// which prefixes this node can serve and hands them to Speaker.Reconcile.
//
// Life of a speaker:
//
//  1. Start: starts the GoBGP server (its own goroutine), the BGP instance
//     (local ASN, router id, listen port or none) and one neighbor per
//     Config.Peers entry, with Config.HoldTime as the hold time it offers
//     (the session uses the smaller of both sides' offers).
//  2. Reconcile(prefixes): adds a path for each prefix not announced yet and
//     deletes the path of each announced prefix not in the set. GoBGP sends
//     the UPDATEs to every established peer and the whole set to a peer whose
//     session comes up later.
//  3. Withdraw(ctx): withdraws every prefix and returns once the UPDATE has
//     been sent to every established peer; the sessions stay up. The
//     daemon's graceful stop uses it (daemon/bgp.go) and then Close.
//     Shutdown(ctx, drained) is the older one-call form: withdraws every
//     prefix first, so routers stop
//     sending new connections here; waits until drained is closed (the daemon
//     closes it when established connections have ended) or ctx ends (the
//     drain timeout); then Close.
//  4. Close: stops the server; each peer gets a CEASE notification and drops
//     whatever it still had from this node.
//
// Sessions coming up and going down are logged (Info, Warn with GoBGP's
// reason); GoBGP's own log is kept to warnings and errors.
//
// Failover is bounded by BGP's timers: a graceful stop withdraws at once; a
// node that vanishes without a word (power, link, kill of the host) is noticed
// by the router when the hold time passes without a KEEPALIVE (3 s is BGP's
// minimum; the default here is 9 s, with keepalives every third of it).
//
// Concurrency: every method is safe for concurrent use; Speaker.mu orders
// Reconcile, Withdraw, Shutdown and Close. The GoBGP server's goroutines are
// owned by the speaker and have ended when Close returns.
package bgp
