package accelerator

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// waitAnnounceable waits until Announceable returns exactly want.
func (f *fixture) waitAnnounceable(step string, want ...string) {
	f.t.Helper()
	testutil.Eventually(f.t, step+": announceable "+fmt.Sprint(want), func() (bool, string) {
		got := fmt.Sprint(f.svc.Announceable())
		return got == fmt.Sprint(want), "got " + got
	})
}

// TestAnnounceable follows one accelerator through the states that decide
// whether its static IPs may be announced: healthy endpoint, no healthy
// endpoint, disabled, enabled again.
func TestAnnounceable(t *testing.T) {
	const port = 41091
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true)
	lb1 := f.putLB("lb1", true, lb1IP)
	acc, _ := f.setup(port, "", ep(lb1, 128))
	both := []string{staticIP1 + "/32", staticIP2 + "/32"}
	f.waitAnnounceable("healthy endpoint", both...)

	f.setHealth("lb1", false)
	f.waitAnnounceable("no healthy endpoint")
	f.setHealth("lb1", true)
	f.waitAnnounceable("healthy again", both...)

	off, on := false, true
	if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	f.waitAnnounceable("disabled")
	if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	f.waitAnnounceable("enabled again", both...)
}

// TestAnnounceableNeedsOpenSocket: a static IP whose socket this node cannot
// open (another process holds the port) is not announced; the other one is,
// and both are once the port is free.
func TestAnnounceableNeedsOpenSocket(t *testing.T) {
	const port = 41092
	blocker, err := net.Listen("tcp", net.JoinHostPort(staticIP2, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true, func(d *Deps) { d.RetryInterval = 10 * time.Millisecond })
	lb1 := f.putLB("lb1", true, lb1IP)
	// f.setup would wait for DEPLOYED, which needs every socket open.
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
	l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: port, ToPort: port}}, ""))
	testutil.Must[*model.EndpointGroup](t)(f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{ep(lb1, 128)}}))
	f.waitAnnounceable("port held on "+staticIP2, staticIP1+"/32")
	blocker.Close()
	f.waitAnnounceable("port freed", staticIP1+"/32", staticIP2+"/32")
	if got := f.svc.Announceable(); len(got) != 2 || got[0] != netip.MustParsePrefix(staticIP1+"/32") {
		t.Errorf("Announceable() = %v, want %s and %s, sorted", got, staticIP1, staticIP2)
	}
}

// TestAnnounceableOnOwnChecks: with Deps.LocalHealth a node announces on its
// own health checks' word, whatever the stored report (another node's
// view) says: nothing before its first check completed, nothing while it
// sees the endpoint unhealthy, and the IPs once it sees it healthy, even
// while the stored report still says unhealthy.
func TestAnnounceableOnOwnChecks(t *testing.T) {
	const port = 41096
	type view struct{ healthy, known bool }
	var mu sync.Mutex
	own := view{}
	set := func(v view) {
		mu.Lock()
		own = v
		mu.Unlock()
	}
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true, func(d *Deps) {
		d.LocalHealth = func(string) (bool, bool) {
			mu.Lock()
			defer mu.Unlock()
			return own.healthy, own.known
		}
	})
	lb1 := f.putLB("lb1", true, lb1IP)
	f.setup(port, "", ep(lb1, 128))
	both := []string{staticIP1 + "/32", staticIP2 + "/32"}

	for _, step := range []struct {
		name          string
		storedHealthy bool
		own           view
		want          []string
	}{
		{"stored healthy, no own check yet", true, view{false, false}, nil},
		{"stored healthy, own checks unhealthy", true, view{false, true}, nil},
		{"stored healthy, own checks healthy", true, view{true, true}, both},
		{"stored unhealthy, own checks healthy", false, view{true, true}, both},
		{"stored unhealthy, own checks unhealthy", false, view{false, true}, nil},
	} {
		f.waitTable(f.setHealth("lb1", step.storedHealthy))
		set(step.own)
		f.waitAnnounceable(step.name, step.want...)
	}
}
