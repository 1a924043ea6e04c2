package elbv2

import (
	"context"

	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
)

type listenersResult struct {
	Listeners  []listenerOut `xml:"Listeners>member"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}

type createListenerIn struct {
	LoadBalancerArn string     `query:"LoadBalancerArn" required:"true"`
	Protocol        string     `query:"Protocol"`
	Port            int        `query:"Port"`
	SslPolicy       string     `query:"SslPolicy"`
	Certificates    []certIn   `query:"Certificates"`
	DefaultActions  []actionIn `query:"DefaultActions" required:"true"`
	AlpnPolicy      []string   `query:"AlpnPolicy"`
	Tags            []tagIn    `query:"Tags"`
}

func (a api) createListener(ctx context.Context, in *createListenerIn) (any, error) {
	acts, err := actions(in.DefaultActions)
	if err != nil {
		return nil, err
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	l, err := a.b.CreateListener(ctx, balancer.CreateListenerInput{LoadBalancerARN: in.LoadBalancerArn, Protocol: in.Protocol,
		Port: in.Port, SslPolicy: in.SslPolicy, Certificates: certs(in.Certificates), DefaultActions: acts, Tags: tags})
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: listenersOut([]*model.Listener{l})}, nil
}

type describeListenersIn struct {
	LoadBalancerArn string   `query:"LoadBalancerArn"`
	ListenerArns    []string `query:"ListenerArns"`
	pageIn
}

func (a api) describeListeners(ctx context.Context, in *describeListenersIn) (any, error) {
	ls, err := a.b.DescribeListeners(ctx, in.LoadBalancerArn, in.ListenerArns)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, ls, listed(ls, len(in.ListenerArns) > 0,
		func(l *model.Listener) string { return l.ARN }))
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: listenersOut(pg), NextMarker: next}, nil
}

type modifyListenerIn struct {
	ListenerArn    string     `query:"ListenerArn" required:"true"`
	Port           *int       `query:"Port"`
	Protocol       *string    `query:"Protocol"`
	SslPolicy      *string    `query:"SslPolicy"`
	Certificates   []certIn   `query:"Certificates"`
	DefaultActions []actionIn `query:"DefaultActions"`
	AlpnPolicy     []string   `query:"AlpnPolicy"`
}

func (a api) modifyListener(ctx context.Context, in *modifyListenerIn) (any, error) {
	acts, err := actions(in.DefaultActions)
	if err != nil {
		return nil, err
	}
	l, err := a.b.ModifyListener(ctx, balancer.ModifyListenerInput{ListenerARN: in.ListenerArn, Protocol: in.Protocol,
		Port: in.Port, SslPolicy: in.SslPolicy, Certificates: certs(in.Certificates), DefaultActions: acts})
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: listenersOut([]*model.Listener{l})}, nil
}

// listenerARNIn names one listener.
type listenerARNIn struct {
	ListenerArn string `query:"ListenerArn" required:"true"`
}

func (a api) deleteListener(ctx context.Context, in *listenerARNIn) (any, error) {
	return nil, a.b.DeleteListener(ctx, in.ListenerArn)
}

// listenerCertsIn is AddListenerCertificates' and RemoveListenerCertificates' input.
type listenerCertsIn struct {
	ListenerArn  string   `query:"ListenerArn" required:"true"`
	Certificates []certIn `query:"Certificates" required:"true"`
}

type certsResult struct {
	Certificates []certOut `xml:"Certificates>member"`
	NextMarker   string    `xml:"NextMarker,omitempty"`
}

func certsOut(cs []model.ListenerCertificate) []certOut {
	out := make([]certOut, 0, len(cs))
	for _, c := range cs {
		out = append(out, certOut{CertificateArn: c.CertificateARN, IsDefault: &c.IsDefault})
	}
	return out
}

func (a api) addListenerCertificates(ctx context.Context, in *listenerCertsIn) (any, error) {
	added, err := a.b.AddListenerCertificates(ctx, in.ListenerArn, certARNs(in.Certificates))
	if err != nil {
		return nil, err
	}
	return certsResult{Certificates: certsOut(added)}, nil
}

func (a api) removeListenerCertificates(ctx context.Context, in *listenerCertsIn) (any, error) {
	return nil, a.b.RemoveListenerCertificates(ctx, in.ListenerArn, certARNs(in.Certificates))
}

type describeListenerCertificatesIn struct {
	listenerARNIn
	pageIn
}

func (a api) describeListenerCertificates(ctx context.Context, in *describeListenerCertificatesIn) (any, error) {
	cs, err := a.b.DescribeListenerCertificates(ctx, in.ListenerArn)
	if err != nil {
		return nil, err
	}
	// The default certificate first, then those added for SNI by ARN.
	pg, next, err := page(in.pageIn, cs, func(c model.ListenerCertificate) string {
		if c.IsDefault {
			return "0"
		}
		return "1" + c.CertificateARN
	})
	if err != nil {
		return nil, err
	}
	return certsResult{Certificates: certsOut(pg), NextMarker: next}, nil
}
