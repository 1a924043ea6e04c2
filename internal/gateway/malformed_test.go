package gateway

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestMalformedBody: a request body that breaks the chunked encoding is
// answered 400, as API Gateway answers a malformed request, for a MOCK and
// an HTTP_PROXY integration alike (not a dropped connection, not a 500), and
// the backend never gets a request that a well-formed one does not.
func TestMalformedBody(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.40:0", "vpce-test")
	var mu sync.Mutex
	var got []string // bodies the backend read whole
	backend := echoBackend(t, "127.0.13.41:0", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		_, _ = w.Write(b)
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, root, "POST", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, root, "POST", model.Integration{
		Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, root, "POST", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, root, "POST", "200", model.IntegrationResponse{}))
	proxy := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "{proxy+}"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, proxy.ID, "ANY", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, proxy.ID, "ANY", model.Integration{
		Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "http://" + backend + "/{proxy}"}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()

	post := func(path string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: " + domain + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
	}
	cases := []struct {
		name   string
		raw    string
		status int // 0: the connection closed without an answer
		body   string
	}{
		{"mock, well-formed", post("/") + "2\r\n{}\r\n0\r\n\r\n", 200, ""},
		{"mock, bad chunk size", post("/") + "2\r\n{}\r\nzz\r\n", 400, `{"message":"Bad Request"}`},
		{"proxy, well-formed", post("/echo") + "5\r\nhello\r\n0\r\n\r\n", 200, "hello"},
		{"proxy, bad chunk size", post("/echo") + "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n", 400, `{"message":"Bad Request"}`},
		{"proxy, chunk longer than announced", post("/echo") + "2\r\nhello\r\n0\r\n\r\n", 400, `{"message":"Bad Request"}`},
		{"proxy, next request", post("/echo") + "6\r\nintact\r\n0\r\n\r\n", 200, "intact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawTLS(t, h, ep, tc.raw)
			if status != tc.status || body != tc.body && tc.body != "" {
				t.Fatalf("got %d %q, want %d %q", status, body, tc.status, tc.body)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, " ") != "hello intact" {
		t.Fatalf("backend read bodies %q, want [hello intact] (only the well-formed ones, each whole)", got)
	}
}

// rawTLS sends raw bytes over TLS to the endpoint and returns the answer's
// status and body, or 0 when the connection closed without one.
func rawTLS(t *testing.T, h *harness, addr, raw string) (int, string) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: h.roots, ServerName: domain, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(c, raw) }()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
