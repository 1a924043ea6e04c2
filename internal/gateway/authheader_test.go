package gateway

import (
	"net/http"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestBackendAuthorizationHeader checks that an HTTP_PROXY backend never
// sees a SigV4 Authorization header (API Gateway drops it, aws-behaviors
// §A5) while any other scheme passes unchanged.
func TestBackendAuthorizationHeader(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.62.1:0", "vpce-test")
	backend := echoBackend(t, "127.0.62.2:0", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Got-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Got-Authorization-Present", map[bool]string{true: "yes", false: "no"}[len(r.Header.Values("Authorization")) > 0])
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	res := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "who"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, res.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, res.ID, "GET", model.Integration{
		Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://" + backend + "/who"}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()

	const sig = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	for _, tc := range []struct {
		name, auth, want, present string
	}{
		{"sigv4 dropped", sig, "", "no"},
		{"bearer passes", "Bearer token-1", "Bearer token-1", "yes"},
		{"basic passes", "Basic dXNlcjpwdw==", "Basic dXNlcjpwdw==", "yes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.do(ep, "GET", "https://"+domain+"/who", "", map[string]string{"Authorization": tc.auth}, "")
			if got.status != 200 {
				t.Fatalf("status: got %d %q, want 200", got.status, got.body)
			}
			if g := got.header.Get("X-Got-Authorization"); g != tc.want {
				t.Errorf("backend's Authorization: got %q, want %q", g, tc.want)
			}
			if g := got.header.Get("X-Got-Authorization-Present"); g != tc.present {
				t.Errorf("backend got an Authorization header: got %s, want %s", g, tc.present)
			}
		})
	}
}
