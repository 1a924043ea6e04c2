package network

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gatehouse/internal/model"
	"gatehouse/internal/store"

	"gatehouse/internal/wildcard"
)

// The Describe operations: IDs, then EC2's filters. One mechanism serves every
// resource: a table of filter names, each naming the values a resource has for
// it, plus the tag filters every taggable resource understands.

// Filters are a Describe call's filters: name → values. A resource matches when,
// for every name, one of its values matches one of the filter's values; values
// may use EC2's wildcards (* any run, ? one character, \ escapes).
type Filters map[string][]string

// fields maps the filter names a Describe call accepts to the values a resource
// has for each.
type fields[T any] map[string]func(*T) []string

func one(s string) []string { return []string{s} }

func boolValue(b bool) []string { return one(strconv.FormatBool(b)) }

// filter keeps the items that match every filter. A filter name that is neither
// in fs nor a tag filter is refused, as EC2 does.
func filter[T any](items []*T, f Filters, fs fields[T], tags func(*T) map[string]string) ([]*T, error) {
	if err := checkFilters(f); err != nil {
		return nil, err
	}
	type test struct {
		values []string
		of     func(*T) []string
	}
	var tests []test
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	slices.Sort(names) // the first unknown name is always the same one
	for _, name := range names {
		of := fs[name]
		switch key, isTag := strings.CutPrefix(name, "tag:"); {
		case of != nil:
		case isTag && key != "":
			of = func(v *T) []string {
				if val, ok := tags(v)[key]; ok {
					return one(val)
				}
				return nil
			}
		case name == "tag-key":
			of = func(v *T) []string { return slices.Collect(maps.Keys(tags(v))) }
		case name == "tag-value":
			of = func(v *T) []string { return slices.Collect(maps.Values(tags(v))) }
		default:
			return nil, errInvalidValue("The filter '%s' is invalid", name)
		}
		tests = append(tests, test{values: f[name], of: of})
	}
	out := make([]*T, 0, len(items))
	for _, it := range items {
		if !slices.ContainsFunc(tests, func(t test) bool { return !anyMatch(t.values, t.of(it)) }) {
			out = append(out, it)
		}
	}
	return out, nil
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if wildcard.MatchEscaped(p, v) {
				return true
			}
		}
	}
	return false
}

// describeFiltered loads the resources with the given IDs (all if none), then
// applies the filters.
func describeFiltered[T any](ctx context.Context, st store.Store, kind model.Kind, ids []string, notFound func(string) *model.Error,
	f Filters, fs fields[T], tags func(*T) map[string]string) ([]*T, error) {
	items, err := describe[T](ctx, st, kind, ids, notFound)
	if err != nil {
		return nil, err
	}
	return filter(items, f, fs, tags)
}

// DescribeVpcs returns the VPCs with the given IDs (all if none) that match the
// filters.
func (s *Service) DescribeVpcs(ctx context.Context, ids []string, f Filters) ([]*model.VPC, error) {
	fs := fields[model.VPC]{
		"vpc-id":                            func(v *model.VPC) []string { return one(v.ID) },
		"cidr":                              func(v *model.VPC) []string { return one(v.CIDR) },
		"cidr-block-association.cidr-block": func(v *model.VPC) []string { return one(v.CIDR) },
		"is-default":                        func(v *model.VPC) []string { return boolValue(v.IsDefault) },
		"state":                             func(v *model.VPC) []string { return one(v.State) },
		"owner-id":                          func(*model.VPC) []string { return one(s.env.Account) },
	}
	return describeFiltered(ctx, s.st, model.KindVPC, ids, errVpcNotFound, f, fs, func(v *model.VPC) map[string]string { return v.Tags })
}

// DescribeSubnets returns the subnets with the given IDs (all if none) that match
// the filters.
func (s *Service) DescribeSubnets(ctx context.Context, ids []string, f Filters) ([]*model.Subnet, error) {
	cidr := func(v *model.Subnet) []string { return one(v.CIDR) }
	defaultForAz := func(v *model.Subnet) []string { return boolValue(v.DefaultForAz) }
	fs := fields[model.Subnet]{
		"subnet-id":            func(v *model.Subnet) []string { return one(v.ID) },
		"vpc-id":               func(v *model.Subnet) []string { return one(v.VpcID) },
		"availability-zone":    func(v *model.Subnet) []string { return one(v.AvailabilityZone) },
		"availability-zone-id": func(v *model.Subnet) []string { return one(v.AvailabilityZoneID) },
		"cidr-block":           cidr,
		"cidr":                 cidr,
		"cidrBlock":            cidr,
		"default-for-az":       defaultForAz,
		"defaultForAz":         defaultForAz,
		"state":                func(*model.Subnet) []string { return one("available") },
		"owner-id":             func(*model.Subnet) []string { return one(s.env.Account) },
		"subnet-arn":           func(v *model.Subnet) []string { return one(s.SubnetARN(v.ID)) },
	}
	return describeFiltered(ctx, s.st, model.KindSubnet, ids, errSubnetNotFound, f, fs, func(v *model.Subnet) map[string]string { return v.Tags })
}

// SubnetARN is a subnet's ARN, as EC2 reports it.
func (s *Service) SubnetARN(id string) string { return s.arn("subnet", id) }

// SecurityGroupARN is a security group's ARN, as EC2 reports it.
func (s *Service) SecurityGroupARN(id string) string { return s.arn("security-group", id) }

// SecurityGroupRuleARN is a security group rule's ARN, as EC2 reports it.
func (s *Service) SecurityGroupRuleARN(id string) string { return s.arn("security-group-rule", id) }

func (s *Service) arn(kind, id string) string {
	return "arn:aws:ec2:" + s.env.Region + ":" + s.env.Account + ":" + kind + "/" + id
}

// Zone is an availability zone of the region: the zones of the default VPC's
// subnet plan, always available.
type Zone struct {
	Name   string // "us-west-2a"
	ID     string // "usw2-az1"
	Region string
	State  string // "available"
}

// DescribeAvailabilityZones returns the region's zones, those named (by name or
// ID) if any are, that match the filters.
func (s *Service) DescribeAvailabilityZones(ctx context.Context, names, ids []string, f Filters) ([]*Zone, error) {
	var zones []*Zone
	for _, p := range s.plan {
		zones = append(zones, &Zone{Name: p.AZ, ID: azID(s.env.Region, p.AZ), Region: s.env.Region, State: "available"})
	}
	slices.SortFunc(zones, func(a, b *Zone) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range names {
		if !slices.ContainsFunc(zones, func(z *Zone) bool { return z.Name == n }) {
			return nil, errInvalidValue("Invalid availability zone: [%s]", n) // UNVERIFIED: EC2's text for an unknown zone name
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(zones, func(z *Zone) bool { return z.ID == id }) {
			return nil, errInvalidValue("Invalid availability zone id: [%s]", id) // UNVERIFIED: EC2's text for an unknown zone ID
		}
	}
	if len(names) > 0 || len(ids) > 0 {
		zones = slices.DeleteFunc(zones, func(z *Zone) bool { return !slices.Contains(names, z.Name) && !slices.Contains(ids, z.ID) })
	}
	fs := fields[Zone]{
		"zone-name":            func(z *Zone) []string { return one(z.Name) },
		"zone-id":              func(z *Zone) []string { return one(z.ID) },
		"region-name":          func(z *Zone) []string { return one(z.Region) },
		"state":                func(z *Zone) []string { return one(z.State) },
		"zone-type":            func(*Zone) []string { return one("availability-zone") },
		"group-name":           func(z *Zone) []string { return one(z.Region) },
		"network-border-group": func(z *Zone) []string { return one(z.Region) },
		"opt-in-status":        func(*Zone) []string { return one("opt-in-not-required") },
	}
	return filter(zones, f, fs, func(*Zone) map[string]string { return nil })
}

// DescribeSecurityGroups returns the groups with the given IDs, or names in the
// default VPC (all groups if neither), that match the filters.
func (s *Service) DescribeSecurityGroups(ctx context.Context, ids, names []string, f Filters) ([]*model.SecurityGroup, error) {
	ids = slices.Clone(ids)
	for _, n := range names {
		id, err := s.GroupID(ctx, "", n)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	perm := func(of func(p model.IPPermission) []string) func(*model.SecurityGroup) []string {
		return func(g *model.SecurityGroup) []string {
			var out []string
			for _, p := range g.Ingress {
				out = append(out, of(p)...)
			}
			return out
		}
	}
	fs := fields[model.SecurityGroup]{
		"group-id":                func(g *model.SecurityGroup) []string { return one(g.ID) },
		"group-name":              func(g *model.SecurityGroup) []string { return one(g.Name) },
		"vpc-id":                  func(g *model.SecurityGroup) []string { return one(g.VpcID) },
		"description":             func(g *model.SecurityGroup) []string { return one(g.Description) },
		"owner-id":                func(*model.SecurityGroup) []string { return one(s.env.Account) },
		"ip-permission.cidr":      perm(func(p model.IPPermission) []string { return p.CIDRs }),
		"ip-permission.protocol":  perm(func(p model.IPPermission) []string { return one(p.Protocol) }),
		"ip-permission.from-port": perm(func(p model.IPPermission) []string { return one(strconv.Itoa(p.FromPort)) }),
		"ip-permission.to-port":   perm(func(p model.IPPermission) []string { return one(strconv.Itoa(p.ToPort)) }),
		"ip-permission.ipv6-cidr": perm(func(p model.IPPermission) []string { return p.CIDRs }),
		"ip-permission.group-id": perm(func(p model.IPPermission) []string {
			var ids []string
			for _, g := range p.Groups {
				ids = append(ids, g.GroupID)
			}
			return ids
		}),
	}
	return describeFiltered(ctx, s.st, model.KindSecurityGroup, ids, errGroupNotFound, f, fs, func(g *model.SecurityGroup) map[string]string { return g.Tags })
}

// GroupID names a security group as EC2's GroupId/GroupName pair does: the ID
// when given, else the group of that name in the default VPC.
func (s *Service) GroupID(ctx context.Context, id, name string) (string, error) {
	switch {
	case id != "":
		return id, nil
	case name == "":
		return "", errMissing("groupId or groupName") // UNVERIFIED: EC2's text when neither is given
	}
	vpc, err := s.resolveVpc(ctx, "")
	if err != nil {
		return "", err
	}
	groups, err := store.LoadAll[model.SecurityGroup](ctx, s.st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		if g.VpcID == vpc.ID && g.Name == name {
			return g.ID, nil
		}
	}
	return "", ec2Error("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, vpc.ID)
}

// DescribeVpcEndpoints returns the endpoints with the given IDs (all if none)
// that match the filters, or InvalidVpcEndpointId.NotFound naming the first ID
// that does not exist.
func (s *Service) DescribeVpcEndpoints(ctx context.Context, ids []string, f Filters) ([]*model.VpcEndpoint, error) {
	fs := fields[model.VpcEndpoint]{
		"vpc-endpoint-id":    func(e *model.VpcEndpoint) []string { return one(e.ID) },
		"vpc-endpoint-state": func(e *model.VpcEndpoint) []string { return one(e.State) },
		"vpc-endpoint-type":  func(e *model.VpcEndpoint) []string { return one(e.Type) },
		"service-name":       func(e *model.VpcEndpoint) []string { return one(e.ServiceName) },
		"vpc-id":             func(e *model.VpcEndpoint) []string { return one(e.VpcID) },
		"ip-address-type":    func(*model.VpcEndpoint) []string { return one("ipv4") },
	}
	return describeFiltered(ctx, s.st, model.KindVpcEndpoint, ids, errEndpointNotFound, f, fs, func(e *model.VpcEndpoint) map[string]string { return e.Tags })
}

// RequesterID is who created a requester-managed interface: the service that
// owns it. Only load balancers' is known ("amazon-elb"); an endpoint's is left
// empty. UNVERIFIED: the requester id EC2 reports for endpoint interfaces.
func RequesterID(n *model.NetworkInterface) string {
	if strings.HasPrefix(n.Description, "ELB ") {
		return "amazon-elb"
	}
	return ""
}

// NetworkInterfaceStatus is an interface's status: every interface gatehouse
// creates belongs to an endpoint or a load balancer, so it is in use.
const NetworkInterfaceStatus = "in-use"

// DescribeNetworkInterfaces returns the network interfaces with the given IDs
// (all if none) that match the filters. Besides EC2's filters it accepts
// "vpc-endpoint-id" (EC2 documents no such filter; scripts find an endpoint's
// interfaces by its NetworkInterfaceIds or by description "VPC Endpoint
// Interface vpce-…", which works too).
func (s *Service) DescribeNetworkInterfaces(ctx context.Context, ids []string, f Filters) ([]*model.NetworkInterface, error) {
	ip := func(n *model.NetworkInterface) []string { return one(n.PrivateIP) }
	fs := fields[model.NetworkInterface]{
		"network-interface-id":         func(n *model.NetworkInterface) []string { return one(n.ID) },
		"subnet-id":                    func(n *model.NetworkInterface) []string { return one(n.SubnetID) },
		"vpc-id":                       func(n *model.NetworkInterface) []string { return one(n.VpcID) },
		"vpc-endpoint-id":              func(n *model.NetworkInterface) []string { return one(n.VpcEndpointID) },
		"availability-zone":            func(n *model.NetworkInterface) []string { return one(n.AvailabilityZone) },
		"private-ip-address":           ip,
		"addresses.private-ip-address": ip,
		"interface-type":               func(n *model.NetworkInterface) []string { return one(n.InterfaceType) },
		"description":                  func(n *model.NetworkInterface) []string { return one(n.Description) },
		"group-id":                     func(n *model.NetworkInterface) []string { return n.SecurityGroupIDs },
		"requester-id":                 func(n *model.NetworkInterface) []string { return one(RequesterID(n)) },
		"requester-managed":            func(*model.NetworkInterface) []string { return boolValue(true) },
		"status":                       func(*model.NetworkInterface) []string { return one(NetworkInterfaceStatus) },
		"owner-id":                     func(*model.NetworkInterface) []string { return one(s.env.Account) },
		"addresses.primary":            func(*model.NetworkInterface) []string { return boolValue(true) },
		"source-dest-check":            func(*model.NetworkInterface) []string { return boolValue(true) },
	}
	return describeFiltered(ctx, s.st, model.KindNetworkIface, ids, errInterfaceNotFound, f, fs, func(n *model.NetworkInterface) map[string]string { return n.Tags })
}

// describe loads the resources with the given IDs in request order (duplicates
// once), or every resource of the kind when ids is empty.
func describe[T any](ctx context.Context, st store.Store, kind model.Kind, ids []string, notFound func(string) *model.Error) ([]*T, error) {
	if len(ids) == 0 {
		return store.LoadAll[T](ctx, st, model.Prefix(kind))
	}
	var out []*T
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		v, _, err := load[T](ctx, st, kind, id, notFound)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Filter limits, recorded from EC2's FilterLimitExceeded answers (e.g.
// gjbae1212/gossm#47, ansible/ansible#84327): at most 200 values in one call,
// each at most 255 characters.
const (
	maxFilterValues   = 200
	maxFilterValueLen = 255
)

// checkFilters applies EC2's filter limits to a Describe call's filters.
func checkFilters(f Filters) error {
	n := 0
	for _, values := range f {
		n += len(values)
		for _, v := range values {
			if utf8.RuneCountInString(v) > maxFilterValueLen {
				return ec2Error("FilterLimitExceeded", "The maximum length for a filter value is 255 characters")
			}
		}
	}
	if n > maxFilterValues {
		return ec2Error("FilterLimitExceeded", "The maximum number of filter values specified on a single call is 200")
	}
	return nil
}
