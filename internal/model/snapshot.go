package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
	Deployments      map[string]*Deployment // by RestAPIID/ID
	Stages           map[string]*Stage      // by RestAPIID/StageName
	DomainNames      map[string]*DomainName
	BasePathMappings map[string]*BasePathMapping // by MappingID
	LoadBalancers    map[string]*LoadBalancer    // by ARN
	Listeners        map[string]*Listener        // by ARN
	TargetGroups     map[string]*TargetGroup     // by ARN
	TargetHealth     map[string]*TargetHealth    // by target group ARN
	Accelerators     map[string]*Accelerator     // by ARN
	GAListeners      map[string]*GAListener      // by ARN
	EndpointGroups   map[string]*EndpointGroup   // by ARN
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
	f(KindDeployment, typedMap[Deployment]{&s.Deployments})
	f(KindStage, typedMap[Stage]{&s.Stages})
	f(KindDomainName, typedMap[DomainName]{&s.DomainNames})
	f(KindBasePathMapping, typedMap[BasePathMapping]{&s.BasePathMappings})
	f(KindLoadBalancer, typedMap[LoadBalancer]{&s.LoadBalancers})
	f(KindListener, typedMap[Listener]{&s.Listeners})
	f(KindTargetGroup, typedMap[TargetGroup]{&s.TargetGroups})
	f(KindTargetHealth, typedMap[TargetHealth]{&s.TargetHealth})
	f(KindAccelerator, typedMap[Accelerator]{&s.Accelerators})
	f(KindGAListener, typedMap[GAListener]{&s.GAListeners})
	f(KindEndpointGroup, typedMap[EndpointGroup]{&s.EndpointGroups})
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
	for _, l := range s.Listeners {
		if l.LoadBalancerARN != lbARN {
			continue
		}
		for _, tg := range l.TargetGroupARNs() {
			if !slices.Contains(out, tg) {
				out = append(out, tg)
			}
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
