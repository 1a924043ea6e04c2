package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Snapshot is every resource at one store revision. It is immutable: a change
// produces a new Snapshot (With), sharing the unchanged resources with the old one.
// Services compile it into their tables; nobody may modify what it points to.
type Snapshot struct {
	Rev int64 // the store revision it reflects

	HostedZones      map[string]*HostedZone
	RecordSets       map[string]*RecordSet
	Certificates     map[string]*Certificate // by ARN
	VPCs             map[string]*VPC
	Subnets          map[string]*Subnet
	SecurityGroups   map[string]*SecurityGroup
	VpcEndpoints     map[string]*VpcEndpoint
	NetworkIfaces    map[string]*NetworkInterface
	RestAPIs         map[string]*RestAPI
	Stages           map[string]*Stage // by RestAPIID/StageName
	DomainNames      map[string]*DomainName
	BasePathMappings map[string]*BasePathMapping // by MappingID
	LoadBalancers    map[string]*LoadBalancer    // by ARN
	Listeners        map[string]*Listener        // by ARN
	TargetGroups     map[string]*TargetGroup     // by ARN
	TargetHealth     map[string]*TargetHealth    // by target group ARN
	Rules            map[string]*Rule            // listener rules by ARN
	Targets          map[string]*TargetRecord    // registered targets by TargetID
	Accelerators     map[string]*Accelerator     // by ARN
	GAListeners      map[string]*GAListener      // by ARN
	EndpointGroups   map[string]*EndpointGroup   // by ARN
	// API keys and usage plans (apikeys.go).
	APIKeys       map[string]*APIKey       // by key id
	UsagePlans    map[string]*UsagePlan    // by plan id
	UsagePlanKeys map[string]*UsagePlanKey // by planID/keyID
	Usage         map[string]*Usage        // by UsageID

	// A REST API's tree and deployments, by API id and then by the id under
	// it (see the kinds): nested so that a change clones only its own API's
	// map, not every API's (a deployment to a snapshot of 10,000 cost 0.4 ms
	// and 460 KB when Deployments was flat: BenchmarkDeploymentChange).
	Resources            map[string]map[string]*Resource            // by resource id
	Methods              map[string]map[string]*Method              // by resourceID/HTTPMethod
	Integrations         map[string]map[string]*Integration         // by resourceID/HTTPMethod
	MethodResponses      map[string]map[string]*MethodResponse      // by resourceID/HTTPMethod/status
	IntegrationResponses map[string]map[string]*IntegrationResponse // by resourceID/HTTPMethod/status
	GatewayResponses     map[string]map[string]*GatewayResponse     // by response type
	Deployments          map[string]map[string]*Deployment          // by deployment ID
	DeploymentParts      map[string]map[string][]byte               // by deploymentID/n: raw bytes
}

// Change is one store change applied to a snapshot: a put (Value set) or a delete.
type Change struct {
	Key    string
	Value  []byte // nil for a delete
	Delete bool
}

// EmptySnapshot returns a snapshot with no resources at revision 0.
func EmptySnapshot() *Snapshot {
	s := &Snapshot{}
	s.eachMap(func(_ Kind, m mapRef) { m.init() })
	return s
}

// With returns a new snapshot at rev with the changes applied. The receiver is not
// modified. A value that does not decode is reported in the error and skipped, so
// one bad record never hides the rest.
func (s *Snapshot) With(rev int64, changes []Change) (*Snapshot, error) {
	next := *s
	next.Rev = rev
	touched := map[Kind]bool{}
	var errs []error
	next.eachMap(func(k Kind, m mapRef) {
		for _, c := range changes {
			kind, id := SplitKey(c.Key)
			if kind != k {
				continue
			}
			if !touched[k] {
				m.clone()
				touched[k] = true
			}
			if c.Delete {
				m.delete(id)
				continue
			}
			if err := m.decode(id, c.Value); err != nil {
				errs = append(errs, fmt.Errorf("decode %s: %w", c.Key, err))
			}
		}
	})
	if len(errs) > 0 {
		return &next, fmt.Errorf("snapshot rev %d: %v", rev, errs)
	}
	return &next, nil
}

// mapRef lets With treat every typed map alike.
type mapRef interface {
	init()
	clone()
	delete(id string)
	decode(id string, value []byte) error
}

type typedMap[T any] struct{ m *map[string]*T }

func (t typedMap[T]) init()            { *t.m = map[string]*T{} }
func (t typedMap[T]) clone()           { *t.m = maps.Clone(*t.m) }
func (t typedMap[T]) delete(id string) { delete(*t.m, id) }
func (t typedMap[T]) decode(id string, value []byte) error {
	v := new(T)
	if err := json.Unmarshal(value, v); err != nil {
		return err
	}
	(*t.m)[id] = v
	return nil
}

// nestedMap is a map of maps by the id's first segment (an API id): a change
// clones the outer map and the one inner map it touches, so that a change to
// one API's tree costs that API's size, not the size of every API's.
type nestedMap[V any] struct {
	m       *map[string]map[string]V
	parse   func([]byte) (V, error)
	touched map[string]bool // inner maps already cloned by this With
}

func nestedJSON[T any](m *map[string]map[string]*T) *nestedMap[*T] {
	return &nestedMap[*T]{m: m, parse: func(b []byte) (*T, error) {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return nil, err
		}
		return v, nil
	}}
}

func (n *nestedMap[V]) init() { *n.m = map[string]map[string]V{} }
func (n *nestedMap[V]) clone() {
	*n.m = maps.Clone(*n.m)
	n.touched = map[string]bool{}
}

// inner returns the writable inner map of id's first segment and the rest of id.
func (n *nestedMap[V]) inner(id string) (string, map[string]V, string) {
	outer, rest, _ := strings.Cut(id, "/")
	in := (*n.m)[outer]
	if !n.touched[outer] || in == nil {
		// An inner map emptied by a delete earlier in this With is gone
		// from the outer map: a new one replaces it.
		in = maps.Clone(in)
		if in == nil {
			in = map[string]V{}
		}
		(*n.m)[outer] = in
		n.touched[outer] = true
	}
	return outer, in, rest
}

func (n *nestedMap[V]) delete(id string) {
	outer, in, rest := n.inner(id)
	delete(in, rest)
	if len(in) == 0 {
		delete(*n.m, outer)
	}
}

func (n *nestedMap[V]) decode(id string, value []byte) error {
	v, err := n.parse(value)
	if err != nil {
		return err
	}
	_, in, rest := n.inner(id)
	in[rest] = v
	return nil
}

func (s *Snapshot) eachMap(f func(Kind, mapRef)) {
	f(KindHostedZone, typedMap[HostedZone]{&s.HostedZones})
	f(KindRecordSet, typedMap[RecordSet]{&s.RecordSets})
	f(KindCertificate, typedMap[Certificate]{&s.Certificates})
	f(KindVPC, typedMap[VPC]{&s.VPCs})
	f(KindSubnet, typedMap[Subnet]{&s.Subnets})
	f(KindSecurityGroup, typedMap[SecurityGroup]{&s.SecurityGroups})
	f(KindVpcEndpoint, typedMap[VpcEndpoint]{&s.VpcEndpoints})
	f(KindNetworkIface, typedMap[NetworkInterface]{&s.NetworkIfaces})
	f(KindRestAPI, typedMap[RestAPI]{&s.RestAPIs})
	f(KindStage, typedMap[Stage]{&s.Stages})
	f(KindDomainName, typedMap[DomainName]{&s.DomainNames})
	f(KindBasePathMapping, typedMap[BasePathMapping]{&s.BasePathMappings})
	f(KindResource, nestedJSON(&s.Resources))
	f(KindMethod, nestedJSON(&s.Methods))
	f(KindIntegration, nestedJSON(&s.Integrations))
	f(KindMethodResponse, nestedJSON(&s.MethodResponses))
	f(KindIntegrationResponse, nestedJSON(&s.IntegrationResponses))
	f(KindGatewayResponse, nestedJSON(&s.GatewayResponses))
	f(KindDeployment, nestedJSON(&s.Deployments))
	f(KindDeploymentPart, &nestedMap[[]byte]{m: &s.DeploymentParts, parse: func(b []byte) ([]byte, error) { return bytes.Clone(b), nil }})
	f(KindLoadBalancer, typedMap[LoadBalancer]{&s.LoadBalancers})
	f(KindListener, typedMap[Listener]{&s.Listeners})
	f(KindTargetGroup, typedMap[TargetGroup]{&s.TargetGroups})
	f(KindTargetHealth, typedMap[TargetHealth]{&s.TargetHealth})
	f(KindRule, typedMap[Rule]{&s.Rules})
	f(KindTarget, typedMap[TargetRecord]{&s.Targets})
	f(KindAccelerator, typedMap[Accelerator]{&s.Accelerators})
	f(KindGAListener, typedMap[GAListener]{&s.GAListeners})
	f(KindEndpointGroup, typedMap[EndpointGroup]{&s.EndpointGroups})
	f(KindAPIKey, typedMap[APIKey]{&s.APIKeys})
	f(KindUsagePlan, typedMap[UsagePlan]{&s.UsagePlans})
	f(KindUsagePlanKey, typedMap[UsagePlanKey]{&s.UsagePlanKeys})
	f(KindUsage, typedMap[Usage]{&s.Usage})
}

// LoadBalancerByDNSName finds a load balancer by its DNS name (any case, with or
// without the trailing dot); nil if none.
func (s *Snapshot) LoadBalancerByDNSName(name string) *LoadBalancer {
	name = DomainKey(name)
	for _, lb := range s.LoadBalancers {
		if DomainKey(lb.DNSName) == name {
			return lb
		}
	}
	return nil
}

// AcceleratorByDNSName finds an accelerator by its DNS name; nil if none.
func (s *Snapshot) AcceleratorByDNSName(name string) *Accelerator {
	name = DomainKey(name)
	for _, a := range s.Accelerators {
		if DomainKey(a.DNSName) == name {
			return a
		}
	}
	return nil
}

// LoadBalancerTargetGroups returns the ARNs of the target groups that the load
// balancer's listeners forward to (default actions and rules), without
// duplicates.
func (s *Snapshot) LoadBalancerTargetGroups(lbARN string) []string {
	var out []string
	add := func(tgs []string) {
		for _, tg := range tgs {
			if !slices.Contains(out, tg) {
				out = append(out, tg)
			}
		}
	}
	for _, l := range s.Listeners {
		if l.LoadBalancerARN == lbARN {
			add(l.TargetGroupARNs())
		}
	}
	// Rules are records of their own: each counts for its listener's load
	// balancer.
	for _, r := range s.Rules {
		if l := s.Listeners[r.ListenerARN]; l != nil && l.LoadBalancerARN == lbARN {
			add(r.TargetGroupARNs())
		}
	}
	return out
}

// LoadBalancerHealthy reports whether Global Accelerator would count the load
// balancer healthy: each target group it forwards to has at least one healthy
// target, and it forwards to at least one.
func (s *Snapshot) LoadBalancerHealthy(lbARN string) bool {
	tgs := s.LoadBalancerTargetGroups(lbARN)
	if len(tgs) == 0 {
		return false
	}
	for _, tg := range tgs {
		h := s.TargetHealth[tg]
		if h == nil || !h.anyHealthy() {
			return false
		}
	}
	return true
}

func (h *TargetHealth) anyHealthy() bool {
	for _, t := range h.Targets {
		if t.State == TargetHealthy {
			return true
		}
	}
	return false
}

// DomainKey is a DNS name as DNS compares names: ASCII lowercase, without the
// trailing dot. Every service keys and compares domain names by it.
func DomainKey(n string) string {
	b := []byte(n)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return string(b)
}
