package gateway

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/gateway/vtl"
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
// respond (6); failures answer as gateway responses (7). The interface
// endpoint the request came through is its connection's (ServeConn).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vpce := ""
	if ci, ok := r.Context().Value(keyConn).(*connInfo); ok {
		vpce = ci.vpce
	}
	s.serveFrom(w, r, vpce)
}

// serveFrom is ServeHTTP for a request that came through the interface
// endpoint vpce ("" for none).
func (s *Service) serveFrom(w http.ResponseWriter, r *http.Request, vpce string) {
	start := time.Now()
	x := &exchange{rec: statusRecorder{ResponseWriter: w, status: http.StatusOK}, vpce: vpce}
	s.serve(x, r)
	s.metrics.observe(x.rec.status, time.Since(start))
}

// exchange is one request on its way through the steps: what every step reads.
type exchange struct {
	w        http.ResponseWriter
	r        *http.Request
	reqID    string
	sourceIP string
	vpce     string // the interface endpoint the request came through, "" for none
	res      resolution
	// What contextVar reads besides the request, fixed when invoke resolved
	// the request (varsReady): $context and $stageVariables come from them
	// and from vpce.
	s          *Service
	varsAt     time.Time // $context.requestTime
	extendedID string
	varsReady  bool
	// identity is $context.identity.* an authorization step learned (the
	// AWS_IAM caller, the API key): contextVar reads it.
	identity map[string]string
	failed   *failure // what refuse answered: the access log's $context.error.*
	// rec (w) and m (newMapper) live here so that a request allocates them
	// with the exchange, not one by one.
	rec statusRecorder
	m   mapper
}

// serve runs the steps in order; each returns a refusal or nil, and the first
// refusal is the answer, rendered by refuse.
func (s *Service) serve(x *exchange, r *http.Request) {
	x.w, x.r, x.s, x.reqID, x.sourceIP = &x.rec, r, s, newRequestID(), remoteIP(r.RemoteAddr)
	w := x.w
	// The two ids in canonical form, in one backing array: what h.Set would
	// store, without canonicalising the names or allocating twice per request.
	ids := []string{x.reqID, apigwID()}
	h := w.Header()
	h[hdrRequestID] = ids[0:1:1]
	h[hdrAPIGWID] = ids[1:2:2]
	if rf := s.invoke(x); rf != nil {
		s.refuse(x, rf)
	}
	s.logAccess(x)
}

// invoke is steps 1–6: it answers the request, or returns why it cannot.
func (s *Service) invoke(x *exchange) *refusal {
	r, vpce := x.r, x.vpce
	t := s.table.Load()
	x.res = t.resolve(routeInput{
		host: r.Host, path: r.URL.Path, apiID: headerValue(r.Header, hdrAPIID), method: r.Method,
		vpce: vpce, sourceIP: x.sourceIP, userAgent: r.UserAgent(), now: time.Now(),
	})
	x.startVars()
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
		if rf := s.authorizeIAM(x); rf != nil {
			return rf
		}
	default:
		return executionFailed(failConfig, "authorization type not supported", "authorizationType", rt.auth)
	}
	if rf := s.admit(x); rf != nil { // API key, usage plan and throttles (throttle.go)
		return rf
	}
	// The body is read (MOCK, HTTP) or streamed (HTTP_PROXY) from here: a caller
	// trickling it must not hold the connection or stream past the integration's
	// timeout. The deadline works for HTTP/1.1 and h2 streams alike; a request
	// without a body has nothing to bound (and an in-process writer, which has
	// no deadline, would build an error per request to say so).
	if x.r.Body != nil && x.r.Body != http.NoBody {
		if err := http.NewResponseController(x.w).SetReadDeadline(time.Now().Add(rt.timeout + s.d.BodyReadSlack)); err != nil {
			s.log.Debug("set body read deadline", "requestId", x.reqID, "err", err)
		}
	}
	if rf := s.validateRequest(x); rf != nil {
		return rf
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

// serveMock is step 5 for MOCK: the request template yields {"statusCode": N},
// and that status selects the integration response (vtl-reference §5.4).
func (s *Service) serveMock(x *exchange) *refusal {
	body, rf := readBody(x.w, x.r)
	if rf != nil {
		return rf
	}
	m := s.newMapper(x)
	// The integration timeout bounds the templates, the only work a MOCK
	// does: they poll ctx.Err(), so a deadline without a timer does.
	m.deadline = renderDeadline{Context: x.r.Context(), at: time.Now().Add(x.res.route.timeout)}
	ctx := &m.deadline
	req, rf := requestPayload(ctx, m, body)
	if rf != nil {
		return rf
	}
	status, err := mockStatus(req.body)
	switch {
	case err == nil:
		return respond(ctx, m, req, &endpointResponse{status: status})
	case !req.templated:
		// No template ran: the default integration response answers (AWS's
		// documented way to use MOCK without a request template).
		return respond(ctx, m, req, &endpointResponse{status: http.StatusOK, selectDefault: true})
	}
	return executionFailed(failConfig, "Unable to parse statusCode. It should be an integer that is defined in the request template.", "err", err)
}

// renderDeadline is the request's context with the integration's deadline,
// for work that polls Err (vtl.Render) and never waits on Done: Err reads
// the clock, so there is no timer to start and stop, nor a registration with
// the parent, per request. Done is the parent's: it does not close at the
// deadline, so nothing that waits may be given this context.
type renderDeadline struct {
	context.Context
	at time.Time
}

func (c *renderDeadline) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.at) {
		return d, true
	}
	return c.at, true
}

func (c *renderDeadline) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.at) {
		return context.DeadlineExceeded
	}
	return nil
}

// readBody reads the whole request body, at most maxBodyBytes (413 beyond). A
// body that stops arriving (the read deadline passed) or a caller gone aborts
// the exchange: there is no one to answer.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *refusal) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil // what io.ReadAll reads (empty, not nil), without its buffer
	}
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

// integrationRequest is the integration request a mapping built.
type integrationRequest struct {
	body        []byte
	contentType string
	templated   bool          // a request template ran (false: the body passed through)
	overrides   vtl.Overrides // what the request template set under $context.*Override
	reqBody     []byte        // the method request's body (method.request.body mappings)
}

// requestPayload is the integration request body: the template for the
// request's content type, else the passthrough behaviour decides
// (vtl-reference §5.1): WHEN_NO_MATCH passes the body through, WHEN_NO_TEMPLATES
// only when the method has no templates, NEVER never (415).
//
// The body is converted first as the integration's contentHandling says
// (binary.go), so a template sees a binary body CONVERT_TO_TEXT made base64.
func requestPayload(ctx context.Context, m *mapper, body []byte) (*integrationRequest, *refusal) {
	rt := m.x.res.route
	ct := m.x.r.Header.Get("Content-Type")
	body, ok := convertRequest(body, isBinaryType(m.x.res.stage.binaryTypes, ct), rt.integ.ContentHandling)
	if !ok {
		// AWS's status for a body CONVERT_TO_BINARY cannot decode is not
		// recorded (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, executionFailed(failConfig, "request body is not base64 and contentHandling is CONVERT_TO_BINARY")
	}
	tmpl, ok := rt.templates.forRequest(ct)
	if !ok {
		switch rt.integ.PassthroughBehavior {
		case "NEVER":
			return nil, executionFailed(failUnsupportedMedia, "no template for "+mediaType(ct)+" and passthrough NEVER")
		case "WHEN_NO_TEMPLATES":
			if rt.templates != nil {
				return nil, executionFailed(failUnsupportedMedia, "no template for "+mediaType(ct)+" and passthrough WHEN_NO_TEMPLATES")
			}
		}
		return &integrationRequest{body: body, contentType: cmp.Or(ct, "application/json"), reqBody: body}, nil
	}
	req := &integrationRequest{contentType: mediaType(ct), templated: true, reqBody: body}
	if tmpl == nil {
		return req, nil // an empty template: an empty integration request
	}
	out, ov, rf := m.render(ctx, tmpl, body, "request template")
	if rf != nil {
		return nil, rf
	}
	req.body, req.overrides = out, ov
	return req, nil
}

// respond is step 6: select the integration response for the endpoint's
// status, map its headers, convert the body as its contentHandling says
// (binary.go), render its template for the caller's Accept, apply the
// overrides the templates set (they win), and answer.
func respond(ctx context.Context, m *mapper, req *integrationRequest, ep *endpointResponse) *refusal {
	code := strconv.Itoa(ep.status)
	ir := selectResponse(m.x.res.route.responses, code, ep.selectDefault)
	if ir == nil {
		return executionFailed(failConfig, "No match for output mapping and no default output mapping configured. Endpoint Response Status Code: "+code)
	}
	if ir.fail != "" {
		return executionFailed(failConfig, ir.fail)
	}
	hdr := http.Header{}
	for _, p := range ir.params {
		vals, rf := m.resolve(ctx, p.from, req.reqBody, ep)
		if rf != nil {
			return rf
		}
		if len(vals) > 0 {
			hdr.Set(p.name, strings.Join(vals, ","))
		}
	}
	accept := m.x.r.Header.Get("Accept")
	types := m.x.res.stage.binaryTypes
	firstAccept, _, _ := strings.Cut(accept, ",") // AWS looks at the first Accept type only
	body, ok := convertResponse(ep.body, isBinaryType(types, ep.header.Get("Content-Type")), isBinaryType(types, firstAccept),
		ir.contentHandling)
	if !ok {
		// AWS's status for a body CONVERT_TO_BINARY cannot decode is not
		// recorded (searched: docs, issues, moto, LocalStack; 2026-12).
		return executionFailed(failConfig, "integration response body is not base64 and is to be converted to binary")
	}
	ov := req.overrides
	tmpl, ctype := ir.templates.forResponse(accept)
	if tmpl != nil {
		out, tov, rf := m.render(ctx, tmpl, body, "response template")
		if rf != nil {
			return rf
		}
		// $context is shared: the response template's overrides hold the request template's too.
		body, ov = out, tov
	}
	status := ir.status
	if ov.Status != 0 {
		if ov.Status < 100 {
			return executionFailed(failConfig, "responseOverride.status is not an HTTP status", "status", ov.Status)
		}
		status = ov.Status
	}
	for _, f := range ov.ResponseHeaders {
		if hopHeader(f.Name) {
			return executionFailed(failConfig, "responseOverride sets the "+f.Name+" header")
		}
		hdr.Set(f.Name, strings.Join(f.Values, ","))
	}
	w := m.x.w.Header()
	w.Set("Content-Type", cmp.Or(ctype, "application/json"))
	for k, vs := range hdr {
		w[k] = vs
	}
	m.x.w.WriteHeader(status)
	_, _ = m.x.w.Write(body)
	return nil
}

// backendURL substitutes path parameters ({id}, {proxy}) into the integration
// URI and appends the request's query string.
func backendURL(res *resolution, rawQuery string) (*url.URL, error) {
	return integrationURL(res.route.uri, res.params, rawQuery)
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
			// own handling through a VPC endpoint is not documented (not recorded
			// from AWS, searched: docs, issues, moto, LocalStack; 2026-12).
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
			delete(pr.Out.Header, hdrAPIID) // Del("x-apigw-api-id"), canonical already
			pr.Out.Header.Set("X-Amzn-Apigateway-Api-Id", apiID)
			dropSigV4Authorization(pr.Out.Header)
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
		ErrorLog:   s.errorLog,
		BufferPool: proxyBuffers,
	}
	rp.ServeHTTP(x.w, r)
	return nil
}

// proxyBuffers lends the proxy its copy buffers: without a pool it makes a
// 32 KB one per request.
var proxyBuffers = &bufferPool{pool: sync.Pool{New: func() any { return new([32 << 10]byte) }}}

// bufferPool is an httputil.BufferPool of 32 KB buffers.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte { return p.pool.Get().(*[32 << 10]byte)[:] }

func (p *bufferPool) Put(b []byte) {
	if len(b) == 32<<10 {
		p.pool.Put((*[32 << 10]byte)(b))
	}
}

// serveHTTP is step 5 for HTTP (custom): the integration request (parameter
// mappings, then the template or passthrough, then the template's
// requestOverride, which wins) goes to the backend; its status selects the
// integration response.
func (s *Service) serveHTTP(x *exchange) *refusal {
	rt := x.res.route
	body, rf := readBody(x.w, x.r)
	if rf != nil {
		return rf
	}
	// The integration timeout bounds the templates as well as the backend.
	ctx, cancel := context.WithTimeout(x.r.Context(), rt.timeout)
	defer cancel()
	m := s.newMapper(x)
	req, rf := requestPayload(ctx, m, body)
	if rf != nil {
		return rf
	}
	// Path parameters named in the URI are substituted as the method request
	// has them; everything else reaches an HTTP (non-proxy) backend only when
	// mapped: the query string is not passed unless mapped.
	path := make(map[string]string, len(x.res.params))
	maps.Copy(path, x.res.params)
	query := url.Values{}
	header := http.Header{}
	for _, p := range rt.params {
		vals, rf := m.resolve(ctx, p.from, body, nil)
		if rf != nil {
			return rf
		}
		if len(vals) == 0 {
			continue
		}
		if !p.multi {
			vals = []string{strings.Join(vals, ",")}
		}
		switch p.to {
		case "path":
			path[p.name] = vals[0]
		case "querystring":
			query[p.name] = vals
		case "header":
			header[http.CanonicalHeaderKey(p.name)] = vals
		}
	}
	for _, f := range req.overrides.Path {
		path[f.Name] = strings.Join(f.Values, ",")
	}
	for _, f := range req.overrides.Query {
		query[f.Name] = f.Values
	}
	for _, f := range req.overrides.RequestHeaders {
		if hopHeader(f.Name) {
			return executionFailed(failConfig, "requestOverride sets the "+f.Name+" header")
		}
		header[http.CanonicalHeaderKey(f.Name)] = []string{strings.Join(f.Values, ",")}
	}
	target, err := integrationURL(rt.uri, path, query.Encode())
	if err != nil {
		return executionFailed(failConfig, "invalid endpoint", "err", err)
	}
	out, err := http.NewRequestWithContext(ctx, cmp.Or(rt.backendVerb, x.r.Method), target.String(), bytes.NewReader(req.body))
	if err != nil {
		return executionFailed(failConfig, "invalid endpoint", "err", err)
	}
	out.Header = header
	if out.Header.Get("Content-Type") == "" {
		out.Header.Set("Content-Type", req.contentType)
	}
	if h := out.Header.Get("Host"); h != "" {
		out.Host = h
		out.Header.Del("Host")
	}
	out.Header.Set("X-Amzn-Apigateway-Api-Id", x.res.stage.apiID)
	dropSigV4Authorization(out.Header)
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
	return respond(ctx, m, req, &endpointResponse{status: resp.StatusCode, header: resp.Header, body: respBody})
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

// startVars fixes what contextVar reads besides the request and what later
// steps learn: from here on, $context resolves (vars).
func (x *exchange) startVars() {
	x.varsAt = time.Now()
	// AWS's extendedRequestId is the x-amz-apigw-id it answers with.
	x.extendedID = cmp.Or(headerValue(x.w.Header(), hdrAPIGWID), x.reqID)
	x.varsReady = true
}

// vars is contextVar as templateVars, nil before startVars.
func (x *exchange) vars() templateVars {
	if !x.varsReady {
		return nil
	}
	return x.contextVar
}

// contextVar resolves the $context and $stageVariables references (named
// as written after "$": "context.requestId", "stageVariables.backend") that
// mapping templates (through contextMap), parameter mappings, gateway
// responses and access logs read: one source for all of them. It reads x when
// called, so what a later step learns (x.res, x.identity) shows. A method
// rather than a closure, so that a request whose templates read nothing
// costs nothing.
func (x *exchange) contextVar(name string) (string, bool) {
	s, r, vpce, now := x.s, x.r, x.vpce, x.varsAt
	res := &x.res
	if sv, ok := strings.CutPrefix(name, "stageVariables."); ok && res.stage != nil {
		v, ok := res.stage.variables[sv]
		return v, ok
	}
	if id, ok := strings.CutPrefix(name, "context.identity."); ok {
		if v, ok := x.identity[id]; ok {
			return v, true
		}
		switch id {
		case "sourceIp":
			return x.sourceIP, true
		case "userAgent":
			return r.UserAgent(), true
		case "vpceId":
			return vpce, vpce != ""
		case "vpcId":
			if t := s.table.Load(); t != nil && t.vpcs[vpce] != "" {
				return t.vpcs[vpce], true
			}
		}
		return "", false
	}
	switch name {
	case "context.requestId":
		return x.reqID, true
	case "context.extendedRequestId":
		return x.extendedID, true
	case "context.accountId":
		return s.env.Account, true
	case "context.httpMethod":
		return r.Method, true
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

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// headerValue is h.Get(key) for a key already canonical: Get would
// canonicalise it again, and a name in lower case costs an allocation each
// time.
func headerValue(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// hdrAPIID is x-apigw-api-id, the header that names the API on a request to
// the endpoint's own DNS name, canonical.
var hdrAPIID = http.CanonicalHeaderKey("x-apigw-api-id")

// The canonical forms of the id headers AWS sends as x-amzn-RequestId and
// x-amz-apigw-id (net/http writes every name canonical).
var (
	hdrRequestID = http.CanonicalHeaderKey("x-amzn-RequestId")
	hdrAPIGWID   = http.CanonicalHeaderKey("x-amz-apigw-id")
)

// apigwID imitates the x-amz-apigw-id header: 16 base64 characters.
func apigwID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	var out [16]byte
	base64.StdEncoding.Encode(out[:], b[:])
	return string(out[:])
}

// newRequestID is a random (version 4) UUID, as model.UUID makes, built in
// one allocation: it is made for every request.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// statusRecorder remembers the status for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	wrote   bool
	written int64 // body bytes, for the access log's $context.responseLength
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes while proxying).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes flushes through, so a streamed backend response is not held back.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
