package model

import "time"

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
// HTTPS, and the default actions. Rules come later.
type Listener struct {
	ARN             string
	LoadBalancerARN string
	Protocol        string // "HTTP" or "HTTPS"
	Port            int
	SslPolicy       string                `json:",omitempty"`
	Certificates    []ListenerCertificate `json:",omitempty"` // the first is the default
	DefaultActions  []Action
	Tags            map[string]string `json:",omitempty"`
}

// ListenerCertificate is a certificate on an HTTPS listener.
type ListenerCertificate struct {
	CertificateARN string
	IsDefault      bool
}

// Action is a listener action. Only "forward" and "fixed-response" are served today.
type Action struct {
	Type           string         // "forward", "fixed-response", "redirect"
	Order          int            `json:",omitempty"`
	TargetGroupARN string         `json:",omitempty"`
	FixedResponse  *FixedResponse `json:",omitempty"`
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
	Targets         []Target
	Attributes      map[string]string `json:",omitempty"`
	Tags            map[string]string `json:",omitempty"`
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
