package balancer

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"gatehouse/internal/model"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"/api/*", "/api/v1/x", false, true},
		{"/api/*", "/API/v1", false, false},
		{"/api/*", "/API/v1", true, true},
		{"*.example.com", "a.b.example.com", true, true},
		{"*.example.com", "example.com", true, false},
		{"/v?/x", "/v2/x", false, true},
		{"/v?/x", "/v22/x", false, false},
		{"*", "", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"", "", false, true},
		{"", "a", false, false},
	}
	for _, c := range cases {
		if got := match(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("match(%q, %q, %v): got %v, want %v", c.pattern, c.s, c.fold, got, c.want)
		}
	}
}

func TestConditions(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "https://api.example.test/tea/pot?Flavour=Green&v=2", nil)
	req.Host = "API.example.test:443"
	req.RemoteAddr = "10.1.2.3:5555"
	req.Header.Set("X-Env", "Dev-7")
	cases := []struct {
		name string
		c    model.Condition
		want bool
	}{
		{"path", model.Condition{Field: "path-pattern", Values: []string{"/tea/*"}}, true},
		{"path sees no query", model.Condition{Field: "path-pattern", Values: []string{"*v=2"}}, false},
		{"host without port and case", model.Condition{Field: "host-header", Values: []string{"api.example.test"}}, true},
		{"host other", model.Condition{Field: "host-header", Values: []string{"x.example.test"}}, false},
		{"method", model.Condition{Field: "http-request-method", Values: []string{"POST", "GET"}}, true},
		{"method case", model.Condition{Field: "http-request-method", Values: []string{"get"}}, false},
		{"header", model.Condition{Field: "http-header", HeaderName: "x-env", Values: []string{"dev-*"}}, true},
		{"header missing", model.Condition{Field: "http-header", HeaderName: "X-Other", Values: []string{"*"}}, false},
		{"query key and value", model.Condition{Field: "query-string", QueryStrings: []model.QueryString{{Key: "flavour", Value: "green"}}}, true},
		{"query any key", model.Condition{Field: "query-string", QueryStrings: []model.QueryString{{Value: "2"}}}, true},
		{"query no match", model.Condition{Field: "query-string", QueryStrings: []model.QueryString{{Key: "v", Value: "3"}}}, false},
		{"source ip", model.Condition{Field: "source-ip", Values: []string{"10.0.0.0/8"}}, true},
		{"source ip other", model.Condition{Field: "source-ip", Values: []string{"192.168.0.0/16"}}, false},
	}
	for _, c := range cases {
		m, err := compileCondition(c.c)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := m(req); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
