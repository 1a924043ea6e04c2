package accelerator

import (
	"fmt"
	"sync/atomic"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestOnlyTheLeaderWritesStatus: a node that does not lead serves the
// accelerator's table but leaves its status IN_PROGRESS; once it leads, the
// next snapshot (the cluster's announcement of the new leader is one) has it
// write DEPLOYED.
func TestOnlyTheLeaderWritesStatus(t *testing.T) {
	var leads atomic.Bool
	f := newFixture(t, true, func(d *Deps) { d.Leader = leads.Load })
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
	rev := f.rev()
	testutil.Eventually(t, "the follower serves the accelerator's table", func() (bool, string) {
		got := f.svc.Served()
		return got >= rev, fmt.Sprintf("served rev %d, want %d", got, rev)
	})
	got := testutil.Must[*model.Accelerator](t)(f.svc.DescribeAccelerator(f.ctx, acc.ARN))
	if got.Status != model.AcceleratorInProgress {
		t.Fatalf("status written by a follower: got %s, want %s", got.Status, model.AcceleratorInProgress)
	}

	leads.Store(true)
	f.save("node/this", map[string]any{"name": "this", "leader": true})
	f.waitStatus(acc.ARN, deployed)
}
