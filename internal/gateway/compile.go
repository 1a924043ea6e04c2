package gateway

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/gateway/policy"
	"gatehouse/internal/model"
)

// compile turns a snapshot into the routing table. Pure: no I/O. A broken
// record (a policy or selection pattern that no longer compiles) marks only its
// own stage or method as failing, so one bad API never blocks the others.
func compile(env model.Env, snap *model.Snapshot) (*table, error) {
	if snap == nil {
		return nil, fmt.Errorf("no snapshot")
	}
	t := &table{env: env, domains: map[string]*domainRoute{}, apis: map[string]*apiRoute{}, vpcs: map[string]string{}}
	for id, ep := range snap.VpcEndpoints {
		t.vpcs[id] = ep.VpcID
	}

	for _, st := range snap.Stages {
		dep := snap.Deployments[st.RestAPIID+"/"+st.DeploymentID]
		if dep == nil || snap.RestAPIs[st.RestAPIID] == nil {
			continue // a stage without its deployment or API serves nothing: 403 Forbidden
		}
		a := t.apis[st.RestAPIID]
		if a == nil {
			a = &apiRoute{id: st.RestAPIID, stages: map[string]*stageRoute{}}
			t.apis[st.RestAPIID] = a
		}
		a.stages[st.StageName] = compileStage(env, st, dep)
	}

	for _, d := range snap.DomainNames {
		name := strings.ToLower(strings.TrimSuffix(d.Name, "."))
		dr := &domainRoute{name: name}
		arn := cmp.Or(d.RegionalCertificateARN, d.CertificateARN)
		if c := snap.Certificates[arn]; c != nil && c.CertificatePEM != "" {
			if tc, err := c.TLS(); err == nil {
				dr.cert = &tc
			}
		}
		t.domains[name] = dr
	}
	for _, m := range snap.BasePathMappings {
		dr := t.domains[strings.ToLower(m.DomainName)]
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
		dr.mappings = append(dr.mappings, mapping{basePath: bp, apiID: m.RestAPIID, stage: stage})
	}
	for _, dr := range t.domains {
		slices.SortFunc(dr.mappings, func(a, b mapping) int {
			return cmp.Or(cmp.Compare(len(b.basePath), len(a.basePath)), cmp.Compare(a.basePath, b.basePath))
		})
	}
	return t, nil
}

func compileStage(env model.Env, st *model.Stage, dep *model.Deployment) *stageRoute {
	api := &dep.API
	sr := &stageRoute{
		apiID:        st.RestAPIID,
		name:         st.StageName,
		deploymentID: dep.ID,
		private:      slices.Contains(api.EndpointConfiguration.Types, "PRIVATE"),
		vpces:        map[string]bool{},
		arn:          fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", env.Region, env.Account, st.RestAPIID),
		variables:    st.Variables,
		responses:    api.GatewayResponses,
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
	sr.root = buildTree(api)
	return sr
}

// buildTree links the deployment's resources into a tree from the root.
func buildTree(api *model.RestAPI) *node {
	nodes := map[string]*node{}
	for id, r := range api.Resources {
		n := &node{path: r.Path, id: id, literal: map[string]*node{}, methods: map[string]*route{}}
		for verb, m := range r.Methods {
			n.methods[strings.ToUpper(verb)] = compileRoute(r, m)
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

func compileRoute(r *model.Resource, m *model.Method) *route {
	rt := &route{
		resourcePath: r.Path,
		resourceID:   r.ID,
		httpMethod:   strings.ToUpper(m.HTTPMethod),
		auth:         cmp.Or(m.AuthorizationType, "NONE"),
		method:       m,
		integ:        m.Integration,
	}
	if rt.integ == nil {
		rt.err = fmt.Errorf("no integration defined for method %s %s", rt.httpMethod, r.Path)
		return rt
	}
	codes := make([]string, 0, len(rt.integ.IntegrationResponses))
	for code := range rt.integ.IntegrationResponses {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var def *model.IntegrationResponse
	for _, code := range codes {
		ir := rt.integ.IntegrationResponses[code]
		if ir.SelectionPattern == "" {
			if def == nil {
				def = ir
			}
			continue
		}
		// AWS matches the whole status string (Java's Pattern.matches).
		re, err := regexp.Compile(`^(?:` + ir.SelectionPattern + `)$`)
		if err != nil {
			rt.err = fmt.Errorf("integration response %s: selection pattern: %w", code, err)
			return rt
		}
		rt.responses = append(rt.responses, integrationResponse{pattern: re, resp: ir})
	}
	if def != nil {
		rt.responses = append(rt.responses, integrationResponse{resp: def})
	}
	return rt
}

// certificate returns the custom domain's certificate for an SNI name.
func (t *table) certificate(sni string) *tls.Certificate {
	if t == nil || sni == "" {
		return nil
	}
	if d := t.domains[strings.ToLower(strings.TrimSuffix(sni, "."))]; d != nil {
		return d.cert
	}
	return nil
}
