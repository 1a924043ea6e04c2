// Package balancer is gatehouse's application load balancer (ALB): TLS
// termination with the certificate chosen by SNI, forwarding to target groups
// round robin among healthy targets, active health checks with a success-code
// matcher, and the ELBv2 control operations that write its spec, one file per
// resource: loadbalancers.go, targetgroups.go, targets.go (registration and
// health), listeners.go (and their certificates), actions.go (a listener's or
// rule's action), rules.go, securitygroups.go, tags.go; errors.go holds the
// error codes and messages, ops.go the store access and paging they share,
// records.go the rules and targets stored as records of their own.
//
// Records and the rules between them, on one node or many: a listener's rules
// (model.KindRule, under model.RulesPrefix) and a group's targets
// (model.KindTarget, under model.TargetsPrefix) are records of their own, so a
// create-rule or register-targets writes its own size. No process lock: every
// write that could break a rule spanning records is a store.Txn conditioned on
// what its decision read. A child's put is conditioned on its parent's ModRev;
// a parent's delete takes its children with a prefix delete in the same Txn;
// priorities, rules per listener and targets per group are checked on a
// listing and conditioned on no sibling changed since (NoneAfter); names are
// unique by an index key (lbname/, tgname/) put create-only with the resource,
// and the regional quotas are conditioned on no name key created since the
// count; certificates and security groups a resource names are conditioned on
// as checked. Records an older gatehouse wrote, with the rules inside their
// listener and the targets inside their group, load as they are and move out
// on the first write to them.
//
// Data path, per connection and request:
//
//  1. serveSocket: every load balancer node IP × listener port is one socket
//     (listen.Set keeps sockets that stay open across changes). The PROXY
//     protocol header is used from the static IPs accelerators hold (from the
//     snapshot, in the table) and Deps.TrustedProxies, and refused from
//     anyone else, unallocated pool addresses included; protoListener then wraps the connection in idleConn (closed after
//     the load balancer's idle timeout with no bytes either way; a configured
//     second lasts Deps.IdleTimeoutSecond) and in TLS
//     when the listener in the current table is HTTPS (listenerTLS: minimum
//     version by SslPolicy; certSet.get picks the certificate). Package h1
//     reads and answers the common HTTP/1.1 request on the connection's
//     goroutine; net/http's server takes HTTP/2 and a connection from its
//     first request h1 does not take (a body, an upgrade, a head over 8 KiB),
//     the same handler serving both.
//  2. handle: loads the table once per request; checkLimits answers 414 for
//     a request line over ALB's 16 KiB and 400 for a header over 16 KiB or
//     all headers over 64 KiB; listenerEntry.route picks
//     the action of the first rule by priority whose conditions all match
//     (path-pattern, host-header, http-request-method, http-header,
//     query-string, source-ip), else the default action: fixed-response,
//     redirect, or forward to group.pick (healthy targets round robin, all
//     targets when none is healthy, 503 when none; targets passive health
//     ejected are skipped unless all are).
//  3. rewrite + forwarder.RoundTrip: httputil.ReverseProxy sends the request
//     to the target from the node IP that accepted the client (transports),
//     with X-Forwarded-For/Proto/Port and X-Amzn-Trace-Id; failures answer
//     ALB's 502/503/504 pages (classify, errorPage), or 400 when reading the
//     client's body failed on malformed framing (reqbody.Body). A try that
//     fails in a way another target may fix goes to the next target
//     (failover.go, below). The most common request, a GET or OPTIONS to a
//     listener without rules that forwards to an HTTP or HTTPS group, is
//     passed on as bytes (verbatim.go: h1 offers it before it builds an
//     *http.Request, and the response's head is copied with ALB's edits,
//     without a header map on either side). Another GET, HEAD or OPTIONS
//     without a body skips ReverseProxy (forwardDirect, direct.go: what
//     ReverseProxy does for it, without its clones) and takes the HTTP/1.1
//     fast path (fast.go:
//     written with h1.WriteRequest and read on the handler's goroutine over
//     a pooled connection, TLS to HTTPS targets with resumed sessions, no
//     transport goroutines) or the hand-off; the rest goes through
//     ReverseProxy and http.Transport. Per request the hop allocates no
//     copy buffer (bufferPool), draws trace ids from math/rand rather than a
//     getrandom call, and sets a PROXY connection's deadlines on the socket
//     itself (lean.go).
//  4. probe: one goroutine per (target group, target) of every group a
//     listener forwards to, a check every interval (Deps.HealthCheckSecond
//     per configured second); results drive the ALB state machine (observe).
//     Every node checks on its own, as each ALB node does, and routes by its
//     own results (group.local, set by localHealthOf), falling back to the
//     stored report for a target it has not checked yet. Only the leader
//     (Deps.Leader) writes the report, model.TargetHealth, when it changes
//     and, after it becomes leader, its whole view on the next check of each
//     group; it also writes load balancer states. A follower writes neither.
//
// Failover, where gatehouse departs from ALB on purpose. ALB keeps sending
// requests to a target that stopped accepting connections, each answered
// 502, and to one that hangs (a stopped process: the kernel still accepts),
// each answered 504 after the idle timeout, until its health checks mark it
// unhealthy (interval × unhealthy threshold: ≥10 s). gatehouse instead
// (failover.go, outlier.go), in the manner of Envoy's retry policy with
// per-try timeouts and its outlier detection, because those are the shapes
// that make a hung target cost nothing without cutting a slow one:
//   - retries a try on the next target of the group (each target at most
//     once, maxTries in all) when the connection could not be established
//     (refused, unreachable, connect timeout: not one byte sent, so safe for
//     any method), or, for an idempotent request (GET, HEAD, OPTIONS), when
//     the connection failed after the request was written or no response
//     headers came within the per-try timeout. Only a request without a body
//     (or that can make it again) is sent twice: a streamed body is read
//     once, so such a request gets 502 or 504; PUT, DELETE and POST are not
//     resent once their bytes left, since a hung target may have applied them.
//   - the per-try timeout is derived, not configured: max(perTryFloor,
//     perTryMultiple × the group's recent p99 time to response headers),
//     capped by the response timeout; a fixed one would either cut a target
//     that is legitimately slow or leave a hung one costing seconds per
//     request. The last try of a request gets the full response timeout, so
//     a request slow everywhere still succeeds, and when it does, the targets
//     it timed out on earlier are forgiven (their failure runs end): its
//     slowness, not theirs, made those tries fail.
//   - ejects a target (passive health): at once after a failed connection,
//     or after consecutiveFailures timeouts or post-connect failures in a row
//     with no response between (a target's own 5xx is an answer and does
//     not count: ALB passes those on). pick skips an ejected target until
//     its next successful active check, or a hold-down of two check
//     intervals plus a check timeout that failing checks extend. At most
//     maxEjectedPercent of a group is ejected at once (Envoy's
//     max_ejection_percent), so a group slow everywhere keeps serving, and
//     when every target left is ejected pick falls back to ALB's choice:
//     passive health never empties a group. Ejections are counted in
//     gatehouse_balancer_target_ejections_total{reason} and logged, at most
//     one line a second with a count of the lines held back.
//
// The health reported by DescribeTargetHealth stays ALB's, from active
// checks only: an ejected target may still show healthy there.
//
// Concurrency: Run owns every goroutine. The table follows the live feed
// (live.Table.Run); each swap runs apply on the follower's goroutine: reconcile
// sockets, write load balancer State (active, or failed with the socket
// error), restart probers whose check changed, sync target health. Sockets
// that failed are retried every Deps.RetryInterval. Probers are stopped and waited
// for before Run returns; the sockets then drain for up to 5 s, after which
// each socket's base context ends (cancelling requests still running and
// upgraded streams) and serveSocket waits for every handler.
package balancer
