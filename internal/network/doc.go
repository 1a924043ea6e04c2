// Package network is gatehouse's VPC: the default VPC and its subnets, security
// groups, and execute-api interface endpoints. An interface endpoint is one
// network interface per subnet, each a private address (claimed through ipam and
// never changed while the endpoint exists) on which the endpoint listens; the
// bytes of an admitted connection belong to the gateway (Deps.Handoff).
//
// Data path, per connection:
//  1. compile turns a snapshot into a table: listen address → endpoint id and the
//     sources the endpoint's security groups admit to its port (parsed and
//     matched against the port once, here: tcpSources). A rule whose source is
//     a security group admits its members: the addresses of the network
//     interfaces it is attached to, load balancer nodes and endpoint interfaces
//     alike (groupMembers, sources.go), as this snapshot has them, so admission
//     follows a load balancer's groups and nodes with the next snapshot.
//  2. Service.apply (after every table swap) reconciles the listening sockets with
//     the table through listen.Set, so sockets that stay are never closed, and
//     writes each endpoint's observed state (available, or failed with LastError);
//     in a cluster only the leader writes it (Deps.Leader), from its own
//     sockets, while every node serves, and a new leader writes it when its
//     announcement (package cluster) wakes the table follower.
//  3. Service.serveListener accepts on each socket; Service.admit loads the table
//     once, finds the binding by the connection's local address and checks the
//     source IP against those prefixes (binding.allows).
//  4. An allowed connection goes to Deps.Handoff with the endpoint id; a denied one
//     is closed at once, before a byte is read (a security group has no reply).
//  5. In-process hand-off (handoff.go): while a socket is open its address has
//     an entry in Deps.Handoffs; a request the balancer hands over is admitted
//     as a connection from its source would be (serveHandedOff) and served by
//     Deps.ServeHTTP (the gateway's ServeHTTPFrom) with the endpoint id.
//
// Outbound rules are stored and reported (egress.go) but filter nothing: the
// endpoints only answer.
//
// Control operations, one file per resource: vpcs.go (the default VPC and its
// subnets, created by EnsureDefaultVPC), securitygroups.go, rules.go (inbound
// rules; outbound ones in egress.go, security groups as sources in
// sources.go), endpoints.go, interfaces.go (an endpoint's network interfaces
// and their addresses), tags.go; describe.go serves every Describe with EC2's
// filters, errors.go is the catalogue of EC2's error codes and texts, and ops.go
// holds what operations share (loading a resource or its NotFound, stable IDs).
// Amazon VPC's quotas come from Deps.Quotas (zero: AWS's defaults).
//
// Concurrency: Run owns every goroutine: the table follower, one accept loop per
// socket (owned by the listen.Set) and one goroutine per admitted connection that
// runs Handoff; Run waits for all of them before it returns. Tables are immutable
// and swapped atomically, so a security-group change applies to the next
// connection while connections already admitted keep going, as EC2's stateful
// security groups do. Operations hold no lock: each reads, decides and writes in
// one store.Txn conditioned on what it read being unchanged (retrying when it
// changed), so concurrent calls on one node or several never lose a rule, hand
// out an address twice, or leave a record naming a security group that is gone
// (ops.go).
package network
