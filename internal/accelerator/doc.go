// Package accelerator is gatehouse's Global Accelerator: the control operations
// of standard accelerators (accelerators.go, with their flow log attributes in
// attributes.go and tags in tags.go), listeners (listeners.go) and endpoint
// groups (endpointgroups.go), and the L4 proxy that serves each enabled
// accelerator's two static IPs. errors.go holds the error codes and field
// limits; ops.go the quotas and what every operation shares: load and update
// (store.LoadOr/UpdateOr after the ARN's limit), Paginate (paging.Keyset) and
// markInProgress.
//
// Every accelerator gets one static IPv4 address from each of the two network
// zones' pools (Deps.Pools) when it is created and keeps them, enabled or
// disabled, until it is deleted. Endpoints are load balancers; Global
// Accelerator terminates TCP and opens a new connection to a node of the chosen
// load balancer, as the real service does (TLS passes through untouched).
//
// Data path, per client connection:
//
//  1. Service.accept (serve.go): one loop per static IP:port socket; the
//     sockets are kept in line with the table by listen.Set, which never
//     closes a socket that stays.
//  2. Service.handle: loads the table once (live.Table.Load) and finds the
//     listener's route by the local address (table.route).
//  3. route.plan (table.go): endpoint groups in traffic-dial order, healthy
//     endpoints by weighted random choice (a client IP hash instead of chance
//     with SOURCE_IP affinity); weight 0 gets no new connections; with no
//     healthy endpoint anywhere it fails open to every endpoint with weight > 0.
//  4. Service.dial: a node of the first endpoint that answers, on the client's
//     port, from the static IP that accepted the client; a refused node moves
//     to the endpoint's next node, then to the next endpoint of the plan. A
//     node this process serves (Deps.Handoff) is not dialed: handOff
//     (handoff.go) gives it the client connection with the client's address
//     as metadata, tracks the flow as below and waits for the node to close
//     it; steps 5 and 7 do not apply.
//  5. writeProxyHeader: with client IP preservation, a PROXY v2 header with
//     the client's address goes first.
//  6. Service.track: registers the flow with its route (static IP:port,
//     listener, endpoint group, endpoint), unless the table in force no longer
//     carries it.
//  7. pipe: one copier per direction. Each waits for its source to be readable
//     without a buffer or pipe (flowReader: a raw non-blocking read under the
//     netpoller) and copies what is queued through a pooled buffer, so an idle
//     flow costs its two sockets and nothing else (io.Copy's splice would park
//     two pipes per flow). A FIN half-closes the other side (CloseWrite) and
//     gives the other direction Deps.FinTimeout (60 s) between bytes; an
//     endpoint that closes before the client sent a byte closes the client at
//     once. Service.sweepIdle closes flows idle for 340 s (Global
//     Accelerator's TCP idle timeout) by watching the kernel's byte counters
//     (TCP_INFO).
//
// Established flows keep their endpoint when its health, its weight or the
// group's traffic dial changes; new connections follow the table compiled from
// the snapshot that carries the change. A table that no longer carries a
// flow's route (accelerator disabled or deleted, listener deleted or its ports
// changed, endpoint removed from its group, group deleted) ends the flow:
// Service.apply cuts such flows (cutFlows) after reconciling the sockets and
// before the table counts as served. UDP listeners are stored and returned but
// not served.
//
// Status: operations write IN_PROGRESS on every change; Service.apply (through
// Service.report) writes DEPLOYED once the table that carries the change serves
// every socket of the accelerator (a disabled one has none), or keeps
// IN_PROGRESS with a StatusReason naming the sockets that failed to open;
// live.Table.Run applies the table again every Deps.RetryInterval (2 s) until
// they open or a newer table arrives. In a cluster only the leader
// (Deps.Leader) writes status, from its own sockets; every node serves. A node
// that becomes leader writes what its current table says as soon as the
// snapshot feed wakes it, which the new leader's own announcement does
// (package cluster).
//
// Announcing and stopping (announce.go, quiesce.go; package daemon runs BGP):
// Announceable names the static IPs this node may attract traffic to, on this
// node's own health checks when Deps.LocalHealth is set. StopAccepting begins
// a graceful stop: a classic BPF socket filter on every static IP socket drops
// new connections' SYNs without an answer (clients send them again 1 s later,
// when the route leads elsewhere) while established connections and
// handshakes under way carry on. The sockets are plain TCP (listen.Set.PlainTCP)
// because an MPTCP socket, Go's default, takes no filter.
//
// Concurrency: Run owns every goroutine: the table follower (live.Table.Run:
// compile, then Service.apply: reconcile, cut, status), the idle sweeper, one
// accept loop per socket (through listen.Set) and one handler per connection
// with one extra copier per flow. When ctx ends Run closes the sockets, then
// every flow, and waits for all of them. Tables
// are immutable; the flow registry (Service.flows, each flow's ending mark) is
// guarded by Service.mu, as are the open sockets (Service.sockets) and the
// quiet mark StopAccepting sets. Flows are closed from outside (idle sweep, cut,
// shutdown) by closing their sockets; the handler then untracks them.
package accelerator
