package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go/middleware"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/awsapi/awsapitest"
)

// TestSDKClosesRequestBodyEarly replays, in a fixed order, the race behind a
// 2xx answer whose body the SDK could not read ("use of closed network
// connection"): net/http's write loop puts the last byte of a request body
// on the socket, the server reads the body whole and answers, the SDK gets
// the response headers and closes the request body, and only then does the
// write loop check the body for bytes beyond its Content-Length. The stalled
// write holds the write loop back until the SDK has closed the body; the
// middleware holds the SDK's response decoding back until the write loop has
// either closed the connection or had time to.
//
// The server is not involved beyond answering after reading the whole body:
// the SDK's own client, as is, tears down its connection; the one
// awsapitest.HTTPClient returns must not.
func TestSDKClosesRequestBodyEarly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client func(http.RoundTripper) *http.Client
	}{
		{"SDK as is", func(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt} }},
		{"awsapitest.HTTPClient", awsapitest.HTTPClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			description := strings.Repeat("d", 64<<10) // more than the client's read buffer
			srv := httptest.NewServer(awsapi.NewServer("us-west-2", map[string]string{awsapitest.Key: awsapitest.Secret}, nil, &awsapi.Service{
				Name: "apigateway", Protocol: awsapi.RestJSON, BadInput: "BadRequestException", PathPrefixes: []string{"/restapis"},
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusCreated)
					w.Write([]byte(`{"id":"a1b2c3d4e5","name":"big","description":"` + description + `"}`))
				}),
			}))
			defer srv.Close()

			st := &stall{release: make(chan struct{}), closed: make(chan struct{})}
			tr := &http.Transport{DialContext: st.dial}
			defer tr.CloseIdleConnections()
			c := apigw.NewFromConfig(aws.Config{
				Region:           "us-west-2",
				Credentials:      credentials.NewStaticCredentialsProvider(awsapitest.Key, awsapitest.Secret, ""),
				BaseEndpoint:     aws.String(srv.URL),
				RetryMaxAttempts: 1,
				HTTPClient:       tc.client(tr),
			}, func(o *apigw.Options) {
				o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
					// After the operation's deserializer: between it and the
					// HTTP client, which has closed the request body on return.
					return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("holdDecoding", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
						out, md, err := next.HandleDeserialize(ctx, in)
						close(st.release)
						select {
						case <-st.closed:
						case <-time.After(time.Second):
						}
						return out, md, err
					}), middleware.After)
				})
			})

			// A body over the client's 4 KiB write buffer: its tail goes
			// to the socket before the write loop's check for more.
			out, err := c.CreateRestApi(context.Background(), &apigw.CreateRestApiInput{Name: aws.String("big"), Description: aws.String(strings.Repeat("q", 16<<10))})
			if !st.stalled() {
				t.Fatal("the request's last write was not stalled")
			}
			if tc.name == "SDK as is" {
				if err == nil {
					t.Skip("the SDK no longer fails the write after closing the body: awsapitest.HTTPClient may give it its transport as is")
				}
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("got %v, want the client's own connection closed under it", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want it accepted", err)
			}
			if aws.ToString(out.Description) != description {
				t.Errorf("got a description of %d bytes, want %d", len(aws.ToString(out.Description)), len(description))
			}
			select {
			case <-st.closed:
				t.Error("the client closed its connection after the request")
			default:
			}
		})
	}
}

// stall dials connections whose first request's last write returns only
// once release is closed, and closes closed when the connection is closed.
type stall struct {
	release chan struct{}
	closed  chan struct{}

	mu   sync.Mutex
	held bool
}

func (s *stall) stalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

func (s *stall) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &stallConn{Conn: c, s: s}, nil
}

type stallConn struct {
	net.Conn
	s *stall

	// Only the transport's write loop writes.
	sent  bytes.Buffer // the request's head, until it is whole
	total int          // the request's length once its head is known
	n     int
	done  bool

	closeOnce sync.Once
}

func (c *stallConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.done || err != nil {
		return n, err
	}
	c.n += n
	if c.total == 0 {
		c.sent.Write(p[:n])
		if end := bytes.Index(c.sent.Bytes(), []byte("\r\n\r\n")); end >= 0 {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.sent.Bytes()[:end+4])))
			if err != nil {
				return n, err
			}
			c.total = end + 4 + int(req.ContentLength)
		}
	}
	if c.total > 0 && c.n >= c.total {
		c.done = true
		c.s.mu.Lock()
		c.s.held = true
		c.s.mu.Unlock()
		select {
		case <-c.s.release:
		case <-time.After(10 * time.Second):
		}
	}
	return n, err
}

func (c *stallConn) Close() error {
	c.closeOnce.Do(func() { close(c.s.closed) })
	return c.Conn.Close()
}
