package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Operations: EC2 semantics for the default VPC, subnets, security groups, network
// interfaces and interface endpoints. They read the store (not the feed), so a
// caller always sees its own previous writes.

// defaultGroupName is the security group EC2 creates with every VPC.
const defaultGroupName = "default"

// DefaultEndpointPolicy is the policy EC2 reports for an endpoint created without
// one: full access.
const DefaultEndpointPolicy = `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}`

// maxPolicyLen is EC2's limit on an endpoint policy document.
const maxPolicyLen = 20480

// Amazon VPC quotas (Amazon VPC User Guide, "Amazon VPC quotas"; AWS General
// Reference, "Amazon Virtual Private Cloud endpoints and quotas"). EC2 counts
// security groups per Region (2,500), but names the VPC when refusing one; with
// one VPC per region, as gatehouse has, the two counts are the same. Variables
// so tests can fill them quickly. The creates count under s.mu, which
// serialises this process only: another node creating at the same moment can
// overshoot a count quota by one, which is accepted. The rule quota is exact:
// it is checked inside the group's compare-and-swap update.
var (
	maxSecurityGroups = 2500 // security groups per VPC (per Region)
	maxEndpoints      = 50   // interface VPC endpoints per VPC
	maxIngressRules   = 60   // inbound rules per security group, one per CIDR
)

// stableHex derives n hex digits from parts, so resources that gatehouse creates
// on its own (the default VPC, its subnets and default group) get the same IDs on
// every start and on every node, and a create-only write makes them idempotent.
func stableHex(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:n]
}

// EnsureDefaultVPC creates the default VPC, its default security group and one
// subnet per plan entry if they do not exist, and returns the VPC and its subnets
// (sorted by availability zone). It is idempotent, also when several processes
// share one store.
func (s *Service) EnsureDefaultVPC(ctx context.Context) (*model.VPC, []*model.Subnet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vpcs, err := store.LoadAll[model.VPC](ctx, s.st, model.Prefix(model.KindVPC))
	if err != nil {
		return nil, nil, fmt.Errorf("load vpcs: %w", err)
	}
	var vpc *model.VPC
	for _, v := range vpcs {
		if v.IsDefault {
			vpc = v
			break
		}
	}
	if vpc == nil {
		if _, err := netip.ParsePrefix(s.cidr); err != nil {
			return nil, nil, fmt.Errorf("default vpc cidr %q: %w", s.cidr, err)
		}
		vpc = &model.VPC{
			ID:        "vpc-" + stableHex(17, "default-vpc", s.env.Account, s.env.Region),
			CIDR:      s.cidr,
			IsDefault: true,
			State:     "available",
		}
		if vpc, err = createOrLoad(ctx, s.st, model.Key(model.KindVPC, vpc.ID), vpc); err != nil {
			return nil, nil, fmt.Errorf("create default vpc: %w", err)
		}
		s.log.Info("created default vpc", "vpc", vpc.ID, "cidr", vpc.CIDR)
	}
	if _, err := s.ensureDefaultGroup(ctx, vpc.ID); err != nil {
		return nil, nil, err
	}
	vpcPfx, err := netip.ParsePrefix(vpc.CIDR)
	if err != nil {
		return nil, nil, fmt.Errorf("default vpc %s cidr %q: %w", vpc.ID, vpc.CIDR, err)
	}
	all, err := store.LoadAll[model.Subnet](ctx, s.st, model.Prefix(model.KindSubnet))
	if err != nil {
		return nil, nil, fmt.Errorf("load subnets: %w", err)
	}
	var subnets []*model.Subnet
	for _, sn := range all {
		if sn.VpcID == vpc.ID {
			subnets = append(subnets, sn)
		}
	}
	for _, p := range s.plan {
		if slices.ContainsFunc(subnets, func(sn *model.Subnet) bool { return sn.AvailabilityZone == p.AZ }) {
			continue
		}
		pfx, err := netip.ParsePrefix(p.CIDR)
		if err != nil || pfx.Masked() != pfx || !vpcPfx.Contains(pfx.Addr()) || pfx.Bits() < vpcPfx.Bits() {
			return nil, nil, fmt.Errorf("subnet plan %s: cidr %q is not a subnet of the vpc's %s", p.AZ, p.CIDR, vpc.CIDR)
		}
		if !strings.HasPrefix(p.AZ, s.env.Region) || len(p.AZ) != len(s.env.Region)+1 {
			return nil, nil, fmt.Errorf("subnet plan %s: availability zone is not in region %s", p.AZ, s.env.Region)
		}
		sn := &model.Subnet{
			ID:                 "subnet-" + stableHex(17, vpc.ID, p.AZ),
			VpcID:              vpc.ID,
			CIDR:               p.CIDR,
			AvailabilityZone:   p.AZ,
			AvailabilityZoneID: azID(s.env.Region, p.AZ),
			DefaultForAz:       true,
		}
		if sn, err = createOrLoad(ctx, s.st, model.Key(model.KindSubnet, sn.ID), sn); err != nil {
			return nil, nil, fmt.Errorf("create subnet %s: %w", p.AZ, err)
		}
		subnets = append(subnets, sn)
	}
	slices.SortFunc(subnets, func(a, b *model.Subnet) int { return strings.Compare(a.AvailabilityZone, b.AvailabilityZone) })
	return vpc, subnets, nil
}

// ensureDefaultGroup creates the VPC's "default" security group if it is missing.
// EC2's default group allows inbound traffic from members of the same group; a
// group source cannot be expressed with CIDR rules, so here it allows nothing
// until rules are authorized.
func (s *Service) ensureDefaultGroup(ctx context.Context, vpcID string) (*model.SecurityGroup, error) {
	sg := &model.SecurityGroup{
		ID:          defaultGroupID(vpcID),
		Name:        defaultGroupName,
		Description: "default VPC security group",
		VpcID:       vpcID,
	}
	sg, err := createOrLoad(ctx, s.st, model.Key(model.KindSecurityGroup, sg.ID), sg)
	if err != nil {
		return nil, fmt.Errorf("create default security group of %s: %w", vpcID, err)
	}
	if err := s.claimGroupName(ctx, vpcID, sg.Name, sg.ID); err != nil && !isEC2(err) {
		return nil, err
	}
	return sg, nil
}

func defaultGroupID(vpcID string) string { return "sg-" + stableHex(17, vpcID, defaultGroupName) }

// createOrLoad writes v under key if the key does not exist, and otherwise
// returns what is stored.
func createOrLoad[T any](ctx context.Context, st store.Store, key string, v *T) (*T, error) {
	_, err := store.Save(ctx, st, key, v, 0)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	got, _, err := store.Load[T](ctx, st, key)
	return got, err
}

// azID is the availability zone ID of az: "us-west-2a" → "usw2-az1". (EC2 maps
// letters to IDs per account; the embedded default maps them in order.)
func azID(region, az string) string {
	parts := strings.Split(region, "-")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0 || i == len(parts)-1:
			b.WriteString(p)
		default:
			b.WriteString(directionAbbrev(p))
		}
	}
	n := 1
	if suffix := strings.TrimPrefix(az, region); len(suffix) == 1 && suffix[0] >= 'a' && suffix[0] <= 'z' {
		n = int(suffix[0]-'a') + 1
	}
	return b.String() + "-az" + strconv.Itoa(n)
}

func directionAbbrev(p string) string {
	switch p {
	case "north", "south", "east", "west", "central":
		return p[:1]
	case "northeast", "northwest", "southeast", "southwest":
		return p[:1] + p[5:6]
	case "":
		return ""
	}
	return p[:1]
}

// ---- security groups ----

// groupNameKey is a claim on a group name in a VPC: created with the group, so two
// concurrent creates of one name (on any node) cannot both succeed.
func groupNameKey(vpcID, name string) string { return "sgname/" + vpcID + "/" + name }

// claimGroupName claims name in vpcID for groupID. A claim left by a group that no
// longer exists (a create interrupted between its two writes) is taken over.
func (s *Service) claimGroupName(ctx context.Context, vpcID, name, groupID string) error {
	key := groupNameKey(vpcID, name)
	for {
		_, err := s.st.Put(ctx, key, []byte(groupID), 0)
		if err == nil || !errors.Is(err, store.ErrConflict) {
			return err
		}
		kv, err := s.st.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		owner := string(kv.Value)
		if owner == groupID {
			return nil
		}
		if _, err := s.st.Get(ctx, model.Key(model.KindSecurityGroup, owner)); !errors.Is(err, store.ErrNotFound) {
			if err != nil {
				return err
			}
			return ec2Error("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
		if _, err := s.st.Put(ctx, key, []byte(groupID), kv.ModRev); err == nil || !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

func isEC2(err error) bool {
	var me *model.Error
	return errors.As(err, &me)
}

// CreateSecurityGroup creates a security group without ingress rules. An empty
// vpcID means the default VPC, as in EC2.
func (s *Service) CreateSecurityGroup(ctx context.Context, name, description, vpcID string, tags map[string]string) (*model.SecurityGroup, error) {
	switch {
	case name == "":
		return nil, errMissing("GroupName")
	case description == "":
		return nil, errMissing("GroupDescription")
	}
	if err := checkGroupText(name, description); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, errInvalidValue("Group names may not be in the format sg-*.")
	}
	if name == defaultGroupName {
		// EC2 documents the code; the message text is a best match.
		return nil, ec2Error("InvalidGroup.Reserved", "The security group '%s' is reserved", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vpc, err := s.resolveVpc(ctx, vpcID)
	if err != nil {
		return nil, err
	}
	groups, err := store.LoadAll[model.SecurityGroup](ctx, s.st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return nil, err
	}
	if countIn(groups, func(g *model.SecurityGroup) bool { return g.VpcID == vpc.ID }) >= maxSecurityGroups {
		return nil, errGroupLimit(vpc.ID)
	}
	sg := &model.SecurityGroup{
		ID:          "sg-" + model.RandomHex(17),
		Name:        name,
		Description: description,
		VpcID:       vpc.ID,
		Tags:        tags,
	}
	if err := s.claimGroupName(ctx, vpc.ID, name, sg.ID); err != nil {
		return nil, err
	}
	if _, err := store.Save(ctx, s.st, model.Key(model.KindSecurityGroup, sg.ID), sg, 0); err != nil {
		s.st.Delete(ctx, groupNameKey(vpc.ID, name), store.Any)
		return nil, fmt.Errorf("create security group: %w", err)
	}
	return sg, nil
}

// resolveVpc loads the VPC, or the default VPC when id is empty.
func (s *Service) resolveVpc(ctx context.Context, id string) (*model.VPC, error) {
	if id == "" {
		vpcs, err := store.LoadAll[model.VPC](ctx, s.st, model.Prefix(model.KindVPC))
		if err != nil {
			return nil, err
		}
		for _, v := range vpcs {
			if v.IsDefault {
				return v, nil
			}
		}
		return nil, ec2Error("VPCIdNotSpecified", "No default VPC for this user")
	}
	vpc, _, err := store.Load[model.VPC](ctx, s.st, model.Key(model.KindVPC, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errVpcNotFound(id)
	}
	return vpc, err
}

// atom is one (protocol, port range, source) rule: the unit EC2 compares when
// it reports a duplicate or a missing rule. The source is a CIDR or a security
// group; a group source's account and description are not part of its identity
// (key), so a second rule that differs only in its description is a duplicate.
type atom struct {
	proto    string
	from, to int
	cidr     string // a CIDR source, or
	group    string // a security group source (its ID)
	user     string // group source: the account that owns the group
	desc     string // group source: the rule's description
}

// key is the atom without what does not name the rule.
func (a atom) key() atom {
	a.user, a.desc = "", ""
	return a
}

// source is what EC2 names as the rule's peer: the CIDR or the group ID.
func (a atom) source() string {
	if a.group != "" {
		return a.group
	}
	return a.cidr
}

// hasAtom reports whether atoms hold the rule a.
func hasAtom(atoms []atom, a atom) bool {
	return slices.ContainsFunc(atoms, func(b atom) bool { return b.key() == a.key() })
}

// validPerms checks permissions as EC2 does and returns them as atoms, with
// protocols and ports normalised. A rule listed twice in one request is an error.
func validPerms(perms []model.IPPermission) ([]atom, error) {
	if len(perms) == 0 {
		return nil, errMissing("IpPermissions")
	}
	var out []atom
	for _, p := range perms {
		n := NormalizePermission(p)
		proto, from, to := n.Protocol, n.FromPort, n.ToPort
		switch proto {
		case "":
			return nil, errMissing("IpProtocol")
		case "tcp", "udp":
			// best match: EC2's texts for bad TCP/UDP ranges are not documented.
			for _, port := range []int{from, to} {
				if port < 0 || port > 65535 {
					return nil, errInvalidValue("Invalid value '%d' for portRange. Must be between 0 and 65535.", port)
				}
			}
			if from > to {
				return nil, errInvalidValue("Invalid TCP/UDP port range (%d - %d)", from, to)
			}
		case "icmp":
			for _, v := range []int{from, to} {
				if v < -1 || v > 255 {
					return nil, errInvalidValue("Invalid value '%d' for ICMP type or code. Must be between -1 and 255.", v) // best match
				}
			}
		case "-1":
		default:
			if n, err := strconv.Atoi(proto); err != nil || n < 0 || n > 255 {
				return nil, errInvalidValue("Invalid value '%s' for IP protocol. Unknown protocol.", p.Protocol)
			}
		}
		if len(p.CIDRs) == 0 && len(p.Groups) == 0 {
			return nil, errMissing("IpRanges") // best match
		}
		for _, c := range p.CIDRs {
			pfx, err := netip.ParsePrefix(c)
			if err != nil {
				param := "cidrIp"
				if strings.Contains(c, ":") {
					param = "cidrIpv6"
				}
				return nil, errInvalidValue("Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", c, param)
			}
			if pfx.Masked() != pfx {
				return nil, errInvalidValue("CIDR block %s is malformed", c)
			}
			a := atom{proto: proto, from: from, to: to, cidr: pfx.String()}
			if hasAtom(out, a) {
				return nil, errInvalidValue("The same permission must not appear multiple times")
			}
			out = append(out, a)
		}
		for _, g := range p.Groups {
			a, err := groupAtom(proto, from, to, g)
			if err != nil {
				return nil, err
			}
			if hasAtom(out, a) {
				return nil, errInvalidValue("The same permission must not appear multiple times")
			}
			out = append(out, a)
		}
	}
	return out, nil
}

func atomsOf(perms []model.IPPermission) []atom {
	var out []atom
	for _, p := range perms {
		for _, c := range p.CIDRs {
			out = append(out, atom{proto: p.Protocol, from: p.FromPort, to: p.ToPort, cidr: c})
		}
		for _, g := range p.Groups {
			out = append(out, atom{proto: p.Protocol, from: p.FromPort, to: p.ToPort, group: g.GroupID, user: g.UserID, desc: g.Description})
		}
	}
	return out
}

// permsOf groups atoms by protocol and port range, in first-seen order, as EC2
// reports IpPermissions.
func permsOf(atoms []atom) []model.IPPermission {
	var out []model.IPPermission
	for _, a := range atoms {
		i := slices.IndexFunc(out, func(p model.IPPermission) bool {
			return p.Protocol == a.proto && p.FromPort == a.from && p.ToPort == a.to
		})
		if i < 0 {
			out = append(out, model.IPPermission{Protocol: a.proto, FromPort: a.from, ToPort: a.to})
			i = len(out) - 1
		}
		if a.group != "" {
			out[i].Groups = append(out[i].Groups, model.GroupPair{GroupID: a.group, UserID: a.user, Description: a.desc})
			continue
		}
		out[i].CIDRs = append(out[i].CIDRs, a.cidr)
	}
	return out
}

// AuthorizeIngress adds ingress rules to a security group. If any rule exists
// already, nothing is added (InvalidPermission.Duplicate). A security group
// named as a source must exist in the group's VPC; it holds s.mu, so that
// DeleteSecurityGroup never removes a group that a rule is about to name.
func (s *Service) AuthorizeIngress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	add, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if add, err = s.checkSourceGroups(ctx, groupID, add); err != nil {
		return nil, err
	}
	return s.updateGroup(ctx, groupID, func(sg *model.SecurityGroup) error {
		have := atomsOf(sg.Ingress)
		for _, a := range add {
			if hasAtom(have, a) {
				return ec2Error("InvalidPermission.Duplicate", "the specified rule %q already exists", peer(a))
			}
		}
		if len(have)+len(add) > maxIngressRules {
			return errRuleLimit()
		}
		sg.Ingress = permsOf(append(have, add...))
		return nil
	})
}

// RevokeIngress removes ingress rules from a security group. If any rule does not
// exist, nothing is removed (InvalidPermission.NotFound).
func (s *Service) RevokeIngress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	del, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	return s.updateGroup(ctx, groupID, func(sg *model.SecurityGroup) error {
		have := atomsOf(sg.Ingress)
		for _, a := range del {
			if !hasAtom(have, a) {
				return ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
		}
		sg.Ingress = permsOf(slices.DeleteFunc(have, func(a atom) bool { return hasAtom(del, a) }))
		return nil
	})
}

// Rule is one ingress rule as EC2's SecurityGroupRule reports it. Its ID is
// derived from the group and the rule, so it is stable without being stored.
type Rule struct {
	ID       string // "sgr-…"
	GroupID  string
	Protocol string
	FromPort int
	ToPort   int
	CIDR     string // the source (or, outbound, the destination): a CIDR, or
	// ReferencedGroup is the source (destination) security group (EC2's
	// ReferencedGroupInfo), with the account that owns it and the rule's
	// description.
	ReferencedGroup *model.GroupPair
	IsEgress        bool
}

// Rules returns perms, one rule per source (CIDR or group), as inbound rules of
// groupID. Invalid permissions give no rules: call it with permissions an
// operation accepted.
func Rules(groupID string, perms []model.IPPermission) []Rule { return rules(groupID, perms, false) }

// EgressRules is Rules for outbound rules. Their IDs differ from those of
// inbound rules with the same fields.
func EgressRules(groupID string, perms []model.IPPermission) []Rule {
	return rules(groupID, perms, true)
}

func rules(groupID string, perms []model.IPPermission, egress bool) []Rule {
	atoms, _ := validPerms(perms)
	out := make([]Rule, 0, len(atoms))
	for _, a := range atoms {
		parts := []string{groupID, a.proto, strconv.Itoa(a.from), strconv.Itoa(a.to), a.source()}
		if egress {
			parts = append(parts, "egress")
		}
		r := Rule{
			ID:      "sgr-" + stableHex(17, parts...),
			GroupID: groupID, Protocol: a.proto, FromPort: a.from, ToPort: a.to, CIDR: a.cidr, IsEgress: egress,
		}
		if a.group != "" {
			r.ReferencedGroup = &model.GroupPair{GroupID: a.group, UserID: a.user, Description: a.desc}
		}
		out = append(out, r)
	}
	return out
}

// RevokeIngressRules removes the rules with the given IDs from a group, or none
// if any ID is not one of the group's rules.
func (s *Service) RevokeIngressRules(ctx context.Context, groupID string, ruleIDs []string) (*model.SecurityGroup, error) {
	sg, _, err := store.Load[model.SecurityGroup](ctx, s.st, model.Key(model.KindSecurityGroup, groupID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errGroupNotFound(groupID)
	}
	if err != nil {
		return nil, err
	}
	perms, err := permissionsOfRules(Rules(groupID, sg.Ingress), ruleIDs)
	if err != nil {
		return nil, err
	}
	return s.RevokeIngress(ctx, groupID, perms)
}

func (s *Service) updateGroup(ctx context.Context, id string, fn func(*model.SecurityGroup) error) (*model.SecurityGroup, error) {
	sg, err := store.Update(ctx, s.st, model.Key(model.KindSecurityGroup, id), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errGroupNotFound(id)
	}
	return sg, err
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
		v, _, err := store.Load[T](ctx, st, model.Key(kind, id))
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// DeleteSecurityGroup deletes a group that no endpoint, network interface or load
// balancer uses. A VPC's default group cannot be deleted.
func (s *Service) DeleteSecurityGroup(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sg, rev, err := store.Load[model.SecurityGroup](ctx, s.st, model.Key(model.KindSecurityGroup, id))
	if errors.Is(err, store.ErrNotFound) {
		return errGroupNotFound(id)
	}
	if err != nil {
		return err
	}
	if sg.Name == defaultGroupName {
		return ec2Error("CannotDelete", "the specified group: %q name: %q cannot be deleted by a user", id, sg.Name)
	}
	used, err := s.groupInUse(ctx, id)
	if err != nil {
		return err
	}
	if !used {
		// A rule of another group that names this one as its source depends on
		// it too (EC2 answers the same error); a group's rules naming itself do not.
		if used, err = s.groupReferenced(ctx, id); err != nil {
			return err
		}
	}
	if used {
		return ec2Error("DependencyViolation", "resource %s has a dependent object", id)
	}
	if _, err := s.st.Delete(ctx, model.Key(model.KindSecurityGroup, id), rev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("delete security group %s: changed concurrently, try again", id)
		}
		return fmt.Errorf("delete security group %s: %w", id, err)
	}
	if _, err := s.st.Delete(ctx, groupNameKey(sg.VpcID, sg.Name), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("release security group name", "sg", id, "err", err)
	}
	return nil
}

func (s *Service) groupInUse(ctx context.Context, id string) (bool, error) {
	eps, err := store.LoadAll[model.VpcEndpoint](ctx, s.st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		return false, err
	}
	for _, ep := range eps {
		if slices.Contains(ep.SecurityGroupIDs, id) {
			return true, nil
		}
	}
	enis, err := store.LoadAll[model.NetworkInterface](ctx, s.st, model.Prefix(model.KindNetworkIface))
	if err != nil {
		return false, err
	}
	for _, n := range enis {
		if slices.Contains(n.SecurityGroupIDs, id) {
			return true, nil
		}
	}
	lbs, err := store.LoadAll[model.LoadBalancer](ctx, s.st, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		return false, err
	}
	for _, lb := range lbs {
		if slices.Contains(lb.SecurityGroupIDs, id) {
			return true, nil
		}
	}
	return false, nil
}

// ---- interface endpoints ----

// CreateEndpointInput is CreateVpcEndpoint's request.
type CreateEndpointInput struct {
	VpcID             string
	ServiceName       string
	VpcEndpointType   string // "Interface"; empty means "Gateway", as in EC2
	SubnetIDs         []string
	SecurityGroupIDs  []string // empty: the VPC's default group
	PrivateDNSEnabled *bool    // nil: true for Interface endpoints
	PolicyDocument    string   // empty: DefaultEndpointPolicy
	Tags              map[string]string
}

// ModifyEndpointInput is ModifyVpcEndpoint's request. Nil and empty fields leave
// the endpoint as it is; PolicyDocument set to "" resets the default policy.
type ModifyEndpointInput struct {
	AddSubnetIDs           []string
	RemoveSubnetIDs        []string
	AddSecurityGroupIDs    []string
	RemoveSecurityGroupIDs []string
	PolicyDocument         *string
	PrivateDNSEnabled      *bool
}

// UnsuccessfulItem is a resource that DeleteVpcEndpoints could not delete.
type UnsuccessfulItem struct {
	ResourceID string
	Code       string
	Message    string
}

var endpointTypes = []string{"Interface", "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork"}

// CreateVpcEndpoint creates an execute-api interface endpoint: one network
// interface per subnet, each with a private address claimed from the subnet. The
// endpoint starts "pending"; the data plane makes it "available" once it listens
// on every address (or "failed", with LastError).
func (s *Service) CreateVpcEndpoint(ctx context.Context, in CreateEndpointInput) (*model.VpcEndpoint, error) {
	switch {
	case in.VpcID == "":
		return nil, errMissing("VpcId")
	case in.ServiceName == "":
		return nil, errMissing("ServiceName")
	}
	typ := in.VpcEndpointType
	if typ == "" {
		typ = "Gateway"
	}
	if !slices.Contains(endpointTypes, typ) {
		return nil, errInvalidValue("Value (%s) for parameter VpcEndpointType is invalid.", typ) // best match
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vpc, err := s.resolveVpc(ctx, in.VpcID)
	if err != nil {
		return nil, err
	}
	if in.ServiceName != model.ExecuteAPIService(s.env.Region) {
		return nil, ec2Error("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", in.ServiceName)
	}
	if typ != "Interface" {
		return nil, errInvalidParam("Endpoint type (%s) does not match available service types ([Interface]).", typ)
	}
	subnets, err := s.endpointSubnets(ctx, vpc.ID, nil, in.SubnetIDs)
	if err != nil {
		return nil, err
	}
	sgIDs := dedupe(in.SecurityGroupIDs)
	if len(sgIDs) == 0 {
		sgIDs = []string{defaultGroupID(vpc.ID)}
	}
	if err := s.checkGroups(ctx, vpc.ID, sgIDs); err != nil {
		return nil, err
	}
	privateDNS := in.PrivateDNSEnabled == nil || *in.PrivateDNSEnabled
	if privateDNS {
		if err := s.checkPrivateDNS(ctx, vpc.ID, ""); err != nil {
			return nil, err
		}
	}
	policy, err := checkPolicy(in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	eps, err := store.LoadAll[model.VpcEndpoint](ctx, s.st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		return nil, err
	}
	if countIn(eps, func(ep *model.VpcEndpoint) bool { return ep.VpcID == vpc.ID && ep.Type == "Interface" }) >= maxEndpoints {
		return nil, errEndpointLimit()
	}
	ep := &model.VpcEndpoint{
		ID:                "vpce-" + model.RandomHex(17),
		VpcID:             vpc.ID,
		ServiceName:       in.ServiceName,
		Type:              typ,
		SecurityGroupIDs:  sgIDs,
		PrivateDNSEnabled: privateDNS,
		PolicyDocument:    policy,
		State:             model.EndpointPending,
		CreatedAt:         time.Now().UTC(),
		Tags:              in.Tags,
	}
	ep.DNSName = ep.ID + "-" + model.RandomID(8) + ".execute-api." + s.env.Region + ".vpce.amazonaws.com"
	enis, err := s.createInterfaces(ctx, ep, subnets)
	if err != nil {
		return nil, err
	}
	for _, n := range enis {
		ep.SubnetIDs = append(ep.SubnetIDs, n.SubnetID)
		ep.NetworkInterfaceIDs = append(ep.NetworkInterfaceIDs, n.ID)
	}
	if _, err := store.Save(ctx, s.st, model.Key(model.KindVpcEndpoint, ep.ID), ep, 0); err != nil {
		s.deleteInterfaces(ctx, enis)
		return nil, fmt.Errorf("create vpc endpoint: %w", err)
	}
	return ep, nil
}

// endpointSubnets loads the subnets to add to an endpoint of vpcID that already
// has subnets in the zones of kept, and checks that each exists, is in the VPC
// and is alone in its availability zone.
func (s *Service) endpointSubnets(ctx context.Context, vpcID string, kept []*model.Subnet, ids []string) ([]*model.Subnet, error) {
	zones := map[string]bool{}
	for _, sn := range kept {
		zones[sn.AvailabilityZone] = true
	}
	var out []*model.Subnet
	for _, id := range ids {
		sn, _, err := store.Load[model.Subnet](ctx, s.st, model.Key(model.KindSubnet, id))
		if errors.Is(err, store.ErrNotFound) {
			return nil, errSubnetNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		if sn.VpcID != vpcID {
			return nil, errInvalidParam("The subnet ID '%s' does not belong to VPC '%s'", id, vpcID) // best match
		}
		if zones[sn.AvailabilityZone] {
			return nil, ec2Error("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", id)
		}
		zones[sn.AvailabilityZone] = true
		out = append(out, sn)
	}
	return out, nil
}

// maxGroupsPerInterface is the Amazon VPC quota "Security groups per network
// interface" (default 5): an endpoint's groups are its interfaces' groups.
const maxGroupsPerInterface = 5

// checkGroups checks that there are at most maxGroupsPerInterface groups and
// that every one exists and belongs to the VPC.
func (s *Service) checkGroups(ctx context.Context, vpcID string, ids []string) error {
	if len(ids) > maxGroupsPerInterface {
		return ec2Error("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.") // best match
	}
	for _, id := range ids {
		sg, _, err := store.Load[model.SecurityGroup](ctx, s.st, model.Key(model.KindSecurityGroup, id))
		if errors.Is(err, store.ErrNotFound) {
			return errGroupNotFound(id)
		}
		if err != nil {
			return err
		}
		if sg.VpcID != vpcID {
			return errInvalidParam("The security group '%s' does not belong to VPC '%s'", id, vpcID) // best match
		}
	}
	return nil
}

// countIn counts the items for which keep is true.
func countIn[T any](items []*T, keep func(*T) bool) int {
	n := 0
	for _, v := range items {
		if keep(v) {
			n++
		}
	}
	return n
}

// checkPrivateDNS refuses a second execute-api endpoint with private DNS in one
// VPC: both would own the private zone execute-api.<region>.amazonaws.com.
func (s *Service) checkPrivateDNS(ctx context.Context, vpcID, except string) error {
	eps, err := store.LoadAll[model.VpcEndpoint](ctx, s.st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if ep.ID != except && ep.VpcID == vpcID && ep.PrivateDNSEnabled && ep.ServiceName == model.ExecuteAPIService(s.env.Region) {
			return errInvalidParam("private-dns-enabled cannot be set because there is already a conflicting DNS domain for execute-api.%s.amazonaws.com in the VPC %s", s.env.Region, vpcID)
		}
	}
	return nil
}

// maxGroupText is the length of a security group's name and description:
// "Up to 255 characters in length" (EC2 API reference, CreateSecurityGroup).
const maxGroupText = 255

// groupTextRE is the characters a VPC security group's name and description may
// hold (the same reference): a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*
var groupTextRE = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$`)

// checkGroupText applies EC2's rules to a new group's name and description:
// ASCII only (recorded text, checked first), then length and characters. The
// description's text is recorded (cds-snc/notification-terraform#561); the
// name's is a best match, worded like it.
func checkGroupText(name, description string) error {
	for _, f := range []struct{ param, v string }{{"GroupName", name}, {"GroupDescription", description}} {
		for _, r := range f.v {
			if r < 0x20 || r > 0x7e {
				return errInvalidValue("Value (%s) for parameter %s is invalid. Character sets beyond ASCII are not supported.", f.v, f.param)
			}
		}
	}
	if len(name) > maxGroupText {
		// best match
		return errInvalidValue("Value (%s) for parameter GroupName is invalid. Length exceeds maximum of 255 characters.", name)
	}
	if !groupTextRE.MatchString(name) {
		// best match
		return errInvalidValue("Invalid security group name. Valid names are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	if len(description) > maxGroupText || !groupTextRE.MatchString(description) {
		return errInvalidValue("Invalid security group description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	return nil
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

// checkPolicy returns the policy to store: the default for an empty one.
func checkPolicy(doc string) (string, error) {
	if strings.TrimSpace(doc) == "" {
		return DefaultEndpointPolicy, nil
	}
	if len(doc) > maxPolicyLen {
		return "", ec2Error("InvalidPolicyDocument", "The policy document exceeds the maximum length of %d characters", maxPolicyLen) // best match
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", ec2Error("InvalidPolicyDocument", "The policy document is not valid JSON") // best match
	}
	return doc, nil
}

// createInterfaces creates one network interface per subnet for ep, each with an
// address claimed from its subnet. On failure it undoes what it did.
func (s *Service) createInterfaces(ctx context.Context, ep *model.VpcEndpoint, subnets []*model.Subnet) ([]*model.NetworkInterface, error) {
	var done []*model.NetworkInterface
	for _, sn := range subnets {
		n := &model.NetworkInterface{
			ID:               "eni-" + model.RandomHex(17),
			SubnetID:         sn.ID,
			VpcID:            sn.VpcID,
			AvailabilityZone: sn.AvailabilityZone,
			Description:      "VPC Endpoint Interface " + ep.ID,
			InterfaceType:    "vpc_endpoint",
			VpcEndpointID:    ep.ID,
			SecurityGroupIDs: ep.SecurityGroupIDs,
		}
		ip, err := ipam.Allocate(ctx, s.st, sn.CIDR, n.ID)
		if err != nil {
			s.deleteInterfaces(ctx, done)
			if errors.Is(err, ipam.ErrExhausted) {
				// best match
				return nil, ec2Error("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.ID)
			}
			return nil, fmt.Errorf("claim address in %s: %w", sn.ID, err)
		}
		n.PrivateIP = ip.String()
		if _, err := store.Save(ctx, s.st, model.Key(model.KindNetworkIface, n.ID), n, 0); err != nil {
			ipam.Release(ctx, s.st, n.PrivateIP)
			s.deleteInterfaces(ctx, done)
			return nil, fmt.Errorf("create network interface: %w", err)
		}
		done = append(done, n)
	}
	return done, nil
}

// deleteInterfaces deletes network interfaces and releases their addresses. The
// record goes first: an address is never free while an interface still names it.
func (s *Service) deleteInterfaces(ctx context.Context, enis []*model.NetworkInterface) error {
	var errs []error
	for _, n := range enis {
		if _, err := s.st.Delete(ctx, model.Key(model.KindNetworkIface, n.ID), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete network interface %s: %w", n.ID, err))
			continue
		}
		if err := ipam.Release(ctx, s.st, n.PrivateIP); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ModifyVpcEndpoint adds or removes subnets (and so network interfaces) and
// security groups, and changes the policy or private DNS. An endpoint whose
// subnets change goes back to "pending" until the data plane serves the new set.
func (s *Service) ModifyVpcEndpoint(ctx context.Context, id string, in ModifyEndpointInput) (*model.VpcEndpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := model.Key(model.KindVpcEndpoint, id)
	ep, rev, err := store.Load[model.VpcEndpoint](ctx, s.st, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errEndpointNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	// Subnets: the interfaces that stay, those to remove, then the new ones.
	for _, sid := range in.RemoveSubnetIDs {
		if !slices.Contains(ep.SubnetIDs, sid) {
			return nil, errInvalidParam("The subnet ID '%s' is not associated with the VPC endpoint '%s'", sid, id) // best match
		}
	}
	var kept, removed []*model.NetworkInterface
	var keptSubnets []*model.Subnet
	for _, eniID := range ep.NetworkInterfaceIDs {
		n, _, err := store.Load[model.NetworkInterface](ctx, s.st, model.Key(model.KindNetworkIface, eniID))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if slices.Contains(in.RemoveSubnetIDs, n.SubnetID) {
			removed = append(removed, n)
			continue
		}
		kept = append(kept, n)
		keptSubnets = append(keptSubnets, &model.Subnet{ID: n.SubnetID, AvailabilityZone: n.AvailabilityZone})
	}
	added, err := s.endpointSubnets(ctx, ep.VpcID, keptSubnets, in.AddSubnetIDs)
	if err != nil {
		return nil, err
	}
	// Security groups.
	sgIDs := slices.Clone(ep.SecurityGroupIDs)
	addSG := dedupe(in.AddSecurityGroupIDs)
	if err := s.checkGroups(ctx, ep.VpcID, addSG); err != nil {
		return nil, err
	}
	for _, g := range addSG {
		if !slices.Contains(sgIDs, g) {
			sgIDs = append(sgIDs, g)
		}
	}
	for _, g := range in.RemoveSecurityGroupIDs {
		if !slices.Contains(ep.SecurityGroupIDs, g) && !slices.Contains(addSG, g) {
			return nil, errGroupNotFound(g)
		}
		sgIDs = slices.DeleteFunc(sgIDs, func(x string) bool { return x == g })
	}
	if len(sgIDs) == 0 {
		return nil, errInvalidParam("A VPC endpoint of type Interface must have at least one security group.") // best match
	}
	next := *ep
	next.SecurityGroupIDs = sgIDs
	if in.PrivateDNSEnabled != nil {
		if *in.PrivateDNSEnabled && !ep.PrivateDNSEnabled {
			if err := s.checkPrivateDNS(ctx, ep.VpcID, ep.ID); err != nil {
				return nil, err
			}
		}
		next.PrivateDNSEnabled = *in.PrivateDNSEnabled
	}
	if in.PolicyDocument != nil {
		if next.PolicyDocument, err = checkPolicy(*in.PolicyDocument); err != nil {
			return nil, err
		}
	}
	newENIs, err := s.createInterfaces(ctx, &next, added)
	if err != nil {
		return nil, err
	}
	next.SubnetIDs, next.NetworkInterfaceIDs = nil, nil
	for _, n := range append(slices.Clone(kept), newENIs...) {
		next.SubnetIDs = append(next.SubnetIDs, n.SubnetID)
		next.NetworkInterfaceIDs = append(next.NetworkInterfaceIDs, n.ID)
	}
	if !slices.Equal(next.NetworkInterfaceIDs, ep.NetworkInterfaceIDs) {
		next.State, next.LastError = model.EndpointPending, ""
	}
	if _, err := store.Save(ctx, s.st, key, &next, rev); err != nil {
		s.deleteInterfaces(ctx, newENIs)
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("modify vpc endpoint %s: changed concurrently, try again", id)
		}
		return nil, fmt.Errorf("modify vpc endpoint %s: %w", id, err)
	}
	if err := s.deleteInterfaces(ctx, removed); err != nil {
		s.log.Warn("remove endpoint interfaces", "vpce", id, "err", err)
	}
	if !slices.Equal(sgIDs, ep.SecurityGroupIDs) {
		for _, n := range kept {
			if _, err := store.Update(ctx, s.st, model.Key(model.KindNetworkIface, n.ID), func(v *model.NetworkInterface) error {
				v.SecurityGroupIDs = sgIDs
				return nil
			}); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Warn("update interface security groups", "eni", n.ID, "err", err)
			}
		}
	}
	return &next, nil
}

// DeleteVpcEndpoints deletes endpoints, their network interfaces and addresses.
// IDs that do not exist come back as unsuccessful items, as in EC2; err is only
// for failures of the store.
func (s *Service) DeleteVpcEndpoints(ctx context.Context, ids []string) ([]UnsuccessfulItem, error) {
	if len(ids) == 0 {
		return nil, errMissing("VpcEndpointId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var unsuccessful []UnsuccessfulItem
	var errs []error
	for _, id := range dedupe(ids) {
		key := model.Key(model.KindVpcEndpoint, id)
		ep, _, err := store.Load[model.VpcEndpoint](ctx, s.st, key)
		if errors.Is(err, store.ErrNotFound) {
			unsuccessful = append(unsuccessful, UnsuccessfulItem{
				ResourceID: id,
				Code:       "InvalidVpcEndpoint.NotFound",
				Message:    fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id), // best match
			})
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The endpoint goes first, so no endpoint ever names an interface that is
		// gone; its sockets close with the next table.
		if _, err := s.st.Delete(ctx, key, store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete vpc endpoint %s: %w", id, err))
			continue
		}
		var enis []*model.NetworkInterface
		for _, eniID := range ep.NetworkInterfaceIDs {
			n, _, err := store.Load[model.NetworkInterface](ctx, s.st, model.Key(model.KindNetworkIface, eniID))
			if err == nil {
				enis = append(enis, n)
			} else if !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		if err := s.deleteInterfaces(ctx, enis); err != nil {
			errs = append(errs, err)
		}
	}
	return unsuccessful, errors.Join(errs...)
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
