// Package elbv2 maps the Elastic Load Balancing v2 API (awsQuery, version
// 2015-12-01) onto the balancer's operations: each operation takes its input
// as a wire shape (decoded from the form by awsapi.QueryOf), calls the
// balancer and encodes the result as the model's XML. Validation and AWS's
// error codes and messages live in the balancer, so the stack file obeys the
// same rules; this package only spells them on the wire (and refuses the
// wire's own ambiguities, such as a condition given both as Values and as a
// Config).
package elbv2

import (
	"gatehouse/internal/awsapi"
	"gatehouse/internal/balancer"
)

// New returns the elasticloadbalancing service of the AWS endpoint.
func New(svc *balancer.Service) *awsapi.Service {
	a := api{svc}
	return &awsapi.Service{
		Name:         "elasticloadbalancing",
		Protocol:     awsapi.Query,
		BadInput:     "ValidationError",
		Version:      "2015-12-01",
		XMLNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
		Handler: awsapi.QueryOps(map[string]awsapi.QueryOp{
			"CreateLoadBalancer":             awsapi.QueryOf(a.createLoadBalancer),
			"DescribeLoadBalancers":          awsapi.QueryOf(a.describeLoadBalancers),
			"DeleteLoadBalancer":             awsapi.QueryOf(a.deleteLoadBalancer),
			"DescribeLoadBalancerAttributes": awsapi.QueryOf(a.describeLoadBalancerAttributes),
			"ModifyLoadBalancerAttributes":   awsapi.QueryOf(a.modifyLoadBalancerAttributes),
			"SetSecurityGroups":              awsapi.QueryOf(a.setSecurityGroups),
			"CreateTargetGroup":              awsapi.QueryOf(a.createTargetGroup),
			"DescribeTargetGroups":           awsapi.QueryOf(a.describeTargetGroups),
			"ModifyTargetGroup":              awsapi.QueryOf(a.modifyTargetGroup),
			"DeleteTargetGroup":              awsapi.QueryOf(a.deleteTargetGroup),
			"DescribeTargetGroupAttributes":  awsapi.QueryOf(a.describeTargetGroupAttributes),
			"ModifyTargetGroupAttributes":    awsapi.QueryOf(a.modifyTargetGroupAttributes),
			"RegisterTargets":                awsapi.QueryOf(a.registerTargets),
			"DeregisterTargets":              awsapi.QueryOf(a.deregisterTargets),
			"DescribeTargetHealth":           awsapi.QueryOf(a.describeTargetHealth),
			"CreateListener":                 awsapi.QueryOf(a.createListener),
			"DescribeListeners":              awsapi.QueryOf(a.describeListeners),
			"ModifyListener":                 awsapi.QueryOf(a.modifyListener),
			"DeleteListener":                 awsapi.QueryOf(a.deleteListener),
			"AddListenerCertificates":        awsapi.QueryOf(a.addListenerCertificates),
			"RemoveListenerCertificates":     awsapi.QueryOf(a.removeListenerCertificates),
			"DescribeListenerCertificates":   awsapi.QueryOf(a.describeListenerCertificates),
			"CreateRule":                     awsapi.QueryOf(a.createRule),
			"DescribeRules":                  awsapi.QueryOf(a.describeRules),
			"ModifyRule":                     awsapi.QueryOf(a.modifyRule),
			"DeleteRule":                     awsapi.QueryOf(a.deleteRule),
			"SetRulePriorities":              awsapi.QueryOf(a.setRulePriorities),
			"DescribeSSLPolicies":            awsapi.QueryOf(a.describeSSLPolicies),
			"AddTags":                        awsapi.QueryOf(a.addTags),
			"RemoveTags":                     awsapi.QueryOf(a.removeTags),
			"DescribeTags":                   awsapi.QueryOf(a.describeTags),
		}),
	}
}

type api struct{ b *balancer.Service }

type attributesResult struct {
	Attributes []pairOut `xml:"Attributes>member"`
}

// attributes answers the four attribute calls with what the balancer returned.
func attributes(attrs map[string]string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return attributesResult{pairsOut(attrs)}, nil
}
