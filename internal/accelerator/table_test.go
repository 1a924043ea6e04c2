package accelerator

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"gatehouse/internal/model"
)

func eps(spec ...any) []*endpoint {
	var out []*endpoint
	for i := 0; i < len(spec); i += 2 {
		out = append(out, &endpoint{id: fmt.Sprint(len(out)), weight: spec[i].(int), healthy: spec[i+1].(bool)})
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		groups []*group
		want   []string // allowed first endpoints, by id ("g/e")
		empty  bool
	}{
		{"healthy over unhealthy", []*group{{arn: "g", dial: 100, endpoints: eps(100, false, 1, true)}}, []string{"g/1"}, false},
		{"weight 0 gets nothing", []*group{{arn: "g", dial: 100, endpoints: eps(0, true, 5, true)}}, []string{"g/1"}, false},
		{"fail open among weighted", []*group{{arn: "g", dial: 100, endpoints: eps(0, false, 5, false)}}, []string{"g/1"}, false},
		{"only weight 0", []*group{{arn: "g", dial: 100, endpoints: eps(0, true)}}, nil, true},
		{"next group when first unhealthy", []*group{
			{arn: "a", dial: 100, endpoints: eps(5, false)},
			{arn: "b", dial: 100, endpoints: eps(5, true)},
		}, []string{"b/0"}, false},
		{"dial 0 spills to next group", []*group{
			{arn: "a", dial: 0, endpoints: eps(5, true)},
			{arn: "b", dial: 0, endpoints: eps(5, true)},
		}, []string{"b/0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, g := range tt.groups {
				for _, e := range g.endpoints {
					e.id = g.arn + "/" + e.id
				}
			}
			r := &route{groups: tt.groups}
			for seed := range uint64(50) {
				p := r.plan(seed)
				if tt.empty {
					if len(p) != 0 {
						t.Fatalf("seed %d: got plan of %d, want none", seed, len(p))
					}
					continue
				}
				if len(p) == 0 || !slices.Contains(tt.want, p[0].id) {
					t.Fatalf("seed %d: got first %v, want one of %v", seed, ids(p), tt.want)
				}
			}
		})
	}
}

func ids(p []*endpoint) []string {
	var out []string
	for _, e := range p {
		out = append(out, e.id)
	}
	return out
}

// FuzzPlan: for any weights, health, dials and affinity seed, plan never
// panics, never returns weight 0, returns each endpoint at most once, puts a
// healthy endpoint first whenever one with weight > 0 exists, and is the same
// for the same seed.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{128, 1, 128, 1}, uint64(1))
	f.Add([]byte{0, 1, 5, 0, 0, 0}, uint64(7))
	f.Add([]byte{255, 0, 255, 0, 1, 1, 0, 1, 200, 1}, uint64(42))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		// Each pair of bytes is an endpoint: weight, and health in the low bit
		// (the other bits choose the group and its dial).
		var groups []*group
		for i := 0; i+1 < len(b) && i < 64; i += 2 {
			gi := int(b[i+1]>>1) % 4
			for len(groups) <= gi {
				groups = append(groups, &group{arn: fmt.Sprint(len(groups)), dial: float64(b[i+1]>>3) * 100 / 31})
			}
			g := groups[gi]
			g.endpoints = append(g.endpoints, &endpoint{id: fmt.Sprint(i), weight: int(b[i]), healthy: b[i+1]&1 == 1})
		}
		r := &route{groups: groups}
		p := r.plan(seed)
		weightedHealthy, weighted := false, false
		for _, g := range groups {
			for _, e := range g.endpoints {
				weighted = weighted || e.weight > 0
				weightedHealthy = weightedHealthy || (e.weight > 0 && e.healthy)
			}
		}
		seen := map[*endpoint]bool{}
		for _, e := range p {
			if e.weight == 0 {
				t.Fatalf("plan holds endpoint %s with weight 0", e.id)
			}
			if seen[e] {
				t.Fatalf("plan holds endpoint %s twice", e.id)
			}
			seen[e] = true
		}
		if weighted && len(p) == 0 {
			t.Fatalf("empty plan with weighted endpoints")
		}
		if weightedHealthy && !p[0].healthy {
			t.Fatalf("first endpoint %s is unhealthy while a healthy weighted one exists", p[0].id)
		}
		if got, want := ids(r.plan(seed)), ids(p); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("same seed: got %v, want %v", got, want)
		}
	})
}

func TestCompile(t *testing.T) {
	snap := model.EmptySnapshot()
	acc := &model.Accelerator{ARN: "acc", Enabled: true, IPSets: []model.IPSet{{IPAddresses: []string{"127.0.15.4", "127.0.15.68"}}}}
	snap.Accelerators["acc"] = acc
	snap.GAListeners["acc/listener/1"] = &model.GAListener{ARN: "acc/listener/1", AcceleratorARN: "acc", Protocol: "TCP", PortRanges: []model.PortRange{{FromPort: 80, ToPort: 81}}}
	snap.GAListeners["acc/listener/2"] = &model.GAListener{ARN: "acc/listener/2", AcceleratorARN: "acc", Protocol: "UDP", PortRanges: []model.PortRange{{FromPort: 53, ToPort: 53}}}
	snap.EndpointGroups["g1"] = &model.EndpointGroup{ARN: "g1", ListenerARN: "acc/listener/1", Region: "us-west-2", TrafficDialPercentage: 50}
	snap.EndpointGroups["g2"] = &model.EndpointGroup{ARN: "g2", ListenerARN: "acc/listener/1", Region: "eu-west-1", TrafficDialPercentage: 100}
	snap.Accelerators["off"] = &model.Accelerator{ARN: "off", IPSets: []model.IPSet{{IPAddresses: []string{"127.0.15.5"}}}}

	tab, err := compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.15.4:80", "127.0.15.4:81", "127.0.15.68:80", "127.0.15.68:81"}
	if fmt.Sprint(tab.addrs) != fmt.Sprint(want) {
		t.Errorf("got addrs %v, want %v (TCP only, disabled none)", tab.addrs, want)
	}
	r := tab.route(netip.MustParseAddrPort("127.0.15.68:81"))
	if r == nil || r.listener != "acc/listener/1" || len(r.groups) != 2 || r.groups[0].arn != "g2" {
		t.Errorf("got route %+v, want listener 1 with groups by dial (g2 first)", r)
	}
	if st := tab.accelerators["off"]; st == nil || st.enabled || len(st.addrs) != 0 {
		t.Errorf("disabled accelerator: got %+v", st)
	}
}
