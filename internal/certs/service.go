package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Validity is the lifetime of a certificate the service issues: ACM's 395 days.
const Validity = 395 * 24 * time.Hour

// ValidationTimeout is how long a certificate may wait for its validation
// records before ACM gives up on it (VALIDATION_TIMED_OUT).
const ValidationTimeout = 72 * time.Hour

// DefaultInterval is how often pending validations are re-checked.
const DefaultInterval = time.Second

// Deps is what the service needs. Store, Feed and CA are required.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger
	Env     model.Env
	Metrics prometheus.Registerer // optional
	CA      *CA
	// Resolver is the DNS server ("host:port") that validation queries: gatehouse's
	// own nameserver, which serves the zones the validation records are created in.
	Resolver string
	// Interval is how often pending validations are re-checked (default 1s).
	Interval time.Duration
	// MaxCertificates is the quota of issued and, separately, of imported
	// certificates (default DefaultMaxCertificates, ACM's).
	MaxCertificates int
	// Now is the clock of the operations and the validation loop: it dates
	// requests, imports and issuance, judges an imported certificate's
	// validity and times validation out (default time.Now). The CA's own
	// NotBefore backdating stays on the real clock.
	Now func() time.Time
	// Leader reports whether this node leads the cluster; the validation
	// loop (issuance, per-domain progress, timeouts) runs only while it does,
	// so a certificate is issued once. nil: always (a single node).
	Leader func() bool
}

// Service runs ACM: the certificate operations (certificates.go, list.go,
// import.go, tags.go) and the validation loop that issues requested
// certificates once their DNS records answer.
type Service struct {
	st       store.Store
	feed     *live.Feed
	log      *slog.Logger
	env      model.Env
	ca       *CA
	resolver string
	interval time.Duration
	// maxCertificates is the quota of each certificate type (checkQuota).
	maxCertificates int
	now             func() time.Time
	leader          func() bool
	metrics         *metrics
	table           live.Table[table]
}

// New returns a service. It does no I/O; Run starts the validation loop.
func New(d Deps) *Service {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := d.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	maxCertificates := d.MaxCertificates
	if maxCertificates <= 0 {
		maxCertificates = DefaultMaxCertificates
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		st:              d.Store,
		feed:            d.Feed,
		log:             log,
		env:             d.Env,
		ca:              d.CA,
		resolver:        d.Resolver,
		interval:        interval,
		maxCertificates: maxCertificates,
		now:             now,
		leader:          d.Leader,
		metrics:         newMetrics(d.Metrics),
	}
}

// Run follows the feed and validates pending certificates until ctx ends: at once
// on every snapshot that changes the pending set or the DNS records, and every
// Interval while anything is pending. All validation happens on this goroutine,
// and only while the node leads: a follower keeps the table and its timer, so
// when it becomes leader it validates what is pending within one Interval.
// It returns nil when ctx ends, an error only if it cannot start.
func (s *Service) Run(ctx context.Context) error {
	if s.ca == nil || s.st == nil || s.feed == nil {
		return errors.New("certs: CA, Store and Feed are required")
	}
	if s.resolver == "" {
		return errors.New("certs: Resolver is required")
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	tbl := &table{}
	snap, changed := s.feed.Current()
	for {
		if err := s.table.Compile(snap, compile); err != nil {
			s.log.Error("table rejected", "err", err)
		} else if next := s.table.Load(); next.differs(tbl) {
			// Something a check depends on changed: check now rather than at the
			// next tick, so validation completes moments after the record exists.
			tbl = next
			timer.Reset(0)
		}
		s.metrics.pending.Set(float64(len(tbl.pending)))
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			snap, changed = s.feed.Current()
		case <-timer.C:
			if len(tbl.pending) > 0 {
				if s.leading() {
					s.check(ctx, tbl)
				}
				timer.Reset(s.interval)
			}
		}
	}
}

// leading reports whether this node writes the validation loop's status.
func (s *Service) leading() bool { return s.leader == nil || s.leader() }

// IssueInternal issues a certificate for names that is not an ACM resource (the
// execute-api endpoint's "*.execute-api.<region>.amazonaws.com" certificate),
// valid for Validity, with the CA in its chain. Each call issues a new one;
// InternalCertificate keeps one in the store for every node to share.
func (s *Service) IssueInternal(names ...string) (tls.Certificate, error) {
	if s.ca == nil {
		return tls.Certificate{}, errors.New("issue internal certificate: no CA")
	}
	certPEM, keyPEM, _, err := s.ca.Issue(names, s.now().Add(Validity))
	if err != nil {
		return tls.Certificate{}, err
	}
	c, err := s.internalPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	s.metrics.issued.WithLabelValues("internal").Inc()
	return c, nil
}
