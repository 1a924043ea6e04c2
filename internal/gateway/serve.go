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
	// bodyReadSlack lets the integration timeout fire (504) before the body's
	// read deadline cuts the connection of a caller still sending.
	bodyReadSlack = time.Second
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

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	reqID := model.UUID()
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	h.Set("x-amz-apigw-id", apigwID())

	vpce := ""
	if ci, ok := r.Context().Value(keyConn).(*connInfo); ok {
		vpce = ci.vpce
	}
	sourceIP := remoteIP(r.RemoteAddr)
	t := s.table.Load()
	res := t.resolve(routeInput{
		host: r.Host, path: r.URL.Path, apiID: r.Header.Get("x-apigw-api-id"), method: r.Method,
		vpce: vpce, sourceIP: sourceIP, userAgent: r.UserAgent(), now: time.Now(),
	})
	vars := s.contextVars(r, &res, reqID, sourceIP)
	if res.fail != nil {
		s.log.Debug("request refused", "requestId", reqID, "host", r.Host, "path", r.URL.Path, "vpce", vpce,
			"status", res.fail.status, "why", res.logNote)
		s.writeFailure(w, res.fail, res.stage, vars)
		return
	}
	rt := res.route
	fail := func(f *failure, why string, args ...any) {
		s.log.Warn("execution failed: "+why, append([]any{"requestId", reqID, "api", res.stage.apiID, "stage", res.stage.name,
			"resource", rt.resourcePath, "method", r.Method}, args...)...)
		s.writeFailure(w, f, res.stage, vars)
	}
	if r.ContentLength > maxBodyBytes {
		s.writeFailure(w, failTooLarge, nil, nil)
		return
	}
	if rt.err != nil {
		fail(failConfig, "configuration error", "err", rt.err)
		return
	}
	switch rt.auth {
	case "NONE":
	case "AWS_IAM":
		// gatehouse does not verify SigV4 on the data plane: an unsigned call gets
		// what AWS answers it, and a signed one cannot be checked, so it is refused alike.
		s.writeFailure(w, failMissingToken, res.stage, vars)
		return
	default:
		fail(failConfig, "authorization type not supported", "authorizationType", rt.auth)
		return
	}
	if rt.method.APIKeyRequired {
		// No API keys or usage plans exist in gatehouse yet, so no key is valid.
		s.writeFailure(w, failInvalidAPIKey, res.stage, vars)
		return
	}
	// The body is read (MOCK, HTTP) or streamed (HTTP_PROXY) from here: a caller
	// trickling it must not hold the connection or stream past the integration's
	// timeout. The deadline works for HTTP/1.1 and h2 streams alike.
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(rt.timeout + bodyReadSlack)); err != nil {
		s.log.Debug("set body read deadline", "requestId", reqID, "err", err)
	}
	switch rt.integ.Type {
	case model.IntegrationMock:
		s.serveMock(w, r, &res, vars, fail)
	case model.IntegrationHTTPProxy:
		s.serveHTTPProxy(w, r, &res, sourceIP, fail)
	case model.IntegrationHTTP:
		s.serveHTTP(w, r, &res, vars, fail)
	default:
		fail(failConfig, "integration type not supported", "type", rt.integ.Type)
	}
}

type failFunc func(f *failure, why string, args ...any)

// serveMock is step 5 for MOCK: the request template yields {"statusCode": N}.
func (s *Service) serveMock(w http.ResponseWriter, r *http.Request, res *resolution, vars func(string) (string, bool), fail failFunc) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	out, f, why := requestPayload(res.route, r.Header.Get("Content-Type"), body, vars)
	if f != nil {
		fail(f, why)
		return
	}
	status := 200
	if strings.TrimSpace(out) != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			fail(failConfig, "mock request template did not yield a JSON object", "err", err)
			return
		}
		n, ok := doc["statusCode"].(float64)
		if !ok || n != math.Trunc(n) || n < 100 || n > 599 {
			fail(failConfig, "mock request template has no valid integer statusCode", "statusCode", doc["statusCode"])
			return
		}
		status = int(n)
	}
	// UNVERIFIED: an empty template output (no template, empty passthrough body)
	// answers 200, as LocalStack does.
	s.respond(w, res, status, nil, nil, vars, fail)
}

// readBody reads the whole request body, at most maxBodyBytes (413 beyond). A
// body that stops arriving (the read deadline passed) or a caller gone aborts
// the exchange: there is no one to answer.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		return body, true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.writeFailure(w, failTooLarge, nil, nil)
		return nil, false
	}
	if reqbody.Malformed(err) {
		s.badBody(w, err)
		return nil, false
	}
	s.log.Debug("request body unreadable; connection aborted", "err", err)
	panic(http.ErrAbortHandler)
}

// failMalformedBody answers a request whose body breaks its own framing (bad
// chunked encoding): API Gateway answers a malformed request 400. Its body
// and type are UNVERIFIED; this is the shape of its other built-in answers.
var failMalformedBody = &failure{status: http.StatusBadRequest, message: "Bad Request", body: `{"message":"Bad Request"}`}

// badBody answers failMalformedBody and closes the connection: what follows
// the broken body on it cannot be framed.
func (s *Service) badBody(w http.ResponseWriter, err error) {
	s.log.Debug("request body malformed", "err", err)
	w.Header().Set("Connection", "close")
	s.writeFailure(w, failMalformedBody, nil, nil)
}

// requestPayload is the integration request body: the template for the
// request's content type (default application/json), else the passthrough
// behaviour decides (§A4).
func requestPayload(rt *route, contentType string, body []byte, vars func(string) (string, bool)) (string, *failure, string) {
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
			return "", failUnsupportedMedia, "no template for " + ct + " and passthrough NEVER"
		case "WHEN_NO_TEMPLATES":
			if len(rt.templates) > 0 {
				return "", failUnsupportedMedia, "no template for " + ct + " and passthrough WHEN_NO_TEMPLATES"
			}
		}
		return string(body), nil, ""
	}
	out, err := tmpl.render(vars)
	if err != nil {
		return "", failConfig, "request template: " + err.Error()
	}
	return out, nil, ""
}

// respond is step 6: select the integration response for the status and
// answer with its headers and template.
func (s *Service) respond(w http.ResponseWriter, res *resolution, status int, header http.Header, body []byte, vars func(string) (string, bool), fail failFunc) {
	code := strconv.Itoa(status)
	var ir *integrationResponse
	for i, c := range res.route.responses {
		if c.pattern == nil || c.pattern.MatchString(code) {
			ir = &res.route.responses[i]
			break
		}
	}
	if ir == nil {
		fail(failConfig, "No match for output mapping and no default output mapping configured. Endpoint Response Status Code: "+code)
		return
	}
	if ir.fail != "" {
		fail(failConfig, ir.fail)
		return
	}
	if ir.body != nil {
		rendered, err := ir.body.render(vars)
		if err != nil {
			fail(failConfig, "response template: "+err.Error())
			return
		}
		body = []byte(rendered)
	}
	hdr := w.Header()
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
	w.WriteHeader(ir.status)
	_, _ = w.Write(body)
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
// and its whole response comes back.
func (s *Service) serveHTTPProxy(w http.ResponseWriter, r *http.Request, res *resolution, sourceIP string, fail failFunc) {
	rt := res.route
	target, err := backendURL(res, r.URL.RawQuery)
	if err != nil {
		fail(failConfig, "invalid endpoint", "err", err)
		return
	}
	inCtx := r.Context()
	ctx, cancel := context.WithTimeout(inCtx, rt.timeout)
	defer cancel()
	r = r.WithContext(ctx)
	body := reqbody.New(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	r.Body = body
	apiID := res.stage.apiID
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
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				s.writeFailure(w, failTooLarge, nil, nil)
			case reqbody.Malformed(body.Err()):
				s.badBody(w, body.Err())
			case errors.Is(err, context.DeadlineExceeded):
				fail(failTimeout, "endpoint request timed out", "uri", target.Redacted(), "err", err)
			case errors.Is(err, context.Canceled) && inCtx.Err() != nil:
				// The caller went away (or the server closed its connection at the
				// end of a shutdown): nothing failed that anyone could see.
				s.log.Debug("caller gone during endpoint request", "uri", target.Redacted(), "err", err)
				s.writeFailure(w, failIntegration, nil, nil)
			case errors.Is(err, os.ErrDeadlineExceeded):
				s.log.Debug("request body unreadable; connection aborted", "err", err)
				panic(http.ErrAbortHandler)
			default:
				fail(failIntegration, "endpoint request failed", "uri", target.Redacted(), "err", err)
			}
		},
		ErrorLog: s.errorLog,
	}
	rp.ServeHTTP(w, r)
}

// serveHTTP is step 5 for HTTP (custom): the integration request (template or
// passthrough) goes to the backend; its status selects the integration response.
func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request, res *resolution, vars func(string) (string, bool), fail failFunc) {
	rt := res.route
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	payload, f, why := requestPayload(res.route, r.Header.Get("Content-Type"), body, vars)
	if f != nil {
		fail(f, why)
		return
	}
	// Only what the mapping passes reaches an HTTP (non-proxy) backend; the query
	// string is not passed unless mapped, so it is left out here.
	target, err := backendURL(res, "")
	if err != nil {
		fail(failConfig, "invalid endpoint", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.timeout)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, cmp.Or(rt.backendVerb, r.Method), target.String(), strings.NewReader(payload))
	if err != nil {
		fail(failConfig, "invalid endpoint", "err", err)
		return
	}
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("X-Amzn-Apigateway-Api-Id", res.stage.apiID)
	resp, err := s.transport.RoundTrip(out)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			fail(failTimeout, "endpoint request timed out", "uri", target.Redacted(), "err", err)
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			s.log.Debug("caller gone during endpoint request", "uri", target.Redacted(), "err", err)
			s.writeFailure(w, failIntegration, nil, nil)
		default:
			fail(failIntegration, "endpoint request failed", "uri", target.Redacted(), "err", err)
		}
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil || len(respBody) > maxBodyBytes {
		if errors.Is(err, context.DeadlineExceeded) {
			fail(failTimeout, "endpoint response timed out", "uri", target.Redacted())
			return
		}
		fail(failIntegration, "endpoint response unreadable or too large", "uri", target.Redacted(), "err", err)
		return
	}
	s.respond(w, res, resp.StatusCode, resp.Header, bytes.Clone(respBody), vars, fail)
}

// contextVars resolves the $context and $stageVariables references templates may use.
func (s *Service) contextVars(r *http.Request, res *resolution, reqID, sourceIP string) func(string) (string, bool) {
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
