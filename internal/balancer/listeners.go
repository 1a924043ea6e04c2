package balancer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// DefaultSSLPolicy is the policy CreateListener applies when none is given
// (the API's default; the console's is ELBSecurityPolicy-TLS13-1-2-2021-06).
const DefaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// sslPolicies are the predefined policy names ELBv2 accepts. gatehouse serves
// TLS 1.3 only for the TLS13-1-3 policies and TLS 1.2 and 1.3 for the others,
// with Go's cipher suites (see listenerTLS in compile.go).
var sslPolicies = []string{
	"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
	"ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-FS-1-2-Res-2019-08",
	"ELBSecurityPolicy-FS-1-2-2019-08", "ELBSecurityPolicy-FS-1-1-2019-08", "ELBSecurityPolicy-FS-2018-06",
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-TLS-1-2-2017-01",
	"ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-2015-05",
}

// CreateListenerInput is CreateListener's input.
type CreateListenerInput struct {
	LoadBalancerARN string
	Protocol        string // "HTTP" or "HTTPS"
	Port            int
	SslPolicy       string // HTTPS; default DefaultSSLPolicy
	Certificates    []model.ListenerCertificate
	DefaultActions  []model.Action
	Tags            map[string]string
}

// ModifyListenerInput is ModifyListener's input: nil / empty fields stay.
type ModifyListenerInput struct {
	ListenerARN    string
	Protocol       *string
	Port           *int
	SslPolicy      *string
	Certificates   []model.ListenerCertificate
	DefaultActions []model.Action
}

// checkListener validates a listener against the store: protocol and port,
// certificates, SSL policy and actions. It returns the conditions that keep
// the certificates as checked until the write (certsIssued).
func (s *Service) checkListener(ctx context.Context, lb *model.LoadBalancer, l *model.Listener) ([]store.Cond, error) {
	switch l.Protocol {
	case "HTTP", "HTTPS":
	case "":
		return nil, validationError("A listener protocol must be specified")
	default:
		return nil, model.BadRequest("UnsupportedProtocol", "Protocol '%s' is not supported for listeners of application load balancers", model.Clip(l.Protocol)) // unconfirmed text
	}
	if err := model.Range(codeValidation, "port", l.Port, 1, 65535); err != nil {
		return nil, err
	}
	var conds []store.Cond
	if l.Protocol == "HTTPS" {
		if len(l.Certificates) == 0 {
			return nil, validationError("A certificate must be specified for HTTPS listeners")
		}
		arns := make([]string, len(l.Certificates))
		for i := range l.Certificates {
			arns[i] = l.Certificates[i].CertificateARN
			l.Certificates[i].IsDefault = i == 0
		}
		var err error
		if conds, err = s.certsIssued(ctx, arns); err != nil {
			return nil, err
		}
		if l.SslPolicy == "" {
			l.SslPolicy = DefaultSSLPolicy
		}
		if !slices.Contains(sslPolicies, l.SslPolicy) {
			return nil, model.BadRequest(codeSSLPolicy, "SSL policy '%s' not found", model.Clip(l.SslPolicy)) // unconfirmed text
		}
	} else {
		if len(l.Certificates) > 0 {
			return nil, validationError("Certificates cannot be specified for HTTP listeners") // unconfirmed text
		}
		if l.SslPolicy != "" {
			return nil, validationError("An SSL policy cannot be specified for HTTP listeners") // unconfirmed text
		}
	}
	return conds, s.checkActions(ctx, lb.VpcID, "defaultActions", l.DefaultActions)
}

// CreateListener adds a listener to a load balancer. Creating it again with
// the same settings returns the existing one.
func (s *Service) CreateListener(ctx context.Context, in CreateListenerInput) (*model.Listener, error) {
	if len(in.Certificates) > 1 {
		return nil, errOneCertificate()
	}
	// No mutex: the write is a Txn conditioned on the load balancer as read
	// (a DeleteLoadBalancer in between fails it), on no listener changed
	// since the port check, on the target groups it forwards to, and on its
	// certificates as checked (a DeleteCertificate in between fails it).
	return retryOnConflict(ctx, func() (*model.Listener, error) { return s.createListener(ctx, in) })
}

func (s *Service) createListener(ctx context.Context, in CreateListenerInput) (*model.Listener, error) {
	lbKey := model.Key(model.KindLoadBalancer, in.LoadBalancerARN)
	lb, lbRev, err := store.LoadOr[model.LoadBalancer](ctx, s.d.Store, lbKey, lbNotFound)
	if err != nil {
		return nil, err
	}
	l := &model.Listener{
		LoadBalancerARN: lb.ARN, Protocol: in.Protocol, Port: in.Port, SslPolicy: in.SslPolicy,
		Certificates: slices.Clone(in.Certificates), DefaultActions: slices.Clone(in.DefaultActions), Tags: in.Tags,
	}
	certConds, err := s.checkListener(ctx, lb, l)
	if err != nil {
		return nil, err
	}
	all, listRev, err := store.LoadAllAt[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	existing := slices.DeleteFunc(all, func(o *model.Listener) bool { return o.LoadBalancerARN != lb.ARN })
	for _, o := range existing {
		if o.Port != l.Port {
			continue
		}
		if o.Protocol == l.Protocol && o.SslPolicy == l.SslPolicy && slices.Equal(o.Certificates, l.Certificates) &&
			slices.EqualFunc(o.DefaultActions, l.DefaultActions, sameAction) {
			return o, nil
		}
		return nil, model.BadRequest(codeDuplicateLis, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
	}
	if len(existing) >= maxListeners {
		return nil, model.BadRequest("TooManyListeners", "You've reached the limit on the number of listeners per load balancer.")
	}
	conds, err := s.groupsExist(ctx, l.TargetGroupARNs())
	if err != nil {
		return nil, err
	}
	conds = append(conds, certConds...)
	l.ARN = strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/" + model.RandomHex(16)
	key := model.Key(model.KindListener, l.ARN)
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", key, err)
	}
	conds = append(conds,
		store.KeyIs(lbKey, lbRev),
		store.NoneAfter(model.Prefix(model.KindListener), listRev),
		store.KeyIs(key, 0))
	if _, err := s.d.Store.Txn(ctx, conds, []store.Op{store.Put(key, b)}); err != nil {
		return nil, err
	}
	return l, nil
}

// DescribeListeners returns a load balancer's listeners, or listeners by ARN.
func (s *Service) DescribeListeners(ctx context.Context, lbARN string, arns []string) ([]*model.Listener, error) {
	if lbARN == "" && len(arns) == 0 {
		return nil, validationError("You must specify either listener ARNs or a load balancer ARN")
	}
	if lbARN != "" && len(arns) > 0 {
		return nil, validationError("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	}
	if lbARN != "" {
		if _, err := s.loadLB(ctx, lbARN); err != nil {
			return nil, err
		}
		return s.listenersOf(ctx, lbARN)
	}
	all, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	out, missing := pick(all, arns, func(l *model.Listener) string { return l.ARN })
	if len(missing) > 0 {
		return nil, listenerNotFound()
	}
	return out, nil
}

// ModifyListener changes a listener's protocol, port, policy, certificates or
// default actions. Its socket moves without touching the others.
func (s *Service) ModifyListener(ctx context.Context, in ModifyListenerInput) (*model.Listener, error) {
	// No mutex: the port check holds because the write is conditioned on no
	// listener changed since the listing it was made on; the certificates
	// are conditioned on as checked.
	return retryOnConflict(ctx, func() (*model.Listener, error) { return s.modifyListener(ctx, in) })
}

func (s *Service) modifyListener(ctx context.Context, in ModifyListenerInput) (*model.Listener, error) {
	l, rev, lb, err := s.listenerAndLB(ctx, in.ListenerARN)
	if err != nil {
		return nil, err
	}
	if in.Protocol != nil {
		if *in.Protocol == "HTTP" && l.Protocol == "HTTPS" {
			l.Certificates, l.SslPolicy = nil, ""
		}
		l.Protocol = *in.Protocol
	}
	if in.Port != nil {
		l.Port = *in.Port
	}
	if in.SslPolicy != nil {
		l.SslPolicy = *in.SslPolicy
	}
	if len(in.Certificates) > 1 {
		return nil, errOneCertificate()
	}
	if len(in.Certificates) == 1 {
		// The new default; the certificates added for SNI stay.
		def := in.Certificates[0]
		extra := slices.DeleteFunc(slices.Clone(l.Certificates[min(1, len(l.Certificates)):]), func(c model.ListenerCertificate) bool {
			return c.CertificateARN == def.CertificateARN
		})
		l.Certificates = append([]model.ListenerCertificate{def}, extra...)
	}
	if len(in.DefaultActions) > 0 {
		l.DefaultActions = slices.Clone(in.DefaultActions)
	}
	certConds, err := s.checkListener(ctx, lb, l)
	if err != nil {
		return nil, err
	}
	others, listRev, err := store.LoadAllAt[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.LoadBalancerARN == lb.ARN && o.ARN != l.ARN && o.Port == l.Port {
			return nil, model.BadRequest(codeDuplicateLis, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
		}
	}
	if err := s.writeListener(ctx, l, rev, append(certConds, store.NoneAfter(model.Prefix(model.KindListener), listRev))...); err != nil {
		return nil, err
	}
	return l, nil
}

// DeleteListener deletes a listener and its rules; its sockets close.
func (s *Service) DeleteListener(ctx context.Context, arn string) error {
	// The listener and its rules go in one Txn, conditioned on the listener
	// as read: a CreateRule is conditioned on it too, so on any node it
	// lands before (and goes along) or fails with ListenerNotFound.
	_, err := retryOnConflict(ctx, func() (struct{}, error) {
		key := model.Key(model.KindListener, arn)
		kv, err := s.d.Store.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return struct{}{}, listenerNotFound()
		}
		if err != nil {
			return struct{}{}, err
		}
		_, err = s.d.Store.Txn(ctx, []store.Cond{store.KeyIs(key, kv.ModRev)},
			[]store.Op{store.Del(key), store.DelPrefix(model.RulesPrefix(arn))})
		return struct{}{}, err
	})
	return err
}

// maxCertificates is ALB's quota of certificates per load balancer, the
// default certificates not counted.
const maxCertificates = 25

// DescribeListenerCertificates returns an HTTPS listener's certificates: the
// default (IsDefault) first, then those served by SNI.
func (s *Service) DescribeListenerCertificates(ctx context.Context, arn string) ([]model.ListenerCertificate, error) {
	l, _, err := s.loadListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	return l.Certificates, nil
}

// AddListenerCertificates adds certificates that the HTTPS listener serves to
// clients asking for their names (SNI); one already there is no error. It
// returns the certificates added.
func (s *Service) AddListenerCertificates(ctx context.Context, arn string, certARNs []string) ([]model.ListenerCertificate, error) {
	if len(certARNs) == 0 {
		return nil, notNull("certificates")
	}
	if len(certARNs) > maxCertificates {
		// More than a listener can hold is refused before any is looked at.
		return nil, model.BadRequest("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer")
	}
	// No mutex: the listener is written over its revision as read,
	// conditioned on the certificates as checked; a conflict reads again.
	return retryOnConflict(ctx, func() ([]model.ListenerCertificate, error) {
		return s.addListenerCertificates(ctx, arn, certARNs)
	})
}

func (s *Service) addListenerCertificates(ctx context.Context, arn string, certARNs []string) ([]model.ListenerCertificate, error) {
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	if l.Protocol != "HTTPS" {
		return nil, validationError("Certificates can only be added to HTTPS listeners") // UNVERIFIED: AWS's text
	}
	conds, err := s.certsIssued(ctx, certARNs)
	if err != nil {
		return nil, err
	}
	var added []model.ListenerCertificate
	for _, c := range certARNs {
		added = append(added, model.ListenerCertificate{CertificateARN: c})
		if !slices.ContainsFunc(l.Certificates[1:], func(o model.ListenerCertificate) bool { return o.CertificateARN == c }) {
			l.Certificates = append(l.Certificates, model.ListenerCertificate{CertificateARN: c})
		}
	}
	if len(l.Certificates)-1 > maxCertificates {
		return nil, model.BadRequest("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer")
	}
	if err := s.writeListener(ctx, l, rev, conds...); err != nil {
		return nil, err
	}
	return added, nil
}

// RemoveListenerCertificates removes certificates added for SNI; the default
// certificate stays until ModifyListener replaces it.
func (s *Service) RemoveListenerCertificates(ctx context.Context, arn string, certARNs []string) error {
	if len(certARNs) == 0 {
		return notNull("certificates")
	}
	_, err := retryOnConflict(ctx, func() (struct{}, error) {
		l, rev, err := s.loadListener(ctx, arn)
		if err != nil {
			return struct{}{}, err
		}
		if len(l.Certificates) > 0 && slices.Contains(certARNs, l.Certificates[0].CertificateARN) {
			return struct{}{}, model.BadRequest(codeNotPermitted, "The default certificate cannot be removed from the listener") // UNVERIFIED: AWS's text
		}
		l.Certificates = slices.DeleteFunc(l.Certificates, func(c model.ListenerCertificate) bool {
			return !c.IsDefault && slices.Contains(certARNs, c.CertificateARN)
		})
		return struct{}{}, s.writeListener(ctx, l, rev)
	})
	return err
}

// certsIssued reports CertificateNotFound for a certificate that is not in
// the store or not issued, and returns the conditions that keep each one as
// checked until the write: a certificate deleted (or changed) on any node in
// between fails the write, which then checks again and answers
// CertificateNotFound, rather than attach a certificate that is gone.
func (s *Service) certsIssued(ctx context.Context, arns []string) ([]store.Cond, error) {
	var conds []store.Cond
	for _, arn := range arns {
		notFound := func() error { return model.BadRequest(codeCertNotFound, "Certificate '%s' not found", model.Clip(arn)) }
		key := model.Key(model.KindCertificate, arn)
		c, rev, err := store.LoadOr[model.Certificate](ctx, s.d.Store, key, notFound)
		if err != nil {
			return nil, err
		}
		if c.Status != model.CertIssued {
			return nil, notFound()
		}
		if !slices.ContainsFunc(conds, func(o store.Cond) bool { return o.Key == key }) {
			conds = append(conds, store.KeyIs(key, rev))
		}
	}
	return conds, nil
}
