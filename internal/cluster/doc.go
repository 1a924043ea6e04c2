// Package cluster is a node's place among the gatehouse nodes sharing one
// store: its membership record and whether it leads.
//
// Every node serves the whole data plane and answers (and writes) every API
// call; what must happen once per cluster — writing observed status such as a
// certificate ISSUED or an accelerator DEPLOYED — happens on the leader only.
// Services get Node.Leader as Deps.Leader (nil there means "always leader",
// the single-node default) and run their status writers only while it is true.
//
// Life of a node:
//
//  1. Join writes the node's record, node/<name> (Member: name, address,
//     start time, version). On etcd the record is bound to a lease of a few
//     seconds (store.Session) that the etcd client keeps alive: a node that
//     dies disappears when its lease expires. A live node of the same name
//     refuses the join; Join waits one TTL first, so a node killed and
//     restarted at once gets its name back instead of an error. On an
//     embedded store (bbolt, mem) the node is the only one: Join clears records
//     a crash left and writes its own, and Leader is always true.
//  2. Run campaigns in an etcd election (concurrency.Election under leader/,
//     on the same lease) until ctx ends. Winning sets Leader (an atomic, cheap
//     enough for any loop) and rewrites the record with Leader and
//     LeaderSince; that write reaches every node's snapshot feed, which wakes
//     every service to re-apply its table, so a new leader picks up the
//     status left pending by the one before (an IN_PROGRESS accelerator, an
//     endpoint still pending) without waiting for an unrelated change.
//     Leadership ends when the session is lost (Leader is false from the
//     moment the lease's keepalive gives up, before anything else runs), when
//     the election shows another leader, or when ctx ends. A lost session is
//     followed by a new one: the node re-joins and campaigns again.
//  3. When ctx ends, Run leaves: it resigns, deletes the record and revokes
//     the lease, so another node leads at once and nothing stays claimed.
//
// Failover is bounded by the TTL: a leader that dies is succeeded once its
// lease expires (at most TTL after its last renewal). Until then no node
// leads, and status writes wait. Both sides of a partition can believe they
// lead for a moment (the old leader's client gives up its lease about when
// etcd expires it), which the status writers tolerate: each is a
// compare-and-swap that re-checks the record it changes.
//
// Concurrency: Run owns the node's goroutines (the campaign and, per session,
// the election observer) and waits for them. Leader and Members are safe for
// concurrent use.
package cluster
