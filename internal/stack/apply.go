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
	Log         *slog.Logger // nil discards
	// Served is the newest store revision every data-plane service serves.
	Served func() int64
}

// IssueTimeout bounds how long Apply waits for a certificate's DNS validation.
const IssueTimeout = 60 * time.Second

// applier carries the names resolved so far to ids and ARNs, and the changes
// it made (or, planning, would make).
type applier struct {
	Services
	f *File
	// dryRun plans: every write is recorded as a Change and not made, and a
	// resource that would be created stands in as a placeholder (id planned).
	dryRun bool
	// keep holds the resources (kind/name) whose definition is the same as in
	// the last applied file: they are created when missing, never modified.
	keep    map[string]bool
	created map[string]bool // resources created by this run
	changes []Change
	zones   map[string]*model.HostedZone // by name without trailing dot
	certs   map[string]*model.Certificate
	sgs     map[string]string // name → id
	vpces   map[string]*model.VpcEndpoint
	apis    map[string]*model.RestAPI
	tgs     map[string]*model.TargetGroup
	lbs     map[string]*model.LoadBalancer
	accs    map[string]*model.Accelerator
	keys    map[string]*model.APIKey
	subnets []*model.Subnet
	vpc     *model.VPC

	validatorIDs map[string]string // "apiID/name" → request validator id (apigwmodels.go)
}

// Apply validates f and makes the store match it, every resource of the file
// (the old behaviour of serve -f, and serve --reapply). Each change is logged
// (see Change). Errors name the resource and field; what was applied before an
// error stays applied.
func Apply(ctx context.Context, s Services, f *File) error {
	_, err := run(ctx, s, f, nil, false)
	return err
}

// run applies f (or, dryRun, plans it) and returns the changes. Resources in
// keep are only created when missing.
func run(ctx context.Context, s Services, f *File, keep map[string]bool, dryRun bool) ([]Change, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	a := &applier{Services: s, f: f, dryRun: dryRun, keep: keep, created: map[string]bool{},
		zones: map[string]*model.HostedZone{}, certs: map[string]*model.Certificate{}, sgs: map[string]string{},
		vpces: map[string]*model.VpcEndpoint{}, apis: map[string]*model.RestAPI{}, tgs: map[string]*model.TargetGroup{},
		lbs: map[string]*model.LoadBalancer{}, accs: map[string]*model.Accelerator{}, keys: map[string]*model.APIKey{}}
	if f.Region != "" && f.Region != s.Env.Region {
		return nil, fmt.Errorf("region: the stack names %q but this gatehouse serves %q", f.Region, s.Env.Region)
	}
	steps := []func(context.Context) error{
		a.network, a.zones_, a.certificates, a.securityGroups, a.vpcEndpoints, a.waitIssued,
		a.restAPIs, a.apiKeys, a.usagePlans, a.domainNames, a.targetGroups, a.loadBalancers, a.accelerators, a.records,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return a.changes, err
		}
	}
	return a.changes, nil
}

// write is the one place where applying changes anything: it records the
// changes and, unless planning, makes them with do and logs each one.
func (a *applier) write(do func() error, changes ...Change) error {
	for _, c := range changes {
		if c.Field == "" && c.Old == absent {
			a.created[c.Resource] = true
		}
	}
	if a.dryRun {
		a.changes = append(a.changes, changes...)
		return nil
	}
	if err := do(); err != nil {
		return err
	}
	a.changes = append(a.changes, changes...)
	for _, c := range changes {
		a.Log.Info("stack change", "resource", c.Resource, "field", c.Field, "old", c.Old, "new", c.New)
	}
	return nil
}

// modify reports whether the run may change resource beyond creating it: yes
// unless its definition is unchanged since the last applied file, it exists
// from before, and nothing it references (refs, kind/name) was created now (a
// new id it would have to point at).
func (a *applier) modify(resource string, refs ...string) bool {
	if !a.keep[resource] || a.created[resource] {
		return true
	}
	for _, r := range refs {
		if a.created[r] {
			return true
		}
	}
	return false
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

// securityGroupIDs are the IDs of the file's groups named, and the resources
// (securityGroup/name) that the resource using them refers to.
func (a *applier) securityGroupIDs(names []string) (ids, refs []string) {
	for _, n := range names {
		ids = append(ids, a.sgs[n])
		refs = append(refs, "securityGroup/"+n)
	}
	return ids, refs
}

func (a *applier) zones_(ctx context.Context) error {
	have, err := all[model.HostedZone](ctx, a.Store, model.KindHostedZone)
	if err != nil {
		return err
	}
	for i, z := range a.f.Zones {
		name := fqdn(z.Name)
		hz := find(have, func(h *model.HostedZone) bool { return h.Name == name })
		if hz == nil {
			hz = &model.HostedZone{ID: planned, Name: name}
			err := a.write(func() (err error) {
				hz, _, err = a.DNS.CreateHostedZone(ctx, name, "gatehouse-stack-"+model.RandomHex(12), z.Comment)
				return err
			}, created("zone/"+z.Name))
			if err != nil {
				return fmt.Errorf("zones[%d] %q: %w", i, z.Name, err)
			}
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
		res := "certificate/" + c.Name
		if cert == nil {
			cert = &model.Certificate{ARN: planned, DomainName: model.DomainKey(c.Domain), Status: model.CertPendingValidation}
			err := a.write(func() (err error) {
				cert, err = a.Certs.RequestCertificate(ctx, certs.RequestInput{DomainName: model.DomainKey(c.Domain),
					SubjectAlternativeNames: c.AltNames, ValidationMethod: "DNS", Tags: map[string]string{"Name": c.Name}})
				return err
			}, created(res))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.certs[c.Name] = cert
		// A pending certificate's validation record is written even when the
		// file did not change it: without it the certificate is never issued.
		if c.Validation.Zone == "" || cert.Status != model.CertPendingValidation {
			continue
		}
		zone := a.zones[model.DomainKey(c.Validation.Zone)]
		for _, v := range cert.Validations {
			rr := v.ResourceRecord
			want := model.RecordSet{ZoneID: zone.ID, Name: fqdn(rr.Name), Type: rr.Type, TTL: 300, Records: []string{fqdn(rr.Value)}}
			if err := a.upsertRecord(ctx, res, "validationRecord", want, true); err != nil {
				return fmt.Errorf("%s.validation: %w", where, err)
			}
		}
	}
	return nil
}

// upsertRecord writes a record set unless the zone already holds exactly it;
// unless modify, only a missing record set is written.
func (a *applier) upsertRecord(ctx context.Context, res, field string, want model.RecordSet, modify bool) error {
	have, _, err := store.Load[model.RecordSet](ctx, a.Store, model.Key(model.KindRecordSet, model.RecordSetID(want.ZoneID, want.Name, want.Type)))
	if err == nil && (reflect.DeepEqual(*have, want) || !modify) {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c := Change{Resource: res, Field: field, Old: absent, New: recordText(&want)}
	if have != nil {
		c.Old = recordText(have)
	}
	return a.write(func() error {
		_, err := a.DNS.ChangeRecordSets(ctx, want.ZoneID, []nameserver.Change{{Action: "UPSERT", Set: want}})
		return err
	}, c)
}

func (a *applier) securityGroups(ctx context.Context) error {
	have, err := all[model.SecurityGroup](ctx, a.Store, model.KindSecurityGroup)
	if err != nil {
		return err
	}
	// A rule may name a group the file defines further down as its source: that
	// group is created (ensure) before the rule, and otherwise in file order.
	groups := make([]*model.SecurityGroup, len(a.f.SecurityGroups))
	ensure := func(i int) (*model.SecurityGroup, error) {
		if groups[i] != nil {
			return groups[i], nil
		}
		g := a.f.SecurityGroups[i]
		sg := find(have, func(h *model.SecurityGroup) bool { return h.Name == g.Name && h.VpcID == a.vpc.ID })
		if sg == nil {
			desc := g.Description
			if desc == "" {
				desc = g.Name
			}
			sg = &model.SecurityGroup{ID: planned, Name: g.Name}
			err := a.write(func() (err error) {
				sg, err = a.Network.CreateSecurityGroup(ctx, g.Name, desc, a.vpc.ID, nil)
				return err
			}, created("securityGroup/"+g.Name))
			if err != nil {
				return nil, fmt.Errorf("securityGroups[%d] %q: %w", i, g.Name, err)
			}
		}
		a.sgs[g.Name] = sg.ID
		groups[i] = sg
		return sg, nil
	}
	for i, g := range a.f.SecurityGroups {
		where := fmt.Sprintf("securityGroups[%d] %q", i, g.Name)
		res := "securityGroup/" + g.Name
		var sg *model.SecurityGroup
		if sg, err = ensure(i); err != nil {
			return err
		}
		for _, r := range g.Ingress {
			k := slices.IndexFunc(a.f.SecurityGroups, func(o SecurityGroup) bool { return o.Name == r.SourceSecurityGroup })
			if r.SourceSecurityGroup == "" || k < 0 {
				continue
			}
			if _, err := ensure(k); err != nil {
				return err
			}
		}
		var want, missing []model.IPPermission
		for j, r := range g.Ingress {
			p, err := r.permission(a.sgs)
			if err != nil {
				return fmt.Errorf("%s.ingress[%d]: %w", where, j, err)
			}
			want = append(want, p)
			if !hasPermission(sg.Ingress, p) {
				missing = append(missing, p)
			}
		}
		extra := extraPermissions(sg.Ingress, want)
		if !a.modify(res) || len(extra)+len(missing) == 0 {
			continue
		}
		err := a.write(func() error {
			// Revoke first what the file no longer allows: a rule removed from
			// the file must stop admitting traffic.
			if len(extra) > 0 {
				if _, err := a.Network.RevokeIngress(ctx, sg.ID, extra); err != nil {
					return err
				}
			}
			if len(missing) > 0 {
				if _, err := a.Network.AuthorizeIngress(ctx, sg.ID, missing); err != nil {
					return err
				}
			}
			return nil
		}, Change{Resource: res, Field: "ingress", Old: permissionsText(sg.Ingress), New: permissionsText(want)})
		if err != nil {
			return fmt.Errorf("%s.ingress: %w", where, err)
		}
	}
	return nil
}

// extraPermissions returns, one source (CIDR or group) each, the rules in have
// that want lacks.
func extraPermissions(have, want []model.IPPermission) []model.IPPermission {
	var extra []model.IPPermission
	for _, h := range have {
		for _, cidr := range h.CIDRs {
			p := model.IPPermission{Protocol: h.Protocol, FromPort: h.FromPort, ToPort: h.ToPort, CIDRs: []string{cidr}}
			if !hasPermission(want, p) {
				extra = append(extra, p)
			}
		}
		for _, g := range h.Groups {
			p := model.IPPermission{Protocol: h.Protocol, FromPort: h.FromPort, ToPort: h.ToPort, Groups: []model.GroupPair{g}}
			if !hasPermission(want, p) {
				extra = append(extra, p)
			}
		}
	}
	return extra
}

// permission is the rule as the network operations take it; groups maps the
// file's security group names to their IDs, for a rule whose source is a group.
func (r IngressRule) permission(groups map[string]string) (model.IPPermission, error) {
	p := model.IPPermission{Protocol: cmp.Or(r.Protocol, "tcp"), FromPort: r.FromPort, ToPort: r.ToPort}
	if r.SourceSecurityGroup != "" {
		p.Groups = []model.GroupPair{{GroupID: groups[r.SourceSecurityGroup]}}
	} else {
		p.CIDRs = []string{r.CIDR}
	}
	if r.Port != 0 {
		p.FromPort, p.ToPort = r.Port, r.Port
	}
	// As the network operations store it, so that re-applying compares equal.
	p = network.NormalizePermission(p)
	if r.CIDR == "" && r.SourceSecurityGroup == "" {
		return p, errors.New("cidr or sourceSecurityGroup is required")
	}
	if (p.Protocol == "tcp" || p.Protocol == "udp") && r.Port == 0 && r.FromPort == 0 && r.ToPort == 0 {
		return p, errors.New("port (or fromPort and toPort) is required for tcp and udp")
	}
	return p, nil
}

// hasPermission reports whether have holds p, a rule with one source: a CIDR,
// or a group (compared by ID: the owner and description do not name a rule).
func hasPermission(have []model.IPPermission, p model.IPPermission) bool {
	for _, h := range have {
		if h.Protocol != p.Protocol || h.FromPort != p.FromPort || h.ToPort != p.ToPort {
			continue
		}
		if len(p.Groups) > 0 {
			if slices.ContainsFunc(h.Groups, func(g model.GroupPair) bool { return g.GroupID == p.Groups[0].GroupID }) {
				return true
			}
		} else if slices.Contains(h.CIDRs, p.CIDRs[0]) {
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
		res := "vpcEndpoint/" + v.Name
		sgs, refs := a.securityGroupIDs(v.SecurityGroups)
		policy, err := policyJSON(v.Policy)
		if err != nil {
			return fmt.Errorf("%s.policy: %w", where, err)
		}
		ep := find(have, func(h *model.VpcEndpoint) bool { return h.Tags["Name"] == v.Name })
		if ep == nil {
			ep = &model.VpcEndpoint{ID: planned, Tags: map[string]string{"Name": v.Name}}
			err = a.write(func() (err error) {
				ep, err = a.Network.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: a.vpc.ID,
					ServiceName: "com.amazonaws." + a.Env.Region + ".execute-api", VpcEndpointType: "Interface",
					SubnetIDs: subnets, SecurityGroupIDs: sgs, PrivateDNSEnabled: v.PrivateDNS, PolicyDocument: policy,
					Tags: map[string]string{"Name": v.Name}})
				return err
			}, created(res))
		} else if mod, changed := endpointChanges(ep, subnets, sgs, policy); changed && a.modify(res, refs...) {
			var cs []Change
			if len(mod.AddSubnetIDs)+len(mod.RemoveSubnetIDs) > 0 {
				cs = append(cs, Change{res, "subnets", a.subnetsText(ep.SubnetIDs), a.subnetsText(subnets)})
			}
			if len(mod.AddSecurityGroupIDs)+len(mod.RemoveSecurityGroupIDs) > 0 {
				cs = append(cs, Change{res, "securityGroups", a.securityGroupsText(ep.SecurityGroupIDs), a.securityGroupsText(sgs)})
			}
			if mod.PolicyDocument != nil {
				cs = append(cs, Change{res, "policy", policyText(ep.PolicyDocument), policyText(policy)})
			}
			err = a.write(func() (err error) {
				ep, err = a.Network.ModifyVpcEndpoint(ctx, ep.ID, mod)
				return err
			}, cs...)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
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
	if a.dryRun {
		return nil // issuing is the certs service's work, not a change of the file's
	}
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
