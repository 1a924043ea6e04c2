package model

import "time"

// Accelerator status values.
const (
	AcceleratorInProgress = "IN_PROGRESS"
	AcceleratorDeployed   = "DEPLOYED"
)

// Accelerator is a standard accelerator: two static IPv4 addresses, one from each
// network zone's pool, kept for the accelerator's whole life.
type Accelerator struct {
	ARN              string
	Name             string
	IPAddressType    string // "IPV4"
	Enabled          bool
	IPSets           []IPSet
	DNSName          string // "a0123456789abcdef.awsglobalaccelerator.com"
	Status           string
	StatusReason     string `json:",omitempty"` // not an AWS field: why it is not DEPLOYED yet
	CreatedTime      time.Time
	LastModifiedTime time.Time
	Tags             map[string]string `json:",omitempty"`
	Attributes       AcceleratorAttributes
	// IdempotencyToken is the token CreateAccelerator was called with: a retry
	// with the same token returns this accelerator instead of creating another.
	IdempotencyToken string `json:",omitempty"`
}

// AcceleratorAttributes are the accelerator's flow log settings. gatehouse
// stores and returns them as Global Accelerator does, but writes no flow logs.
type AcceleratorAttributes struct {
	FlowLogsEnabled  bool
	FlowLogsS3Bucket string `json:",omitempty"`
	FlowLogsS3Prefix string `json:",omitempty"`
}

// IPSet is the accelerator's addresses of one family.
type IPSet struct {
	IPFamily    string // "IPv4"
	IPAddresses []string
}

// GAListener is an accelerator listener: protocol and port ranges.
type GAListener struct {
	ARN            string
	AcceleratorARN string
	Protocol       string // "TCP" or "UDP"
	PortRanges     []PortRange
	ClientAffinity string // "NONE" or "SOURCE_IP"
}

// PortRange is an inclusive range of ports.
type PortRange struct {
	FromPort int
	ToPort   int
}

// EndpointGroup is a listener's endpoints in one region.
type EndpointGroup struct {
	ARN                        string
	ListenerARN                string
	Region                     string
	TrafficDialPercentage      float64 // 0–100, default 100
	HealthCheckPort            int     `json:",omitempty"`
	HealthCheckProtocol        string  // "TCP" default
	HealthCheckPath            string  `json:",omitempty"`
	HealthCheckIntervalSeconds int     // 30
	ThresholdCount             int     // 3
	Endpoints                  []Endpoint
}

// Endpoint is one endpoint of a group: today a load balancer, by ARN.
type Endpoint struct {
	EndpointID                  string
	Weight                      int // 0–255, default 128
	ClientIPPreservationEnabled bool
}

// EndpointInput is an endpoint as callers pass it to CreateEndpointGroup,
// UpdateEndpointGroup and AddEndpoints (Global Accelerator's
// EndpointConfiguration shape; the name is taken by API Gateway's): nil fields
// take Global Accelerator's defaults (weight 128; client IP preservation on for
// application load balancers).
type EndpointInput struct {
	EndpointID                  string
	Weight                      *int
	ClientIPPreservationEnabled *bool
}
