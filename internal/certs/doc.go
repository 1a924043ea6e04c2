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
// The validation loop is validate.go rather than serve.go: certs serves no
// traffic, the loop is its hot path.
//
// Concurrency: Run owns the only goroutine; checks run on it one after another.
// Operations are safe for concurrent use (every write is a store CAS), and the
// CA is immutable. Status writes re-check the certificate inside store.Update, so
// a certificate deleted or issued elsewhere meanwhile is left alone.
package certs
