// Package nameserver is gatehouse's Route 53: the hosted-zone and record-set
// operations with Route 53's validation and errors, and an authoritative DNS
// server (UDP and TCP, github.com/miekg/dns) that answers for every hosted zone
// and for the names AWS itself would answer: accelerator, load balancer and VPC
// endpoint DNS names, resolved from the current snapshot.
//
// UDP fast path (udp.go, wire.go, batch_linux.go): unless the server listens on
// a wildcard address, a few goroutines (GOMAXPROCS, at most 4) read the UDP
// socket themselves, a batch of datagrams per recvmmsg. parseFast takes the
// common query apart by hand (one question, class IN, a plain name, at most a
// version-0 OPT with no options but a cookie or padding) and answerFast copies
// the table's wire answer for that name and type after the client's header and
// question (ID, RD/CD and the OPT patched); the answers go back with one
// sendmmsg. A table builds each wire answer on first ask with the slow path
// itself (respond, then Pack), so the two answer byte for byte alike
// (FuzzFastPath, TestFastPathAnswersLikeMiekg). Anything else (ANY, TC,
// answers that need truncation, other EDNS options, malformed packets) goes,
// copied, through a queue to the miekg/dns server below, whose UDP socket is
// then slowConn.
//
// Data path of one query through miekg/dns (TCP, and UDP the fast path declines):
//  1. Service.ServeDNS: loads the table in force once (live.Table.Load).
//  2. respond: checks the message (one question, class IN, EDNS version),
//     answers, sizes the answer for the client's UDP buffer (TC bit) and adds OPT;
//     a positive ANY over UDP is answered by TC alone (RFC 8482, minimalANY).
//  3. table.answer: service name → A/AAAA; otherwise the zone with the longest
//     matching suffix (REFUSED if none): delegation, CNAME chase, wildcard,
//     NXDOMAIN/NODATA with the zone's SOA in the authority section.
//  4. zone.values: a record set's records; an alias resolves to the target's
//     current addresses (table.services) or to the aliased in-zone record set.
//
// Control path: the operations validate against the store and write spec, one
// file per resource: zones.go (CreateHostedZone, DeleteHostedZone, …),
// recordsets.go (ChangeRecordSets and its pure plan), tags.go, and changes.go
// (batch and apply: a zone's writes all-or-nothing, CAS-retried; GetChange).
// errors.go holds Route 53's errors and quotas, pages.go its marker paging
// (zone IDs, record name and type: wire format, so not paging.Keyset). The
// live feed delivers the new snapshot; compile builds a new immutable table
// (pure, no I/O) and it is swapped in atomically. Compile is incremental
// (compiler): a zone whose records and the names AWS answers did not change
// is kept, parsed records and wire answers included, so a record change
// costs its zone, and a snapshot DNS does not read keeps the whole table.
//
// Concurrency: queries run on miekg/dns's goroutines or the fast path's readers
// and only read the immutable table; its wire answers (table.wire, and each
// zone's zone.wire) are the one part filled while it serves, under their own
// lock, and bounded. Run owns the UDP and TCP servers and the table follower and waits for
// them on shutdown. Operations take no process lock: each write is a store Txn
// conditioned on the zone and its record sets being as the batch read them
// (changes.go, guard), so a concurrent writer on this node or any other sharing
// the store makes a batch retry rather than interleave, and a record set is
// never created in a zone being deleted.
package nameserver
