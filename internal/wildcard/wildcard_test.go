package wildcard

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"?", "", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"/v?/x", "/v22/x", false},
		{"a*b*c", "a-b-b-c", true},
		{"a*b*c", "a-b-b-d", false},
		{"*a*b", "xaxxbc", false},
		{"abc", "abcd", false},
		{"/api/*", "/api/v1/x", true},
		{"*.example.com", "example.com", false},
		{"arn:*/prod/GET/*", "arn:x/prod/GET/", true},
		{"Ünï?ode", "Ünïcode", true}, // '?' is one character, not one byte
		{"?", "é", true},
		{`a\*`, "a*", false}, // no escapes in Match: '\' is literal, '*' wild
		{`a\*`, `a\b`, true},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q): got %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestMatchEscaped(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"vpce-*", "vpce-123", true},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "ab", false},
		{`a\\`, `a\`, true},
		{`a\`, `a\`, true}, // a trailing backslash is literal
		{"VPC Endpoint Interface *", "VPC Endpoint Interface vpce-1", true},
	}
	for _, c := range cases {
		if got := MatchEscaped(c.pattern, c.s); got != c.want {
			t.Errorf("MatchEscaped(%q, %q): got %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// A pattern made to backtrack still finishes: the matcher is not exponential.
func TestBacktrackingIsBounded(t *testing.T) {
	if Match(strings.Repeat("*a", 200)+"b", strings.Repeat("a", 5000)) {
		t.Error("got a match, want none")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add(`\*?*`, "é*x")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if Match(pattern, s) != MatchEscaped(strings.ReplaceAll(pattern, `\`, `\\`), s) {
			t.Fatalf("escaping every backslash changed the answer for %q, %q", pattern, s)
		}
		if !Match(pattern, pattern) && !strings.ContainsAny(pattern, "*?") {
			t.Fatalf("a literal pattern %q does not match itself", pattern)
		}
	})
}
