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
	"context"
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

// pageIn is the paging of every Describe call, embedded in its input.
type pageIn struct {
	Marker   string `query:"Marker"`
	PageSize int    `query:"PageSize"`
}

// page returns the page of items that the request's Marker and PageSize
// select, and the next marker.
func page[T any](p pageIn, items []T) ([]T, string, error) {
	return balancer.Page(items, p.Marker, p.PageSize)
}

// ---- Load balancers ----

type lbsResult struct {
	LoadBalancers []lbOut `xml:"LoadBalancers>member"`
	NextMarker    string  `xml:"NextMarker,omitempty"`
}

type createLoadBalancerIn struct {
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
}

func (a api) createLoadBalancer(ctx context.Context, in *createLoadBalancerIn) (any, error) {
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

type describeLoadBalancersIn struct {
	LoadBalancerArns []string `query:"LoadBalancerArns"`
	Names            []string `query:"Names"`
	pageIn
}

func (a api) describeLoadBalancers(ctx context.Context, in *describeLoadBalancersIn) (any, error) {
	lbs, err := a.b.DescribeLoadBalancers(ctx, in.LoadBalancerArns, in.Names)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, lbs)
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: lbsOut(pg), NextMarker: next}, nil
}

// lbARNIn names one load balancer.
type lbARNIn struct {
	LoadBalancerArn string `query:"LoadBalancerArn" required:"true"`
}

func (a api) deleteLoadBalancer(ctx context.Context, in *lbARNIn) (any, error) {
	return nil, a.b.DeleteLoadBalancer(ctx, in.LoadBalancerArn)
}

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

func (a api) describeLoadBalancerAttributes(ctx context.Context, in *lbARNIn) (any, error) {
	return attributes(a.b.DescribeLoadBalancerAttributes(ctx, in.LoadBalancerArn))
}

type modifyLoadBalancerAttributesIn struct {
	LoadBalancerArn string        `query:"LoadBalancerArn" required:"true"`
	Attributes      []attributeIn `query:"Attributes" required:"true"`
}

func (a api) modifyLoadBalancerAttributes(ctx context.Context, in *modifyLoadBalancerAttributesIn) (any, error) {
	return attributes(a.b.ModifyLoadBalancerAttributes(ctx, in.LoadBalancerArn, attributeMap(in.Attributes)))
}

// ---- Target groups ----

type tgsResult struct {
	TargetGroups []tgOut `xml:"TargetGroups>member"`
	NextMarker   string  `xml:"NextMarker,omitempty"`
}

// healthCheckIn is the health check members of CreateTargetGroup and
// ModifyTargetGroup, embedded in both inputs.
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

type createTargetGroupIn struct {
	Name            string  `query:"Name" required:"true"`
	Protocol        string  `query:"Protocol"`
	ProtocolVersion string  `query:"ProtocolVersion"`
	Port            int     `query:"Port"`
	VpcID           string  `query:"VpcId"`
	TargetType      string  `query:"TargetType"`
	IPAddressType   string  `query:"IpAddressType"`
	Tags            []tagIn `query:"Tags"`
	healthCheckIn
}

func (a api) createTargetGroup(ctx context.Context, in *createTargetGroupIn) (any, error) {
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	tg, err := a.b.CreateTargetGroup(ctx, balancer.CreateTGInput{Name: in.Name, Protocol: in.Protocol,
		ProtocolVersion: in.ProtocolVersion, TargetType: in.TargetType, VpcID: in.VpcID, Port: in.Port,
		IPAddressType: in.IPAddressType, HealthCheck: in.input(), Tags: tags})
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

type describeTargetGroupsIn struct {
	LoadBalancerArn string   `query:"LoadBalancerArn"`
	TargetGroupArns []string `query:"TargetGroupArns"`
	Names           []string `query:"Names"`
	pageIn
}

func (a api) describeTargetGroups(ctx context.Context, in *describeTargetGroupsIn) (any, error) {
	tgs, err := a.b.DescribeTargetGroups(ctx, in.TargetGroupArns, in.Names, in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, tgs)
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut(pg), NextMarker: next}, nil
}

// tgARNIn names one target group.
type tgARNIn struct {
	TargetGroupArn string `query:"TargetGroupArn" required:"true"`
}

type modifyTargetGroupIn struct {
	tgARNIn
	healthCheckIn
}

func (a api) modifyTargetGroup(ctx context.Context, in *modifyTargetGroupIn) (any, error) {
	tg, err := a.b.ModifyTargetGroup(ctx, in.TargetGroupArn, in.input())
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

func (a api) deleteTargetGroup(ctx context.Context, in *tgARNIn) (any, error) {
	return nil, a.b.DeleteTargetGroup(ctx, in.TargetGroupArn)
}

func (a api) describeTargetGroupAttributes(ctx context.Context, in *tgARNIn) (any, error) {
	return attributes(a.b.DescribeTargetGroupAttributes(ctx, in.TargetGroupArn))
}

type modifyTargetGroupAttributesIn struct {
	TargetGroupArn string        `query:"TargetGroupArn" required:"true"`
	Attributes     []attributeIn `query:"Attributes" required:"true"`
}

func (a api) modifyTargetGroupAttributes(ctx context.Context, in *modifyTargetGroupAttributesIn) (any, error) {
	return attributes(a.b.ModifyTargetGroupAttributes(ctx, in.TargetGroupArn, attributeMap(in.Attributes)))
}

// targetsIn is RegisterTargets' and DeregisterTargets' input.
type targetsIn struct {
	TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
	Targets        []targetIn `query:"Targets" required:"true"`
}

func (a api) registerTargets(ctx context.Context, in *targetsIn) (any, error) {
	return nil, a.b.RegisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

func (a api) deregisterTargets(ctx context.Context, in *targetsIn) (any, error) {
	return nil, a.b.DeregisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

type describeTargetHealthIn struct {
	TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
	Targets        []targetIn `query:"Targets"`
}

func (a api) describeTargetHealth(ctx context.Context, in *describeTargetHealthIn) (any, error) {
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
	pg, next, err := page(in.pageIn, ls)
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
	pg, next, err := page(in.pageIn, cs)
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

type createRuleIn struct {
	ListenerArn string        `query:"ListenerArn" required:"true"`
	Conditions  []conditionIn `query:"Conditions" required:"true"`
	Priority    *int          `query:"Priority" required:"true"`
	Actions     []actionIn    `query:"Actions" required:"true"`
	Tags        []tagIn       `query:"Tags"`
}

func (a api) createRule(ctx context.Context, in *createRuleIn) (any, error) {
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

type describeRulesIn struct {
	ListenerArn string   `query:"ListenerArn"`
	RuleArns    []string `query:"RuleArns"`
	pageIn
}

func (a api) describeRules(ctx context.Context, in *describeRulesIn) (any, error) {
	rs, err := a.b.DescribeRules(ctx, in.ListenerArn, in.RuleArns)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, rs)
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut(pg), NextMarker: next}, nil
}

type modifyRuleIn struct {
	RuleArn    string        `query:"RuleArn" required:"true"`
	Conditions []conditionIn `query:"Conditions"`
	Actions    []actionIn    `query:"Actions"`
}

func (a api) modifyRule(ctx context.Context, in *modifyRuleIn) (any, error) {
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

type deleteRuleIn struct {
	RuleArn string `query:"RuleArn" required:"true"`
}

func (a api) deleteRule(ctx context.Context, in *deleteRuleIn) (any, error) {
	return nil, a.b.DeleteRule(ctx, in.RuleArn)
}

type setRulePrioritiesIn struct {
	RulePriorities []struct {
		RuleArn  string `query:"RuleArn" required:"true"`
		Priority *int   `query:"Priority" required:"true"`
	} `query:"RulePriorities" required:"true"`
}

func (a api) setRulePriorities(ctx context.Context, in *setRulePrioritiesIn) (any, error) {
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
	pg, next, err := page(in.pageIn, ps)
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

type addTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
	Tags         []tagIn  `query:"Tags" required:"true"`
}

func (a api) addTags(ctx context.Context, in *addTagsIn) (any, error) {
	return nil, a.b.AddTags(ctx, in.ResourceArns, tagList(in.Tags))
}

type removeTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
	TagKeys      []string `query:"TagKeys" required:"true"`
}

func (a api) removeTags(ctx context.Context, in *removeTagsIn) (any, error) {
	return nil, a.b.RemoveTags(ctx, in.ResourceArns, in.TagKeys)
}

type describeTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
}

func (a api) describeTags(ctx context.Context, in *describeTagsIn) (any, error) {
	rts, err := a.b.DescribeTags(ctx, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	type description struct {
		ResourceArn string    `xml:"ResourceArn"`
		Tags        []pairOut `xml:"Tags>member"`
	}
	out := struct {
		TagDescriptions []description `xml:"TagDescriptions>member"`
	}{}
	for _, rt := range rts {
		out.TagDescriptions = append(out.TagDescriptions, description{rt.ARN, pairsOut(rt.Tags)})
	}
	return out, nil
}
