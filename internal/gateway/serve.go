package gateway

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/reqbody"
)

// Limits API Gateway applies to a request (aws-behaviors §A5).
const (
	maxBodyBytes        = 10 << 20 // payload 10 MB
	maxHeaderBytes      = 10240    // request line + headers
	defaultTimeoutMilli = 29000
	// defaultBodyReadSlack lets the integration timeout fire (504) before the
	// body's read deadline cuts the connection of a caller still sending
	// (Deps.BodyReadSlack).
	defaultBodyReadSlack = time.Second
)

type ctxKey int

const (
	keyConn ctxKey = iota // *connInfo
)

// connInfo travels from ServeConn to every request on the connection.
type connInfo struct {
	vpce string
}

// ServeHTTP is the request path: tableFor → resolve (steps 1–4) → invoke (5) →
// respond (6); failures answer as gateway responses (7).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.serve(rec, r)
	s.metrics.observe(rec.status, time.Since(start))
}

// exchange is one request on its way through the steps: what every step reads.
type exchange struct {
	w        http.ResponseWriter
	r        *http.Request
	reqID    string
	sourceIP string
	res      resolution
	vars     templateVars // the request's $context and $stageVariables
}

// serve runs the steps in order; each returns a refusal or nil, and the first
// refusal is the answer, rendered by refuse.
func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, reqID: model.UUID(), sourceIP: remoteIP(r.RemoteAddr)}
	h := w.Header()
	h.Set("x-amzn-RequestId", x.reqID)
	h.Set("x-amz-apigw-id", apigwID())
	if rf := s.invoke(x); rf != nil {
		s.refuse(x, rf)
	}
}

// invoke is steps 1–6: it answers the request, or returns why it cannot.
func (s *Service) invoke(x *exchange) *refusal {
	r := x.r
	vpce := ""
	if ci, ok := r.Context().Value(keyConn).(*connInfo); ok {
		vpce = ci.vpce
	}
	t := s.table.Load()
	x.res = t.resolve(routeInput{
		host: r.Host, path: r.URL.Path, apiID: r.Header.Get("x-apigw-api-id"), method: r.Method,
		vpce: vpce, sourceIP: x.sourceIP, userAgent: r.UserAgent(), now: time.Now(),
	})
	x.vars = s.contextVars(r, &x.res, x.reqID, x.sourceIP)
	if x.res.fail != nil {
		return &refusal{failure: x.res.fail, level: slog.LevelDebug, msg: "request refused",
			args: []any{"host", r.Host, "path", r.URL.Path, "vpce", vpce, "status", x.res.fail.status, "why", x.res.logNote}}
	}
	rt := x.res.route
	if r.ContentLength > maxBodyBytes {
		return refuseTooLarge
	}
	if rt.err != nil {
		return executionFailed(failConfig, "configuration error", "err", rt.err)
	}
	switch rt.auth {
	case "NONE":
	case "AWS_IAM":
		// gatehouse does not verify SigV4 on the data plane: an unsigned call gets
		// what AWS answers it, and a signed one cannot be checked, so it is refused alike.
		return &refusal{failure: failMissingToken}
	default:
		return executionFailed(failConfig, "authorization type not supported", "authorizationType", rt.auth)
	}
	if rt.method.APIKeyRequired {
		// No API keys or usage plans exist in gatehouse yet, so no key is valid.
		return &refusal{failure: failInvalidAPIKey}
	}
	// The body is read (MOCK, HTTP) or streamed (HTTP_PROXY) from here: a caller
	// trickling it must not hold the connection or stream past the integration's
	// timeout. The deadline works for HTTP/1.1 and h2 streams alike.
	if err := http.NewResponseController(x.w).SetReadDeadline(time.Now().Add(rt.timeout + s.d.BodyReadSlack)); err != nil {
		s.log.Debug("set body read deadline", "requestId", x.reqID, "err", err)
	}
	switch rt.integ.Type {
	case model.IntegrationMock:
		return s.serveMock(x)
	case model.IntegrationHTTPProxy:
		return s.serveHTTPProxy(x)
	case model.IntegrationHTTP:
		return s.serveHTTP(x)
	}
	return executionFailed(failConfig, "integration type not supported", "type", rt.integ.Type)
}

// serveMock is step 5 for MOCK: the request template yields {"statusCode": N}.
func (s *Service) serveMock(x *exchange) *refusal {
	body, rf := readBody(x.w, x.r)
	if rf != nil {
		return rf
	}
	out, rf := requestPayload(x.res.route, x.r.Header.Get("Content-Type"), body, x.vars)
	if rf != nil {
		return rf
	}
	status := 200
	if strings.TrimSpace(out) != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			return executionFailed(failConfig, "mock request template did not yield a JSON object", "err", err)
		}
		n, ok := doc["statusCode"].(float64)
		if !ok || n != math.Trunc(n) || n < 100 || n > 599 {
			return executionFailed(failConfig, "mock request template has no valid integer statusCode", "statusCode", doc["statusCode"])
		}
		status = int(n)
	}
	// UNVERIFIED: an empty template output (no template, empty passthrough body)
	// answers 200, as LocalStack does.
	return respond(x, status, nil, nil)
}

// readBody reads the whole request body, at most maxBodyBytes (413 beyond). A
// body that stops arriving (the read deadline passed) or a caller gone aborts
// the exchange: there is no one to answer.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *refusal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		return body, nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, refuseTooLarge
	}
	if reqbody.Malformed(err) {
		return nil, malformedBody(err)
	}
	return nil, bodyUnreadable(err)
}

// requestPayload is the integration request body: the template for the
// request's content type (default application/json), else the passthrough
// behaviour decides (§A4).
func requestPayload(rt *route, contentType string, body []byte, vars templateVars) (string, *refusal) {
	ct := "application/json"
	if contentType != "" {
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			ct = mt
		}
	}
	tmpl, ok := rt.templates[ct]
	if !ok {
		switch rt.integ.PassthroughBehavior {
		case "NEVER":
			return "", executionFailed(failUnsupportedMedia, "no template for "+ct+" and passthrough NEVER")
		case "WHEN_NO_TEMPLATES":
			if len(rt.templates) > 0 {
				return "", executionFailed(failUnsupportedMedia, "no template for "+ct+" and passthrough WHEN_NO_TEMPLATES")
			}
		}
		return string(body), nil
	}
	out, err := tmpl.render(vars)
	if err != nil {
		return "", executionFailed(failConfig, "request template: "+err.Error())
	}
	return out, nil
}

// respond is step 6: select the integration response for the status and
// answer with its headers and template.
func respond(x *exchange, status int, header http.Header, body []byte) *refusal {
	code := strconv.Itoa(status)
	var ir *integrationResponse
	for i, c := range x.res.route.responses {
		if c.pattern == nil || c.pattern.MatchString(code) {
			ir = &x.res.route.responses[i]
			break
		}
	}
	if ir == nil {
		return executionFailed(failConfig, "No match for output mapping and no default output mapping configured. Endpoint Response Status Code: "+code)
	}
	if ir.fail != "" {
		return executionFailed(failConfig, ir.fail)
	}
	if ir.body != nil {
		rendered, err := ir.body.render(x.vars)
		if err != nil {
			return executionFailed(failConfig, "response template: "+err.Error())
		}
		body = []byte(rendered)
	}
	hdr := x.w.Header()
	hdr.Set("Content-Type", "application/json")
	for _, p := range ir.headers {
		switch {
		case p.from == "":
			hdr.Set(p.name, p.literal)
		case header != nil:
			if hv := header.Get(p.from); hv != "" {
				hdr.Set(p.name, hv)
			}
		}
	}
	x.w.WriteHeader(ir.status)
	_, _ = x.w.Write(body)
	return nil
}

// backendURL substitutes path parameters ({id}, {proxy}) into the integration
// URI and appends the request's query string.
func backendURL(res *resolution, rawQuery string) (*url.URL, error) {
	uri := res.route.uri
	for k, v := range res.params {
		esc := v
		if strings.Contains(v, "/") { // a greedy value: escape each segment
			parts := strings.Split(v, "/")
			for i, p := range parts {
				parts[i] = url.PathEscape(p)
			}
			esc = strings.Join(parts, "/")
		} else {
			esc = url.PathEscape(v)
		}
		uri = strings.ReplaceAll(uri, "{"+k+"}", esc)
		uri = strings.ReplaceAll(uri, "{"+k+"+}", esc)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("integration URI %q: %w", uri, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("integration URI %q is not an http(s) URL", uri)
	}
	switch {
	case rawQuery == "":
	case u.RawQuery == "":
		u.RawQuery = rawQuery
	default:
		u.RawQuery += "&" + rawQuery
	}
	return u, nil
}

// serveHTTPProxy is step 5 for HTTP_PROXY: the whole request goes to the backend
// and its whole response comes back. The proxy meets its failures while it
// holds the request, so its ErrorHandler renders them there, through refuse.
func (s *Service) serveHTTPProxy(x *exchange) *refusal {
	rt := x.res.route
	target, err := backendURL(&x.res, x.r.URL.RawQuery)
	if err != nil {
		return executionFailed(failConfig, "invalid endpoint", "err", err)
	}
	inCtx := x.r.Context()
	ctx, cancel := context.WithTimeout(inCtx, rt.timeout)
	defer cancel()
	r := x.r.WithContext(ctx)
	body := reqbody.New(http.MaxBytesReader(x.w, r.Body, maxBodyBytes))
	r.Body = body
	apiID, sourceIP := x.res.stage.apiID, x.sourceIP
	rp := &httputil.ReverseProxy{
		Transport: s.transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = "" // API Gateway overwrites Host with the backend's (§A5)
			pr.Out.Method = cmp.Or(rt.backendVerb, pr.In.Method)
			// Rewrite starts with X-Forwarded-For removed. Keep what the caller
			// sent and append the peer, as the load balancer in front does; AWS's
			// own handling through a VPC endpoint is not documented (UNVERIFIED).
			xff := strings.Join(pr.In.Header.Values("X-Forwarded-For"), ", ")
			if sourceIP != "" {
				if xff != "" {
					xff += ", "
				}
				xff += sourceIP
			}
			if xff != "" {
				pr.Out.Header.Set("X-Forwarded-For", xff)
			}
			pr.Out.Header.Del("x-apigw-api-id")
			pr.Out.Header.Set("X-Amzn-Apigateway-Api-Id", apiID)
		},
		ModifyResponse: func(resp *http.Response) error {
			// API Gateway hands these back renamed (§A5); its own values take their place.
			for _, name := range []string{"Date", "Server"} {
				if v := resp.Header.Values(name); len(v) > 0 {
					resp.Header["X-Amzn-Remapped-"+name] = v
					resp.Header.Del(name)
				}
			}
			return nil
		},
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) {
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				s.refuse(x, refuseTooLarge)
			case reqbody.Malformed(body.Err()):
				s.refuse(x, malformedBody(body.Err()))
			default:
				s.refuse(x, endpointFailed(err, inCtx, target, true))
			}
		},
		ErrorLog: s.errorLog,
	}
	rp.ServeHTTP(x.w, r)
	return nil
}

// serveHTTP is step 5 for HTTP (custom): the integration request (template or
// passthrough) goes to the backend; its status selects the integration response.
func (s *Service) serveHTTP(x *exchange) *refusal {
	rt := x.res.route
	body, rf := readBody(x.w, x.r)
	if rf != nil {
		return rf
	}
	payload, rf := requestPayload(rt, x.r.Header.Get("Content-Type"), body, x.vars)
	if rf != nil {
		return rf
	}
	// Only what the mapping passes reaches an HTTP (non-proxy) backend; the query
	// string is not passed unless mapped, so it is left out here.
	target, err := backendURL(&x.res, "")
	if err != nil {
		return executionFailed(failConfig, "invalid endpoint", "err", err)
	}
	ctx, cancel := context.WithTimeout(x.r.Context(), rt.timeout)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, cmp.Or(rt.backendVerb, x.r.Method), target.String(), strings.NewReader(payload))
	if err != nil {
		return executionFailed(failConfig, "invalid endpoint", "err", err)
	}
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("X-Amzn-Apigateway-Api-Id", x.res.stage.apiID)
	resp, err := s.transport.RoundTrip(out)
	if err != nil {
		return endpointFailed(err, x.r.Context(), target, false)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil || len(respBody) > maxBodyBytes {
		if errors.Is(err, context.DeadlineExceeded) {
			return executionFailed(failTimeout, "endpoint response timed out", "uri", target.Redacted())
		}
		return executionFailed(failIntegration, "endpoint response unreadable or too large", "uri", target.Redacted(), "err", err)
	}
	return respond(x, resp.StatusCode, resp.Header, bytes.Clone(respBody))
}

// endpointFailed is the refusal of a request to the backend that failed with
// err: 504 when the integration's timeout passed; 500 without overrides when
// the caller went away (or the server closed its connection at the end of a
// shutdown: nothing failed that anyone could see); no answer when the caller's
// body, streamed to the backend, stopped arriving (its read deadline passed);
// else 500.
func endpointFailed(err error, callerCtx context.Context, target *url.URL, bodyStreamed bool) *refusal {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return executionFailed(failTimeout, "endpoint request timed out", "uri", target.Redacted(), "err", err)
	case errors.Is(err, context.Canceled) && callerCtx.Err() != nil:
		return &refusal{failure: failIntegration, noOverride: true, level: slog.LevelDebug,
			msg: "caller gone during endpoint request", args: []any{"uri", target.Redacted(), "err", err}}
	case bodyStreamed && errors.Is(err, os.ErrDeadlineExceeded):
		return bodyUnreadable(err)
	}
	return executionFailed(failIntegration, "endpoint request failed", "uri", target.Redacted(), "err", err)
}

// contextVars resolves the $context and $stageVariables references templates may use.
func (s *Service) contextVars(r *http.Request, res *resolution, reqID, sourceIP string) templateVars {
	now := time.Now()
	return func(name string) (string, bool) {
		if sv, ok := strings.CutPrefix(name, "stageVariables."); ok && res.stage != nil {
			v, ok := res.stage.variables[sv]
			return v, ok
		}
		switch name {
		case "context.requestId", "context.extendedRequestId":
			return reqID, true
		case "context.accountId":
			return s.env.Account, true
		case "context.httpMethod":
			return r.Method, true
		case "context.identity.sourceIp":
			return sourceIP, true
		case "context.identity.userAgent":
			return r.UserAgent(), true
		case "context.protocol":
			return r.Proto, true
		case "context.requestTime":
			return now.UTC().Format("02/Jan/2006:15:04:05 -0700"), true
		case "context.requestTimeEpoch":
			return strconv.FormatInt(now.UnixMilli(), 10), true
		case "context.domainName":
			return hostName(r.Host), true
		case "context.domainPrefix":
			d, _, _ := strings.Cut(hostName(r.Host), ".")
			return d, true
		}
		if res.stage == nil {
			return "", false
		}
		switch name {
		case "context.apiId":
			return res.stage.apiID, true
		case "context.stage":
			return res.stage.name, true
		case "context.deploymentId":
			return res.stage.deploymentID, true
		case "context.path":
			return "/" + res.stage.name + strings.TrimSuffix(res.path, "/"), true
		}
		if res.route == nil {
			return "", false
		}
		switch name {
		case "context.resourcePath":
			return res.route.resourcePath, true
		case "context.resourceId":
			return res.route.resourceID, true
		}
		return "", false
	}
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// apigwID imitates the x-amz-apigw-id header: 16 base64 characters.
func apigwID() string {
	b := make([]byte, 11)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// statusRecorder remembers the status for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes while proxying).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes flushes through, so a streamed backend response is not held back.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
