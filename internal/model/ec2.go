package model

import "time"

// VPC is a virtual network. The embedded default is one default VPC whose CIDR is a
// loopback range, so every private address in it is local to this machine.
type VPC struct {
	ID        string // "vpc-…"
	CIDR      string // "127.31.0.0/16"
	IsDefault bool
	State     string            // "available"
	Tags      map[string]string `json:",omitempty"`
}

// Subnet is one availability zone's slice of a VPC.
type Subnet struct {
	ID                 string // "subnet-…"
	VpcID              string
	CIDR               string // "127.31.1.0/24"
	AvailabilityZone   string // "us-west-2a"
	AvailabilityZoneID string // "usw2-az1"
	DefaultForAz       bool
	Tags               map[string]string `json:",omitempty"`
}

// SecurityGroup filters inbound traffic to the network interfaces it is attached to.
type SecurityGroup struct {
	ID          string // "sg-…"
	Name        string
	Description string
	VpcID       string
	Ingress     []IPPermission
	// Egress holds the outbound rules once they differ from EC2's default (all
	// traffic to 0.0.0.0/0); NoEgress says every one was revoked. They are
	// stored and reported; gatehouse filters inbound traffic only. Read them
	// with EgressRules.
	Egress   []IPPermission    `json:",omitempty"`
	NoEgress bool              `json:",omitempty"`
	Tags     map[string]string `json:",omitempty"`
}

// DefaultEgress is the outbound rule of a new security group: all traffic to
// anywhere (IPv4).
func DefaultEgress() []IPPermission {
	return []IPPermission{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}
}

// EgressRules returns the group's outbound rules: the stored ones, none if all
// were revoked, else DefaultEgress (also for groups stored before outbound
// rules were).
func (g *SecurityGroup) EgressRules() []IPPermission {
	switch {
	case len(g.Egress) > 0:
		return g.Egress
	case g.NoEgress:
		return nil
	}
	return DefaultEgress()
}

// IPPermission is one rule, inbound (its sources) or outbound (its
// destinations): protocol, port range, CIDRs and security groups (EC2's
// UserIdGroupPairs).
type IPPermission struct {
	Protocol string      // "tcp", "udp", "icmp" or "-1" (all)
	FromPort int         // -1 with Protocol "-1"
	ToPort   int         // -1 with Protocol "-1"
	CIDRs    []string    // IPv4 or IPv6 CIDRs
	Groups   []GroupPair `json:",omitempty"`
}

// GroupPair is a security group as a rule's source: traffic from any network
// interface that the group is attached to (an endpoint's or a load balancer
// node's) matches.
type GroupPair struct {
	GroupID     string // "sg-…", in the same VPC as the rule's group
	UserID      string // the account that owns the group
	Description string `json:",omitempty"`
}

// VPC endpoint states.
const (
	EndpointPending   = "pending"
	EndpointAvailable = "available"
)

// VpcEndpoint is an interface endpoint: one network interface per subnet, each a
// private address on which the service (execute-api) is reachable.
type VpcEndpoint struct {
	ID                  string // "vpce-…"
	VpcID               string
	ServiceName         string // "com.amazonaws.us-west-2.execute-api"
	Type                string // "Interface"
	SubnetIDs           []string
	SecurityGroupIDs    []string
	NetworkInterfaceIDs []string
	PrivateDNSEnabled   bool
	PolicyDocument      string // JSON text; empty means the default full-access policy
	State               string // pending, available, failed
	LastError           string `json:",omitempty"` // why it failed, e.g. a port already in use
	DNSName             string // regional name, resolves to every interface's IP
	CreatedAt           time.Time
	Tags                map[string]string `json:",omitempty"`
}

// NetworkInterface is a private address in a subnet, owned by a VPC endpoint or a
// load balancer node. Its IP is claimed once and never changes while it exists.
type NetworkInterface struct {
	ID               string // "eni-…"
	SubnetID         string
	VpcID            string
	AvailabilityZone string
	PrivateIP        string
	Description      string // "VPC Endpoint Interface vpce-…", "ELB app/name/…"
	InterfaceType    string // "vpc_endpoint" or "interface"
	VpcEndpointID    string `json:",omitempty"`
	SecurityGroupIDs []string
	Tags             map[string]string `json:",omitempty"`
}

// EndpointFailed is the state of a VPC endpoint whose network interfaces could not
// be served (LastError says why, e.g. an address already in use).
const EndpointFailed = "failed"

// ExecuteAPIService is the name of the execute-api endpoint service in a region,
// the one interface endpoint service gatehouse offers.
func ExecuteAPIService(region string) string { return "com.amazonaws." + region + ".execute-api" }
