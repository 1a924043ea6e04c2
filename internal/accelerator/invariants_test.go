package accelerator

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// raceRounds is how many times each race is run: enough that a check
// followed by a separate write loses at least once on two cores.
const raceRounds = 1000

// twoNodes returns a fixture (node A) and a second service over the same
// store (node B), as two gatehouse nodes sharing one store.
func twoNodes(t *testing.T) (*fixture, *Service) {
	f := newFixture(t, false)
	b := New(Deps{Store: f.st, Env: model.DefaultEnv, Pools: testPools})
	return f, b
}

// race runs a and b at once and waits for both.
func race(a, b func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() { <-start; a() })
	wg.Go(func() { <-start; b() })
	close(start)
	wg.Wait()
}

// wantOK fails unless err is nil or the AWS error code allowed.
func wantOK(t *testing.T, round int, op string, err error, allowed string) {
	t.Helper()
	if err != nil && modelErrCode(err) != allowed {
		t.Fatalf("round %d: %s: got %v, want success or %s", round, op, err, allowed)
	}
}

func exists(f *fixture, key string) bool {
	f.t.Helper()
	_, err := f.st.Get(f.ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatal(err)
	}
	return err == nil
}

// orphans lists the store's listeners without their accelerator and endpoint
// groups without their listener.
func orphans(f *fixture) []string {
	f.t.Helper()
	var out []string
	ls, _, err := store.LoadAllAt[model.GAListener](f.ctx, f.st, model.Prefix(model.KindGAListener))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, l := range ls {
		if !exists(f, model.Key(model.KindAccelerator, l.AcceleratorARN)) {
			out = append(out, "listener "+l.ARN)
		}
	}
	gs, _, err := store.LoadAllAt[model.EndpointGroup](f.ctx, f.st, model.Prefix(model.KindEndpointGroup))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, g := range gs {
		if !exists(f, model.Key(model.KindGAListener, g.ListenerARN)) {
			out = append(out, "endpoint group "+g.ARN)
		}
	}
	return out
}

// TestListenerVsAcceleratorDeletion races CreateListener on one node against
// DeleteAccelerator on the other: the store must never keep a listener whose
// accelerator is gone.
func TestListenerVsAcceleratorDeletion(t *testing.T) {
	f, b := twoNodes(t)
	disabled := false
	for round := range raceRounds {
		acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge", Enabled: &disabled}))
		var l *model.GAListener
		var createErr, deleteErr error
		race(func() {
			l, createErr = b.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 443, ToPort: 443}}, "")
		}, func() {
			deleteErr = f.svc.DeleteAccelerator(f.ctx, acc.ARN)
		})
		wantOK(t, round, "CreateListener", createErr, codeAcceleratorNotFound)
		wantOK(t, round, "DeleteAccelerator", deleteErr, codeAssociatedListener)
		if createErr == nil && deleteErr == nil {
			t.Fatalf("round %d: both CreateListener and DeleteAccelerator succeeded", round)
		}
		if got := orphans(f); len(got) > 0 {
			t.Fatalf("round %d: got orphans %s, want none", round, strings.Join(got, ", "))
		}
		// Clean up so the accelerator quota and the IP pools last.
		if createErr == nil {
			if err := f.svc.DeleteListener(f.ctx, l.ARN); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteAccelerator(f.ctx, acc.ARN); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEndpointGroupVsListenerDeletion races CreateEndpointGroup on one node
// against DeleteListener on the other: the store must never keep an endpoint
// group whose listener is gone.
func TestEndpointGroupVsListenerDeletion(t *testing.T) {
	f, b := twoNodes(t)
	lb := f.putLB("lb1", true, lb1IP)
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
	for round := range raceRounds {
		l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 443, ToPort: 443}}, ""))
		var g *model.EndpointGroup
		var createErr, deleteErr error
		race(func() {
			g, createErr = b.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{
				ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{{EndpointID: lb}},
			})
		}, func() {
			deleteErr = f.svc.DeleteListener(f.ctx, l.ARN)
		})
		wantOK(t, round, "CreateEndpointGroup", createErr, codeListenerNotFound)
		wantOK(t, round, "DeleteListener", deleteErr, codeAssociatedEndpointGroup)
		if createErr == nil && deleteErr == nil {
			t.Fatalf("round %d: both CreateEndpointGroup and DeleteListener succeeded", round)
		}
		if got := orphans(f); len(got) > 0 {
			t.Fatalf("round %d: got orphans %s, want none", round, strings.Join(got, ", "))
		}
		if createErr == nil {
			if err := f.svc.DeleteEndpointGroup(f.ctx, g.ARN); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.DeleteListener(f.ctx, l.ARN); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSiblingRules races two creations that a rule across siblings allows
// only one of: one endpoint group per region of a listener, and listeners
// whose port ranges do not overlap.
func TestSiblingRules(t *testing.T) {
	tests := []struct {
		name    string
		create  func(f *fixture, s *Service, l *model.GAListener) error
		refusal string
	}{
		{"endpoint group per region", func(f *fixture, s *Service, l *model.GAListener) error {
			_, err := s.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{
				ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{{EndpointID: lbARN("lb1")}},
			})
			return err
		}, codeEndpointGroupExists},
		{"listener port ranges", func(f *fixture, s *Service, l *model.GAListener) error {
			_, err := s.CreateListener(f.ctx, l.AcceleratorARN, "TCP", []model.PortRange{{FromPort: 8080, ToPort: 8080}}, "")
			return err
		}, codeInvalidPortRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, b := twoNodes(t)
			f.putLB("lb1", true, lb1IP)
			acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
			for round := range raceRounds / 3 {
				l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 443, ToPort: 443}}, ""))
				var errA, errB error
				race(func() { errA = tt.create(f, f.svc, l) }, func() { errB = tt.create(f, b, l) })
				wantOK(t, round, "node A", errA, tt.refusal)
				wantOK(t, round, "node B", errB, tt.refusal)
				if (errA == nil) == (errB == nil) {
					t.Fatalf("round %d: got node A %v, node B %v; want exactly one success", round, errA, errB)
				}
				// Clean up: every listener of the accelerator and its groups.
				ls := testutil.Must[[]*model.GAListener](t)(f.svc.ListListeners(f.ctx, acc.ARN))
				for _, l := range ls {
					gs := testutil.Must[[]*model.EndpointGroup](t)(f.svc.ListEndpointGroups(f.ctx, l.ARN))
					for _, g := range gs {
						if err := f.svc.DeleteEndpointGroup(f.ctx, g.ARN); err != nil {
							t.Fatal(err)
						}
					}
					if err := f.svc.DeleteListener(f.ctx, l.ARN); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
