package daemon

import (
	"context"
	"strings"
	"testing"
)

// The default key pair is for loopback only: anyone who reaches the API with
// it could change every resource.
func TestAWSAPIExposure(t *testing.T) {
	own := map[string]string{"AKIDOWN": "a-long-secret"}
	tests := []struct {
		listen string
		keys   map[string]string
		refuse bool
	}{
		{"127.0.0.1:4566", DefaultAWSKeys, false},
		{"[::1]:4566", DefaultAWSKeys, false},
		{"localhost:4566", DefaultAWSKeys, false},
		{"0.0.0.0:4566", DefaultAWSKeys, true},
		{"192.0.2.10:4566", DefaultAWSKeys, true},
		{":4566", DefaultAWSKeys, true},
		{"0.0.0.0:4566", own, false},
		{"", DefaultAWSKeys, false},
	}
	for _, tc := range tests {
		cfg := Defaults()
		cfg.AWSListen, cfg.AWSKeys = tc.listen, tc.keys
		err := checkAWSExposure(cfg)
		if (err != nil) != tc.refuse {
			t.Errorf("%q with %v: err %v, want refused %v", tc.listen, tc.keys, err, tc.refuse)
		}
		if err != nil && !strings.Contains(err.Error(), "default key") {
			t.Errorf("%q: error does not say why: %v", tc.listen, err)
		}
	}
}

// A node's identity is checked before anything listens: a name that cannot be
// a store key segment, an address that is no IP.
func TestOpenRefusesBadNodeIdentity(t *testing.T) {
	for _, tc := range []struct {
		name          string
		node, address string
		want          string
	}{
		{"a name with a slash", "a/b", "", "node name"},
		{"an empty name", "", "", "node name"},
		{"an address that is no IP", "node-a", "node-a.example", "node address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.DataDir, cfg.AWSListen, cfg.DNSListen = t.TempDir(), "", "127.0.0.1:0"
			cfg.NodeName, cfg.NodeAddress = tc.node, tc.address
			d, err := Open(context.Background(), cfg)
			if err == nil {
				d.Store.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open with node %q address %q: got %v, want an error about the %s", tc.node, tc.address, err, tc.want)
			}
		})
	}
}
