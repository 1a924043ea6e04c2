// Command deployserved measures deploy → served: the time from the moment
// CreateDeployment returns to the moment gatehouse's data path serves the
// new response, with a store holding many other APIs.
//
// It talks to a running `gatehouse serve` the way a user does: the AWS SDK for
// Go v2 against --aws-listen, and HTTPS through the chain (a static IP, with the
// API's host name as SNI and Host). First it loads -apis REGIONAL APIs of
// -resources MOCK resources each (as test/e2e/memory_test.go builds them) and
// deploys each, then it changes the integration response of the -api API's
// GET / and deploys it -deploys times, polling the data path after each
// deployment until the new body is served. bench/all.sh runs it; see
// bench/README.md.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

func main() {
	endpoint := flag.String("aws", "127.0.0.1:4566", "gatehouse's AWS API (--aws-listen)")
	target := flag.String("addr", "", "IP:port the data path is reached on (a static IP, :443)")
	host := flag.String("host", "api.example.test", "the API's host name (SNI and Host)")
	apiName := flag.String("api", "demo", "the API deployed and polled; its GET / must have a MOCK integration answering 200")
	apis := flag.Int("apis", 35, "APIs loaded before measuring")
	resources := flag.Int("resources", 290, "MOCK resources per loaded API")
	workers := flag.Int("workers", 4, "APIs loaded at a time")
	deploys := flag.Int("deploys", 50, "measured deployments")
	limit := flag.Duration("limit", 30*time.Second, "give up on one deployment after this long")
	flag.Parse()
	if *target == "" {
		fail(fmt.Errorf("-addr is required"))
	}
	ctx := context.Background()
	gw := apigateway.NewFromConfig(aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String("http://" + *endpoint),
		RetryMaxAttempts: 1,
	})

	began := time.Now()
	if err := loadAPIs(ctx, gw, *apis, *resources, *workers); err != nil {
		fail(err)
	}
	fmt.Printf("loaded %d APIs × %d MOCK resources (%d resources) in %s\n", *apis, *resources, *apis*(*resources+1), time.Since(began).Round(time.Millisecond))

	apiID, rootID, err := findRoot(ctx, gw, *apiName)
	if err != nil {
		fail(err)
	}
	// One keep-alive connection through the chain: a poll costs one request,
	// not a handshake, so the time measured is the daemon's, not the client's.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: *host, InsecureSkipVerify: true}, // the bench's own CA; only timing matters here
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, *target)
		},
		MaxIdleConnsPerHost: 1,
	}}
	get := func() (int, string, error) {
		resp, err := client.Get("https://" + *host + "/")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if code, body, err := get(); err != nil || code != 200 {
		fail(fmt.Errorf("GET https://%s/ through %s before deploying: got %d %q %v, want 200", *host, *target, code, body, err))
	}

	var lags []time.Duration
	for i := range *deploys {
		body := fmt.Sprintf(`{"deployment": %d, "at": %d}`, i+1, time.Now().UnixNano())
		if _, err := gw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
			RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
			ResponseTemplates: map[string]string{"application/json": body}}); err != nil {
			fail(fmt.Errorf("put integration response %d: %w", i+1, err))
		}
		if _, err := gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
			fail(fmt.Errorf("create deployment %d: %w", i+1, err))
		}
		deployed := time.Now()
		for {
			code, got, err := get()
			if err == nil && code == 200 && got == body {
				break
			}
			if time.Since(deployed) > *limit {
				fail(fmt.Errorf("deployment %d not served after %s: got %d %q %v, want 200 %q", i+1, *limit, code, got, err, body))
			}
			// A short pause: polling flat out would take the CPU the
			// daemon compiles with on a small machine.
			time.Sleep(200 * time.Microsecond)
		}
		lag := time.Since(deployed)
		lags = append(lags, lag)
		// Each deploy's lag with the clock, to line a slow one up with the
		// daemon's log (GODEBUG=gctrace=1, for one).
		fmt.Printf("deploy %d at %s served after %.2f ms\n", i+1, deployed.UTC().Format("15:04:05.000"), float64(lag)/float64(time.Millisecond))
	}
	slices.Sort(lags)
	// Nearest rank: the smallest lag at least a fraction q of the deployments
	// were served within (p99 of 100 is the 99th, not the largest).
	at := func(q float64) time.Duration { return lags[max(0, int(math.Ceil(q*float64(len(lags))))-1)] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	// The last line is what bench/all.sh reads.
	fmt.Printf("RESULT deploys=%d resources=%d p50_ms=%s p99_ms=%s max_ms=%s\n",
		len(lags), *apis*(*resources+1)+1, ms(at(0.50)), ms(at(0.99)), ms(lags[len(lags)-1]))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "deployserved:", err)
	os.Exit(1)
}

// findRoot returns the id of the API named name and of its root resource.
func findRoot(ctx context.Context, gw *apigateway.Client, name string) (apiID, rootID string, err error) {
	p := apigateway.NewGetRestApisPaginator(gw, &apigateway.GetRestApisInput{Limit: aws.Int32(500)})
	for p.HasMorePages() && apiID == "" {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", "", fmt.Errorf("get rest apis: %w", err)
		}
		for _, a := range page.Items {
			if aws.ToString(a.Name) == name {
				apiID = aws.ToString(a.Id)
			}
		}
	}
	if apiID == "" {
		return "", "", fmt.Errorf("no API named %q", name)
	}
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID})
	if err != nil {
		return "", "", fmt.Errorf("get resources of %s: %w", apiID, err)
	}
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/" {
			return apiID, aws.ToString(r.Id), nil
		}
	}
	return "", "", fmt.Errorf("API %s has no root resource", apiID)
}

// loadAPIs creates n APIs, workers at a time.
func loadAPIs(ctx context.Context, gw *apigateway.Client, n, resources, workers int) error {
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Go(func() {
			for i := range work {
				if err := loadAPI(ctx, gw, i, resources); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("api %d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return firstErr
}

// loadAPI builds one API as test/e2e/memory_test.go does: resources /rNNN,
// each GET with a MOCK integration and a 200 response, deployed to prod.
func loadAPI(ctx context.Context, gw *apigateway.Client, i, resources int) error {
	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(fmt.Sprintf("bench-%02d", i)),
		EndpointConfiguration: &apigwtypes.EndpointConfiguration{Types: []apigwtypes.EndpointType{apigwtypes.EndpointTypeRegional}}})
	if err != nil {
		return err
	}
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil {
		return err
	}
	root := res.Items[0].Id
	for n := range resources {
		r, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: root, PathPart: aws.String(fmt.Sprintf("r%03d", n))})
		if err != nil {
			return err
		}
		get := aws.String("GET")
		if _, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: get,
			AuthorizationType: aws.String("NONE")}); err != nil {
			return err
		}
		if _, err := gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: get,
			Type: apigwtypes.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			return err
		}
		if _, err := gw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: get,
			StatusCode: aws.String("200")}); err != nil {
			return err
		}
		if _, err := gw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: get,
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": fmt.Sprintf(`{"resource": "r%03d"}`, n)}}); err != nil {
			return err
		}
	}
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})
	return err
}
