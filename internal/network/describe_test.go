package network

import (
	"strings"
	"testing"
)

func TestWildMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"vpce-123", "vpce-123", true},
		{"vpce-123", "vpce-1234", false},
		{"vpce-*", "vpce-123", true},
		{"*", "", true},
		{"?", "", false},
		{"us-west-2?", "us-west-2a", true},
		{"us-west-2?", "us-west-2", false},
		{"VPC Endpoint Interface *", "VPC Endpoint Interface vpce-1", true},
		{"*a*b", "xaxxb", true},
		{"*a*b", "xaxxbc", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "ab", false},
		{`a\`, `a\`, true},
		{"Ünï*", "Ünïcode", true},
	}
	for _, c := range cases {
		if got := wildMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildMatch(%q, %q): got %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
	// A pattern made to backtrack still finishes: the matcher is not exponential.
	if wildMatch(strings.Repeat("*a", 200)+"b", strings.Repeat("a", 5000)) {
		t.Errorf("pathological pattern: got a match, want none")
	}
}
