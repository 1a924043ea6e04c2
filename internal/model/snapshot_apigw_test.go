package model

import (
	"fmt"
	"testing"
)

// TestNestedMapsCopyOnWrite: a change to one API's tree makes a new inner map
// for that API only; the snapshot it came from is unchanged, the other APIs'
// maps are shared, and an API's last record deleted drops its inner map.
func TestNestedMapsCopyOnWrite(t *testing.T) {
	first, err := EmptySnapshot().With(1, []Change{
		{Key: "resource/api1/r1", Value: []byte(`{"ID":"r1","Path":"/"}`)},
		{Key: "resource/api2/r2", Value: []byte(`{"ID":"r2","Path":"/"}`)},
		{Key: "deploymentpart/api1/d1/0", Value: []byte("part")},
	})
	if err != nil {
		t.Fatal(err)
	}
	second, err := first.With(2, []Change{
		{Key: "resource/api1/r3", Value: []byte(`{"ID":"r3","ParentID":"r1","PathPart":"x","Path":"/x"}`)},
		{Key: "deploymentpart/api1/d1/0", Delete: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"first snapshot's api1 resources", len(first.Resources["api1"]), 1},
		{"second snapshot's api1 resources", len(second.Resources["api1"]), 2},
		{"second snapshot's api2 resources", len(second.Resources["api2"]), 1},
		{"first snapshot's parts", len(first.DeploymentParts["api1"]), 1},
		{"second snapshot's APIs with parts", len(second.DeploymentParts), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	if second.Resources["api2"]["r2"] != first.Resources["api2"]["r2"] {
		t.Errorf("api2's resource: got a copy, want the record shared with the first snapshot")
	}
	if string(first.DeploymentParts["api1"]["d1/0"]) != "part" {
		t.Errorf("part: got %q, want %q", first.DeploymentParts["api1"]["d1/0"], "part")
	}
}

// BenchmarkDeploymentChange applies one deployment (its header and a part)
// to a snapshot that holds 10,000 deployments of 35 APIs: the cost of a
// CreateDeployment to every node's snapshot.
func BenchmarkDeploymentChange(b *testing.B) {
	var load []Change
	for i := range 10000 {
		id := fmt.Sprintf("api%d/d%d", i%35, i)
		load = append(load, Change{Key: "deployment/" + id, Value: []byte(`{"ID":"d"}`)},
			Change{Key: "deploymentpart/" + id + "/0", Value: []byte("part")})
	}
	snap, err := EmptySnapshot().With(1, load)
	if err != nil {
		b.Fatal(err)
	}
	change := []Change{{Key: "deployment/api7/new", Value: []byte(`{"ID":"new"}`)},
		{Key: "deploymentpart/api7/new/0", Value: []byte("part")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := snap.With(2, change); err != nil {
			b.Fatal(err)
		}
	}
}
