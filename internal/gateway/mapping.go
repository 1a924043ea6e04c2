package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/gateway/vtl"
	"gatehouse/internal/model"
)

// Mapping: what runs between the method request and the integration, and
// between the integration's answer and the method response, for MOCK and HTTP
// (non-proxy) integrations (vtl-reference §5). Compiled with the table
// (compileRequestMapping, compileResponseMapping); per request a mapper holds
// the template input both phases share.

// paramKind is where a mapped parameter's value comes from.
type paramKind uint8

const (
	fromLiteral             paramKind = iota // 'text'
	fromMethodPath                           // method.request.path.N
	fromMethodQuery                          // method.request.querystring.N
	fromMethodMultiQuery                     // method.request.multivaluequerystring.N
	fromMethodHeader                         // method.request.header.N
	fromMethodMultiHeader                    // method.request.multivalueheader.N
	fromMethodBody                           // method.request.body[.JSONPath]
	fromContext                              // context.X
	fromStageVariable                        // stageVariables.X
	fromResponseHeader                       // integration.response.header.N
	fromResponseMultiHeader                  // integration.response.multivalueheader.N
	fromResponseBody                         // integration.response.body[.JSONPath]
)

// paramSource is a mapping expression, parsed.
type paramSource struct {
	kind paramKind
	name string        // the literal text, parameter or header name, $context path or stage variable
	path *vtl.Template // a body source's JSONPath as $input.json('$…'); nil: the whole body
}

// paramMapping is one requestParameters / responseParameters entry.
type paramMapping struct {
	to    string // request: "header", "querystring" or "path"; response: "header"
	multi bool   // a multivalue target: every value, not one
	name  string
	from  paramSource
}

// hopHeaders may not be mapped: API Gateway answers 500 (vtl-reference §5.5, case 32).
func hopHeader(name string) bool {
	return strings.EqualFold(name, "Content-Length") || strings.EqualFold(name, "Transfer-Encoding")
}

// parseParamSource parses a mapping expression. response says which phase:
// method.request.* feeds the integration request, integration.response.* the
// method response; context.*, stageVariables.* and literals feed both.
func parseParamSource(v string, response bool) (paramSource, error) {
	if lit, ok := literal(v); ok {
		return paramSource{kind: fromLiteral, name: lit}, nil
	}
	if name, ok := strings.CutPrefix(v, "context."); ok && name != "" {
		return paramSource{kind: fromContext, name: name}, nil
	}
	if name, ok := strings.CutPrefix(v, "stageVariables."); ok && name != "" {
		return paramSource{kind: fromStageVariable, name: name}, nil
	}
	prefix, named, body := "method.request.", map[string]paramKind{
		"path": fromMethodPath, "querystring": fromMethodQuery, "multivaluequerystring": fromMethodMultiQuery,
		"header": fromMethodHeader, "multivalueheader": fromMethodMultiHeader,
	}, fromMethodBody
	if response {
		prefix, named, body = "integration.response.", map[string]paramKind{
			"header": fromResponseHeader, "multivalueheader": fromResponseMultiHeader,
		}, fromResponseBody
	}
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return paramSource{}, fmt.Errorf("mapping expression %q is not a valid source", v)
	}
	if rest == "body" {
		return paramSource{kind: body}, nil
	}
	if jp, ok := strings.CutPrefix(rest, "body"); ok && (jp[0] == '.' || jp[0] == '[') {
		if strings.ContainsAny(jp, "'\n") {
			return paramSource{}, fmt.Errorf("mapping expression %q: JSONPath not supported", v)
		}
		t, err := vtl.Compile("$input.json('$" + jp + "')")
		if err != nil {
			return paramSource{}, fmt.Errorf("mapping expression %q: %w", v, err)
		}
		return paramSource{kind: body, path: t}, nil
	}
	loc, name, _ := strings.Cut(rest, ".")
	if k, ok := named[loc]; ok && name != "" {
		return paramSource{kind: k, name: name}, nil
	}
	return paramSource{}, fmt.Errorf("mapping expression %q is not a valid source", v)
}

// compileRequestMapping compiles an integration's request templates and
// request parameters into rt.
func compileRequestMapping(rt *route, integ *model.Integration) error {
	set, err := compileTemplates(integ.RequestTemplates)
	if err != nil {
		return fmt.Errorf("integration request: %w", err)
	}
	rt.templates = set
	for _, key := range slices.Sorted(maps.Keys(integ.RequestParameters)) {
		target, ok := strings.CutPrefix(key, "integration.request.")
		loc, name, _ := strings.Cut(target, ".")
		p := paramMapping{name: name}
		switch loc {
		case "header", "querystring", "path":
			p.to = loc
		case "multivalueheader", "multivaluequerystring":
			p.to, p.multi = strings.TrimPrefix(loc, "multivalue"), true
		default:
			ok = false
		}
		if !ok || name == "" {
			return fmt.Errorf("request parameter %q is not a valid integration request parameter", key)
		}
		if p.to == "header" && hopHeader(name) {
			return fmt.Errorf("request parameter %q: the %s header cannot be mapped", key, name)
		}
		if p.from, err = parseParamSource(integ.RequestParameters[key], false); err != nil {
			return fmt.Errorf("request parameter %q: %w", key, err)
		}
		rt.params = append(rt.params, p)
	}
	return nil
}

// compileResponseMapping compiles an integration response's templates and
// method response header mappings into c.
func compileResponseMapping(c *integrationResponse, ir *model.IntegrationResponse) error {
	set, err := compileTemplates(ir.ResponseTemplates)
	if err != nil {
		return err
	}
	c.templates = set
	for _, key := range slices.Sorted(maps.Keys(ir.ResponseParameters)) {
		name, ok := strings.CutPrefix(key, "method.response.header.")
		if !ok || name == "" {
			return fmt.Errorf("response parameter %q is not a method response header", key)
		}
		if hopHeader(name) {
			return fmt.Errorf("response parameter %q: the %s header cannot be mapped", key, name)
		}
		src, err := parseParamSource(ir.ResponseParameters[key], true)
		if err != nil {
			return fmt.Errorf("response parameter %q: %w", key, err)
		}
		c.params = append(c.params, paramMapping{to: "header", name: name, from: src})
	}
	return nil
}

// logRouteErrors says, once per compiled stage, why each of its broken
// methods answers 500 (a template or mapping that does not compile).
func logRouteErrors(log *slog.Logger, sr *stageRoute) {
	if log == nil || sr == nil || sr.root == nil {
		return
	}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if depth > 512 { // a guard: the tree comes from records
			return
		}
		for verb, rt := range n.methods {
			if rt.err != nil {
				log.Warn("method answers 500: configuration error", "api", sr.apiID, "stage", sr.name,
					"deployment", sr.deploymentID, "resource", rt.resourcePath, "method", verb, "err", rt.err)
			}
		}
		for _, c := range n.literal {
			walk(c, depth+1)
		}
		if n.param != nil {
			walk(n.param, depth+1)
		}
		if n.greedy != nil {
			walk(n.greedy, depth+1)
		}
	}
	walk(sr.root, 0)
}

// failBadPayload answers a template that read a body starting like JSON that
// is not: API Gateway answers 400 (vtl-reference §2). The prefix is AWS's
// (an API Gateway answer quoted in serverless/serverless#3187: "Could not
// parse request body into json: Unexpected character …"); the text after the
// colon is gatehouse's parser's, AWS's comes from Jackson.
func failBadPayload(why error) *failure {
	msg := "Could not parse request body into json: " + why.Error()
	b, _ := json.Marshal(map[string]string{"message": msg})
	return &failure{responseType: "BAD_REQUEST_BODY", status: http.StatusBadRequest, errorType: "BadRequestException",
		message: msg, body: string(b)}
}

// mapper is one request's mapping state: the template input the request and
// response templates share ($context among it, so overrides and keys a
// request template sets reach the response template, as on AWS).
type mapper struct {
	x  *exchange
	in vtl.Input // Body is set per rendering
	// deadline is a MOCK's rendering context, kept here so that it costs no
	// allocation of its own (serveMock).
	deadline renderDeadline
}

// newMapper starts a request's mapping state. What a template may read is
// gathered when a template first reads it (the vtl.Loader methods below):
// most MOCK request templates read nothing, and pay for nothing.
func (s *Service) newMapper(x *exchange) *mapper {
	x.m = mapper{x: x}
	m := &x.m
	m.in.Loader = m
	return m
}

// LoadParams gathers the method request's parameters ($input.params), each
// kind sorted by name, in slices sized once.
func (m *mapper) LoadParams(in *vtl.Input) {
	x := m.x
	r := x.r
	var buf [32]string // the names, sorted: on the stack for a usual request
	in.Path = make([]vtl.Param, 0, len(x.res.params))
	for _, k := range sortedKeys(buf[:0], x.res.params) {
		in.Path = append(in.Path, vtl.Param{Name: k, Value: x.res.params[k]})
	}
	q := r.URL.Query()
	in.Query = make([]vtl.Param, 0, len(q))
	for _, k := range sortedKeys(buf[:0], q) {
		in.Query = append(in.Query, vtl.Param{Name: k, Value: last(q[k])})
	}
	in.Header = make([]vtl.Param, 0, len(r.Header)+1)
	if r.Host != "" {
		in.Header = append(in.Header, vtl.Param{Name: "Host", Value: r.Host})
	}
	for _, k := range sortedKeys(buf[:0], r.Header) {
		in.Header = append(in.Header, vtl.Param{Name: k, Value: last(r.Header[k])})
	}
}

// sortedKeys appends m's keys to buf, sorted.
func sortedKeys[V any](buf []string, m map[string]V) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// LoadContext builds $context.
func (m *mapper) LoadContext() *vtl.Map { return contextMap(m.x.contextVar) }

// LoadStageVariables builds $stageVariables.
func (m *mapper) LoadStageVariables() *vtl.Map {
	vars := m.x.res.stage.variables
	sv := vtl.NewMap(len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		sv.Set(k, vars[k])
	}
	return sv
}

// last is a repeated parameter's value as a template sees it: the last one
// (as API Gateway's single-value maps hold it).
func last(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// contextNames and identityNames are the $context variables of a plain
// request, in AWS's order (vtl-reference §4).
var (
	contextNames = []string{"accountId", "apiId", "deploymentId", "domainName", "domainPrefix", "extendedRequestId",
		"httpMethod", "path", "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage"}
	identityNames = []string{"accessKey", "accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
		"cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "sourceIp", "user",
		"userAgent", "userArn", "vpcId", "vpceId"}
)

// contextRefs and identityRefs are contextNames and identityNames as
// templateVars names them, joined once rather than per request.
var (
	contextRefs  = prefixed("context.", contextNames)
	identityRefs = prefixed("context.identity.", identityNames)
)

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// contextMap is $context as a template sees it, from the same values access
// logs and gateway responses read (contextVar). A variable with no value is
// null; apiKey/apiKeyId exist only when the method requires a key.
func contextMap(vars templateVars) *vtl.Map {
	c := vtl.NewMap(len(contextNames) + 3)
	for i, n := range contextNames {
		v, ok := vars(contextRefs[i])
		switch {
		case !ok:
			c.Set(n, nil)
		case n == "requestTimeEpoch":
			epoch, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				c.Set(n, v)
			} else {
				c.Set(n, epoch) // a Long, so templates can do arithmetic on it
			}
		default:
			c.Set(n, v)
		}
	}
	id := vtl.NewMap(len(identityNames))
	for i, n := range identityNames {
		v, ok := vars(identityRefs[i])
		switch {
		case ok:
			id.Set(n, v)
		case n != "apiKey" && n != "apiKeyId":
			id.Set(n, nil)
		}
	}
	c.Set("identity", id)
	c.Set("authorizer", vtl.NewMap(0))
	return c
}

// render runs a mapping template over body. A failure is the refusal that
// answers it: 400 for a body that is not the JSON it starts like, 504 when the
// integration's time ran out, else 500 with the reason logged.
func (m *mapper) render(ctx context.Context, t *vtl.Template, body []byte, what string) ([]byte, vtl.Overrides, *refusal) {
	m.in.Body = body
	var out vtl.Output
	err := t.Render(ctx, &m.in, &out)
	m.in.Body = nil
	if err == nil {
		return out.Body, out.Overrides, nil
	}
	switch {
	case errors.Is(err, vtl.ErrInvalidPayload):
		var ve *vtl.Error
		why := err
		if errors.As(err, &ve) && ve.Err != nil {
			why = ve.Err
		}
		return nil, vtl.Overrides{}, &refusal{failure: failBadPayload(why), level: slog.LevelDebug,
			msg: what + ": body is not valid JSON", args: []any{"err", err}}
	case errors.Is(err, context.DeadlineExceeded) && m.x.r.Context().Err() == nil:
		return nil, vtl.Overrides{}, executionFailed(failTimeout, what+" did not finish within the integration timeout", "err", err)
	case m.x.r.Context().Err() != nil:
		return nil, vtl.Overrides{}, &refusal{failure: failIntegration, noOverride: true, level: slog.LevelDebug,
			msg: "caller gone during " + what, args: []any{"err", err}}
	}
	return nil, vtl.Overrides{}, executionFailed(failConfig, what+" failed", "err", err)
}

// endpointResponse is what the integration answered.
type endpointResponse struct {
	status        int
	header        http.Header
	body          []byte
	selectDefault bool // no status to select on: the default integration response answers
}

// resolve gives a mapping source's values (none: the parameter is left out).
func (m *mapper) resolve(ctx context.Context, src paramSource, reqBody []byte, ep *endpointResponse) ([]string, *refusal) {
	r := m.x.r
	one := func(v string, ok bool) []string {
		if !ok {
			return nil
		}
		return []string{v}
	}
	switch src.kind {
	case fromLiteral:
		return []string{src.name}, nil
	case fromMethodPath:
		v, ok := m.x.res.params[src.name]
		return one(v, ok), nil
	case fromMethodQuery:
		vs := r.URL.Query()[src.name]
		return one(last(vs), len(vs) > 0), nil
	case fromMethodMultiQuery:
		return r.URL.Query()[src.name], nil
	case fromMethodHeader:
		vs := r.Header.Values(src.name)
		return one(last(vs), len(vs) > 0), nil
	case fromMethodMultiHeader:
		return r.Header.Values(src.name), nil
	case fromContext:
		v, ok := m.x.contextVar("context." + src.name)
		return one(v, ok && v != ""), nil
	case fromStageVariable:
		v, ok := m.x.res.stage.variables[src.name]
		return one(v, ok), nil
	case fromResponseHeader:
		vs := ep.header.Values(src.name)
		return one(last(vs), len(vs) > 0), nil
	case fromResponseMultiHeader:
		return ep.header.Values(src.name), nil
	case fromMethodBody, fromResponseBody:
		body := reqBody
		if src.kind == fromResponseBody {
			body = ep.body
		}
		if src.path == nil {
			return []string{string(body)}, nil
		}
		out, _, rf := m.render(ctx, src.path, body, "parameter mapping")
		if rf != nil {
			return nil, rf
		}
		v := string(out)
		if strings.HasPrefix(v, `"`) {
			if err := json.Unmarshal(out, &v); err != nil {
				return nil, executionFailed(failConfig, "parameter mapping: JSONPath result", "err", err)
			}
		}
		return one(v, v != ""), nil
	}
	return nil, nil
}

// mockStatusCode matches statusCode in the permissive JSON API Gateway reads
// a MOCK's integration request with (`{statusCode: 200}` works, vtl-reference
// §5.4): the key quoted or not, an integer value.
var mockStatusCode = regexp.MustCompile(`(?:^|[{,\s])(?:"statusCode"|'statusCode'|statusCode)\s*:\s*(-?[0-9]+)\s*(?:[,}\s]|$)`)

// mockStatus reads the status a MOCK integration answers from its rendered
// request: a JSON object with an integer statusCode, 100–599. A string
// ("200"), a decimal or no statusCode is an error (API Gateway: 500).
func mockStatus(payload []byte) (int, error) {
	n, plain := plainStatusObject(payload) // the common template, {"statusCode": 200}, without a decoder
	if !plain {
		var err error
		if n, err = statusCodeOf(payload); err != nil {
			return 0, err
		}
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("statusCode %d is not an HTTP status", n)
	}
	return int(n), nil
}

// statusCodeOf reads statusCode from a MOCK's rendered request: strict JSON
// first, else the permissive form (mockStatusCode).
func statusCodeOf(payload []byte) (int64, error) {
	var doc map[string]any
	if dec := newNumberDecoder(payload); dec.Decode(&doc) == nil && !dec.More() {
		v, ok := doc["statusCode"]
		num, isNum := v.(json.Number)
		switch {
		case !ok:
			return 0, errors.New("no statusCode")
		case !isNum:
			return 0, fmt.Errorf("statusCode %v is not an integer", v)
		}
		n, err := strconv.ParseInt(num.String(), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("statusCode %s is not an integer", num)
		}
		return n, nil
	}
	text := strings.TrimSpace(string(payload))
	sm := mockStatusCode.FindStringSubmatch(text)
	if !strings.HasPrefix(text, "{") || sm == nil {
		return 0, errors.New("no integer statusCode in the request template's output")
	}
	n, err := strconv.ParseInt(sm[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("statusCode %s is not an integer", sm[1])
	}
	return n, nil
}

func newNumberDecoder(payload []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	return dec
}

// plainStatusObject reads a payload that is exactly one JSON object with the
// one member "statusCode" and a plain integer value (no sign, no leading
// zero, at most 9 digits), between JSON whitespace: what the decoder in
// mockStatus would read as that integer. ok is false for anything else,
// which mockStatus then reads as before.
func plainStatusObject(p []byte) (n int64, ok bool) {
	i := 0
	ws := func() {
		for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
			i++
		}
	}
	lit := func(s string) bool {
		if !bytes.HasPrefix(p[i:], []byte(s)) {
			return false
		}
		i += len(s)
		return true
	}
	ws()
	if !lit("{") {
		return 0, false
	}
	ws()
	if !lit(`"statusCode"`) {
		return 0, false
	}
	ws()
	if !lit(":") {
		return 0, false
	}
	ws()
	start := i
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		n = n*10 + int64(p[i]-'0')
		i++
	}
	if digits := i - start; digits == 0 || digits > 9 || (p[start] == '0' && digits > 1) {
		return 0, false
	}
	ws()
	if !lit("}") {
		return 0, false
	}
	ws()
	return n, i == len(p)
}

// selectResponse picks the integration response for the endpoint's status
// text: the first selection pattern matching the whole string, else the
// default (vtl-reference §5.3); nil when neither.
func selectResponse(responses []integrationResponse, selector string, defaultOnly bool) *integrationResponse {
	for i := range responses {
		c := &responses[i]
		if c.pattern == nil || (!defaultOnly && c.pattern.MatchString(selector)) {
			return c
		}
	}
	return nil
}

// integrationURL substitutes path parameters ({id}, {proxy+}) into an
// integration URI and sets its query string.
func integrationURL(uri string, params map[string]string, rawQuery string) (*url.URL, error) {
	for k, v := range params {
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
