package elbv2

import (
	"maps"
	"slices"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
)

// Wire shapes of the ELBv2 model (botocore elbv2/2015-12-01). Inputs carry
// `query` tags for awsapi.QueryOf; outputs encode with encoding/xml,
// lists as <Name><member>…</member></Name>.

// ---- inputs ----

type tagIn struct {
	Key   string `query:"Key" required:"true"`
	Value string `query:"Value"`
}

func tagMap(tags []tagIn) (map[string]string, error) {
	return balancer.TagMap(tagList(tags))
}

func tagList(tags []tagIn) []balancer.Tag {
	out := make([]balancer.Tag, len(tags))
	for i, t := range tags {
		out[i] = balancer.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

type certIn struct {
	CertificateArn string `query:"CertificateArn" required:"true"`
	IsDefault      bool   `query:"IsDefault"`
}

func certs(in []certIn) []model.ListenerCertificate {
	out := make([]model.ListenerCertificate, len(in))
	for i, c := range in {
		out[i] = model.ListenerCertificate{CertificateARN: c.CertificateArn}
	}
	return out
}

func certARNs(in []certIn) []string {
	out := make([]string, len(in))
	for i, c := range in {
		out[i] = c.CertificateArn
	}
	return out
}

type actionIn struct {
	Type                string      `query:"Type" required:"true"`
	TargetGroupArn      string      `query:"TargetGroupArn"`
	Order               int         `query:"Order"`
	FixedResponseConfig *fixedIn    `query:"FixedResponseConfig"`
	RedirectConfig      *redirectIn `query:"RedirectConfig"`
	ForwardConfig       *forwardIn  `query:"ForwardConfig"`
}

type fixedIn struct {
	StatusCode  string `query:"StatusCode" required:"true"`
	ContentType string `query:"ContentType"`
	MessageBody string `query:"MessageBody"`
}

type redirectIn struct {
	Protocol   string `query:"Protocol"`
	Port       string `query:"Port"`
	Host       string `query:"Host"`
	Path       string `query:"Path"`
	Query      string `query:"Query"`
	StatusCode string `query:"StatusCode" required:"true"`
}

type forwardIn struct {
	TargetGroups []tgTupleIn   `query:"TargetGroups"`
	Stickiness   *stickinessIn `query:"TargetGroupStickinessConfig"`
}

type tgTupleIn struct {
	TargetGroupArn string `query:"TargetGroupArn"`
	Weight         *int   `query:"Weight"`
}

type stickinessIn struct {
	Enabled         bool `query:"Enabled"`
	DurationSeconds int  `query:"DurationSeconds"`
}

// actions maps wire actions onto the model. ForwardConfig is the newer
// spelling of TargetGroupArn; gatehouse forwards each action to one group.
func actions(in []actionIn) ([]model.Action, error) {
	out := make([]model.Action, 0, len(in))
	for _, a := range in {
		m := model.Action{Type: a.Type, Order: a.Order, TargetGroupARN: a.TargetGroupArn}
		if f := a.FixedResponseConfig; f != nil {
			m.FixedResponse = &model.FixedResponse{StatusCode: f.StatusCode, ContentType: f.ContentType, MessageBody: f.MessageBody}
		}
		if r := a.RedirectConfig; r != nil {
			m.Redirect = &model.Redirect{Protocol: r.Protocol, Port: r.Port, Host: r.Host, Path: r.Path, Query: r.Query, StatusCode: r.StatusCode}
		}
		if f := a.ForwardConfig; f != nil {
			if len(f.TargetGroups) > 1 || f.Stickiness != nil && f.Stickiness.Enabled {
				return nil, model.BadRequest("InvalidLoadBalancerAction", "gatehouse forwards to one target group per action, without target group stickiness") // gatehouse's own text
			}
			if len(f.TargetGroups) == 1 {
				arn := f.TargetGroups[0].TargetGroupArn
				if m.TargetGroupARN != "" && m.TargetGroupARN != arn {
					// UNVERIFIED: AWS's text.
					return nil, model.BadRequest("InvalidLoadBalancerAction", "You cannot specify a target group ARN and a forward config with a different target group")
				}
				m.TargetGroupARN = arn
			}
		}
		out = append(out, m)
	}
	return out, nil
}

type conditionIn struct {
	Field                   string    `query:"Field"`
	Values                  []string  `query:"Values"`
	HostHeaderConfig        *valuesIn `query:"HostHeaderConfig"`
	PathPatternConfig       *valuesIn `query:"PathPatternConfig"`
	HTTPHeaderConfig        *headerIn `query:"HttpHeaderConfig"`
	QueryStringConfig       *queryIn  `query:"QueryStringConfig"`
	HTTPRequestMethodConfig *valuesIn `query:"HttpRequestMethodConfig"`
	SourceIPConfig          *valuesIn `query:"SourceIpConfig"`
}

type valuesIn struct {
	Values      []string `query:"Values"`
	RegexValues []string `query:"RegexValues"`
}

type headerIn struct {
	HTTPHeaderName string   `query:"HttpHeaderName"`
	Values         []string `query:"Values"`
	RegexValues    []string `query:"RegexValues"`
}

type queryIn struct {
	Values []kvIn `query:"Values"`
}

type kvIn struct {
	Key   string `query:"Key"`
	Value string `query:"Value"`
}

// conditionConfigs names each field's Config member.
var conditionConfigs = map[string]string{
	"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "http-header": "HttpHeaderConfig",
	"http-request-method": "HttpRequestMethodConfig", "query-string": "QueryStringConfig", "source-ip": "SourceIpConfig",
}

// conditions maps wire conditions onto the model. A condition is spelled
// either with the legacy Values (host-header and path-pattern only, one value)
// or with its field's Config; the texts are AWS's as moto reproduces them. An
// unknown field is left to the balancer's operations to refuse.
func conditions(in []conditionIn) ([]model.Condition, error) {
	out := make([]model.Condition, 0, len(in))
	for _, c := range in {
		m := model.Condition{Field: c.Field}
		var cfg *valuesIn
		switch c.Field {
		case "host-header":
			cfg = c.HostHeaderConfig
		case "path-pattern":
			cfg = c.PathPatternConfig
		case "http-request-method":
			cfg = c.HTTPRequestMethodConfig
		case "source-ip":
			cfg = c.SourceIPConfig
		case "http-header":
			if h := c.HTTPHeaderConfig; h != nil {
				cfg = &valuesIn{Values: h.Values, RegexValues: h.RegexValues}
				m.HeaderName = h.HTTPHeaderName
			}
		case "query-string":
			if q := c.QueryStringConfig; q != nil {
				cfg = &valuesIn{}
				for _, kv := range q.Values {
					m.QueryStrings = append(m.QueryStrings, model.QueryString{Key: kv.Key, Value: kv.Value})
				}
			}
		}
		cfgName, known := conditionConfigs[c.Field]
		legacy := c.Field == "host-header" || c.Field == "path-pattern"
		switch {
		case c.Values != nil && known && !legacy:
			return nil, validationErr("The 'Values' field is not compatible with '%s'", c.Field)
		case c.Values != nil && cfg != nil:
			return nil, validationErr("You cannot provide both Values and '%s' for a condition of type '%s'", cfgName, c.Field)
		case len(c.Values) > 1:
			return nil, validationErr("The '%s' field contains too many values; the limit is '1'", c.Field)
		case c.Values != nil:
			m.Values = c.Values
		case cfg != nil:
			if len(cfg.RegexValues) > 0 {
				return nil, model.BadRequest("InvalidConfigurationRequest", "gatehouse does not serve RegexValues conditions") // gatehouse's own text
			}
			m.Values = cfg.Values
		case known && !legacy:
			return nil, validationErr("A '%s' must be specified with '%s'", cfgName, c.Field)
		}
		out = append(out, m)
	}
	return out, nil
}

func validationErr(format string, args ...any) error {
	return model.BadRequest("ValidationError", format, args...)
}

type targetIn struct {
	ID               string `query:"Id" required:"true"`
	Port             int    `query:"Port"`
	AvailabilityZone string `query:"AvailabilityZone"`
}

func targets(in []targetIn) []model.Target {
	out := make([]model.Target, len(in))
	for i, t := range in {
		out[i] = model.Target{ID: t.ID, Port: t.Port, AvailabilityZone: t.AvailabilityZone}
	}
	return out
}

type attributeIn struct {
	Key   string `query:"Key"`
	Value string `query:"Value"`
}

func attributeMap(in []attributeIn) map[string]string {
	out := make(map[string]string, len(in))
	for _, a := range in {
		out[a.Key] = a.Value
	}
	return out
}

// ---- outputs ----

// pairOut is a tag or an attribute.
type pairOut struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// pairsOut lists tags or attributes sorted by key, so answers are stable.
func pairsOut(m map[string]string) []pairOut {
	out := []pairOut{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, pairOut{k, m[k]})
	}
	return out
}

type lbOut struct {
	LoadBalancerArn       string   `xml:"LoadBalancerArn"`
	DNSName               string   `xml:"DNSName"`
	CanonicalHostedZoneID string   `xml:"CanonicalHostedZoneId"`
	CreatedTime           string   `xml:"CreatedTime"`
	LoadBalancerName      string   `xml:"LoadBalancerName"`
	Scheme                string   `xml:"Scheme"`
	VpcID                 string   `xml:"VpcId"`
	State                 stateOut `xml:"State"`
	Type                  string   `xml:"Type"`
	AvailabilityZones     []azOut  `xml:"AvailabilityZones>member"`
	SecurityGroups        []string `xml:"SecurityGroups>member"`
	IPAddressType         string   `xml:"IpAddressType"`
}

type stateOut struct {
	Code   string `xml:"Code"`
	Reason string `xml:"Reason,omitempty"`
}

type azOut struct {
	ZoneName string `xml:"ZoneName"`
	SubnetID string `xml:"SubnetId"`
}

func lbsOut(lbs []*model.LoadBalancer) []lbOut {
	out := make([]lbOut, 0, len(lbs))
	for _, lb := range lbs {
		o := lbOut{
			LoadBalancerArn: lb.ARN, DNSName: lb.DNSName, CanonicalHostedZoneID: lb.CanonicalHostedZoneID,
			CreatedTime: awsapi.Timestamp(lb.CreatedTime), LoadBalancerName: lb.Name, Scheme: lb.Scheme,
			VpcID: lb.VpcID, State: stateOut{lb.State, lb.StateReason}, Type: lb.Type,
			SecurityGroups: lb.SecurityGroupIDs, IPAddressType: lb.IPAddressType,
		}
		for _, n := range lb.Nodes {
			o.AvailabilityZones = append(o.AvailabilityZones, azOut{ZoneName: n.AvailabilityZone, SubnetID: n.SubnetID})
		}
		out = append(out, o)
	}
	return out
}

type tgOut struct {
	TargetGroupArn             string     `xml:"TargetGroupArn"`
	TargetGroupName            string     `xml:"TargetGroupName"`
	Protocol                   string     `xml:"Protocol"`
	Port                       int        `xml:"Port"`
	VpcID                      string     `xml:"VpcId"`
	HealthCheckProtocol        string     `xml:"HealthCheckProtocol"`
	HealthCheckPort            string     `xml:"HealthCheckPort"`
	HealthCheckEnabled         bool       `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int        `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int        `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int        `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int        `xml:"UnhealthyThresholdCount"`
	HealthCheckPath            string     `xml:"HealthCheckPath"`
	Matcher                    matcherOut `xml:"Matcher"`
	LoadBalancerArns           []string   `xml:"LoadBalancerArns>member"`
	TargetType                 string     `xml:"TargetType"`
	ProtocolVersion            string     `xml:"ProtocolVersion"`
	IPAddressType              string     `xml:"IpAddressType"`
}

type matcherOut struct {
	HTTPCode string `xml:"HttpCode"`
}

func tgsOut(tgs []*model.TargetGroup) []tgOut {
	out := make([]tgOut, 0, len(tgs))
	for _, tg := range tgs {
		hc := tg.HealthCheck
		out = append(out, tgOut{
			TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VpcID: tg.VpcID,
			HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: hc.Enabled,
			HealthCheckIntervalSeconds: hc.IntervalSeconds, HealthCheckTimeoutSeconds: hc.TimeoutSeconds,
			HealthyThresholdCount: hc.HealthyThreshold, UnhealthyThresholdCount: hc.UnhealthyThreshold,
			HealthCheckPath: hc.Path, Matcher: matcherOut{hc.Matcher}, LoadBalancerArns: tg.LoadBalancerARNs,
			TargetType: tg.TargetType, ProtocolVersion: tg.ProtocolVersion, IPAddressType: "ipv4",
		})
	}
	return out
}

type certOut struct {
	CertificateArn string `xml:"CertificateArn"`
	IsDefault      *bool  `xml:"IsDefault,omitempty"`
}

type listenerOut struct {
	ListenerArn     string      `xml:"ListenerArn"`
	LoadBalancerArn string      `xml:"LoadBalancerArn"`
	Port            int         `xml:"Port"`
	Protocol        string      `xml:"Protocol"`
	Certificates    []certOut   `xml:"Certificates>member"`
	SslPolicy       string      `xml:"SslPolicy,omitempty"`
	DefaultActions  []actionOut `xml:"DefaultActions>member"`
}

// listenersOut reports each listener's default certificate only, as ELBv2
// does; DescribeListenerCertificates lists them all.
func listenersOut(ls []*model.Listener) []listenerOut {
	out := make([]listenerOut, 0, len(ls))
	for _, l := range ls {
		o := listenerOut{ListenerArn: l.ARN, LoadBalancerArn: l.LoadBalancerARN, Port: l.Port, Protocol: l.Protocol,
			SslPolicy: l.SslPolicy, DefaultActions: actionsOut(l.DefaultActions)}
		if len(l.Certificates) > 0 {
			o.Certificates = []certOut{{CertificateArn: l.Certificates[0].CertificateARN}}
		}
		out = append(out, o)
	}
	return out
}

type actionOut struct {
	Type                string       `xml:"Type"`
	TargetGroupArn      string       `xml:"TargetGroupArn,omitempty"`
	Order               int          `xml:"Order,omitempty"`
	RedirectConfig      *redirectOut `xml:"RedirectConfig,omitempty"`
	FixedResponseConfig *fixedOut    `xml:"FixedResponseConfig,omitempty"`
	ForwardConfig       *forwardOut  `xml:"ForwardConfig,omitempty"`
}

type redirectOut struct {
	Protocol   string `xml:"Protocol"`
	Port       string `xml:"Port"`
	Host       string `xml:"Host"`
	Path       string `xml:"Path"`
	Query      string `xml:"Query"`
	StatusCode string `xml:"StatusCode"`
}

type fixedOut struct {
	MessageBody string `xml:"MessageBody,omitempty"`
	StatusCode  string `xml:"StatusCode"`
	ContentType string `xml:"ContentType,omitempty"`
}

type forwardOut struct {
	TargetGroups []tgTupleOut `xml:"TargetGroups>member"`
	Stickiness   struct {
		Enabled bool `xml:"Enabled"`
	} `xml:"TargetGroupStickinessConfig"`
}

type tgTupleOut struct {
	TargetGroupArn string `xml:"TargetGroupArn"`
	Weight         int    `xml:"Weight"`
}

// actionsOut reports a forward action in both spellings, as ELBv2 does.
func actionsOut(as []model.Action) []actionOut {
	out := make([]actionOut, 0, len(as))
	for _, a := range as {
		o := actionOut{Type: a.Type, TargetGroupArn: a.TargetGroupARN, Order: a.Order}
		if a.TargetGroupARN != "" {
			o.ForwardConfig = &forwardOut{TargetGroups: []tgTupleOut{{a.TargetGroupARN, 1}}}
		}
		if f := a.FixedResponse; f != nil {
			o.FixedResponseConfig = &fixedOut{MessageBody: f.MessageBody, StatusCode: f.StatusCode, ContentType: f.ContentType}
		}
		if r := a.Redirect; r != nil {
			o.RedirectConfig = &redirectOut{r.Protocol, r.Port, r.Host, r.Path, r.Query, r.StatusCode}
		}
		out = append(out, o)
	}
	return out
}

type ruleOut struct {
	RuleArn    string         `xml:"RuleArn"`
	Priority   string         `xml:"Priority"`
	Conditions []conditionOut `xml:"Conditions>member"`
	Actions    []actionOut    `xml:"Actions>member"`
	IsDefault  bool           `xml:"IsDefault"`
}

type conditionOut struct {
	Field                   string     `xml:"Field"`
	Values                  []string   `xml:"Values>member,omitempty"`
	HostHeaderConfig        *valuesOut `xml:"HostHeaderConfig,omitempty"`
	PathPatternConfig       *valuesOut `xml:"PathPatternConfig,omitempty"`
	HTTPHeaderConfig        *headerOut `xml:"HttpHeaderConfig,omitempty"`
	QueryStringConfig       *queryOut  `xml:"QueryStringConfig,omitempty"`
	HTTPRequestMethodConfig *valuesOut `xml:"HttpRequestMethodConfig,omitempty"`
	SourceIPConfig          *valuesOut `xml:"SourceIpConfig,omitempty"`
}

type valuesOut struct {
	Values []string `xml:"Values>member"`
}

type headerOut struct {
	HTTPHeaderName string   `xml:"HttpHeaderName"`
	Values         []string `xml:"Values>member"`
}

type queryOut struct {
	Values []kvOut `xml:"Values>member"`
}

type kvOut struct {
	Key   string `xml:"Key,omitempty"`
	Value string `xml:"Value"`
}

// rulesOut reports host-header and path-pattern conditions in both
// spellings (Values and the Config), as ELBv2 does.
func rulesOut(rs []balancer.ListenerRule) []ruleOut {
	out := make([]ruleOut, 0, len(rs))
	for _, r := range rs {
		o := ruleOut{RuleArn: r.ARN, Priority: strconv.Itoa(r.Priority), Actions: actionsOut(r.Actions), IsDefault: r.IsDefault}
		if r.IsDefault {
			o.Priority = "default"
		}
		for _, c := range r.Conditions {
			co := conditionOut{Field: c.Field}
			vals := &valuesOut{Values: c.Values}
			switch c.Field {
			case "host-header":
				co.Values, co.HostHeaderConfig = c.Values, vals
			case "path-pattern":
				co.Values, co.PathPatternConfig = c.Values, vals
			case "http-request-method":
				co.HTTPRequestMethodConfig = vals
			case "source-ip":
				co.SourceIPConfig = vals
			case "http-header":
				co.HTTPHeaderConfig = &headerOut{HTTPHeaderName: c.HeaderName, Values: c.Values}
			case "query-string":
				q := &queryOut{}
				for _, kv := range c.QueryStrings {
					q.Values = append(q.Values, kvOut{kv.Key, kv.Value})
				}
				co.QueryStringConfig = q
			}
			o.Conditions = append(o.Conditions, co)
		}
		out = append(out, o)
	}
	return out
}

type targetHealthOut struct {
	Target          targetOut `xml:"Target"`
	HealthCheckPort string    `xml:"HealthCheckPort"`
	TargetHealth    healthOut `xml:"TargetHealth"`
}

type targetOut struct {
	ID               string `xml:"Id"`
	Port             int    `xml:"Port"`
	AvailabilityZone string `xml:"AvailabilityZone,omitempty"`
}

type healthOut struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type sslPolicyOut struct {
	SslProtocols               []string    `xml:"SslProtocols>member"`
	Ciphers                    []cipherOut `xml:"Ciphers>member"`
	Name                       string      `xml:"Name"`
	SupportedLoadBalancerTypes []string    `xml:"SupportedLoadBalancerTypes>member"`
}

type cipherOut struct {
	Name     string `xml:"Name"`
	Priority int    `xml:"Priority"`
}
