package gateway

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/gateway/policy"
	"gatehouse/internal/gateway/vtl"
	"gatehouse/internal/model"
)

// compile turns a snapshot into the routing table. Pure: no I/O. A broken
// record (a policy or selection pattern that no longer compiles) marks only its
// own stage or method as failing, so one bad API never blocks the others.
func compile(env model.Env, snap *model.Snapshot) (*table, error) {
	return (&compiler{env: env}).compile(snap)
}

// compiler compiles snapshots one after the other, keeping what it compiled
// for the stages and deployments that did not change: a deployment is
// immutable and the snapshot shares unchanged records with its predecessor,
// so a stage whose record and deployment header are the same pointers as
// last time serves the same stageRoute. A change to one record then costs the
// stages it touches, not every API's whole tree. One goroutine at a time.
type compiler struct {
	env    model.Env
	log    *slog.Logger          // says why a method of a newly compiled stage answers 500; nil: silent
	frozen map[string]frozenCopy // by RestAPIID/deployment ID
	stages map[string]stageCopy  // by RestAPIID/StageName
	fresh  *freshDeployments     // APIs this node's CreateDeployment froze (fresh.go); nil: none
	certs  model.TLSCache        // the domain names' certificates
}

type frozenCopy struct {
	header *model.Deployment
	api    *model.RestAPI
}

type stageCopy struct {
	stage  *model.Stage
	header *model.Deployment
	route  *stageRoute
}

// frozenAPI is the API a deployment froze: inside its header (written before
// parts) or decoded from its parts; nil while a part is missing or the parts
// do not match the header.
func (c *compiler) frozenAPI(snap *model.Snapshot, dep *model.Deployment, next map[string]frozenCopy) *model.RestAPI {
	if dep.Parts == 0 {
		return &dep.API
	}
	key := dep.RestAPIID + "/" + dep.ID
	if f, ok := c.frozen[key]; ok && f.header == dep {
		next[key] = f
		return f.api
	}
	if partsStored(dep, snap.DeploymentParts[dep.RestAPIID]) {
		if api := c.fresh.take(dep.Hash); api != nil {
			next[key] = frozenCopy{header: dep, api: api}
			return api
		}
	}
	api, err := unpackParts(dep, snap.DeploymentParts[dep.RestAPIID])
	if err != nil {
		return nil
	}
	next[key] = frozenCopy{header: dep, api: api}
	return api
}

func (c *compiler) compile(snap *model.Snapshot) (*table, error) {
	if snap == nil {
		return nil, fmt.Errorf("no snapshot")
	}
	env := c.env
	frozen, stages := map[string]frozenCopy{}, map[string]stageCopy{}
	defer func() { c.frozen, c.stages = frozen, stages; c.certs.Done() }()
	t := &table{env: env, domains: map[string]*domainRoute{}, apis: map[string]*apiRoute{}, vpcs: map[string]string{},
		apiHostSuffix: ".execute-api." + env.Region + ".amazonaws.com"}
	t.keys = compileKeys(snap)
	for id, ep := range snap.VpcEndpoints {
		t.vpcs[id] = ep.VpcID
	}

	for key, st := range snap.Stages {
		dep := snap.Deployments[st.RestAPIID][st.DeploymentID]
		if dep == nil || snap.RestAPIs[st.RestAPIID] == nil {
			continue // a stage without its deployment or API serves nothing: 403 Forbidden
		}
		var sr *stageRoute
		if sc, ok := c.stages[key]; ok && sc.stage == st && sc.header == dep {
			sr = sc.route
			if dep.Parts > 0 {
				c.frozenAPI(snap, dep, frozen) // keep it cached
			}
		} else {
			api := c.frozenAPI(snap, dep, frozen)
			if api == nil {
				continue // parts not all stored yet: not a deployment yet
			}
			sr = compileStage(env, st, dep, api, c.stages[key].route)
			logRouteErrors(c.log, sr)
		}
		stages[key] = stageCopy{stage: st, header: dep, route: sr}
		a := t.apis[st.RestAPIID]
		if a == nil {
			a = &apiRoute{id: st.RestAPIID, stages: map[string]*stageRoute{}}
			t.apis[st.RestAPIID] = a
		}
		a.stages[st.StageName] = sr
	}

	for _, d := range snap.DomainNames {
		name := model.DomainKey(d.Name)
		dr := &domainRoute{name: name}
		arn := cmp.Or(d.RegionalCertificateARN, d.CertificateARN)
		if cert := snap.Certificates[arn]; cert != nil && cert.CertificatePEM != "" {
			if tc, err := c.certs.TLS(cert); err == nil {
				dr.cert = tc
			}
		}
		t.domains[name] = dr
	}
	for _, m := range snap.BasePathMappings {
		dr := t.domains[model.DomainKey(m.DomainName)]
		if dr == nil {
			continue
		}
		bp := strings.Trim(m.BasePath, "/")
		if bp == model.NoBasePath {
			bp = ""
		}
		stage := m.Stage
		if stage == model.NoBasePath {
			stage = ""
		}
		mp := mapping{basePath: bp, apiID: m.RestAPIID, stage: stage}
		if bp != "" {
			mp.segs = strings.Split(bp, "/")
		}
		dr.mappings = append(dr.mappings, mp)
	}
	for _, dr := range t.domains {
		slices.SortFunc(dr.mappings, func(a, b mapping) int {
			return cmp.Or(cmp.Compare(len(b.basePath), len(a.basePath)), cmp.Compare(a.basePath, b.basePath))
		})
	}
	return t, nil
}

// compileStage compiles a stage serving dep (whose API is api); prev, if
// not nil, is what the stage served before, whose routes are kept for the
// methods that did not change (reuse.go).
func compileStage(env model.Env, st *model.Stage, dep *model.Deployment, api *model.RestAPI, prev *stageRoute) *stageRoute {
	sr := &stageRoute{
		apiID:        st.RestAPIID,
		name:         st.StageName,
		deploymentID: dep.ID,
		private:      slices.Contains(api.EndpointConfiguration.Types, "PRIVATE"),
		vpces:        map[string]bool{},
		arn:          fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", env.Region, env.Account, st.RestAPIID),
		variables:    st.Variables,
		binaryTypes:  api.BinaryMediaTypes,
	}
	if len(api.GatewayResponses) > 0 {
		sr.responses = map[string]*gatewayResponse{}
		for typ, gr := range api.GatewayResponses {
			sr.responses[typ] = compileGatewayResponse(gr)
		}
	}
	for _, v := range api.EndpointConfiguration.VpcEndpointIDs {
		sr.vpces[v] = true
	}
	if api.Policy != "" {
		p, err := policy.Parse(api.Policy)
		if err != nil {
			sr.policyErr = fmt.Errorf("deployment %s policy: %w", dep.ID, err)
		} else {
			sr.policy = p.Bind(sr.arn)
		}
	}
	sr.root = buildTreeFrom(api, st.Variables, prev)
	attachValidation(sr.root, api)
	sr.accessLog = compileAccessLog(st.AccessLogSettings)
	return sr
}

func compileGatewayResponse(gr *model.GatewayResponse) *gatewayResponse {
	out := &gatewayResponse{}
	if n, ok := parseStatus(gr.StatusCode); ok {
		out.status = n
	}
	for k, v := range gr.ResponseParameters {
		name, ok := strings.CutPrefix(k, "gatewayresponse.header.")
		if lit, isLit := literal(v); ok && isLit {
			out.headers = append(out.headers, headerParam{name: name, literal: lit})
		}
	}
	if tmpl, ok := gr.ResponseTemplates["application/json"]; ok {
		out.body = parseTemplate(tmpl)
	}
	return out
}

// buildTree links the deployment's resources into a tree from the root; the
// stage's variables are substituted into the integrations' URIs.
func buildTree(api *model.RestAPI, vars map[string]string) *node {
	return buildTreeFrom(api, vars, nil)
}

// buildTreeFrom is buildTree keeping prev's routes of the methods that did
// not change (reuse.go); prev nil compiles every method.
func buildTreeFrom(api *model.RestAPI, vars map[string]string, prev *stageRoute) *node {
	kept := keptRoutes(prev, vars)
	nodes := make(map[string]*node, len(api.Resources))
	for id, r := range api.Resources {
		n := &node{path: r.Path, id: id, literal: map[string]*node{}, methods: make(map[string]*route, len(r.Methods))}
		for verb, m := range r.Methods {
			verb = strings.ToUpper(verb)
			rt := kept.route(r, verb, m)
			if rt == nil {
				rt = compileRoute(r, m, vars)
			}
			n.methods[verb] = rt
		}
		nodes[id] = n
	}
	root := nodes[api.RootResourceID]
	if root == nil {
		return &node{path: "/", literal: map[string]*node{}, methods: map[string]*route{}}
	}
	for id, r := range api.Resources {
		if id == api.RootResourceID {
			continue
		}
		parent, n := nodes[r.ParentID], nodes[id]
		if parent == nil {
			continue
		}
		part := r.PathPart
		switch {
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
			parent.greedy, parent.greedyKey = n, part[1:len(part)-2]
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			parent.param, parent.paramKey = n, part[1:len(part)-1]
		default:
			parent.literal[part] = n
		}
	}
	return root
}

// compileRoute compiles a method of r. It reads r's Path and ID, m and vars
// only: a route is kept across deployments on those (reuse.go).
func compileRoute(r *model.Resource, m *model.Method, vars map[string]string) *route {
	rt := &route{
		resourcePath: r.Path,
		resourceID:   r.ID,
		httpMethod:   strings.ToUpper(m.HTTPMethod),
		auth:         cmp.Or(m.AuthorizationType, "NONE"),
		method:       m,
		integ:        m.Integration,
	}
	integ := rt.integ
	if integ == nil {
		rt.err = fmt.Errorf("no integration defined for method %s %s", rt.httpMethod, r.Path)
		return rt
	}
	if err := compileRequestMapping(rt, integ); err != nil {
		rt.err = err
		return rt
	}
	// Stage variable values cannot hold braces, nor can escaped path parameters,
	// so substituting the variables first leaves the same URI as doing it last.
	rt.uri = integ.URI
	for k, v := range vars {
		rt.uri = strings.ReplaceAll(rt.uri, "${stageVariables."+k+"}", v)
	}
	if verb := strings.ToUpper(integ.HTTPMethod); verb != "ANY" {
		rt.backendVerb = verb
	}
	ms := integ.TimeoutInMillis
	if ms <= 0 {
		ms = defaultTimeoutMilli
	}
	rt.timeout = time.Duration(ms) * time.Millisecond
	codes := slices.Sorted(maps.Keys(integ.IntegrationResponses))
	var def *integrationResponse
	for _, code := range codes {
		ir := integ.IntegrationResponses[code]
		c, err := compileIntegrationResponse(m, ir)
		if err != nil {
			rt.err = fmt.Errorf("integration response %s: %w", code, err)
			return rt
		}
		if ir.SelectionPattern == "" {
			if def == nil {
				def = &c
			}
			continue
		}
		// AWS matches the whole status string (Java's Pattern.matches).
		re, err := vtl.CompilePattern(ir.SelectionPattern)
		if err != nil {
			rt.err = fmt.Errorf("integration response %s: selection pattern: %w", code, err)
			return rt
		}
		c.pattern = re
		rt.responses = append(rt.responses, c)
	}
	if def != nil {
		rt.responses = append(rt.responses, *def)
	}
	return rt
}

func compileIntegrationResponse(m *model.Method, ir *model.IntegrationResponse) (integrationResponse, error) {
	c := integrationResponse{contentHandling: ir.ContentHandling}
	status, ok := parseStatus(ir.StatusCode)
	switch {
	case m.MethodResponses[ir.StatusCode] == nil:
		c.fail = "Output mapping refers to an invalid method response: " + ir.StatusCode
	case !ok:
		c.fail = "integration response has an invalid status code " + ir.StatusCode
	}
	c.status = status
	return c, compileResponseMapping(&c, ir)
}

// certificate returns the custom domain's certificate for an SNI name.
func (t *table) certificate(sni string) *tls.Certificate {
	if t == nil || sni == "" {
		return nil
	}
	if d := t.domains[model.DomainKey(sni)]; d != nil {
		return d.cert
	}
	return nil
}
