package gateway

import (
	"crypto/tls"
	"regexp"
	"time"

	"gatehouse/internal/gateway/policy"
	"gatehouse/internal/model"
)

// table is the compiled, immutable routing table of every REST API stage.
type table struct {
	env     model.Env
	domains map[string]*domainRoute // by lowercase host name
	apis    map[string]*apiRoute    // by API id
	vpcs    map[string]string       // VPC id by interface endpoint id (aws:SourceVpc)
	// apiHostSuffix ends the default host names: ".execute-api.{region}.amazonaws.com".
	apiHostSuffix string
	keys          *keyTable // API keys, usage plans, stage throttles (throttle.go)
}

// domainRoute is a custom domain name: its certificate and its base path mappings.
type domainRoute struct {
	name     string
	cert     *tls.Certificate // nil: serve the default certificate
	mappings []mapping        // longest base path first; "" (none) last
}

type mapping struct {
	basePath string   // "" for (none), else without leading/trailing slash
	segs     []string // basePath's segments
	apiID    string
	stage    string // "" → next path segment names the stage
}

// apiRoute holds the stages of one API; each stage serves its own deployment.
type apiRoute struct {
	id     string
	stages map[string]*stageRoute
}

// stageRoute is one stage with the deployment it points to, frozen and compiled.
type stageRoute struct {
	apiID        string
	name         string
	deploymentID string
	private      bool
	vpces        map[string]bool
	arn          string         // arn:aws:execute-api:region:account:api-id
	policy       *policy.Policy // bound to arn; nil when the deployment has none
	policyErr    error          // a stored policy that no longer parses: deny, and log why
	root         *node
	variables    map[string]string
	responses    map[string]*gatewayResponse // the API's gateway responses, by type
	accessLog    *accessLog                  // the stage's access log (accesslog.go); nil: none
	binaryTypes  []string                    // the API's binaryMediaTypes as deployed (binary.go)
}

// gatewayResponse is an API's override of one gateway response type.
type gatewayResponse struct {
	status  int           // 0: the failure's own
	headers []headerParam // literal values only
	body    *template     // nil: the failure's default body
}

// headerParam is a gateway response header mapped from a literal ('text').
type headerParam struct {
	name    string
	literal string
}

// node is one resource of a deployment's tree.
type node struct {
	path      string // resource path template, e.g. "/pets/{id}"
	id        string
	literal   map[string]*node
	param     *node // {name}
	paramKey  string
	greedy    *node // {name+}, matches one or more segments
	greedyKey string
	methods   map[string]*route // by HTTP method, ANY included
}

// route is a method on a resource, ready to serve: everything a request needs
// from the deployment is worked out when the table is compiled.
type route struct {
	resourcePath string
	resourceID   string
	httpMethod   string
	auth         string
	method       *model.Method
	integ        *model.Integration
	templates    *templateSet          // request templates by content type
	params       []paramMapping        // integration request parameters (mapping.go)
	uri          string                // integration URI, stage variables substituted
	backendVerb  string                // the backend request's method; "" for the caller's
	timeout      time.Duration         // the integration's
	responses    []integrationResponse // explicit patterns in status-code order, then the default
	err          error                 // a configuration error found at compile: answer 500
	validation   *validation           // the request validator's checks (validate.go); nil: none
}

// integrationResponse maps a backend status onto the method's answer.
type integrationResponse struct {
	pattern   *regexp.Regexp // nil for the default response
	status    int
	params    []paramMapping // method response headers (mapping.go)
	templates *templateSet   // response templates by Accept; nil: the backend's body
	fail      string         // why the mapping cannot answer (no method response): 500 when selected
	// contentHandling converts the body (binary.go): "", CONVERT_TO_TEXT or CONVERT_TO_BINARY.
	contentHandling string
}

// hasMethods reports whether the node can be a match: a resource without methods
// is only a path to its children (so a sibling {proxy+} may take the request).
func (n *node) hasMethods() bool { return len(n.methods) > 0 }

// match finds the resource for path p ("" or starting with "/"): literal
// beats {param} beats {proxy+}, backtracking when a branch leads nowhere. The
// path parameters of the match are appended to params (the innermost first);
// segments are cut from p in place, so a match allocates nothing once params
// has room.
func (n *node) match(p string, params []pathParam) (*node, []pathParam) {
	seg, rest := nextSegment(p)
	if seg == "" {
		if n.hasMethods() {
			return n, params
		}
		return nil, params
	}
	if c := n.literal[seg]; c != nil {
		if m, got := c.match(rest, params); m != nil {
			return m, got
		}
	}
	if n.param != nil {
		if m, got := n.param.match(rest, params); m != nil {
			return m, append(got, pathParam{name: n.paramKey, value: seg})
		}
	}
	if n.greedy != nil && n.greedy.hasMethods() {
		return n.greedy, append(params, pathParam{name: n.greedyKey, value: canonicalPath(p)[1:]})
	}
	return nil, params
}

// anyMethod reports whether m is one of the seven methods ANY stands for; API
// Gateway knows no others.
func anyMethod(m string) bool {
	switch m {
	case "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT":
		return true
	}
	return false
}

// method picks the explicit method, else ANY for one of the seven methods it
// covers. Methods are case-sensitive (RFC 9110 §9.1): "delete" or "FOO" match
// nothing, so they can never slip past a policy written for "DELETE".
func (n *node) method(m string) *route {
	if m == "ANY" {
		return nil // a method name, not a wildcard a caller may send
	}
	if r := n.methods[m]; r != nil {
		return r
	}
	if !anyMethod(m) {
		return nil
	}
	return n.methods["ANY"]
}
