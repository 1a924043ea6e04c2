package daemon

import (
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
