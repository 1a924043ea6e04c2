package gateway

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gateway/policy"

	"gatehouse/internal/model"
)

// routeInput is what the router needs from a request: all of it untrusted.
type routeInput struct {
	host      string // Host header, maybe with a port
	path      string // decoded URL path
	apiID     string // x-apigw-api-id header
	method    string
	vpce      string // the interface endpoint the connection arrived through
	sourceIP  string // the connection's remote IP (the VPC source as API Gateway sees it)
	userAgent string
	now       time.Time // when the request arrived (aws:CurrentTime); zero: now
}

// resolution is where a request goes, or the failure that answers it.
type resolution struct {
	stage   *stageRoute // set once the stage is known (for gateway-response overrides)
	node    *node
	route   *route
	params  map[string]string // path parameters
	path    string            // resource path as requested, "/" + segments after the stage
	arn     string            // the execute-api ARN the policy was evaluated for
	domain  string            // the custom domain name, if the host was one
	fail    *failure
	logNote string // why the request failed, for the log
	// policyDeferred: an AWS_IAM method's policy is evaluated once the
	// signature names the caller (iam.go), with policyReq and the principal.
	policyDeferred bool
	policyReq      policy.Request
}

// resolve runs steps 1–4 of the request path: host → API + stage (1),
// private endpoint check (2), resource + method (3), resource policy (4).
func (t *table) resolve(in routeInput) resolution {
	var res resolution
	if t == nil {
		res.fail = failForbidden
		res.logNote = "no table compiled yet"
		return res
	}
	// A "." or ".." segment would name one resource to the policy and another to
	// a backend that resolves it (RFC 3986 §5.2.4), so it is refused before
	// anything matches. in.path is already percent-decoded, so %2e%2e is caught.
	// What AWS answers is not recorded (searched: docs, issues, moto,
	// LocalStack; 2026-12); the unknown-resource answer is the safe one.
	if hasDotSegment(in.path) {
		res.fail, res.logNote = failMissingToken, "dot segment in path "+in.path
		return res
	}
	// Steps 1–3 allocate nothing on a match (issue 10): the params land in a
	// stack array and become the map the integration reads only here.
	var paramBuf [8]pathParam
	params, ok := t.match(in, paramBuf[:0], &res)
	if !ok {
		return res
	}
	if len(params) > 0 { // none (most routes): a nil map, read as empty
		res.params = make(map[string]string, len(params))
		for _, p := range params {
			res.params[p.name] = p.value
		}
	}
	sr, rt := res.stage, res.route
	// 4. Resource policy, evaluated as the anonymous caller.
	res.arn = sr.arn + "/" + sr.name + "/" + in.method + res.path
	if sr.policyErr != nil {
		res.fail, res.logNote = accessDenied(res.arn, false), sr.policyErr.Error()
		return res
	}
	req := policy.Request{Action: "execute-api:Invoke", Resource: res.arn}
	if hasConditions(sr.policy) {
		// Only conditions read the keys: a policy without any (the usual
		// open one) costs no map per request.
		req.Context = conditionKeys(t, in)
	}
	if rt.auth == "AWS_IAM" {
		res.policyDeferred, res.policyReq = true, req
		return res
	}
	switch sr.policy.Evaluate(req) {
	case policy.Allow:
	case policy.ExplicitDeny:
		res.fail, res.logNote = accessDenied(res.arn, true), "resource policy denies explicitly"
		return res
	default:
		res.fail, res.logNote = accessDenied(res.arn, false), "resource policy does not allow"
		return res
	}
	return res
}

// conditionKeys are the condition keys a request brings to a resource
// policy.
func conditionKeys(t *table, in routeInput) map[string]string {
	now := in.now
	if now.IsZero() {
		now = time.Now()
	}
	ctx := map[string]string{
		"aws:SourceVpce":      in.vpce,
		"aws:SecureTransport": "true",
		"aws:CurrentTime":     now.UTC().Format(time.RFC3339),
		"aws:EpochTime":       strconv.FormatInt(now.Unix(), 10),
	}
	if vpc := t.vpcs[in.vpce]; vpc != "" {
		ctx["aws:SourceVpc"] = vpc
	}
	if ip := in.sourceIP; ip != "" {
		ctx["aws:SourceIp"] = ip
		ctx["aws:VpcSourceIp"] = ip
	}
	if in.userAgent != "" {
		ctx["aws:UserAgent"] = in.userAgent
	}
	return ctx
}

// hasConditions says whether any statement of p has a condition.
func hasConditions(p *policy.Policy) bool {
	if p == nil {
		return false
	}
	for i := range p.Statements {
		if len(p.Statements[i].Conditions) > 0 {
			return true
		}
	}
	return false
}

// pathParam is one path parameter of a match: the {name} or {name+} and the
// value the request gave it.
type pathParam struct{ name, value string }

// match runs steps 1–3: host → API + stage (1), private endpoint check (2),
// resource + method (3). It fills res's stage, path, node and route, or its
// failure, and returns the path parameters appended to params. A match
// allocates nothing: segments are cut from in.path in place and the caller
// gives params a stack array's slice, so routing costs no garbage per request.
func (t *table) match(in routeInput, params []pathParam, res *resolution) ([]pathParam, bool) {
	apiID, stageName, rest, fail := t.findStage(in, res)
	if fail != nil {
		res.fail = fail
		return params, false
	}
	// 2. The stage must exist and its deployment must admit this endpoint.
	a := t.apis[apiID]
	if a == nil {
		res.fail, res.logNote = failForbidden, "unknown API "+apiID
		return params, false
	}
	sr := a.stages[stageName]
	if sr == nil {
		res.fail, res.logNote = failForbidden, "unknown stage "+stageName+" of API "+apiID
		return params, false
	}
	if !sr.private || !sr.vpces[in.vpce] {
		res.fail, res.logNote = failForbidden, "API "+apiID+" deployment "+sr.deploymentID+" does not admit endpoint "+in.vpce
		return params, false
	}
	res.stage = sr
	// 3. Resource and method in the deployment's frozen tree.
	res.path = canonicalPath(rest)
	n, params := sr.root.match(rest, params)
	if n == nil {
		res.fail, res.logNote = failMissingToken, "no resource matches "+res.path
		return params, false
	}
	rt := n.method(in.method)
	if rt == nil {
		res.fail, res.logNote = failMissingToken, "no method "+in.method+" on "+n.path
		return params, false
	}
	res.node, res.route = n, rt
	return params, true
}

// findStage is step 1: the API and stage named by the Host header (custom
// domain, default execute-api name) or the x-apigw-api-id header, and the path
// left after the base path and stage ("" or starting with "/").
func (t *table) findStage(in routeInput, res *resolution) (apiID, stage, rest string, fail *failure) {
	host := hostName(in.host)
	if d := t.domains[host]; d != nil {
		res.domain = host
		for _, m := range d.mappings {
			rest, ok := cutBasePath(in.path, m.segs)
			if !ok {
				continue
			}
			if m.stage != "" {
				return m.apiID, m.stage, rest, nil
			}
			stage, rest := nextSegment(rest)
			if stage == "" {
				res.logNote = "no stage after base path of " + host
				return "", "", "", failForbidden
			}
			return m.apiID, stage, rest, nil
		}
		res.logNote = "no base path mapping of " + host + " matches " + in.path
		return "", "", "", failMissingToken
	}
	apiID = t.executeAPIHost(host)
	if apiID == "" {
		apiID = in.apiID
	}
	if apiID == "" {
		res.logNote = "host " + host + " names no API"
		return "", "", "", failForbidden
	}
	stage, rest = nextSegment(in.path)
	if stage == "" {
		res.logNote = "no stage in path"
		return "", "", "", failForbidden
	}
	return apiID, stage, rest, nil
}

// executeAPIHost returns the API id of "{api}.execute-api.{region}.amazonaws.com"
// or "{api}-{vpce-id}.execute-api.{region}.amazonaws.com", else "".
func (t *table) executeAPIHost(host string) string {
	label, ok := strings.CutSuffix(host, t.apiHostSuffix)
	if !ok || label == "" || strings.Contains(label, ".") {
		return ""
	}
	if api, vpce, ok := strings.Cut(label, "-"); ok {
		if !strings.HasPrefix(vpce, "vpce-") {
			return ""
		}
		return api
	}
	return label
}

// hostName lowercases the Host header and strips the port and a trailing dot.
// It allocates only for a Host that needs lowering: it runs on every request.
func hostName(h string) string {
	if strings.Contains(h, ":") { // SplitHostPort's error for a bare name would allocate
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
	}
	if strings.ContainsFunc(h, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		h = model.DomainKey(h)
	} else {
		h = strings.TrimSuffix(h, ".") // as DomainKey does, without its copy
	}
	if ip := strings.Trim(h, "[]"); looksLikeIP(ip) {
		if _, err := netip.ParseAddr(ip); err == nil {
			return "" // an IP names no API (a load balancer health check)
		}
	}
	return h
}

// looksLikeIP reports whether netip.ParseAddr could accept s: an IPv6 address
// has a colon, an IPv4 one only digits and dots. It spares a host name the
// allocated error of a failed parse.
func looksLikeIP(s string) bool {
	if strings.Contains(s, ":") {
		return true
	}
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
}

// splitPath returns the non-empty segments of a path; a trailing slash is ignored.
func splitPath(p string) []string {
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return segs
}

// nextSegment cuts the first non-empty segment off p, and returns it ("" when
// p has none) and what follows it ("" or starting with "/"). Empty segments
// are skipped, as splitPath skips them; both results are substrings of p.
func nextSegment(p string) (seg, rest string) {
	p = strings.TrimLeft(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// canonicalPath is "/" + the non-empty segments of p joined by "/". For a
// path already in that shape but for trailing slashes (nearly every request)
// it is a substring of p, so it costs no allocation.
func canonicalPath(p string) string {
	q := strings.TrimRight(p, "/")
	if q == "" {
		return "/"
	}
	if q[0] == '/' && !strings.Contains(q, "//") {
		return q
	}
	return "/" + strings.Join(splitPath(q), "/")
}

// hasDotSegment reports whether a path has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for s := range strings.SplitSeq(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// cutBasePath strips a whole-segment base path prefix (none matches
// everything) and returns the rest of the path.
func cutBasePath(p string, want []string) (string, bool) {
	for _, w := range want {
		var seg string
		seg, p = nextSegment(p)
		if seg == "" || seg != w {
			return "", false
		}
	}
	return p, true
}
