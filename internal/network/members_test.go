package network

import (
	"net/netip"
	"slices"
	"testing"

	"gatehouse/internal/model"
)

func TestCompileGroupSources(t *testing.T) {
	const port = 443
	endpoint := func(groups ...string) *model.VpcEndpoint {
		return &model.VpcEndpoint{ID: "vpce-1", ServiceName: model.ExecuteAPIService("us-west-2"), Type: "Interface",
			SecurityGroupIDs: groups, NetworkInterfaceIDs: []string{"eni-ep"}}
	}
	rule := func(proto string, from, to int, groups ...string) *model.SecurityGroup {
		p := model.IPPermission{Protocol: proto, FromPort: from, ToPort: to}
		for _, g := range groups {
			p.Groups = append(p.Groups, model.GroupPair{GroupID: g})
		}
		return &model.SecurityGroup{ID: "sg-ep", Ingress: []model.IPPermission{p}}
	}
	lb := func(groups []string, ips ...string) *model.LoadBalancer {
		l := &model.LoadBalancer{ARN: "arn:lb", SecurityGroupIDs: groups}
		for i, ip := range ips {
			l.Nodes = append(l.Nodes, model.LBNode{IP: ip, NetworkInterfaceID: "eni-lb" + string(rune('a'+i))})
		}
		return l
	}
	cases := []struct {
		name   string
		group  *model.SecurityGroup
		lbs    []*model.LoadBalancer
		enis   []*model.NetworkInterface
		admit  []string
		refuse []string
	}{
		{name: "load balancer nodes of the source group",
			group: rule("tcp", 443, 443, "sg-lb"), lbs: []*model.LoadBalancer{lb([]string{"sg-lb"}, "10.0.1.5", "10.0.2.5")},
			admit: []string{"10.0.1.5", "10.0.2.5"}, refuse: []string{"10.0.1.6", "10.0.3.4"}},
		{name: "load balancer in another group",
			group: rule("tcp", 443, 443, "sg-lb"), lbs: []*model.LoadBalancer{lb([]string{"sg-other"}, "10.0.1.5")},
			refuse: []string{"10.0.1.5"}},
		{name: "rule for another port admits no member",
			group: rule("tcp", 80, 80, "sg-lb"), lbs: []*model.LoadBalancer{lb([]string{"sg-lb"}, "10.0.1.5")},
			refuse: []string{"10.0.1.5"}},
		{name: "all traffic from the group",
			group: rule("-1", -1, -1, "sg-lb"), lbs: []*model.LoadBalancer{lb([]string{"sg-lb"}, "10.0.1.5")},
			admit: []string{"10.0.1.5"}},
		{name: "the load balancer's groups win over a stale interface record",
			group: rule("tcp", 443, 443, "sg-lb"), lbs: []*model.LoadBalancer{lb([]string{"sg-new"}, "10.0.1.5")},
			enis:   []*model.NetworkInterface{{ID: "eni-lba", PrivateIP: "10.0.1.5", SecurityGroupIDs: []string{"sg-lb"}}},
			refuse: []string{"10.0.1.5"}},
		{name: "an interface no owner claims counts by its own groups",
			group: rule("tcp", 443, 443, "sg-lb"),
			enis:  []*model.NetworkInterface{{ID: "eni-x", PrivateIP: "10.0.1.9", SecurityGroupIDs: []string{"sg-lb"}}},
			admit: []string{"10.0.1.9"}, refuse: []string{"10.0.1.5"}},
		{name: "the endpoint's own interface through a self reference",
			group: rule("tcp", 443, 443, "sg-ep"),
			admit: []string{"10.0.1.4"}, refuse: []string{"10.0.1.5"}},
		{name: "a group without members admits nobody",
			group: rule("tcp", 443, 443, "sg-gone"), lbs: []*model.LoadBalancer{lb([]string{"sg-lb"}, "10.0.1.5")},
			refuse: []string{"10.0.1.5", "10.0.1.4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := model.EmptySnapshot()
			snap.SecurityGroups["sg-ep"] = c.group
			snap.VpcEndpoints["vpce-1"] = endpoint("sg-ep")
			snap.NetworkIfaces["eni-ep"] = &model.NetworkInterface{ID: "eni-ep", PrivateIP: "10.0.1.4", SecurityGroupIDs: []string{"sg-ep"}}
			for _, l := range c.lbs {
				snap.LoadBalancers[l.ARN] = l
			}
			for _, n := range c.enis {
				snap.NetworkIfaces[n.ID] = n
			}
			tab, err := compile(snap, compileConfig{service: model.ExecuteAPIService("us-west-2"), port: port})
			if err != nil {
				t.Fatal(err)
			}
			b := tab.byAddr[netip.MustParseAddrPort("10.0.1.4:443")]
			if b == nil {
				t.Fatalf("bindings: got %v, want 10.0.1.4:443", tab.addrs)
			}
			for _, src := range c.admit {
				if !b.allows(netip.MustParseAddr(src)) {
					t.Errorf("%s: got refused, want admitted (sources %v)", src, b.sources)
				}
			}
			for _, src := range c.refuse {
				if b.allows(netip.MustParseAddr(src)) {
					t.Errorf("%s: got admitted, want refused (sources %v)", src, b.sources)
				}
			}
			again, _ := compile(snap, compileConfig{service: model.ExecuteAPIService("us-west-2"), port: port})
			if got := again.byAddr[netip.MustParseAddrPort("10.0.1.4:443")].sources; !slices.Equal(got, b.sources) {
				t.Errorf("second compile of one snapshot: got sources %v, want %v", got, b.sources)
			}
		})
	}
}
