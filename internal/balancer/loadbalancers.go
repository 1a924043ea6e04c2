package balancer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// canonicalZones are the Route 53 hosted zones of ALB DNS names per region.
var canonicalZones = map[string]string{
	"us-west-2":    model.ELBHostedZoneUSWest2,
	"us-east-1":    "Z35SXDOTRQ7X7K",
	"us-east-2":    "Z3AADJGX6KTTL2",
	"us-west-1":    "Z368ELLRRE2KJ0",
	"eu-west-1":    "Z32O12XQLNTSW2",
	"eu-central-1": "Z215JYRZR1TBD5",
}

func defaultLBAttributes() map[string]string {
	return map[string]string{
		"access_logs.s3.enabled":                                   "false",
		"access_logs.s3.bucket":                                    "",
		"access_logs.s3.prefix":                                    "",
		"deletion_protection.enabled":                              "false",
		"idle_timeout.timeout_seconds":                             "60",
		"client_keep_alive.seconds":                                "3600",
		"routing.http.desync_mitigation_mode":                      "defensive",
		"routing.http.drop_invalid_header_fields.enabled":          "false",
		"routing.http.preserve_host_header.enabled":                "false",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
		"routing.http.xff_client_port.enabled":                     "false",
		"routing.http.xff_header_processing.mode":                  "append",
		"routing.http2.enabled":                                    "true",
		"waf.fail_open.enabled":                                    "false",
	}
}

// CreateLBInput is CreateLoadBalancer's input.
type CreateLBInput struct {
	Name             string
	SubnetIDs        []string
	SecurityGroupIDs []string
	Scheme           string // "internet-facing" (default) or "internal"
	Type             string // "application" (default)
	IPAddressType    string // "ipv4" (default)
	Tags             map[string]string
}

// CreateLoadBalancer creates an application load balancer with one node (a
// network interface with a private IP) in each subnet. It starts in state
// provisioning; the service makes it active once its sockets are open.
// Creating it again with the same settings returns the existing one.
func (s *Service) CreateLoadBalancer(ctx context.Context, in CreateLBInput) (*model.LoadBalancer, error) {
	if in.Type == "" {
		in.Type = "application"
	}
	if in.Scheme == "" {
		in.Scheme = "internet-facing"
	}
	if in.IPAddressType == "" {
		in.IPAddressType = "ipv4"
	}
	if err := checkName("Load balancer", in.Name); err != nil {
		return nil, err
	}
	switch in.Type {
	case "application":
	case "network", "gateway":
		return nil, model.BadRequest(codeInvalidConfig, "Load balancer type '%s' is not supported", model.Clip(in.Type)) // gatehouse's own text
	default:
		return nil, model.Enum(codeValidation, "type", in.Type, []string{"application", "network", "gateway"})
	}
	if in.Scheme != "internet-facing" && in.Scheme != "internal" {
		return nil, model.Enum(codeValidation, "scheme", in.Scheme, []string{"internet-facing", "internal"})
	}
	if in.IPAddressType != "ipv4" {
		return nil, model.BadRequest(codeInvalidConfig, "IP address type '%s' is not supported", model.Clip(in.IPAddressType)) // gatehouse's own text
	}

	// No mutex: the load balancer is written with its name's index key,
	// create-only, conditioned on no other name taken since the count (the
	// quota) and on its security groups as checked, so two nodes cannot both
	// take a name or the last place, nor attach a group deleted meanwhile.
	return retryOnConflict(ctx, func() (*model.LoadBalancer, error) { return s.createLoadBalancer(ctx, in) })
}

func (s *Service) createLoadBalancer(ctx context.Context, in CreateLBInput) (*model.LoadBalancer, error) {
	subnets := make([]*model.Subnet, 0, len(in.SubnetIDs))
	azs := map[string]bool{}
	for _, id := range in.SubnetIDs {
		sn, _, err := store.LoadOr[model.Subnet](ctx, s.d.Store, model.Key(model.KindSubnet, id), func() error {
			return model.BadRequest(codeSubnetNotFound, "The subnet ID '%s' is not valid", model.Clip(id)) // unconfirmed text
		})
		if err != nil {
			return nil, err
		}
		if azs[sn.AvailabilityZone] {
			return nil, model.BadRequest(codeInvalidConfig, "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		if len(subnets) > 0 && sn.VpcID != subnets[0].VpcID {
			return nil, model.BadRequest(codeInvalidConfig, "The subnets must belong to the same VPC") // unconfirmed text
		}
		azs[sn.AvailabilityZone] = true
		subnets = append(subnets, sn)
	}
	if len(azs) < 2 {
		return nil, validationError("At least two subnets in two different Availability Zones must be specified")
	}
	vpcID := subnets[0].VpcID
	sgs, sgConds, err := s.securityGroups(ctx, vpcID, in.SecurityGroupIDs)
	if err != nil {
		return nil, err
	}

	all, listRev, err := store.LoadAllAt[model.LoadBalancer](ctx, s.d.Store, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		return nil, err
	}
	for _, lb := range all {
		if lb.Name != in.Name {
			continue
		}
		if lb.Scheme == in.Scheme && lb.Type == in.Type && slices.Equal(sortedCopy(lb.SubnetIDs), sortedCopy(in.SubnetIDs)) &&
			slices.Equal(sortedCopy(lb.SecurityGroupIDs), sortedCopy(sgs)) {
			return lb, nil
		}
		return nil, model.BadRequest(codeDuplicateLB, "A load balancer with the same name '%s' exists, but with different settings", in.Name)
	}
	if len(all) >= s.d.MaxLoadBalancers {
		return nil, tooManyLoadBalancers()
	}

	id := model.RandomHex(16)
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", s.d.Env.Region, s.d.Env.Account, in.Name, id)
	dns := fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", in.Name, randomDigits(10), s.d.Env.Region)
	if in.Scheme == "internal" {
		dns = "internal-" + dns
	}
	zone := canonicalZones[s.d.Env.Region]
	if zone == "" {
		zone = model.ELBHostedZoneUSWest2 // unknown region: the one zone gatehouse knows for sure
	}
	lb := &model.LoadBalancer{
		ARN: arn, Name: in.Name, DNSName: dns, CanonicalHostedZoneID: zone,
		Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IPAddressType, State: string(lbProvisioning),
		VpcID: vpcID, SubnetIDs: slices.Clone(in.SubnetIDs), SecurityGroupIDs: sgs,
		Attributes: defaultLBAttributes(), CreatedTime: time.Now().UTC(), Tags: in.Tags,
	}
	// One node per subnet: an address claimed from the subnet (ipam, its own
	// claim keys) and a network interface written with the load balancer.
	// Every address is released if the load balancer is not written.
	var claimed []string
	release := func() {
		for _, ip := range claimed {
			_ = ipam.Release(ctx, s.d.Store, ip)
		}
	}
	var ops []store.Op
	for _, sn := range subnets {
		ip, err := ipam.Allocate(ctx, s.d.Store, sn.CIDR, arn)
		if errors.Is(err, ipam.ErrExhausted) {
			release()
			return nil, model.BadRequest(codeInvalidSubnet, "Not enough IP space available in %s. ELB requires at least 8 free IP addresses in each subnet.", sn.ID)
		}
		if err != nil {
			release()
			return nil, err
		}
		claimed = append(claimed, ip.String())
		eni := &model.NetworkInterface{
			ID: "eni-" + model.RandomHex(17), SubnetID: sn.ID, VpcID: vpcID, AvailabilityZone: sn.AvailabilityZone,
			PrivateIP: ip.String(), Description: "ELB app/" + in.Name + "/" + id, InterfaceType: "interface",
			SecurityGroupIDs: sgs,
		}
		op, err := store.SaveOp(model.Key(model.KindNetworkIface, eni.ID), eni)
		if err != nil {
			release()
			return nil, err
		}
		ops = append(ops, op)
		lb.Nodes = append(lb.Nodes, model.LBNode{SubnetID: sn.ID, AvailabilityZone: sn.AvailabilityZone, IP: ip.String(), NetworkInterfaceID: eni.ID})
	}
	key := model.Key(model.KindLoadBalancer, arn)
	op, err := store.SaveOp(key, lb)
	if err != nil {
		release()
		return nil, err
	}
	ops = append(ops, op, store.Put(lbNameKey(in.Name), []byte(arn)))
	conds := append(sgConds,
		store.KeyIs(lbNameKey(in.Name), 0),
		store.NoneAfter(model.Prefix(model.KindLBName), listRev),
		store.KeyIs(key, 0))
	if _, err := s.d.Store.Txn(ctx, conds, ops); err != nil {
		release()
		return nil, err
	}
	return lb, nil
}

// securityGroups checks the given groups, or picks the VPC's default group
// when none is given (as ELBv2 does), and returns the conditions that keep
// each as checked until the write: a group deleted on any node in between
// fails the write, which checks again.
func (s *Service) securityGroups(ctx context.Context, vpcID string, ids []string) ([]string, []store.Cond, error) {
	if len(ids) > maxSecurityGroups {
		// UNVERIFIED: AWS's code and text; the quota is the ALB guide's.
		return nil, nil, model.BadRequest(codeInvalidConfig, "A load balancer can have at most %d security groups", maxSecurityGroups)
	}
	kvs, _, err := s.d.Store.List(ctx, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return nil, nil, err
	}
	type held struct {
		sg  model.SecurityGroup
		key string
		rev int64
	}
	all := make([]held, len(kvs))
	for i, kv := range kvs {
		if err := json.Unmarshal(kv.Value, &all[i].sg); err != nil {
			return nil, nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		all[i].key, all[i].rev = kv.Key, kv.ModRev
	}
	if len(ids) == 0 {
		for _, h := range all {
			if h.sg.VpcID == vpcID && h.sg.Name == "default" {
				return []string{h.sg.ID}, []store.Cond{store.KeyIs(h.key, h.rev)}, nil
			}
		}
		return []string{}, nil, nil
	}
	var conds []store.Cond
	for _, id := range ids {
		i := slices.IndexFunc(all, func(h held) bool { return h.sg.ID == id && h.sg.VpcID == vpcID })
		if i < 0 {
			return nil, nil, model.BadRequest(codeInvalidSG, "One or more security groups are invalid") // unconfirmed text
		}
		conds = append(conds, store.KeyIs(all[i].key, all[i].rev))
	}
	return slices.Clone(ids), conds, nil
}

// DescribeLoadBalancers returns the load balancers named by ARN or by name, or
// every load balancer when both are empty.
func (s *Service) DescribeLoadBalancers(ctx context.Context, arns, names []string) ([]*model.LoadBalancer, error) {
	if len(arns) > 0 && len(names) > 0 {
		return nil, validationError("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	all, err := store.LoadAll[model.LoadBalancer](ctx, s.d.Store, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		return nil, err
	}
	switch {
	case len(arns) > 0:
		out, missing := pick(all, arns, func(lb *model.LoadBalancer) string { return lb.ARN })
		if len(missing) > 0 {
			return nil, model.BadRequest(codeLBNotFound, "One or more load balancers not found")
		}
		return out, nil
	case len(names) > 0:
		out, missing := pick(all, names, func(lb *model.LoadBalancer) string { return lb.Name })
		if len(missing) > 0 {
			return nil, model.BadRequest(codeLBNotFound, "Load balancers '[%s]' not found", model.Clip(strings.Join(missing, ", ")))
		}
		return out, nil
	}
	return all, nil
}

// DeleteLoadBalancer deletes the load balancer and its listeners and releases
// its nodes' addresses. A load balancer that does not exist is no error.
func (s *Service) DeleteLoadBalancer(ctx context.Context, arn string) error {
	// No mutex: the load balancer and its listeners go in one Txn
	// conditioned on the load balancer as read and on no listener changed
	// since the listing, so a CreateListener on any node either lands before
	// (and is deleted with it) or fails with LoadBalancerNotFound.
	lb, err := retryOnConflict(ctx, func() (*model.LoadBalancer, error) { return s.deleteLBAndListeners(ctx, arn) })
	if err != nil || lb == nil {
		return err
	}
	for _, n := range lb.Nodes {
		if _, err := s.d.Store.Delete(ctx, model.Key(model.KindNetworkIface, n.NetworkInterfaceID), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := ipam.Release(ctx, s.d.Store, n.IP); err != nil {
			return err
		}
	}
	return nil
}

// deleteLBAndListeners deletes the load balancer and its listeners in one
// Txn and returns what it deleted; nil if it did not exist.
func (s *Service) deleteLBAndListeners(ctx context.Context, arn string) (*model.LoadBalancer, error) {
	lbKey := model.Key(model.KindLoadBalancer, arn)
	lb, lbRev, err := store.Load[model.LoadBalancer](ctx, s.d.Store, lbKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if lb.Attributes["deletion_protection.enabled"] == "true" {
		return nil, model.BadRequest(codeNotPermitted, "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
	}
	listeners, listRev, err := store.LoadAllAt[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	// Each listener with its rules (a prefix delete each: at most
	// maxListeners × 2 + 2 ops, under store.MaxTxnOps).
	var ops []store.Op
	for _, l := range listeners {
		if l.LoadBalancerARN == arn {
			ops = append(ops, store.Del(model.Key(model.KindListener, l.ARN)), store.DelPrefix(model.RulesPrefix(l.ARN)))
		}
	}
	ops = append(ops, store.Del(lbKey))
	conds := []store.Cond{store.KeyIs(lbKey, lbRev), store.NoneAfter(model.Prefix(model.KindListener), listRev)}
	// The name's index key, if this load balancer holds it (one an older
	// gatehouse created has none).
	if kv, err := s.d.Store.Get(ctx, lbNameKey(lb.Name)); err == nil && string(kv.Value) == arn {
		conds = append(conds, store.KeyIs(kv.Key, kv.ModRev))
		ops = append(ops, store.Del(kv.Key))
	}
	if _, err := s.d.Store.Txn(ctx, conds, ops); err != nil {
		return nil, err
	}
	return lb, nil
}

// DescribeLoadBalancerAttributes returns the load balancer's attributes.
func (s *Service) DescribeLoadBalancerAttributes(ctx context.Context, arn string) (map[string]string, error) {
	lb, err := s.loadLB(ctx, arn)
	if err != nil {
		return nil, err
	}
	return withDefaults(defaultLBAttributes, lb.Attributes), nil
}

// ModifyLoadBalancerAttributes changes the given attributes and returns them all.
func (s *Service) ModifyLoadBalancerAttributes(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error) {
	if len(attrs) > maxLBAttributes {
		return nil, model.Violation(codeValidation, "attributes", attributeList(attrs),
			fmt.Sprintf("Member must have length less than or equal to %d", maxLBAttributes))
	}
	if err := checkAttributes(attrs, true); err != nil {
		return nil, err
	}
	defaults := defaultLBAttributes()
	for k, v := range attrs {
		if _, ok := defaults[k]; !ok {
			return nil, validationError("Load balancer attribute key '%s' is not recognized", k) // unconfirmed text
		}
		switch {
		case k == "idle_timeout.timeout_seconds":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 4000 {
				return nil, validationError("Idle timeout must be between 1 and 4000 seconds") // unconfirmed text
			}
		case strings.HasSuffix(k, ".enabled") && v != "true" && v != "false":
			return nil, validationError("Load balancer attribute value '%s' for '%s' must be 'true' or 'false'", v, k) // unconfirmed text
		}
	}
	lb, err := s.updateLB(ctx, arn, func(lb *model.LoadBalancer) error {
		mergeAttributes(&lb.Attributes, defaultLBAttributes, attrs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withDefaults(defaultLBAttributes, lb.Attributes), nil
}

// Attribute limits of the model: LoadBalancerAttributes holds at most 20; a
// key (of either kind) at most 256 characters, a load balancer attribute's
// value at most 1024. A target group attribute's value has no length in the
// model; every one gatehouse knows is a number or from a fixed set.
const (
	maxLBAttributes   = 20
	maxAttributeKey   = 256
	maxAttributeValue = 1024
)

// attributeList renders attributes as Coral quotes a list value.
func attributeList(attrs map[string]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, k := range slices.Sorted(maps.Keys(attrs)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "AttributeRecord(key=%s, value=%s)", k, attrs[k])
		if b.Len() > 256 {
			break // the message shows 128 characters
		}
	}
	b.WriteString("]")
	return b.String()
}

// checkAttributes applies the model's key (and, for a load balancer, value)
// lengths. The attributes arrive as a map, so the member is named without its
// list index ('attributes.member.key' where Coral says 'attributes.1.member.key').
func checkAttributes(attrs map[string]string, lb bool) error {
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if err := model.Length(codeValidation, "attributes.member.key", k, 0, maxAttributeKey); err != nil {
			return err
		}
		if lb {
			if err := model.Length(codeValidation, "attributes.member.value", attrs[k], 0, maxAttributeValue); err != nil {
				return err
			}
		}
	}
	return nil
}
