package daemon

import (
	"net/netip"
	"testing"

	"gatehouse/internal/listen"
)

// The split must leave every class a place and the reserve its descriptors,
// whatever the limit: no class can take what another or the reserve needs.
func TestSplitFDs(t *testing.T) {
	pools := []netip.Prefix{netip.MustParsePrefix("127.77.1.0/24"), netip.MustParsePrefix("127.77.2.0/24")}
	vpc := netip.MustParsePrefix("127.31.0.0/16")
	for _, tc := range []struct {
		name  string
		limit uint64
	}{
		{"a small default soft limit", 1024},
		{"the issue's limit", 20000},
		{"a large hard limit", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps := splitFDs(tc.limit, pools, vpc)
			classes := map[string]listen.Limits{classStaticIP: caps.StaticIP, classBalancer: caps.Balancer,
				classEndpoint: caps.Endpoint, classDNSTCP: caps.DNSTCP, classAWSAPI: caps.AWSAPI}
			t.Logf("limit %d: static_ip %+v, balancer %+v, endpoint %+v, dns_tcp %+v, aws_api %+v", tc.limit,
				caps.StaticIP, caps.Balancer, caps.Endpoint, caps.DNSTCP, caps.AWSAPI)
			used := 0
			for _, s := range fdShares {
				l := classes[s.class]
				if l.Total < 1 || l.PerListener < 1 || l.PerSource < 1 {
					t.Errorf("%s: got %+v, want every cap at least 1", s.class, l)
				}
				if l.PerListener > l.Total || l.PerSource > l.PerListener {
					t.Errorf("%s: got %+v, want per source ≤ per listener ≤ total", s.class, l)
				}
				used += l.Total * s.cost
			}
			if reserve := int(tc.limit) - used; reserve < int(tc.limit)/10 {
				t.Errorf("descriptors left for the reserve: got %d of %d, want at least a tenth", reserve, tc.limit)
			}
			// Each accelerator flow opens a balancer connection from a static
			// IP, all to one node when one client floods.
			if caps.Balancer.PerListener < caps.StaticIP.Total {
				t.Errorf("balancer per node %d < static IPs' total %d: accelerator flows could fill a node", caps.Balancer.PerListener, caps.StaticIP.Total)
			}
			if len(caps.Balancer.Exempt) != 2 || len(caps.Endpoint.Exempt) != 1 || caps.Endpoint.Exempt[0] != vpc {
				t.Errorf("exempt sources: balancer %v, endpoint %v; want the pools and the VPC", caps.Balancer.Exempt, caps.Endpoint.Exempt)
			}
		})
	}
}

func TestCapsOverride(t *testing.T) {
	derived := splitFDs(20000, nil, netip.Prefix{})
	got := derived.override(Caps{StaticIP: listen.Limits{PerListener: 200}})
	if got.StaticIP.PerListener != 200 {
		t.Errorf("overridden static IP per-listener cap: got %d, want 200", got.StaticIP.PerListener)
	}
	if got.StaticIP.Total != derived.StaticIP.Total || got.StaticIP.PerSource != derived.StaticIP.PerSource {
		t.Errorf("fields not overridden: got %+v, want total and per source of %+v", got.StaticIP, derived.StaticIP)
	}
	if got.Balancer.Total != derived.Balancer.Total {
		t.Errorf("other class: got %+v, want %+v", got.Balancer, derived.Balancer)
	}
}
