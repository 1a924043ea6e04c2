package ec2

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
)

// Output shapes: element names are the service model's locationNames.

type tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// tagsOf lists tags sorted by key, so answers are stable.
func tagsOf(m map[string]string) []tag {
	var out []tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tag{Key: k, Value: m[k]})
	}
	return out
}

type vpc struct {
	VpcID           string `xml:"vpcId"`
	OwnerID         string `xml:"ownerId"`
	State           string `xml:"state"`
	CidrBlock       string `xml:"cidrBlock"`
	InstanceTenancy string `xml:"instanceTenancy"`
	IsDefault       bool   `xml:"isDefault"`
	Tags            []tag  `xml:"tagSet>item"`
}

func vpcOf(env model.Env, v *model.VPC) vpc {
	return vpc{VpcID: v.ID, OwnerID: env.Account, State: v.State, CidrBlock: v.CIDR, InstanceTenancy: "default",
		IsDefault: v.IsDefault, Tags: tagsOf(v.Tags)}
}

type subnet struct {
	SubnetID                string `xml:"subnetId"`
	SubnetArn               string `xml:"subnetArn"`
	VpcID                   string `xml:"vpcId"`
	State                   string `xml:"state"`
	CidrBlock               string `xml:"cidrBlock"`
	AvailableIPAddressCount int    `xml:"availableIpAddressCount"`
	AvailabilityZone        string `xml:"availabilityZone"`
	AvailabilityZoneID      string `xml:"availabilityZoneId"`
	DefaultForAz            bool   `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool   `xml:"mapPublicIpOnLaunch"`
	OwnerID                 string `xml:"ownerId"`
	Tags                    []tag  `xml:"tagSet>item"`
}

// subnetOf reports a subnet; used is how many of its addresses interfaces hold.
// EC2 keeps five addresses of every subnet for itself.
func subnetOf(net *network.Service, s *model.Subnet, used int) subnet {
	free := 0
	if p, err := netip.ParsePrefix(s.CIDR); err == nil && p.Addr().Is4() {
		free = max(1<<(32-p.Bits())-5-used, 0)
	}
	return subnet{SubnetID: s.ID, SubnetArn: net.SubnetARN(s.ID), VpcID: s.VpcID, State: "available", CidrBlock: s.CIDR,
		AvailableIPAddressCount: free, AvailabilityZone: s.AvailabilityZone, AvailabilityZoneID: s.AvailabilityZoneID,
		DefaultForAz: s.DefaultForAz, MapPublicIPOnLaunch: s.DefaultForAz, OwnerID: net.Env().Account, Tags: tagsOf(s.Tags)}
}

type zone struct {
	ZoneName           string `xml:"zoneName"`
	ZoneID             string `xml:"zoneId"`
	State              string `xml:"zoneState"`
	RegionName         string `xml:"regionName"`
	OptInStatus        string `xml:"optInStatus"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	ZoneType           string `xml:"zoneType"`
}

func zoneOf(z *network.Zone) zone {
	return zone{ZoneName: z.Name, ZoneID: z.ID, State: z.State, RegionName: z.Region, OptInStatus: "opt-in-not-required",
		GroupName: z.Region, NetworkBorderGroup: z.Region, ZoneType: "availability-zone"}
}

type ipRange struct {
	CidrIP string `xml:"cidrIp"`
}

type ipv6Range struct {
	CidrIPv6 string `xml:"cidrIpv6"`
}

// userIDGroupPair is a security group source (UserIdGroupPairs): EC2 names a
// group of a VPC by ID and owner, without its name.
type userIDGroupPair struct {
	Description string `xml:"description,omitempty"`
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
}

type ipPermission struct {
	IPProtocol string            `xml:"ipProtocol"`
	FromPort   *int              `xml:"fromPort"`
	ToPort     *int              `xml:"toPort"`
	Groups     []userIDGroupPair `xml:"groups>item"`
	IPRanges   []ipRange         `xml:"ipRanges>item"`
	IPv6Ranges []ipv6Range       `xml:"ipv6Ranges>item"`
}

// permissionOf reports a permission as EC2 does: no ports for "all traffic"
// and for protocols without ports; IPv4, IPv6 and group sources apart.
func permissionOf(p model.IPPermission) ipPermission {
	out := ipPermission{IPProtocol: p.Protocol}
	if p.Protocol == "tcp" || p.Protocol == "udp" || p.Protocol == "icmp" {
		out.FromPort, out.ToPort = &p.FromPort, &p.ToPort
	}
	for _, g := range p.Groups {
		out.Groups = append(out.Groups, userIDGroupPair{Description: g.Description, UserID: g.UserID, GroupID: g.GroupID})
	}
	for _, c := range p.CIDRs {
		if strings.Contains(c, ":") {
			out.IPv6Ranges = append(out.IPv6Ranges, ipv6Range{CidrIPv6: c})
		} else {
			out.IPRanges = append(out.IPRanges, ipRange{CidrIP: c})
		}
	}
	return out
}

type securityGroup struct {
	OwnerID             string         `xml:"ownerId"`
	GroupID             string         `xml:"groupId"`
	GroupName           string         `xml:"groupName"`
	Description         string         `xml:"groupDescription"`
	VpcID               string         `xml:"vpcId"`
	SecurityGroupArn    string         `xml:"securityGroupArn"`
	IPPermissions       []ipPermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []ipPermission `xml:"ipPermissionsEgress>item"`
	Tags                []tag          `xml:"tagSet>item"`
}

func securityGroupOf(net *network.Service, g *model.SecurityGroup) securityGroup {
	out := securityGroup{OwnerID: net.Env().Account, GroupID: g.ID, GroupName: g.Name, Description: g.Description, VpcID: g.VpcID,
		SecurityGroupArn: net.SecurityGroupARN(g.ID), Tags: tagsOf(g.Tags)}
	for _, p := range g.Ingress {
		out.IPPermissions = append(out.IPPermissions, permissionOf(p))
	}
	for _, p := range g.EgressRules() {
		out.IPPermissionsEgress = append(out.IPPermissionsEgress, permissionOf(p))
	}
	return out
}

// referencedGroup is a rule's source group (ReferencedGroupInfo).
type referencedGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type securityGroupRule struct {
	ID          string           `xml:"securityGroupRuleId"`
	GroupID     string           `xml:"groupId"`
	OwnerID     string           `xml:"groupOwnerId"`
	IsEgress    bool             `xml:"isEgress"`
	Protocol    string           `xml:"ipProtocol"`
	FromPort    int              `xml:"fromPort"`
	ToPort      int              `xml:"toPort"`
	CidrIPv4    string           `xml:"cidrIpv4,omitempty"`
	CidrIPv6    string           `xml:"cidrIpv6,omitempty"`
	Referenced  *referencedGroup `xml:"referencedGroupInfo"`
	Description string           `xml:"description,omitempty"`
	Arn         string           `xml:"securityGroupRuleArn"`
}

func rulesOf(net *network.Service, groupID string, perms []model.IPPermission) []securityGroupRule {
	var out []securityGroupRule
	for _, r := range network.Rules(groupID, perms) {
		out = append(out, ruleOf(net, r))
	}
	return out
}

// ruleOf reports one rule: its source is a CIDR or a referenced group.
func ruleOf(net *network.Service, r network.Rule) securityGroupRule {
	sr := securityGroupRule{ID: r.ID, GroupID: r.GroupID, OwnerID: net.Env().Account, IsEgress: r.IsEgress, Protocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, Arn: net.SecurityGroupRuleARN(r.ID)}
	switch {
	case r.ReferencedGroup != nil:
		sr.Referenced = &referencedGroup{GroupID: r.ReferencedGroup.GroupID, UserID: r.ReferencedGroup.UserID}
		sr.Description = r.ReferencedGroup.Description
	case strings.Contains(r.CIDR, ":"):
		sr.CidrIPv6 = r.CIDR
	default:
		sr.CidrIPv4 = r.CIDR
	}
	return sr
}

type groupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

// groupsOf names the groups with the given IDs; names maps ID → name.
func groupsOf(ids []string, names map[string]string) []groupIdentifier {
	var out []groupIdentifier
	for _, id := range ids {
		out = append(out, groupIdentifier{GroupID: id, GroupName: names[id]})
	}
	return out
}

type dnsEntry struct {
	DNSName string `xml:"dnsName"`
}

type lastError struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type vpcEndpoint struct {
	VpcEndpointID       string            `xml:"vpcEndpointId"`
	VpcEndpointType     string            `xml:"vpcEndpointType"`
	VpcID               string            `xml:"vpcId"`
	ServiceName         string            `xml:"serviceName"`
	State               string            `xml:"state"`
	PolicyDocument      string            `xml:"policyDocument"`
	SubnetIDs           []string          `xml:"subnetIdSet>item"`
	Groups              []groupIdentifier `xml:"groupSet>item"`
	IPAddressType       string            `xml:"ipAddressType"`
	DNSRecordIPType     string            `xml:"dnsOptions>dnsRecordIpType"`
	PrivateDNSEnabled   bool              `xml:"privateDnsEnabled"`
	RequesterManaged    bool              `xml:"requesterManaged"`
	NetworkInterfaceIDs []string          `xml:"networkInterfaceIdSet>item"`
	DNSEntries          []dnsEntry        `xml:"dnsEntrySet>item"`
	CreationTimestamp   string            `xml:"creationTimestamp"`
	Tags                []tag             `xml:"tagSet>item"`
	OwnerID             string            `xml:"ownerId"`
	LastError           *lastError        `xml:"lastError"`
}

// vpcEndpointOf reports an endpoint. Its one DNS entry is the regional name,
// which the nameserver answers with every interface's address. (EC2 also lists
// a name per zone, and a hosted zone ID per entry; gatehouse has neither.)
func vpcEndpointOf(env model.Env, e *model.VpcEndpoint, groupNames map[string]string) vpcEndpoint {
	out := vpcEndpoint{VpcEndpointID: e.ID, VpcEndpointType: e.Type, VpcID: e.VpcID, ServiceName: e.ServiceName, State: e.State,
		PolicyDocument: e.PolicyDocument, SubnetIDs: e.SubnetIDs, Groups: groupsOf(e.SecurityGroupIDs, groupNames),
		IPAddressType: "ipv4", DNSRecordIPType: "ipv4", PrivateDNSEnabled: e.PrivateDNSEnabled, NetworkInterfaceIDs: e.NetworkInterfaceIDs,
		CreationTimestamp: awsapi.Timestamp(e.CreatedAt), Tags: tagsOf(e.Tags), OwnerID: env.Account}
	if e.DNSName != "" {
		out.DNSEntries = []dnsEntry{{DNSName: e.DNSName}}
	}
	if e.LastError != "" {
		// UNVERIFIED: the code EC2 gives an endpoint that failed.
		out.LastError = &lastError{Code: "InternalError", Message: e.LastError}
	}
	return out
}

type privateIP struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type networkInterface struct {
	NetworkInterfaceID string            `xml:"networkInterfaceId"`
	SubnetID           string            `xml:"subnetId"`
	VpcID              string            `xml:"vpcId"`
	AvailabilityZone   string            `xml:"availabilityZone"`
	Description        string            `xml:"description"`
	OwnerID            string            `xml:"ownerId"`
	RequesterID        string            `xml:"requesterId,omitempty"`
	RequesterManaged   bool              `xml:"requesterManaged"`
	Status             string            `xml:"status"`
	PrivateIPAddress   string            `xml:"privateIpAddress"`
	PrivateDNSName     string            `xml:"privateDnsName"`
	SourceDestCheck    bool              `xml:"sourceDestCheck"`
	Groups             []groupIdentifier `xml:"groupSet>item"`
	PrivateIPAddresses []privateIP       `xml:"privateIpAddressesSet>item"`
	InterfaceType      string            `xml:"interfaceType"`
	Tags               []tag             `xml:"tagSet>item"`
}

func networkInterfaceOf(env model.Env, n *model.NetworkInterface, groupNames map[string]string) networkInterface {
	// EC2's private DNS name: "ip-10-0-1-5.<region>.compute.internal".
	dns := "ip-" + strings.ReplaceAll(n.PrivateIP, ".", "-") + "." + env.Region + ".compute.internal"
	return networkInterface{NetworkInterfaceID: n.ID, SubnetID: n.SubnetID, VpcID: n.VpcID, AvailabilityZone: n.AvailabilityZone,
		Description: n.Description, OwnerID: env.Account, RequesterID: network.RequesterID(n), RequesterManaged: true,
		Status: network.NetworkInterfaceStatus, PrivateIPAddress: n.PrivateIP, PrivateDNSName: dns, SourceDestCheck: true,
		Groups: groupsOf(n.SecurityGroupIDs, groupNames), PrivateIPAddresses: []privateIP{{PrivateIPAddress: n.PrivateIP, PrivateDNSName: dns, Primary: true}},
		InterfaceType: n.InterfaceType, Tags: tagsOf(n.Tags)}
}

type unsuccessfulItem struct {
	Code       string `xml:"error>code"`
	Message    string `xml:"error>message"`
	ResourceID string `xml:"resourceId"`
}
