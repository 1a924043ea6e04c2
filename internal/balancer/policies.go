package balancer

import (
	"slices"
	"strings"

	"gatehouse/internal/model"
)

// SSLPolicy is a predefined security policy as DescribeSSLPolicies reports it.
type SSLPolicy struct {
	Name      string
	Protocols []string // "TLSv1.2", "TLSv1.3"
	Ciphers   []string // OpenSSL names, by priority
}

// The cipher suites gatehouse serves (Go's defaults, see listenerTLS), in
// OpenSSL's names as ELBv2 lists them.
var (
	tls13Ciphers = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	tls12Ciphers = []string{
		"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
		"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
		"ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
	}
)

// policyOf describes a policy as gatehouse serves it, which is not always
// what AWS lists under the name: listenerTLS serves TLS 1.3 only for the
// TLS13-1-3 policies and TLS 1.2 and 1.3 for every other, with Go's cipher
// suites, so a client learns here what it will actually be offered.
func policyOf(name string) SSLPolicy {
	if strings.Contains(name, "TLS13-1-3") {
		return SSLPolicy{Name: name, Protocols: []string{"TLSv1.3"}, Ciphers: tls13Ciphers}
	}
	return SSLPolicy{Name: name, Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: slices.Concat(tls13Ciphers, tls12Ciphers)}
}

// DescribeSSLPolicies returns the named policies, or every policy. lbType
// ("application", "network", "gateway" or empty) keeps those the type
// supports: gateway load balancers have none.
func (s *Service) DescribeSSLPolicies(names []string, lbType string) ([]SSLPolicy, error) {
	switch lbType {
	case "", "application", "network":
	case "gateway":
		return []SSLPolicy{}, nil
	default:
		return nil, model.Enum(codeValidation, "loadBalancerType", lbType, []string{"application", "network", "gateway"})
	}
	if len(names) == 0 {
		names = sslPolicies
	}
	out := make([]SSLPolicy, 0, len(names))
	for _, n := range names {
		if !slices.Contains(sslPolicies, n) {
			return nil, model.BadRequest(codeSSLPolicy, "One or more SSL policies not found") // UNVERIFIED: AWS's text
		}
		out = append(out, policyOf(n))
	}
	return out, nil
}
