package e2e

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// Issue 11's deploy → served: the time from create-deployment returning to
// the new response being served through the data path, with one API of 290
// MOCK resources deployed and then with 35 (10,150 resources).
const (
	deployBenchAPIs        = 35
	deployBenchResources   = 290
	deployBenchDeployments = 50
)

// TestDeployToServed measures deploy → served p50/p99/max through an
// interface endpoint with 1 and then 35 APIs of 290 resources deployed. A
// measurement, not a check: it asserts only that every deployment is served.
// Opt-in: GATEHOUSE_DEPLOYBENCH=1 go test ./test/e2e -run TestDeployToServed -v
func TestDeployToServed(t *testing.T) {
	if os.Getenv("GATEHOUSE_DEPLOYBENCH") != "1" {
		t.Skip("set GATEHOUSE_DEPLOYBENCH=1 to time deploy → served at 10,000 resources")
	}
	needRoot(t)
	r := start(t, addressPlan("127.111.0.0/16", "127.112.1.0/24", "127.112.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()
	ep := privateAPIClient(t, r, c)
	// Keep-alive, so that a poll costs a request, not a TLS handshake.
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: caPool(t, r.cfg.DataDir)},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(ep.ip, "443"))
		},
	}}

	importAPI := func(i int) string {
		var paths strings.Builder
		for n := range deployBenchResources {
			fmt.Fprintf(&paths, `  /r%03d:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"resource": "r%03d"}'}}}
`, n, n)
		}
		def := fmt.Sprintf("openapi: 3.0.1\ninfo: {title: deploy-%02d, version: \"1\"}\npaths:\n%s", i, paths.String()) +
			"x-amazon-apigateway-endpoint-configuration:\n  vpcEndpointIds: [" + ep.id + "]\n" +
			"x-amazon-apigateway-policy:\n  Version: \"2012-10-17\"\n  Statement:\n    - {Effect: Allow, Principal: \"*\", Action: execute-api:Invoke, Resource: execute-api:/*}\n"
		api := testutil.Must[*apigateway.ImportRestApiOutput](t)(c.apigw.ImportRestApi(ctx, &apigateway.ImportRestApiInput{
			Body: []byte(def), FailOnWarnings: true, Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
		id := aws.ToString(api.Id)
		testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
			RestApiId: &id, StageName: aws.String("prod")}))
		return id
	}
	// newConns counts the connections the polls opened: a deployment must
	// not cost the client its keep-alive connection.
	var newConns atomic.Int64
	get := func(apiID, path string) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, "https://"+apiID+".execute-api.us-west-2.amazonaws.com/prod"+path, nil)
		if err != nil {
			return 0, "", err
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if !info.Reused {
					newConns.Add(1)
				}
			},
		}))
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	// measure redeploys apiID with a new body on /r000 and times create-
	// deployment's return → the body served, polling as fast as requests go.
	measure := func(t *testing.T, apiID string) {
		res := testutil.Must[*apigateway.GetResourcesOutput](t)(c.apigw.GetResources(ctx, &apigateway.GetResourcesInput{
			RestApiId: &apiID, Limit: aws.Int32(500)}))
		var resID string
		for _, it := range res.Items {
			if aws.ToString(it.Path) == "/r000" {
				resID = aws.ToString(it.Id)
			}
		}
		if resID == "" {
			t.Fatalf("API %s: no /r000 among %d resources", apiID, len(res.Items))
		}
		// The floor: one request answered, nothing deployed meanwhile.
		var requests []time.Duration
		for range deployBenchDeployments {
			began := time.Now()
			if code, _, err := get(apiID, "/r000"); err != nil || code != 200 {
				t.Fatalf("GET /r000: got %d %v, want 200", code, err)
			}
			requests = append(requests, time.Since(began))
		}
		var lags, feds, compiles []time.Duration
		connsBefore := newConns.Load()
		var firsts []time.Duration // the first poll after each deployment
		polls := 0
		for i := range deployBenchDeployments {
			body := fmt.Sprintf(`{"deployment": %d}`, i+1)
			testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(c.apigw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
				RestApiId: &apiID, ResourceId: &resID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
				ResponseTemplates: map[string]string{"application/json": body}}))
			testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
				RestApiId: &apiID, StageName: aws.String("prod")}))
			deployed := time.Now()
			// The stage's revision, to tell the snapshot's lag and the
			// gateway table's from the request's.
			stage, err := r.d.Store.Get(ctx, model.Key(model.KindStage, apiID+"/prod"))
			if err != nil {
				t.Fatal(err)
			}
			var fed, compiled time.Duration
			for {
				if snap, _ := r.d.Feed.Current(); fed == 0 && snap.Rev >= stage.ModRev {
					fed = time.Since(deployed)
				}
				if compiled == 0 && r.d.Gateway.Served() >= stage.ModRev {
					compiled = time.Since(deployed)
				}
				began := time.Now()
				code, got, err := get(apiID, "/r000")
				if len(firsts) == i {
					firsts = append(firsts, time.Since(began))
				}
				polls++
				if err == nil && code == 200 && got == body {
					break
				}
				if time.Since(deployed) > waitLimit {
					t.Fatalf("deployment %d: got %d %q %v after %v, want 200 %q", i+1, code, got, err, waitLimit, body)
				}
			}
			lags = append(lags, time.Since(deployed))
			// A step seen only once the new body was: it came during the
			// last poll, so by the lag at the latest.
			fed, compiled = cmp.Or(fed, lags[i]), cmp.Or(compiled, lags[i])
			feds, compiles = append(feds, fed), append(compiles, compiled)
		}
		t.Logf("over %d deployments: %d polls, %d connections opened by them", deployBenchDeployments, polls, newConns.Load()-connsBefore)
		for _, l := range []struct {
			what string
			d    []time.Duration
		}{{"one request, nothing deployed", requests}, {"the first poll after create-deployment", firsts}, {"create-deployment → in the snapshot", feds},
			{"create-deployment → gateway table in force", compiles}, {"create-deployment → served", lags}} {
			slices.Sort(l.d)
			t.Logf("%s, %d samples: p50 %s, p99 %s, max %s", l.what, len(l.d),
				l.d[len(l.d)/2].Round(10*time.Microsecond), l.d[len(l.d)*99/100].Round(10*time.Microsecond), l.d[len(l.d)-1].Round(10*time.Microsecond))
		}
	}

	ids := []string{importAPI(0)}
	t.Run("1 API", func(t *testing.T) { measure(t, ids[0]) })
	for i := 1; i < deployBenchAPIs; i++ {
		ids = append(ids, importAPI(i))
	}
	t.Run(fmt.Sprintf("%d APIs", deployBenchAPIs), func(t *testing.T) {
		// GATEHOUSE_DEPLOYBENCH_PROFILE names a file for the CPU profile of
		// the deployments (the daemon runs in this process).
		if path := os.Getenv("GATEHOUSE_DEPLOYBENCH_PROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				t.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		measure(t, ids[deployBenchAPIs/2])
		// Every other API still serves its own answer.
		for _, id := range []string{ids[0], ids[deployBenchAPIs-1]} {
			if code, got, err := get(id, "/r289"); err != nil || code != 200 || got != `{"resource": "r289"}` {
				t.Errorf("API %s /r289: got %d %q %v, want 200 {\"resource\": \"r289\"}", id, code, got, err)
			}
		}
	})
}
