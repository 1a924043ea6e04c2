package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/store"
	"gatehouse/internal/store/etcdtest"
)

// The acceptance load: 35 APIs of 290 MOCK resources (10,150 with
// the roots), each with a GET method, a MOCK integration, a 200 method
// response and integration response, every API deployed to a stage.
const (
	memAPIs         = 35
	memResources    = 290
	memMaxRSS       = 200 << 20 // the bound
	memEtcdPrefix   = "/gatehouse-memory/"
	memLoadWorkers  = 4
	memAddressCIDR  = "127.87.0.0/16" // this test's address plan
	memAddressPools = "127.87.1.0/24,127.87.2.0/24"
)

// TestMemoryAt10000Resources runs the real binary on bbolt and on etcd, loads
// 10,000 resources through the AWS SDK and reports the daemon's RSS, its live
// heap after a forced GC, and the size of the records the load wrote. The
// issue's bound (RSS under 200 MB) is asserted. Opt-in: it takes minutes
// (bbolt fsyncs every write). GATEHOUSE_MEMORY=1 go test ./test/e2e -run
// TestMemoryAt10000Resources -v -timeout 60m
func TestMemoryAt10000Resources(t *testing.T) {
	if os.Getenv("GATEHOUSE_MEMORY") != "1" {
		t.Skip("set GATEHOUSE_MEMORY=1 to load 10,000 resources and measure the daemon's memory")
	}
	bin := buildBinary(t)
	for _, backend := range []string{"bbolt", "etcd"} {
		t.Run(backend, func(t *testing.T) {
			dataDir := t.TempDir()
			var storeURL string
			var etcd *etcdtest.Server
			if backend == "etcd" {
				etcd = etcdtest.Start(t)
				storeURL = "etcd://" + etcd.Endpoint + strings.TrimSuffix(memEtcdPrefix, "/")
			}
			awsAddr, metricsAddr := freeAddr(t), freeAddr(t)
			args := []string{"--data-dir", dataDir, "--dns-listen", freeAddr(t), "--aws-listen", awsAddr,
				"--metrics-listen", metricsAddr, "--log-level", "warn",
				"--vpc-cidr", memAddressCIDR, "--static-ip-pools", memAddressPools}
			if storeURL != "" {
				args = append(args, "--store", storeURL)
			}
			p, err := serve(t, bin, args...)
			if err != nil {
				t.Fatal(err)
			}
			pid := p.cmd.Process.Pid
			idle := readMemory(t, pid, metricsAddr)

			began := time.Now()
			loadAPIs(t, sdkClients(awsAddr).apigw)
			took := time.Since(began)
			// The daemon follows the store asynchronously: give it the
			// time to compile the last deployments before measuring.
			time.Sleep(5 * time.Second)
			loaded := readMemory(t, pid, metricsAddr)
			p.stop(t)

			var st store.Store
			if etcd != nil {
				st = etcdtest.OpenAt(t, etcd.Endpoint, memEtcdPrefix)
			} else {
				bolt, err := store.OpenBolt(dataDir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { bolt.Close() })
				st = bolt
			}
			sizes := recordSizes(t, st)
			var file string
			if etcd == nil {
				if fi, err := os.Stat(filepath.Join(dataDir, "gatehouse.db")); err == nil {
					file = fmt.Sprintf(", store file %.1f MB", float64(fi.Size())/1e6)
				}
			}
			t.Logf("%s: %d APIs × %d MOCK resources loaded and deployed in %s%s", backend, memAPIs, memResources, took.Round(time.Second), file)
			t.Logf("%s: idle   RSS %6.1f MB, heap after GC %6.1f MB", backend, mb(idle.rss), mb(idle.heap))
			t.Logf("%s: loaded RSS %6.1f MB (peak %6.1f MB), heap after GC %6.1f MB, %.0f bytes of heap per resource",
				backend, mb(loaded.rss), mb(loaded.hwm), mb(loaded.heap), float64(loaded.heap-idle.heap)/float64(memAPIs*(memResources+1)))
			for _, s := range sizes {
				t.Logf("%s: %-20s %6d records, mean %6.0f bytes, largest %7d bytes", backend, s.kind, s.count, s.mean(), s.largest)
			}
			if loaded.rss > memMaxRSS {
				t.Errorf("RSS at %d resources: got %.1f MB, want under %.0f MB", memAPIs*memResources, mb(loaded.rss), mb(memMaxRSS))
			}
		})
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// loadAPIs builds the APIs through the SDK, memLoadWorkers APIs at a time.
func loadAPIs(t *testing.T, c *apigateway.Client) {
	ctx := context.Background()
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for range memLoadWorkers {
		wg.Go(func() {
			for i := range work {
				if err := loadAPI(ctx, c, i); err != nil {
					fail(fmt.Errorf("api %d: %w", i, err))
				}
			}
		})
	}
	for i := range memAPIs {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}

func loadAPI(ctx context.Context, c *apigateway.Client, i int) error {
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(fmt.Sprintf("memory-%02d", i)),
		EndpointConfiguration: &apigwtypes.EndpointConfiguration{Types: []apigwtypes.EndpointType{apigwtypes.EndpointTypeRegional}}})
	if err != nil {
		return err
	}
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil {
		return err
	}
	root := res.Items[0].Id
	for n := range memResources {
		r, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: root, PathPart: aws.String(fmt.Sprintf("r%03d", n))})
		if err != nil {
			return err
		}
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			AuthorizationType: aws.String("NONE")}); err != nil {
			return err
		}
		if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			Type: apigwtypes.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			return err
		}
		if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			StatusCode: aws.String("200")}); err != nil {
			return err
		}
		if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": fmt.Sprintf(`{"resource": "r%03d"}`, n)}}); err != nil {
			return err
		}
	}
	_, err = c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})
	return err
}

// memory is what the daemon holds: RSS (and its peak) from /proc, the live
// heap after a forced GC from its profiling endpoint.
type memory struct{ rss, hwm, heap int64 }

func readMemory(t *testing.T, pid int, metricsAddr string) memory {
	t.Helper()
	// pprof's heap profile with gc=1 runs runtime.GC first, and with
	// debug=1 ends with runtime.MemStats: HeapAlloc is the live heap then.
	profile, err := httpBody("http://" + metricsAddr + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		t.Fatal(err)
	}
	var m memory
	for line := range strings.SplitSeq(profile, "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			m.heap, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && (fields[0] == "VmRSS:" || fields[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			if fields[0] == "VmRSS:" {
				m.rss = kb << 10
			} else {
				m.hwm = kb << 10
			}
		}
	}
	if m.rss == 0 || m.heap == 0 {
		t.Fatalf("memory of pid %d: got RSS %d and heap %d, want both", pid, m.rss, m.heap)
	}
	return m
}

func httpBody(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), err
}

type kindSize struct {
	kind           string
	count, largest int
	total          int64
}

func (k kindSize) mean() float64 { return float64(k.total) / float64(max(k.count, 1)) }

// recordSizes lists the records of an API's kinds: how many, their mean and
// largest size.
func recordSizes(t *testing.T, st store.Store) []kindSize {
	t.Helper()
	var out []kindSize
	for _, kind := range []string{"restapi", "resource", "method", "integration", "methodresponse", "integrationresponse", "deployment", "deploymentpart", "stage"} {
		kvs, _, err := st.List(context.Background(), kind+"/")
		if err != nil {
			t.Fatal(err)
		}
		k := kindSize{kind: kind, count: len(kvs)}
		for _, kv := range kvs {
			k.total += int64(len(kv.Value))
			k.largest = max(k.largest, len(kv.Value))
		}
		out = append(out, k)
	}
	return out
}
