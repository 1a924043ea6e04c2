// Package elbv2 maps the Elastic Load Balancing v2 API (awsQuery, version
// 2015-12-01) onto the balancer's operations: each operation decodes its
// form parameters into a wire shape, calls the balancer and encodes the
// result as the model's XML. Validation and AWS's error codes and messages
// live in the balancer, so the stack file obeys the same rules; this package
// only spells them on the wire (and refuses the wire's own ambiguities, such
// as a condition given both as Values and as a Config).
package elbv2

import (
	"context"
	"net/url"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
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
			"CreateLoadBalancer":             a.createLoadBalancer,
			"DescribeLoadBalancers":          a.describeLoadBalancers,
			"DeleteLoadBalancer":             a.deleteLoadBalancer,
			"DescribeLoadBalancerAttributes": a.describeLoadBalancerAttributes,
			"ModifyLoadBalancerAttributes":   a.modifyLoadBalancerAttributes,
			"CreateTargetGroup":              a.createTargetGroup,
			"DescribeTargetGroups":           a.describeTargetGroups,
			"ModifyTargetGroup":              a.modifyTargetGroup,
			"DeleteTargetGroup":              a.deleteTargetGroup,
			"DescribeTargetGroupAttributes":  a.describeTargetGroupAttributes,
			"ModifyTargetGroupAttributes":    a.modifyTargetGroupAttributes,
			"RegisterTargets":                a.registerTargets,
			"DeregisterTargets":              a.deregisterTargets,
			"DescribeTargetHealth":           a.describeTargetHealth,
			"CreateListener":                 a.createListener,
			"DescribeListeners":              a.describeListeners,
			"ModifyListener":                 a.modifyListener,
			"DeleteListener":                 a.deleteListener,
			"AddListenerCertificates":        a.addListenerCertificates,
			"RemoveListenerCertificates":     a.removeListenerCertificates,
			"DescribeListenerCertificates":   a.describeListenerCertificates,
			"CreateRule":                     a.createRule,
			"DescribeRules":                  a.describeRules,
			"ModifyRule":                     a.modifyRule,
			"DeleteRule":                     a.deleteRule,
			"SetRulePriorities":              a.setRulePriorities,
			"DescribeSSLPolicies":            a.describeSSLPolicies,
			"AddTags":                        a.addTags,
			"RemoveTags":                     a.removeTags,
			"DescribeTags":                   a.describeTags,
		}),
	}
}

type api struct{ b *balancer.Service }

// decode decodes the form into a new In.
func decode[In any](form url.Values) (*In, error) {
	in := new(In)
	if err := awsapi.DecodeQuery(form, in); err != nil {
		return nil, err
	}
	return in, nil
}

// page returns the page of items that the request's Marker and PageSize
// select, and the next marker. The paging members are decoded here, once for
// every describe operation.
func page[T any](form url.Values, items []T) ([]T, string, error) {
	in, err := decode[struct {
		Marker   string `query:"Marker"`
		PageSize int    `query:"PageSize"`
	}](form)
	if err != nil {
		return nil, "", err
	}
	return balancer.Page(items, in.Marker, in.PageSize)
}

// ---- Load balancers ----

type lbsResult struct {
	LoadBalancers []lbOut `xml:"LoadBalancers>member"`
	NextMarker    string  `xml:"NextMarker,omitempty"`
}

func (a api) createLoadBalancer(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		Name           string   `query:"Name" required:"true"`
		Subnets        []string `query:"Subnets"`
		SubnetMappings []struct {
			SubnetID           string `query:"SubnetId" required:"true"`
			AllocationID       string `query:"AllocationId"`
			PrivateIPv4Address string `query:"PrivateIPv4Address"`
		} `query:"SubnetMappings"`
		SecurityGroups []string `query:"SecurityGroups"`
		Scheme         string   `query:"Scheme"`
		Tags           []tagIn  `query:"Tags"`
		Type           string   `query:"Type"`
		IPAddressType  string   `query:"IpAddressType"`
	}](form)
	if err != nil {
		return nil, err
	}
	subnets := in.Subnets
	for _, m := range in.SubnetMappings {
		if m.AllocationID != "" || m.PrivateIPv4Address != "" {
			// Nodes take their addresses from the subnet's pool.
			return nil, model.BadRequest("InvalidConfigurationRequest", "gatehouse does not serve subnet mappings with an allocation id or a private IPv4 address") // gatehouse's own text
		}
		subnets = append(subnets, m.SubnetID)
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	lb, err := a.b.CreateLoadBalancer(ctx, balancer.CreateLBInput{Name: in.Name, SubnetIDs: subnets,
		SecurityGroupIDs: in.SecurityGroups, Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IPAddressType, Tags: tags})
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: lbsOut([]*model.LoadBalancer{lb})}, nil
}

func (a api) describeLoadBalancers(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArns []string `query:"LoadBalancerArns"`
		Names            []string `query:"Names"`
	}](form)
	if err != nil {
		return nil, err
	}
	lbs, err := a.b.DescribeLoadBalancers(ctx, in.LoadBalancerArns, in.Names)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, lbs)
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: lbsOut(pg), NextMarker: next}, nil
}

func (a api) deleteLoadBalancer(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string `query:"LoadBalancerArn" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.DeleteLoadBalancer(ctx, in.LoadBalancerArn)
}

type attributesResult struct {
	Attributes []attributeOut `xml:"Attributes>member"`
}

func (a api) describeLoadBalancerAttributes(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string `query:"LoadBalancerArn" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	attrs, err := a.b.DescribeLoadBalancerAttributes(ctx, in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	return attributesResult{attributesOut(attrs)}, nil
}

func (a api) modifyLoadBalancerAttributes(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string        `query:"LoadBalancerArn" required:"true"`
		Attributes      []attributeIn `query:"Attributes" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	attrs, err := a.b.ModifyLoadBalancerAttributes(ctx, in.LoadBalancerArn, attributeMap(in.Attributes))
	if err != nil {
		return nil, err
	}
	return attributesResult{attributesOut(attrs)}, nil
}

// ---- Target groups ----

type tgsResult struct {
	TargetGroups []tgOut `xml:"TargetGroups>member"`
	NextMarker   string  `xml:"NextMarker,omitempty"`
}

// healthCheckIn is the health check members of CreateTargetGroup and
// ModifyTargetGroup, decoded on their own from the same form.
type healthCheckIn struct {
	HealthCheckProtocol        *string `query:"HealthCheckProtocol"`
	HealthCheckPort            *string `query:"HealthCheckPort"`
	HealthCheckEnabled         *bool   `query:"HealthCheckEnabled"`
	HealthCheckPath            *string `query:"HealthCheckPath"`
	HealthCheckIntervalSeconds *int    `query:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  *int    `query:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      *int    `query:"HealthyThresholdCount"`
	UnhealthyThresholdCount    *int    `query:"UnhealthyThresholdCount"`
	Matcher                    *struct {
		HTTPCode *string `query:"HttpCode"`
	} `query:"Matcher"`
}

func (h healthCheckIn) input() balancer.HealthCheckInput {
	in := balancer.HealthCheckInput{
		Enabled: h.HealthCheckEnabled, Protocol: h.HealthCheckProtocol, Port: h.HealthCheckPort, Path: h.HealthCheckPath,
		IntervalSeconds: h.HealthCheckIntervalSeconds, TimeoutSeconds: h.HealthCheckTimeoutSeconds,
		HealthyThreshold: h.HealthyThresholdCount, UnhealthyThreshold: h.UnhealthyThresholdCount,
	}
	if h.Matcher != nil {
		in.Matcher = h.Matcher.HTTPCode
	}
	return in
}

func (a api) createTargetGroup(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		Name            string  `query:"Name" required:"true"`
		Protocol        string  `query:"Protocol"`
		ProtocolVersion string  `query:"ProtocolVersion"`
		Port            int     `query:"Port"`
		VpcID           string  `query:"VpcId"`
		TargetType      string  `query:"TargetType"`
		IPAddressType   string  `query:"IpAddressType"`
		Tags            []tagIn `query:"Tags"`
	}](form)
	if err != nil {
		return nil, err
	}
	hc, err := decode[healthCheckIn](form)
	if err != nil {
		return nil, err
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	tg, err := a.b.CreateTargetGroup(ctx, balancer.CreateTGInput{Name: in.Name, Protocol: in.Protocol,
		ProtocolVersion: in.ProtocolVersion, TargetType: in.TargetType, VpcID: in.VpcID, Port: in.Port,
		IPAddressType: in.IPAddressType, HealthCheck: hc.input(), Tags: tags})
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

func (a api) describeTargetGroups(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string   `query:"LoadBalancerArn"`
		TargetGroupArns []string `query:"TargetGroupArns"`
		Names           []string `query:"Names"`
	}](form)
	if err != nil {
		return nil, err
	}
	tgs, err := a.b.DescribeTargetGroups(ctx, in.TargetGroupArns, in.Names, in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, tgs)
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut(pg), NextMarker: next}, nil
}

func (a api) modifyTargetGroup(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[tgARNIn](form)
	if err != nil {
		return nil, err
	}
	hc, err := decode[healthCheckIn](form)
	if err != nil {
		return nil, err
	}
	tg, err := a.b.ModifyTargetGroup(ctx, in.TargetGroupArn, hc.input())
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

type tgARNIn struct {
	TargetGroupArn string `query:"TargetGroupArn" required:"true"`
}

func (a api) deleteTargetGroup(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[tgARNIn](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.DeleteTargetGroup(ctx, in.TargetGroupArn)
}

func (a api) describeTargetGroupAttributes(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[tgARNIn](form)
	if err != nil {
		return nil, err
	}
	attrs, err := a.b.DescribeTargetGroupAttributes(ctx, in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	return attributesResult{attributesOut(attrs)}, nil
}

func (a api) modifyTargetGroupAttributes(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		TargetGroupArn string        `query:"TargetGroupArn" required:"true"`
		Attributes     []attributeIn `query:"Attributes" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	attrs, err := a.b.ModifyTargetGroupAttributes(ctx, in.TargetGroupArn, attributeMap(in.Attributes))
	if err != nil {
		return nil, err
	}
	return attributesResult{attributesOut(attrs)}, nil
}

type targetsIn struct {
	TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
	Targets        []targetIn `query:"Targets" required:"true"`
}

func (a api) registerTargets(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[targetsIn](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.RegisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

func (a api) deregisterTargets(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[targetsIn](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.DeregisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

func (a api) describeTargetHealth(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
		Targets        []targetIn `query:"Targets"`
	}](form)
	if err != nil {
		return nil, err
	}
	states, err := a.b.DescribeTargetHealthOf(ctx, in.TargetGroupArn, targets(in.Targets))
	if err != nil {
		return nil, err
	}
	tgs, err := a.b.DescribeTargetGroups(ctx, []string{in.TargetGroupArn}, nil, "")
	if err != nil {
		return nil, err
	}
	tg := tgs[0]
	azs := map[string]string{}
	for _, t := range tg.Targets {
		azs[t.ID] = t.AvailabilityZone
	}
	out := struct {
		TargetHealthDescriptions []targetHealthOut `xml:"TargetHealthDescriptions>member"`
	}{[]targetHealthOut{}}
	for _, st := range states {
		port := tg.HealthCheck.Port
		if port == "traffic-port" {
			port = strconv.Itoa(st.Port)
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, targetHealthOut{
			Target:          targetOut{ID: st.ID, Port: st.Port, AvailabilityZone: azs[st.ID]},
			HealthCheckPort: port,
			TargetHealth:    healthOut{State: st.State, Reason: st.Reason, Description: st.Description},
		})
	}
	return out, nil
}

// ---- Listeners ----

type listenersResult struct {
	Listeners  []listenerOut `xml:"Listeners>member"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}

func (a api) createListener(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string     `query:"LoadBalancerArn" required:"true"`
		Protocol        string     `query:"Protocol"`
		Port            int        `query:"Port"`
		SslPolicy       string     `query:"SslPolicy"`
		Certificates    []certIn   `query:"Certificates"`
		DefaultActions  []actionIn `query:"DefaultActions" required:"true"`
		AlpnPolicy      []string   `query:"AlpnPolicy"`
		Tags            []tagIn    `query:"Tags"`
	}](form)
	if err != nil {
		return nil, err
	}
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

func (a api) describeListeners(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		LoadBalancerArn string   `query:"LoadBalancerArn"`
		ListenerArns    []string `query:"ListenerArns"`
	}](form)
	if err != nil {
		return nil, err
	}
	ls, err := a.b.DescribeListeners(ctx, in.LoadBalancerArn, in.ListenerArns)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, ls)
	if err != nil {
		return nil, err
	}
	return listenersResult{Listeners: listenersOut(pg), NextMarker: next}, nil
}

func (a api) modifyListener(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ListenerArn    string     `query:"ListenerArn" required:"true"`
		Port           *int       `query:"Port"`
		Protocol       *string    `query:"Protocol"`
		SslPolicy      *string    `query:"SslPolicy"`
		Certificates   []certIn   `query:"Certificates"`
		DefaultActions []actionIn `query:"DefaultActions"`
		AlpnPolicy     []string   `query:"AlpnPolicy"`
	}](form)
	if err != nil {
		return nil, err
	}
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

func (a api) deleteListener(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ListenerArn string `query:"ListenerArn" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.DeleteListener(ctx, in.ListenerArn)
}

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

func (a api) addListenerCertificates(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[listenerCertsIn](form)
	if err != nil {
		return nil, err
	}
	added, err := a.b.AddListenerCertificates(ctx, in.ListenerArn, certARNs(in.Certificates))
	if err != nil {
		return nil, err
	}
	return certsResult{Certificates: certsOut(added)}, nil
}

func (a api) removeListenerCertificates(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[listenerCertsIn](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.RemoveListenerCertificates(ctx, in.ListenerArn, certARNs(in.Certificates))
}

func (a api) describeListenerCertificates(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ListenerArn string `query:"ListenerArn" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	cs, err := a.b.DescribeListenerCertificates(ctx, in.ListenerArn)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, cs)
	if err != nil {
		return nil, err
	}
	return certsResult{Certificates: certsOut(pg), NextMarker: next}, nil
}

// ---- Rules ----

type rulesResult struct {
	Rules      []ruleOut `xml:"Rules>member"`
	NextMarker string    `xml:"NextMarker,omitempty"`
}

func (a api) createRule(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ListenerArn string        `query:"ListenerArn" required:"true"`
		Conditions  []conditionIn `query:"Conditions" required:"true"`
		Priority    *int          `query:"Priority" required:"true"`
		Actions     []actionIn    `query:"Actions" required:"true"`
		Tags        []tagIn       `query:"Tags"`
	}](form)
	if err != nil {
		return nil, err
	}
	conds, err := conditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	acts, err := actions(in.Actions)
	if err != nil {
		return nil, err
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	r, err := a.b.CreateRule(ctx, balancer.CreateRuleInput{ListenerARN: in.ListenerArn, Priority: *in.Priority,
		Conditions: conds, Actions: acts, Tags: tags})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut([]balancer.ListenerRule{*r})}, nil
}

func (a api) describeRules(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ListenerArn string   `query:"ListenerArn"`
		RuleArns    []string `query:"RuleArns"`
	}](form)
	if err != nil {
		return nil, err
	}
	rs, err := a.b.DescribeRules(ctx, in.ListenerArn, in.RuleArns)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, rs)
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut(pg), NextMarker: next}, nil
}

func (a api) modifyRule(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		RuleArn    string        `query:"RuleArn" required:"true"`
		Conditions []conditionIn `query:"Conditions"`
		Actions    []actionIn    `query:"Actions"`
	}](form)
	if err != nil {
		return nil, err
	}
	conds, err := conditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	acts, err := actions(in.Actions)
	if err != nil {
		return nil, err
	}
	r, err := a.b.ModifyRule(ctx, balancer.ModifyRuleInput{RuleARN: in.RuleArn, Conditions: conds, Actions: acts})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut([]balancer.ListenerRule{*r})}, nil
}

func (a api) deleteRule(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		RuleArn string `query:"RuleArn" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.DeleteRule(ctx, in.RuleArn)
}

func (a api) setRulePriorities(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		RulePriorities []struct {
			RuleArn  string `query:"RuleArn" required:"true"`
			Priority *int   `query:"Priority" required:"true"`
		} `query:"RulePriorities" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	pairs := make([]balancer.RulePriority, len(in.RulePriorities))
	for i, p := range in.RulePriorities {
		pairs[i] = balancer.RulePriority{RuleARN: p.RuleArn, Priority: *p.Priority}
	}
	rs, err := a.b.SetRulePriorities(ctx, pairs)
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut(rs)}, nil
}

// ---- SSL policies and tags ----

func (a api) describeSSLPolicies(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		Names            []string `query:"Names"`
		LoadBalancerType string   `query:"LoadBalancerType"`
	}](form)
	if err != nil {
		return nil, err
	}
	ps, err := a.b.DescribeSSLPolicies(in.Names, in.LoadBalancerType)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(form, ps)
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

func (a api) addTags(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ResourceArns []string `query:"ResourceArns" required:"true"`
		Tags         []tagIn  `query:"Tags" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.AddTags(ctx, in.ResourceArns, tagList(in.Tags))
}

func (a api) removeTags(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ResourceArns []string `query:"ResourceArns" required:"true"`
		TagKeys      []string `query:"TagKeys" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	return nil, a.b.RemoveTags(ctx, in.ResourceArns, in.TagKeys)
}

func (a api) describeTags(ctx context.Context, form url.Values) (any, error) {
	in, err := decode[struct {
		ResourceArns []string `query:"ResourceArns" required:"true"`
	}](form)
	if err != nil {
		return nil, err
	}
	rts, err := a.b.DescribeTags(ctx, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	type description struct {
		ResourceArn string   `xml:"ResourceArn"`
		Tags        []tagOut `xml:"Tags>member"`
	}
	out := struct {
		TagDescriptions []description `xml:"TagDescriptions>member"`
	}{}
	for _, rt := range rts {
		out.TagDescriptions = append(out.TagDescriptions, description{rt.ARN, tagsOut(rt.Tags)})
	}
	return out, nil
}
