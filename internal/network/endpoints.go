package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Interface endpoints: create, modify and delete, with EC2's checks of their
// subnets, security groups, policy and private DNS.

// DefaultEndpointPolicy is the policy EC2 reports for an endpoint created without
// one: full access.
const DefaultEndpointPolicy = `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}`

// maxPolicyLen is EC2's limit on an endpoint policy document.
const maxPolicyLen = 20480

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
	var out *model.VpcEndpoint
	err := retryConflict(ctx, func() (err error) {
		out, err = s.createEndpointOnce(ctx, in, typ)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createEndpointOnce is one attempt of CreateVpcEndpoint: its interfaces are
// written under the conditions that its groups are as checked, and the endpoint
// under those and that no endpoint changed since the listing that the quota and
// the private DNS check read. ErrConflict (after undoing what it wrote) means
// try again.
func (s *Service) createEndpointOnce(ctx context.Context, in CreateEndpointInput, typ string) (*model.VpcEndpoint, error) {
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
	groupConds, err := s.checkGroups(ctx, vpc.ID, sgIDs)
	if err != nil {
		return nil, err
	}
	eps, epsRev, err := store.LoadAllAt[model.VpcEndpoint](ctx, s.st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		return nil, err
	}
	privateDNS := in.PrivateDNSEnabled == nil || *in.PrivateDNSEnabled
	if privateDNS {
		if err := s.checkPrivateDNS(eps, vpc.ID, ""); err != nil {
			return nil, err
		}
	}
	policy, err := checkPolicy(in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	if countIn(eps, func(ep *model.VpcEndpoint) bool { return ep.VpcID == vpc.ID && ep.Type == "Interface" }) >= s.quotas.Endpoints {
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
	enis, err := s.createInterfaces(ctx, ep, subnets, groupConds)
	if err != nil {
		return nil, err
	}
	for _, n := range enis {
		ep.SubnetIDs = append(ep.SubnetIDs, n.SubnetID)
		ep.NetworkInterfaceIDs = append(ep.NetworkInterfaceIDs, n.ID)
	}
	key := model.Key(model.KindVpcEndpoint, ep.ID)
	put, err := store.SaveOp(key, ep)
	if err == nil {
		conds := append(slices.Clone(groupConds), store.NoneAfter(model.Prefix(model.KindVpcEndpoint), epsRev), store.KeyIs(key, 0))
		_, err = s.st.Txn(ctx, conds, []store.Op{put})
	}
	if err != nil {
		s.deleteInterfaces(ctx, enis)
		if errors.Is(err, store.ErrConflict) {
			return nil, err
		}
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
		sn, _, err := load[model.Subnet](ctx, s.st, model.KindSubnet, id, errSubnetNotFound)
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
// that every one exists and belongs to the VPC, and returns the conditions
// that they are still as checked: what names them is written only under those.
func (s *Service) checkGroups(ctx context.Context, vpcID string, ids []string) ([]store.Cond, error) {
	if len(ids) > maxGroupsPerInterface {
		return nil, ec2Error("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.") // best match
	}
	var conds []store.Cond
	for _, id := range ids {
		sg, rev, err := s.loadGroup(ctx, id)
		if err != nil {
			return nil, err
		}
		if sg.VpcID != vpcID {
			return nil, errInvalidParam("The security group '%s' does not belong to VPC '%s'", id, vpcID) // best match
		}
		conds = append(conds, store.KeyIs(model.Key(model.KindSecurityGroup, id), rev))
	}
	return conds, nil
}

// checkPrivateDNS refuses a second execute-api endpoint with private DNS in one
// VPC: both would own the private zone execute-api.<region>.amazonaws.com.
// eps is a listing of every endpoint; the caller's write is conditioned on
// no endpoint having changed since it.
func (s *Service) checkPrivateDNS(eps []*model.VpcEndpoint, vpcID, except string) error {
	for _, ep := range eps {
		if ep.ID != except && ep.VpcID == vpcID && ep.PrivateDNSEnabled && ep.ServiceName == model.ExecuteAPIService(s.env.Region) {
			return errInvalidParam("private-dns-enabled cannot be set because there is already a conflicting DNS domain for execute-api.%s.amazonaws.com in the VPC %s", s.env.Region, vpcID)
		}
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

// ModifyVpcEndpoint adds or removes subnets (and so network interfaces) and
// security groups, and changes the policy or private DNS. An endpoint whose
// subnets change goes back to "pending" until the data plane serves the new set.
func (s *Service) ModifyVpcEndpoint(ctx context.Context, id string, in ModifyEndpointInput) (*model.VpcEndpoint, error) {
	var out *model.VpcEndpoint
	err := retryConflict(ctx, func() (err error) {
		out, err = s.modifyEndpointOnce(ctx, id, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// modifyEndpointOnce is one attempt of ModifyVpcEndpoint: the endpoint is
// written only if it, the groups it adds and (when it turns private DNS on)
// every other endpoint are as checked. ErrConflict (after undoing what it
// wrote) means try again.
func (s *Service) modifyEndpointOnce(ctx context.Context, id string, in ModifyEndpointInput) (*model.VpcEndpoint, error) {
	key := model.Key(model.KindVpcEndpoint, id)
	ep, rev, err := load[model.VpcEndpoint](ctx, s.st, model.KindVpcEndpoint, id, errEndpointNotFound)
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
	conds, err := s.checkGroups(ctx, ep.VpcID, addSG)
	if err != nil {
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
			eps, epsRev, err := store.LoadAllAt[model.VpcEndpoint](ctx, s.st, model.Prefix(model.KindVpcEndpoint))
			if err != nil {
				return nil, err
			}
			if err := s.checkPrivateDNS(eps, ep.VpcID, ep.ID); err != nil {
				return nil, err
			}
			conds = append(conds, store.NoneAfter(model.Prefix(model.KindVpcEndpoint), epsRev))
		}
		next.PrivateDNSEnabled = *in.PrivateDNSEnabled
	}
	if in.PolicyDocument != nil {
		if next.PolicyDocument, err = checkPolicy(*in.PolicyDocument); err != nil {
			return nil, err
		}
	}
	// The new interfaces name every group of the endpoint: those it keeps
	// must still exist too.
	var allConds []store.Cond
	for _, g := range sgIDs {
		_, rev, err := s.loadGroup(ctx, g)
		if err != nil {
			return nil, err
		}
		allConds = append(allConds, store.KeyIs(model.Key(model.KindSecurityGroup, g), rev))
	}
	newENIs, err := s.createInterfaces(ctx, &next, added, allConds)
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
	put, err := store.SaveOp(key, &next)
	if err == nil {
		_, err = s.st.Txn(ctx, append(conds, store.KeyIs(key, rev)), []store.Op{put})
	}
	if err != nil {
		s.deleteInterfaces(ctx, newENIs)
		if errors.Is(err, store.ErrConflict) {
			return nil, err
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
	var unsuccessful []UnsuccessfulItem
	var errs []error
	for _, id := range dedupe(ids) {
		found, err := s.deleteEndpoint(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found {
			unsuccessful = append(unsuccessful, UnsuccessfulItem{
				ResourceID: id,
				Code:       "InvalidVpcEndpoint.NotFound",
				Message:    fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id), // best match
			})
		}
	}
	return unsuccessful, errors.Join(errs...)
}

// deleteEndpoint deletes endpoint id and its network interfaces in one Txn,
// conditioned on the endpoint being as read, so an interface that a concurrent
// ModifyVpcEndpoint adds is deleted with it rather than left behind; then it
// releases their addresses (the records go first: an address is never free
// while an interface names it). found is false if there is no such endpoint.
func (s *Service) deleteEndpoint(ctx context.Context, id string) (found bool, err error) {
	key := model.Key(model.KindVpcEndpoint, id)
	var enis []*model.NetworkInterface
	err = retryConflict(ctx, func() error {
		ep, rev, err := store.Load[model.VpcEndpoint](ctx, s.st, key)
		if err != nil {
			return err
		}
		enis = enis[:0]
		ops := []store.Op{store.Del(key)}
		for _, eniID := range ep.NetworkInterfaceIDs {
			n, _, err := store.Load[model.NetworkInterface](ctx, s.st, model.Key(model.KindNetworkIface, eniID))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			enis = append(enis, n)
			ops = append(ops, store.Del(model.Key(model.KindNetworkIface, eniID)))
		}
		_, err = s.st.Txn(ctx, []store.Cond{store.KeyIs(key, rev)}, ops)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("delete vpc endpoint %s: %w", id, err)
	}
	var errs []error
	for _, n := range enis {
		if err := ipam.Release(ctx, s.st, n.PrivateIP); err != nil {
			errs = append(errs, err)
		}
	}
	return true, errors.Join(errs...)
}
