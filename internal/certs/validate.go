package certs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// queryTimeout bounds one DNS query, so a resolver that never answers cannot
// stall the validation of every other certificate.
const queryTimeout = 2 * time.Second

// errStale aborts a status update when the certificate changed under the check
// (deleted, issued by another node, re-requested with other records).
var errStale = errors.New("certificate changed since the check")

// errNoCNAME is a DNS answer without a CNAME for the name.
var errNoCNAME = errors.New("no CNAME in answer")

// check validates every pending certificate once: it times out those pending
// for more than ValidationTimeout, looks up each validation record and issues
// the certificates whose records all answer with the expected CNAME. Records
// shared by several certificates are looked up once per check.
func (s *Service) check(ctx context.Context, tbl *table) {
	now := s.now()
	answers := map[string]lookup{}
	for _, c := range tbl.pending {
		// A node that lost the lead mid-check leaves the rest to the new leader.
		if ctx.Err() != nil || !s.leading() {
			return
		}
		if now.Sub(c.CreatedAt) >= ValidationTimeout {
			s.timeOut(ctx, c)
			continue
		}
		if len(c.Validations) == 0 {
			continue // nothing that could ever validate it; the timeout will end it
		}
		ok := make([]bool, len(c.Validations))
		all := true
		for i, v := range c.Validations {
			name := model.DomainKey(v.ResourceRecord.Name)
			r, seen := answers[name]
			if !seen {
				r = s.lookupCNAME(ctx, name)
				answers[name] = r
				s.metrics.checks.WithLabelValues(r.result(v.ResourceRecord.Value)).Inc()
			}
			ok[i] = r.matches(v.ResourceRecord.Value)
			all = all && ok[i]
		}
		if all {
			s.issue(ctx, c, now)
		} else {
			s.markValidated(ctx, c, ok)
		}
	}
}

// lookup is the answer to one validation record query.
type lookup struct {
	target string
	err    error
}

// matches reports whether the lookup found the CNAME target want.
func (l lookup) matches(want string) bool {
	return l.err == nil && model.DomainKey(l.target) == model.DomainKey(want)
}

// result names the lookup's outcome for the checks metric.
func (l lookup) result(want string) string {
	switch {
	case errors.Is(l.err, errNoCNAME):
		return "missing"
	case l.err != nil:
		return "error"
	case l.matches(want):
		return "match"
	default:
		return "mismatch"
	}
}

// lookupCNAME asks the resolver for name's CNAME, over UDP and over TCP if the
// answer was truncated.
func (s *Service) lookupCNAME(ctx context.Context, name string) lookup {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeCNAME)
	m.RecursionDesired = false // the resolver is authoritative for the zone
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	c := &dns.Client{Net: "udp", Timeout: queryTimeout}
	in, _, err := c.ExchangeContext(qctx, m, s.resolver)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(qctx, m, s.resolver)
	}
	if err != nil {
		s.log.Debug("validation lookup failed", "name", name, "err", err)
		return lookup{err: fmt.Errorf("query %s CNAME at %s: %w", name, s.resolver, err)}
	}
	if in.Rcode == dns.RcodeNameError {
		return lookup{err: errNoCNAME}
	}
	if in.Rcode != dns.RcodeSuccess {
		return lookup{err: fmt.Errorf("query %s CNAME at %s: %s", name, s.resolver, dns.RcodeToString[in.Rcode])}
	}
	for _, rr := range in.Answer {
		if cn, ok := rr.(*dns.CNAME); ok && model.DomainKey(cn.Hdr.Name) == name {
			return lookup{target: cn.Target}
		}
	}
	return lookup{err: errNoCNAME}
}

// issue signs the certificate with the CA and records it ISSUED, unless it
// changed since the check.
func (s *Service) issue(ctx context.Context, c *model.Certificate, now time.Time) {
	certPEM, keyPEM, leaf, err := s.ca.Issue(c.SubjectAlternativeNames, now.Add(Validity))
	if err != nil {
		s.log.Error("issue certificate", "arn", c.ARN, "err", err)
		return
	}
	_, err = store.Update(ctx, s.st, model.Key(model.KindCertificate, c.ARN), func(v *model.Certificate) error {
		if v.Status != model.CertPendingValidation || !sameRecords(v.Validations, c.Validations) {
			return errStale
		}
		v.Status = model.CertIssued
		v.IssuedAt = now
		v.NotBefore = leaf.NotBefore
		v.NotAfter = leaf.NotAfter
		v.Serial = formatSerial(leaf.SerialNumber)
		v.KeyAlgorithm = keyAlgorithmEC256
		v.CertificatePEM = certPEM
		v.ChainPEM = string(s.ca.pem)
		v.PrivateKeyPEM = keyPEM
		for i := range v.Validations {
			v.Validations[i].ValidationStatus = validationSuccess
		}
		return nil
	})
	switch {
	case err == nil:
		s.metrics.issued.WithLabelValues("acm").Inc()
		s.log.Info("certificate issued", "arn", c.ARN, "domain", c.DomainName, "serial", formatSerial(leaf.SerialNumber))
	case errors.Is(err, errStale), errors.Is(err, store.ErrNotFound), ctx.Err() != nil:
	default:
		s.log.Error("record issued certificate", "arn", c.ARN, "err", err)
	}
}

// markValidated records SUCCESS for the domains whose records already answer,
// as ACM shows per-domain progress while others are still pending. It writes
// only when a status changes.
func (s *Service) markValidated(ctx context.Context, c *model.Certificate, ok []bool) {
	changes := false
	for i, v := range c.Validations {
		if ok[i] && v.ValidationStatus != validationSuccess {
			changes = true
		}
	}
	if !changes {
		return
	}
	_, err := store.Update(ctx, s.st, model.Key(model.KindCertificate, c.ARN), func(v *model.Certificate) error {
		if v.Status != model.CertPendingValidation || !sameRecords(v.Validations, c.Validations) {
			return errStale
		}
		for i := range v.Validations {
			if ok[i] {
				v.Validations[i].ValidationStatus = validationSuccess
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStale) && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
		s.log.Error("record domain validation", "arn", c.ARN, "err", err)
	}
}

// timeOut records VALIDATION_TIMED_OUT for a certificate pending too long.
func (s *Service) timeOut(ctx context.Context, c *model.Certificate) {
	_, err := store.Update(ctx, s.st, model.Key(model.KindCertificate, c.ARN), func(v *model.Certificate) error {
		if v.Status != model.CertPendingValidation {
			return errStale
		}
		v.Status = model.CertTimedOut
		return nil
	})
	switch {
	case err == nil:
		s.log.Info("certificate validation timed out", "arn", c.ARN, "domain", c.DomainName)
	case errors.Is(err, errStale), errors.Is(err, store.ErrNotFound), ctx.Err() != nil:
	default:
		s.log.Error("record validation timeout", "arn", c.ARN, "err", err)
	}
}

// sameRecords reports whether two validation lists ask for the same records.
func sameRecords(a, b []model.DomainValidation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i].DomainName, b[i].DomainName) || a[i].ResourceRecord != b[i].ResourceRecord {
			return false
		}
	}
	return true
}
