package stack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/balancer"
	"gatehouse/internal/certs"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
)

// Services are the operations a stack applies through.
type Services struct {
	Store       store.Store
	Env         model.Env
	DNS         *nameserver.Service
	Certs       *certs.Service
	Network     *network.Service
	Gateway     *gateway.Service
	Balancer    *balancer.Service
	Accelerator *accelerator.Service
	Log         *slog.Logger
	// Served is the newest store revision every data-plane service serves.
	Served func() int64
}

// IssueTimeout bounds how long Apply waits for a certificate's DNS validation.
const IssueTimeout = 60 * time.Second

// applier carries the names resolved so far to ids and ARNs.
type applier struct {
	Services
	f       *File
	zones   map[string]*model.HostedZone // by name without trailing dot
	certs   map[string]*model.Certificate
	sgs     map[string]string // name → id
	vpces   map[string]*model.VpcEndpoint
	apis    map[string]*model.RestAPI
	tgs     map[string]*model.TargetGroup
	lbs     map[string]*model.LoadBalancer
	accs    map[string]*model.Accelerator
	subnets []*model.Subnet
	vpc     *model.VPC
}

// Apply validates f and makes the store match it. Errors name the resource and
// field; what was applied before an error stays applied.
func Apply(ctx context.Context, s Services, f *File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	a := &applier{Services: s, f: f,
		zones: map[string]*model.HostedZone{}, certs: map[string]*model.Certificate{}, sgs: map[string]string{},
		vpces: map[string]*model.VpcEndpoint{}, apis: map[string]*model.RestAPI{}, tgs: map[string]*model.TargetGroup{},
		lbs: map[string]*model.LoadBalancer{}, accs: map[string]*model.Accelerator{}}
	if f.Region != "" && f.Region != s.Env.Region {
		return fmt.Errorf("region: the stack names %q but this gatehouse serves %q", f.Region, s.Env.Region)
	}
	steps := []func(context.Context) error{
		a.network, a.zones_, a.certificates, a.securityGroups, a.vpcEndpoints, a.waitIssued,
		a.restAPIs, a.domainNames, a.targetGroups, a.loadBalancers, a.accelerators, a.records,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func all[T any](ctx context.Context, st store.Store, k model.Kind) ([]*T, error) {
	return store.LoadAll[T](ctx, st, model.Prefix(k))
}

// find returns the first item that matches, or nil.
func find[T any](items []*T, match func(*T) bool) *T {
	for _, it := range items {
		if match(it) {
			return it
		}
	}
	return nil
}

func fqdn(name string) string { return model.DomainKey(name) + "." }

func (a *applier) network(ctx context.Context) error {
	vpcs, err := all[model.VPC](ctx, a.Store, model.KindVPC)
	if err != nil {
		return err
	}
	for _, v := range vpcs {
		if v.IsDefault {
			a.vpc = v
		}
	}
	if a.vpc == nil {
		return errors.New("no default VPC")
	}
	subnets, err := all[model.Subnet](ctx, a.Store, model.KindSubnet)
	if err != nil {
		return err
	}
	for _, sn := range subnets {
		if sn.VpcID == a.vpc.ID {
			a.subnets = append(a.subnets, sn)
		}
	}
	return nil
}

// subnetIDs resolves subnets named by availability zone letter ("a", or the full
// zone "us-west-2a") or by id.
func (a *applier) subnetIDs(where string, names []string) ([]string, error) {
	var ids []string
	for i, n := range names {
		var id string
		for _, sn := range a.subnets {
			if sn.ID == n || sn.AvailabilityZone == n || sn.AvailabilityZone == a.Env.Region+n {
				id = sn.ID
			}
		}
		if id == "" {
			return nil, fmt.Errorf("%s.subnets[%d]: no subnet %q in the default VPC", where, i, n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (a *applier) zones_(ctx context.Context) error {
	have, err := all[model.HostedZone](ctx, a.Store, model.KindHostedZone)
	if err != nil {
		return err
	}
	for i, z := range a.f.Zones {
		name := fqdn(z.Name)
		if a.zones[model.DomainKey(name)] = find(have, func(h *model.HostedZone) bool { return h.Name == name }); a.zones[model.DomainKey(name)] != nil {
			continue
		}
		hz, _, err := a.DNS.CreateHostedZone(ctx, name, "gatehouse-stack-"+model.RandomHex(12), z.Comment)
		if err != nil {
			return fmt.Errorf("zones[%d] %q: %w", i, z.Name, err)
		}
		a.zones[model.DomainKey(name)] = hz
	}
	return nil
}

func (a *applier) certificates(ctx context.Context) error {
	have, err := all[model.Certificate](ctx, a.Store, model.KindCertificate)
	if err != nil {
		return err
	}
	for i, c := range a.f.Certificates {
		where := fmt.Sprintf("certificates[%d] %q", i, c.Name)
		cert := find(have, func(h *model.Certificate) bool {
			return h.Tags["Name"] == c.Name && model.DomainKey(h.DomainName) == model.DomainKey(c.Domain)
		})
		if cert == nil {
			cert, err = a.Certs.RequestCertificate(ctx, certs.RequestInput{DomainName: model.DomainKey(c.Domain),
				SubjectAlternativeNames: c.AltNames, ValidationMethod: "DNS", Tags: map[string]string{"Name": c.Name}})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.certs[c.Name] = cert
		if c.Validation.Zone == "" || cert.Status != model.CertPendingValidation {
			continue
		}
		zone := a.zones[model.DomainKey(c.Validation.Zone)]
		for _, v := range cert.Validations {
			rr := v.ResourceRecord
			want := model.RecordSet{ZoneID: zone.ID, Name: fqdn(rr.Name), Type: rr.Type, TTL: 300, Records: []string{fqdn(rr.Value)}}
			if err := a.upsertRecord(ctx, want); err != nil {
				return fmt.Errorf("%s.validation: %w", where, err)
			}
		}
	}
	return nil
}

// upsertRecord writes a record set unless the zone already holds exactly it.
func (a *applier) upsertRecord(ctx context.Context, want model.RecordSet) error {
	have, _, err := store.Load[model.RecordSet](ctx, a.Store, model.Key(model.KindRecordSet, model.RecordSetID(want.ZoneID, want.Name, want.Type)))
	if err == nil && reflect.DeepEqual(*have, want) {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = a.DNS.ChangeRecordSets(ctx, want.ZoneID, []nameserver.Change{{Action: "UPSERT", Set: want}})
	return err
}

func (a *applier) securityGroups(ctx context.Context) error {
	have, err := all[model.SecurityGroup](ctx, a.Store, model.KindSecurityGroup)
	if err != nil {
		return err
	}
	for i, g := range a.f.SecurityGroups {
		where := fmt.Sprintf("securityGroups[%d] %q", i, g.Name)
		sg := find(have, func(h *model.SecurityGroup) bool { return h.Name == g.Name && h.VpcID == a.vpc.ID })
		if sg == nil {
			desc := g.Description
			if desc == "" {
				desc = g.Name
			}
			if sg, err = a.Network.CreateSecurityGroup(ctx, g.Name, desc, a.vpc.ID, nil); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.sgs[g.Name] = sg.ID
		var want, missing []model.IPPermission
		for j, r := range g.Ingress {
			p, err := r.permission()
			if err != nil {
				return fmt.Errorf("%s.ingress[%d]: %w", where, j, err)
			}
			want = append(want, p)
			if !hasPermission(sg.Ingress, p) {
				missing = append(missing, p)
			}
		}
		// Revoke first what the file no longer allows: a rule removed from the
		// file must stop admitting traffic.
		if extra := extraPermissions(sg.Ingress, want); len(extra) > 0 {
			if _, err := a.Network.RevokeIngress(ctx, sg.ID, extra); err != nil {
				return fmt.Errorf("%s.ingress: %w", where, err)
			}
		}
		if len(missing) > 0 {
			if _, err := a.Network.AuthorizeIngress(ctx, sg.ID, missing); err != nil {
				return fmt.Errorf("%s.ingress: %w", where, err)
			}
		}
	}
	return nil
}

// extraPermissions returns, one CIDR each, the rules in have that want lacks.
func extraPermissions(have, want []model.IPPermission) []model.IPPermission {
	var extra []model.IPPermission
	for _, h := range have {
		for _, cidr := range h.CIDRs {
			p := model.IPPermission{Protocol: h.Protocol, FromPort: h.FromPort, ToPort: h.ToPort, CIDRs: []string{cidr}}
			if !hasPermission(want, p) {
				extra = append(extra, p)
			}
		}
	}
	return extra
}

func (r IngressRule) permission() (model.IPPermission, error) {
	p := model.IPPermission{Protocol: cmp.Or(r.Protocol, "tcp"), FromPort: r.FromPort, ToPort: r.ToPort, CIDRs: []string{r.CIDR}}
	if r.Port != 0 {
		p.FromPort, p.ToPort = r.Port, r.Port
	}
	// As the network operations store it, so that re-applying compares equal.
	p = network.NormalizePermission(p)
	if r.CIDR == "" {
		return p, errors.New("cidr is required")
	}
	if (p.Protocol == "tcp" || p.Protocol == "udp") && r.Port == 0 && r.FromPort == 0 && r.ToPort == 0 {
		return p, errors.New("port (or fromPort and toPort) is required for tcp and udp")
	}
	return p, nil
}

func hasPermission(have []model.IPPermission, p model.IPPermission) bool {
	for _, h := range have {
		if h.Protocol == p.Protocol && h.FromPort == p.FromPort && h.ToPort == p.ToPort && slices.Contains(h.CIDRs, p.CIDRs[0]) {
			return true
		}
	}
	return false
}

func (a *applier) vpcEndpoints(ctx context.Context) error {
	have, err := all[model.VpcEndpoint](ctx, a.Store, model.KindVpcEndpoint)
	if err != nil {
		return err
	}
	for i, v := range a.f.VpcEndpoints {
		where := fmt.Sprintf("vpcEndpoints[%d] %q", i, v.Name)
		subnets, err := a.subnetIDs(where, v.Subnets)
		if err != nil {
			return err
		}
		var sgs []string
		for _, n := range v.SecurityGroups {
			sgs = append(sgs, a.sgs[n])
		}
		policy, err := policyJSON(v.Policy)
		if err != nil {
			return fmt.Errorf("%s.policy: %w", where, err)
		}
		ep := find(have, func(h *model.VpcEndpoint) bool { return h.Tags["Name"] == v.Name })
		if ep == nil {
			ep, err = a.Network.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: a.vpc.ID,
				ServiceName: "com.amazonaws." + a.Env.Region + ".execute-api", VpcEndpointType: "Interface",
				SubnetIDs: subnets, SecurityGroupIDs: sgs, PrivateDNSEnabled: v.PrivateDNS, PolicyDocument: policy,
				Tags: map[string]string{"Name": v.Name}})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if mod, changed := endpointChanges(ep, subnets, sgs, policy); changed {
			if ep, err = a.Network.ModifyVpcEndpoint(ctx, ep.ID, mod); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.vpces[v.Name] = ep
	}
	return nil
}

func endpointChanges(ep *model.VpcEndpoint, subnets, sgs []string, policy string) (network.ModifyEndpointInput, bool) {
	var m network.ModifyEndpointInput
	m.AddSubnetIDs, m.RemoveSubnetIDs = diff(ep.SubnetIDs, subnets)
	if len(sgs) > 0 {
		m.AddSecurityGroupIDs, m.RemoveSecurityGroupIDs = diff(ep.SecurityGroupIDs, sgs)
	}
	if policy != "" && !sameJSON(policy, ep.PolicyDocument) {
		m.PolicyDocument = &policy
	}
	changed := len(m.AddSubnetIDs)+len(m.RemoveSubnetIDs)+len(m.AddSecurityGroupIDs)+len(m.RemoveSecurityGroupIDs) > 0 || m.PolicyDocument != nil
	return m, changed
}

// diff returns what to add to have and what to remove from it to get want.
func diff(have, want []string) (add, remove []string) {
	for _, w := range want {
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	return add, remove
}

// waitIssued waits for every certificate's DNS validation: the certs service
// issues once the nameserver answers the validation record.
func (a *applier) waitIssued(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, IssueTimeout)
	defer cancel()
	for i, c := range a.f.Certificates {
		for {
			cert, _, err := store.Load[model.Certificate](ctx, a.Store, model.Key(model.KindCertificate, a.certs[c.Name].ARN))
			if err != nil {
				return fmt.Errorf("certificates[%d] %q: %w", i, c.Name, err)
			}
			a.certs[c.Name] = cert
			if cert.Status == model.CertIssued {
				break
			}
			if cert.Status != model.CertPendingValidation {
				return fmt.Errorf("certificates[%d] %q: status %s", i, c.Name, cert.Status)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("certificates[%d] %q: still %s after %s: does zone %q answer its validation CNAME?",
					i, c.Name, cert.Status, IssueTimeout, c.Validation.Zone)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// policyJSON turns a policy written as YAML (or as a JSON string) into JSON text.
func policyJSON(p any) (string, error) {
	switch p := p.(type) {
	case nil:
		return "", nil
	case string:
		if !json.Valid([]byte(p)) {
			return "", errors.New("not valid JSON")
		}
		return p, nil
	default:
		b, err := json.Marshal(p)
		return string(b), err
	}
}

// sameJSON compares two JSON texts by value.
func sameJSON(x, y string) bool {
	var a, b any
	if json.Unmarshal([]byte(x), &a) != nil || json.Unmarshal([]byte(y), &b) != nil {
		return x == y
	}
	return reflect.DeepEqual(a, b)
}
