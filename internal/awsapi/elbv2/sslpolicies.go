package elbv2

import (
	"context"

	"gatehouse/internal/balancer"
)

type describeSSLPoliciesIn struct {
	Names            []string `query:"Names"`
	LoadBalancerType string   `query:"LoadBalancerType"`
	pageIn
}

func (a api) describeSSLPolicies(_ context.Context, in *describeSSLPoliciesIn) (any, error) {
	ps, err := a.b.DescribeSSLPolicies(in.Names, in.LoadBalancerType)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, ps, inPlace(ps, func(p balancer.SSLPolicy) string { return p.Name }))
	if err != nil {
		return nil, err
	}
	out := struct {
		SslPolicies []sslPolicyOut `xml:"SslPolicies>member"`
		NextMarker  string         `xml:"NextMarker,omitempty"`
	}{NextMarker: next}
	for _, p := range pg {
		o := sslPolicyOut{Name: p.Name, SslProtocols: p.Protocols, SupportedLoadBalancerTypes: []string{"application", "network"}}
		for i, c := range p.Ciphers {
			o.Ciphers = append(o.Ciphers, cipherOut{Name: c, Priority: i + 1})
		}
		out.SslPolicies = append(out.SslPolicies, o)
	}
	return out, nil
}
