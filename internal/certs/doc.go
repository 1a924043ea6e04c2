// Package certs is gatehouse's ACM: a built-in certificate authority, the ACM
// certificate operations (request, describe, list with ACM's filters and
// pages, get, delete, import, tags) and the DNS validation loop that issues
// requested certificates.
//
// The operations, one file per concern: certificates.go (request, describe,
// get, delete, who uses a certificate), list.go (ListCertificates: filters and
// keyset pages), details.go (what ACM reports of a certificate's X.509),
// import.go (ImportCertificate and the parsing of the PEM it is given),
// tags.go; limits.go holds the API model's limits and the certificate quota,
// errors.go ACM's error codes and messages. Quota and clock are Deps fields
// (zero: ACM's quota, time.Now).
//
// Data path of a requested certificate:
//  1. RequestCertificate (certificates.go) stores it PENDING_VALIDATION with one validation
//     CNAME per domain (ValidationRecord: deterministic per account and domain, a
//     wildcard sharing its base name's record).
//  2. Run (service.go) follows the feed; compile (compile.go) turns each snapshot
//     into a table (table.go) of pending certificates and the store's records
//     for their validation names. A table that differs triggers a check at once;
//     otherwise checks run every Interval while anything is pending.
//  3. check (validate.go) queries Deps.Resolver — gatehouse's own nameserver —
//     with a real DNS client (lookupCNAME) for each validation name.
//  4. issue (validate.go) signs the certificate with the CA (ca.go) once every
//     domain's CNAME answers with the expected value, and writes it ISSUED with
//     store.Update; the balancer and gateway read it from the snapshot. After
//     ValidationTimeout pending, timeOut writes VALIDATION_TIMED_OUT.
//
// The CA and the keys (sharedca.go): the root lives in the store under one
// record (model.KindCertificateAuthority "root"), so every node that shares
// the store signs with the same root and a new node needs only the store's
// address. LoadOrCreateSharedCA uses the store's CA; on a store without one it
// imports <data-dir>/ca.pem and ca-key.pem (an install from before keeps its
// root) or creates a root, with a create-only write that a losing node answers
// by loading the winner's. ca.pem (certificate only, 0644) is written to the
// data directory for clients to trust; the key is never written to disk any
// more, and an imported ca-key.pem is left in place rather than deleted,
// since removing a user's key file is the user's call. A ca.pem of another
// root than the store's is an error, never overwritten. Issued ACM
// certificates keep their keys in their store records
// (model.Certificate.PrivateKeyPEM); InternalCertificate keeps the execute-api
// endpoint's certificate in the store too, so every node presents the same one.
//
// The validation loop is validate.go rather than serve.go: certs serves no
// traffic, the loop is its hot path.
//
// In a cluster (Deps.Leader) every node keeps the table, but only the leader
// checks and writes status; a node that becomes leader checks what is pending
// within one Interval, and one that stops leading stops between two
// certificates. Requests, imports and deletes are answered on any node.
//
// Concurrency: Run owns the only goroutine; checks run on it one after another.
// Operations are safe for concurrent use (every write is a store CAS), and the
// CA is immutable. Status writes re-check the certificate inside store.Update, so
// a certificate deleted or issued elsewhere meanwhile is left alone. The rules
// that span records are store Txns, so they hold across nodes: DeleteCertificate
// deletes only if no listener or domain name changed since it found no user,
// and create (request, import) writes only if no certificate changed since the
// quota and idempotency token were checked.
package certs
