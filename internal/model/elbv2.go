package model

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LoadBalancer is an application load balancer: one node, with its own private IP,
// in each of its subnets.
type LoadBalancer struct {
	ARN                   string
	Name                  string
	DNSName               string // "name-1234567890.us-west-2.elb.amazonaws.com"
	CanonicalHostedZoneID string
	Scheme                string // "internet-facing" or "internal"
	Type                  string // "application"
	IPAddressType         string // "ipv4"
	State                 string // "provisioning", "active", "failed"
	StateReason           string `json:",omitempty"` // why it failed, e.g. a port already in use
	VpcID                 string
	SubnetIDs             []string
	SecurityGroupIDs      []string
	Nodes                 []LBNode
	Attributes            map[string]string `json:",omitempty"`
	CreatedTime           time.Time
	Tags                  map[string]string `json:",omitempty"`
}

// LBNode is a load balancer's presence in one subnet.
type LBNode struct {
	SubnetID           string
	AvailabilityZone   string
	IP                 string
	NetworkInterfaceID string
}

// Listener is a load balancer listener: protocol and port, certificates for
// HTTPS and the default actions (its default rule). Its other rules are
// records of their own (KindRule, under RulesPrefix), so that a rule change
// writes one rule, and a listener's deletion takes them along in the same
// Txn (a prefix delete).
type Listener struct {
	ARN             string
	LoadBalancerARN string
	Protocol        string // "HTTP" or "HTTPS"
	Port            int
	SslPolicy       string                `json:",omitempty"`
	Certificates    []ListenerCertificate `json:",omitempty"` // the first is the default; the others are served by SNI
	DefaultActions  []Action
	// Rules are the rules an older gatehouse stored inside the listener.
	// They are read as if they were records of their own; the balancer moves
	// them out on the listener's next rule write and never writes it again.
	Rules []Rule            `json:",omitempty"`
	Tags  map[string]string `json:",omitempty"`
}

// TargetGroupARNs returns the target groups the listener's default actions
// (and the rules still stored inside it) forward to, each once.
func (l *Listener) TargetGroupARNs() []string {
	var out []string
	add := func(acts []Action) {
		for _, a := range acts {
			if a.TargetGroupARN != "" && !slices.Contains(out, a.TargetGroupARN) {
				out = append(out, a.TargetGroupARN)
			}
		}
	}
	add(l.DefaultActions)
	for _, r := range l.Rules {
		add(r.Actions)
	}
	return out
}

// RulesPrefix is the store key prefix of a listener's rules: a rule's ARN is
// its listener's with "listener-rule" for "listener" and the rule's id added.
func RulesPrefix(listenerARN string) string {
	return Key(KindRule, RuleARNPrefix(listenerARN))
}

// RuleARNPrefix is what every rule ARN of the listener starts with.
func RuleARNPrefix(listenerARN string) string {
	return strings.Replace(listenerARN, ":listener/", ":listener-rule/", 1) + "/"
}

// Rule is a listener rule: when every condition matches a request, the
// actions run. Rules are evaluated by priority, lowest first, before the
// listener's default actions. Store id: the ARN.
type Rule struct {
	ARN         string
	ListenerARN string `json:",omitempty"` // empty in rules stored inside their listener (Listener.Rules)
	Priority    int    // 1–50000, unique within the listener
	Conditions  []Condition
	Actions     []Action
	Tags        map[string]string `json:",omitempty"`
}

// TargetGroupARNs returns the target groups the rule forwards to, each once.
func (r *Rule) TargetGroupARNs() []string {
	var out []string
	for _, a := range r.Actions {
		if a.TargetGroupARN != "" && !slices.Contains(out, a.TargetGroupARN) {
			out = append(out, a.TargetGroupARN)
		}
	}
	return out
}

// Condition is one rule condition. Its values match if any matches; a rule
// matches if all its conditions do.
type Condition struct {
	Field        string        // "path-pattern", "host-header", "http-request-method", "http-header", "query-string", "source-ip"
	Values       []string      `json:",omitempty"` // every field but query-string
	HeaderName   string        `json:",omitempty"` // http-header
	QueryStrings []QueryString `json:",omitempty"` // query-string
}

// QueryString is a query-string condition value; an empty Key matches any key.
type QueryString struct {
	Key   string `json:",omitempty"`
	Value string
}

// ListenerCertificate is a certificate on an HTTPS listener.
type ListenerCertificate struct {
	CertificateARN string
	IsDefault      bool
}

// Action is a listener or rule action: forward, fixed-response or redirect.
type Action struct {
	Type           string         // "forward", "fixed-response", "redirect"
	Order          int            `json:",omitempty"`
	TargetGroupARN string         `json:",omitempty"`
	FixedResponse  *FixedResponse `json:",omitempty"`
	Redirect       *Redirect      `json:",omitempty"`
}

// Redirect is a redirect action's target. Each part may use the request's
// own with #{protocol}, #{host}, #{port}, #{path} (without its leading /) and
// #{query}; the operations store every part, defaults filled in.
type Redirect struct {
	Protocol   string // "HTTP", "HTTPS" or "#{protocol}"
	Port       string
	Host       string
	Path       string
	Query      string
	StatusCode string // "HTTP_301" or "HTTP_302"
}

// FixedResponse is a fixed-response action's answer.
type FixedResponse struct {
	StatusCode  string
	ContentType string `json:",omitempty"`
	MessageBody string `json:",omitempty"`
}

// TargetGroup is a set of targets and how to check their health.
type TargetGroup struct {
	ARN             string
	Name            string
	Protocol        string // "HTTP" or "HTTPS"
	ProtocolVersion string // "HTTP1"
	Port            int
	TargetType      string // "ip" or "instance"
	VpcID           string
	HealthCheck     HealthCheck
	// Targets are the registered targets as the balancer's operations
	// return them, gathered from their records (KindTarget). Stored only by
	// an older gatehouse: read as if they were records of their own, moved
	// out on the group's next target write.
	Targets    []Target          `json:",omitempty"`
	Attributes map[string]string `json:",omitempty"`
	Tags       map[string]string `json:",omitempty"`
	// LoadBalancerARNs is filled in by the balancer's operations and never
	// stored: the load balancers whose listeners forward to the group.
	LoadBalancerARNs []string `json:"-"`
}

// HealthCheck is a target group's active health check (defaults as ALB's).
type HealthCheck struct {
	Enabled            bool
	Protocol           string // "HTTP" (default) or "HTTPS"
	Port               string // "traffic-port" (default) or a number
	Path               string // "/"
	IntervalSeconds    int    // 30
	TimeoutSeconds     int    // 5
	HealthyThreshold   int    // 5
	UnhealthyThreshold int    // 2
	Matcher            string // HttpCode: "200", "200-299", "200,403"
}

// Target is a registered target: an IP (target type ip) and port.
type Target struct {
	ID               string
	Port             int
	AvailabilityZone string `json:",omitempty"`
}

// TargetRecord is one target registered to a target group, a record of its
// own. Store id: TargetID.
type TargetRecord struct {
	TargetGroupARN string
	Target
}

// TargetID is the store id of a registered target: under TargetsPrefix of
// its group, so that the group's deletion takes its targets along.
func TargetID(tgARN, ip string, port int) string {
	return tgARN + "/" + net.JoinHostPort(ip, strconv.Itoa(port))
}

// TargetsPrefix is the store key prefix of a target group's targets.
func TargetsPrefix(tgARN string) string { return Key(KindTarget, tgARN+"/") }

// Target health states and reason codes, as ALB reports them.
const (
	TargetInitial     = "initial"
	TargetHealthy     = "healthy"
	TargetUnhealthy   = "unhealthy"
	TargetUnused      = "unused"
	TargetDraining    = "draining"
	TargetUnavailable = "unavailable"

	ReasonInitialHealthChecking  = "Elb.InitialHealthChecking"
	ReasonRegistrationInProgress = "Elb.RegistrationInProgress"
	ReasonResponseCodeMismatch   = "Target.ResponseCodeMismatch"
	ReasonTimeout                = "Target.Timeout"
	ReasonFailedHealthChecks     = "Target.FailedHealthChecks"
	ReasonNotInUse               = "Target.NotInUse"
	ReasonHealthCheckDisabled    = "Target.HealthCheckDisabled"
)

// TargetHealth is the balancer's observed health of one target group's targets.
// The balancer is its only writer. Store id: the target group ARN.
type TargetHealth struct {
	TargetGroupARN string
	Targets        []TargetState
}

// TargetState is one target's health as describe-target-health reports it.
type TargetState struct {
	ID          string
	Port        int
	State       string
	Reason      string `json:",omitempty"`
	Description string `json:",omitempty"`
}
