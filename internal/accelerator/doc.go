// Package accelerator is gatehouse's Global Accelerator: the control operations
// of standard accelerators (with their flow log attributes and tags), listeners
// and endpoint groups (ops.go), and the L4 proxy that serves each enabled
// accelerator's two static IPs.
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
//     to the endpoint's next node, then to the next endpoint of the plan.
//  5. writeProxyHeader: with client IP preservation, a PROXY v2 header with
//     the client's address goes first.
//  6. pipe: io.Copy both ways between the two *net.TCPConn (splice on Linux),
//     half-closing on EOF. Service.sweepIdle closes flows idle for 340 s
//     (Global Accelerator's TCP idle timeout) by watching the kernel's byte
//     counters, so no deadline or counting wrapper defeats splice.
//
// Established flows keep their endpoint when its health changes; new
// connections follow the table compiled from the snapshot that carries the new
// target health. UDP listeners are stored and returned but not served.
//
// Status: operations write IN_PROGRESS on every change; Service.follow writes
// DEPLOYED once the table that carries the change serves every socket of the
// accelerator (a disabled one has none), or keeps IN_PROGRESS with a
// StatusReason naming the sockets that failed to open, retrying them.
//
// Concurrency: Run owns every goroutine: the follow loop (compile, reconcile,
// status), the idle sweeper, one accept loop per socket (through listen.Set)
// and one handler per connection with one extra copier per flow. When ctx ends
// Run closes the sockets, then every flow, and waits for all of them. Tables
// are immutable; the flow registry is guarded by Service.mu.
package accelerator
