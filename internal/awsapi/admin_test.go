package awsapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/awsapi/awsapitest"
)

// TestAdminIsAuthenticated: gatehouse's own route answers only requests
// signed with a key the server accepts, as every AWS call.
func TestAdminIsAuthenticated(t *testing.T) {
	var got string
	admin := awsapi.Admin(func(_ context.Context, file []byte) (any, error) {
		got = string(file)
		if got == "bad" {
			return nil, errors.New("stack file: line 1: not a mapping")
		}
		return []string{"a change"}, nil
	})
	base, _ := awsapitest.Start(t, admin)
	diff := call{path: awsapi.AdminDiffPath, service: awsapi.AdminSigningName, body: "zones: []", contentType: "application/yaml"}
	tests := []struct {
		name          string
		c             call
		status        int
		code, message string
	}{
		{"signed", diff, http.StatusOK, "", ""},
		{"unsigned", with(diff, func(c *call) { c.unsigned = true }), http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"bad secret", with(diff, func(c *call) { c.secret = "wrong" }), http.StatusForbidden, "InvalidSignatureException", ""},
		{"unknown key", with(diff, func(c *call) { c.key, c.secret = "AKIDNOPE", "x" }), http.StatusForbidden, "UnrecognizedClientException", ""},
		{"bad file", with(diff, func(c *call) { c.body = "bad" }), http.StatusBadRequest, "BadRequestException", "stack file: line 1: not a mapping"},
		{"other route", with(diff, func(c *call) { c.path = "/_gatehouse/apply" }), http.StatusNotFound, "UnknownOperationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ""
			a := do(t, base, tt.c)
			if a.status != tt.status || a.code != tt.code || (tt.message != "" && a.message != tt.message) {
				t.Fatalf("got %d %s %q, want %d %s %q", a.status, a.code, a.message, tt.status, tt.code, tt.message)
			}
			if tt.status == http.StatusOK && (got != tt.c.body || a.body != `{"changes":["a change"]}`) {
				t.Errorf("plan got file %q and answered %s; want %q and the changes", got, a.body, tt.c.body)
			}
		})
	}
}
