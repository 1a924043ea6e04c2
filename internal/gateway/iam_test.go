package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/model"
	"gatehouse/internal/sigv4"
	"gatehouse/internal/testutil"
)

const (
	iamKeyID  = "AKIDGATEHOUSETEST"
	iamSecret = "gatehouse-test-secret"
)

// iamAPI builds a private MOCK API whose GET /me is AWS_IAM and answers the
// caller's identity, under policy, deployed to prod.
func (h *harness) iamAPI(policy string) string {
	t, ctx, s := h.t, h.ctx, h.svc
	t.Helper()
	api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "iam",
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
		Policy:                policy}))
	res := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api.ID, api.RootResourceID, "me"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, res.ID, "GET", PutMethodInput{AuthorizationType: "AWS_IAM"}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, res.ID, "GET", model.Integration{
		Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api.ID, res.ID, "GET", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, res.ID, "GET", "200", model.IntegrationResponse{
		ResponseTemplates: map[string]string{"application/json": `$context.identity.accountId $context.identity.caller ` +
			`$context.identity.user $context.identity.userArn $context.identity.accessKey`}}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	return api.ID
}

// signedDo sends GET url signed with SigV4 as the SDKs sign execute-api
// calls (key, secret, service, region), or unsigned when key is "".
func (h *harness) signedDo(addr, url, key, secret, service, region string) result {
	h.t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		sum := sha256.Sum256(nil)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), service, region, time.Now())
		if err != nil {
			h.t.Fatal(err)
		}
	}
	resp, err := h.client(addr).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestIAMAuthorization(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.AWSKeys = map[string]string{iamKeyID: iamSecret} })
	acct := model.DefaultEnv.Account
	root := "arn:aws:iam::" + acct + ":root"
	denyRoot := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"` + acct + `"},"Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/me"}]}`
	open := h.iamAPI(openPolicy)
	denied := h.iamAPI(denyRoot)
	ep := h.endpoint("127.0.13.1:0", "vpce-test")
	// url is the API's /me, and the query string after the API id if any.
	url := func(apiAndQuery string) string {
		api, query, _ := strings.Cut(apiAndQuery, "?")
		if query != "" {
			query = "?" + query
		}
		return "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod/me" + query
	}

	for _, tt := range []struct {
		name                   string
		api                    string
		key, secret, svc, rgn  string
		wantStatus             int
		wantBodyPrefix, wantTy string
	}{
		{"signed", open, iamKeyID, iamSecret, "execute-api", "us-west-2", 200,
			acct + " " + acct + " " + acct + " " + root + " " + iamKeyID, ""},
		{"signed with a query string", open + "?b=2&a=hello%20world&a=x", iamKeyID, iamSecret, "execute-api", "us-west-2", 200,
			acct + " " + acct + " " + acct + " " + root + " " + iamKeyID, ""},
		{"unsigned", open, "", "", "", "", 403, bodyMissing, "MissingAuthenticationTokenException"},
		{"wrong secret", open, iamKeyID, "not-the-secret", "execute-api", "us-west-2", 403,
			`{"message":"The request signature we calculated does not match the signature you provided.`, "InvalidSignatureException"},
		{"unknown key", open, "AKIDNOBODY", iamSecret, "execute-api", "us-west-2", 403,
			`{"message":"The security token included in the request is invalid."}`, "UnrecognizedClientException"},
		{"other service", open, iamKeyID, iamSecret, "apigateway", "us-west-2", 403,
			`{"message":"Credential should be scoped to correct service: 'execute-api'. "}`, "InvalidSignatureException"},
		{"other region", open, iamKeyID, iamSecret, "execute-api", "eu-west-1", 403,
			`{"message":"Credential should be scoped to a valid region, not 'eu-west-1'. "}`, "InvalidSignatureException"},
		{"policy denies the account", denied, iamKeyID, iamSecret, "execute-api", "us-west-2", 403,
			`{"Message":"User: ` + root + ` is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:` +
				acct + `:` + denied + `/prod/GET/me with an explicit deny"}`, "AccessDeniedException"},
		{"policy deny does not hide a missing signature", denied, "", "", "", "", 403, bodyMissing, "MissingAuthenticationTokenException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			got := h.signedDo(ep, url(tt.api), tt.key, tt.secret, tt.svc, tt.rgn)
			if got.status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			if !strings.HasPrefix(got.body, tt.wantBodyPrefix) {
				t.Errorf("body: got %q, want it to start with %q", got.body, tt.wantBodyPrefix)
			}
			if g := got.header.Get("x-amzn-ErrorType"); g != tt.wantTy {
				t.Errorf("x-amzn-ErrorType: got %q, want %q", g, tt.wantTy)
			}
		})
	}
}

// FuzzVerifySigV4 feeds arbitrary Authorization headers and dates to the
// signature check: it must refuse or accept, never panic.
func FuzzVerifySigV4(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20260101T000000Z", "/prod/x?a=b")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=", "", "/")
	f.Add("Basic abc", "x", "/%zz")
	f.Fuzz(func(t *testing.T, auth, date, target string) {
		req, err := http.NewRequest("GET", "https://api.example.test"+target, nil)
		if err != nil {
			return
		}
		req.RequestURI = target
		req.Header.Set("Authorization", auth)
		req.Header.Set("X-Amz-Date", date)
		now, _ := time.Parse(sigv4.TimeFormat, "20260101T000000Z")
		c, fail := verifySigV4(req, nil, auth, "us-west-2", map[string]string{"AKID": "secret"}, now)
		if (c == nil) == (fail == nil) {
			t.Fatalf("got caller %v and failure %v: want exactly one", c, fail)
		}
		if fail != nil && (fail.status != 403 || !strings.HasPrefix(fail.body, `{"message":`)) {
			t.Fatalf("failure: got %d %s, want 403 with a JSON message", fail.status, fail.body)
		}
	})
}
