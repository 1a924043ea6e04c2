package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (a *applier) restAPIs(ctx context.Context) error {
	have, err := all[model.RestAPI](ctx, a.Store, model.KindRestAPI)
	if err != nil {
		return err
	}
	for i, spec := range a.f.APIs {
		where := fmt.Sprintf("apis[%d] %q", i, spec.Name)
		if err := a.restAPI(ctx, spec, have); err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
	}
	return nil
}

// fieldErr prefixes an error with the field it concerns: ".stages[0]: …".
func fieldErr(field string, err error) error { return fmt.Errorf(".%s: %w", field, err) }

func (a *applier) restAPI(ctx context.Context, spec API, have []*model.RestAPI) error {
	res := "api/" + spec.Name
	var refs []string
	ec := model.EndpointConfiguration{Types: []string{strings.ToUpper(spec.EndpointType)}}
	if ec.Types[0] == "" {
		ec.Types[0] = "EDGE"
	}
	for _, n := range spec.VpcEndpoints {
		ec.VpcEndpointIDs = append(ec.VpcEndpointIDs, a.vpces[n].ID)
		refs = append(refs, "vpcEndpoint/"+n)
	}
	policy, err := policyJSON(spec.Policy)
	if err != nil {
		return fieldErr("policy", err)
	}
	changesBefore := len(a.changes)
	api := find(have, func(h *model.RestAPI) bool { return h.Name == spec.Name })
	if api == nil {
		api = &model.RestAPI{ID: planned, Name: spec.Name}
		err := a.write(func() (err error) {
			api, err = a.Gateway.CreateRestAPI(ctx, gateway.CreateRestAPIInput{Name: spec.Name, Description: spec.Description,
				EndpointConfiguration: &ec, Policy: policy})
			return err
		}, created(res))
		if err != nil {
			return fieldErr("name", err)
		}
	} else if a.modify(res, refs...) {
		var cs []Change
		if api.Description != spec.Description {
			cs = append(cs, Change{res, "description", quoted(api.Description), quoted(spec.Description)})
		}
		if !reflect.DeepEqual(api.EndpointConfiguration, ec) {
			cs = append(cs, Change{res, "endpointConfiguration", endpointConfigText(a, api.EndpointConfiguration), endpointConfigText(a, ec)})
		}
		// The gateway keeps the short resource form expanded to the API's ARN.
		expanded := policy
		if e, err := gateway.ExpandPolicy(policy, a.Env, api.ID); err == nil {
			expanded = e
		}
		if !sameJSON(api.Policy, expanded) {
			cs = append(cs, Change{res, "policy", policyText(api.Policy), policyText(expanded)})
		}
		if len(cs) > 0 {
			err := a.write(func() (err error) {
				api, err = a.Gateway.UpdateRestAPI(ctx, api.ID, func(r *model.RestAPI) error {
					r.EndpointConfiguration, r.Policy, r.Description = ec, policy, spec.Description
					return nil
				})
				return err
			}, cs...)
			if err != nil {
				return fieldErr("policy", err)
			}
		}
	}
	if !a.modify(res, refs...) {
		a.apis[spec.Name] = api
		return nil
	}
	if err := a.modelsAndValidators(ctx, res, api, spec); err != nil { // apigwmodels.go
		return err
	}
	if err := a.resources(ctx, res, api, spec); err != nil {
		return err
	}
	if err := a.dropStaleModels(ctx, res, api, spec); err != nil {
		return err
	}
	api, err = a.loadAPI(ctx, api)
	if err != nil {
		return err
	}
	a.apis[spec.Name] = api
	// A plan does not change the API, so the deployment still matches it:
	// what would change makes the stage stale.
	stale := a.dryRun && len(a.changes) > changesBefore
	for j, st := range spec.Stages {
		if err := a.stage(ctx, res, api, st, stale); err != nil {
			return fieldErr(fmt.Sprintf("stages[%d] %q", j, st.Name), err)
		}
	}
	return nil
}

// loadAPI reads the API as stored now; a planned one is as it stands.
func (a *applier) loadAPI(ctx context.Context, api *model.RestAPI) (*model.RestAPI, error) {
	if api.ID == planned {
		if api.Resources == nil {
			// CreateRestApi makes the root resource.
			api.Resources = map[string]*model.Resource{planned: {ID: planned, Path: "/"}}
		}
		return api, nil
	}
	return gateway.RestAPITree(ctx, a.Store, api.ID)
}

// resources makes the API's tree hold exactly the file's paths and methods.
func (a *applier) resources(ctx context.Context, res string, api *model.RestAPI, spec API) error {
	api, err := a.loadAPI(ctx, api)
	if err != nil {
		return err
	}
	apiID := api.ID
	byPath := map[string]*model.Resource{}
	for _, r := range api.Resources {
		byPath[r.Path] = r
	}
	needed := map[string]bool{"/": true}
	paths := slices.Sorted(maps.Keys(spec.Resources))
	for _, p := range paths {
		p = cleanPath(p)
		for q := p; q != "/"; q = parentPath(q) {
			needed[q] = true
		}
	}
	// Delete what the file no longer has, shallowest first (children go with it).
	for _, p := range slices.Sorted(maps.Keys(byPath)) {
		if !needed[p] && needed[parentPath(p)] {
			err := a.write(func() error { return a.Gateway.DeleteResource(ctx, apiID, byPath[p].ID) },
				Change{res, fmt.Sprintf("resources[%s]", p), "(present)", absent})
			if err != nil {
				return fieldErr("resources", err)
			}
		}
	}
	// Create missing resources, parents first (sorted paths put parents first).
	for _, p := range slices.Sorted(maps.Keys(needed)) {
		if byPath[p] != nil {
			continue
		}
		parent := byPath[parentPath(p)]
		r := &model.Resource{ID: planned, Path: p}
		err := a.write(func() (err error) {
			r, err = a.Gateway.CreateResource(ctx, apiID, parent.ID, p[strings.LastIndex(p, "/")+1:])
			return err
		}, Change{res, fmt.Sprintf("resources[%s]", p), absent, "(present)"})
		if err != nil {
			return fieldErr(fmt.Sprintf("resources[%q]", p), err)
		}
		byPath[p] = r
	}
	for _, p := range slices.Sorted(maps.Keys(needed)) {
		r := byPath[p]
		want := map[string]Method{}
		for _, raw := range paths {
			if cleanPath(raw) == p {
				want = spec.Resources[raw]
			}
		}
		for _, verb := range slices.Sorted(maps.Keys(r.Methods)) {
			if _, ok := want[verb]; !ok {
				err := a.write(func() error { return a.Gateway.DeleteMethod(ctx, apiID, r.ID, verb) },
					Change{res, fmt.Sprintf("resources[%s].%s", p, verb), methodText(r.Methods[verb]), absent})
				if err != nil {
					return fieldErr(fmt.Sprintf("resources[%q].%s", p, verb), err)
				}
			}
		}
		for _, verb := range slices.Sorted(maps.Keys(want)) {
			if err := a.method(ctx, res, apiID, r, verb, want[verb]); err != nil {
				return fieldErr(fmt.Sprintf("resources[%q].%s", p, verb), err)
			}
		}
	}
	return nil
}

func cleanPath(p string) string {
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

func parentPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// desired is the method as the file describes it, in the model's terms.
func (m Method) desired(verb string) model.Method {
	auth := m.Authorization
	if auth == "" {
		auth = "NONE"
	}
	in := model.Integration{Type: strings.ToUpper(m.Integration.Type), HTTPMethod: m.Integration.HTTPMethod,
		URI: m.Integration.URI, RequestTemplates: m.Integration.RequestTemplates, TimeoutInMillis: m.Integration.TimeoutInMillis}
	if in.Type != model.IntegrationMock && in.HTTPMethod == "" {
		in.HTTPMethod = verb
		if verb == "ANY" {
			in.HTTPMethod = "ANY"
		}
	}
	replies := m.Responses
	if len(replies) == 0 {
		replies = []MethodReply{{StatusCode: "200"}}
	}
	out := model.Method{HTTPMethod: verb, AuthorizationType: auth, APIKeyRequired: m.APIKeyRequired, Integration: &in,
		MethodResponses: map[string]*model.MethodResponse{}, RequestModels: m.RequestModels, RequestParameters: m.RequestParameters}
	in.IntegrationResponses = map[string]*model.IntegrationResponse{}
	for _, r := range replies {
		mr := &model.MethodResponse{StatusCode: r.StatusCode}
		ir := &model.IntegrationResponse{StatusCode: r.StatusCode, SelectionPattern: r.SelectionPattern, ResponseTemplates: r.Templates}
		for h, v := range r.Headers {
			key := "method.response.header." + h
			if mr.ResponseParameters == nil {
				mr.ResponseParameters, ir.ResponseParameters = map[string]bool{}, map[string]string{}
			}
			mr.ResponseParameters[key] = false
			ir.ResponseParameters[key] = v
		}
		out.MethodResponses[r.StatusCode] = mr
		if in.Type != model.IntegrationHTTPProxy {
			in.IntegrationResponses[r.StatusCode] = ir
		}
	}
	return out
}

// sameMethod compares the fields the file controls; the gateway fills defaults
// (passthrough behaviour, timeout) that the file may leave out.
func sameMethod(have *model.Method, want model.Method) bool {
	if have == nil || have.Integration == nil || have.AuthorizationType != want.AuthorizationType || have.APIKeyRequired != want.APIKeyRequired {
		return false
	}
	if have.RequestValidatorID != want.RequestValidatorID || !equalMaps(have.RequestModels, want.RequestModels) ||
		!equalMaps(have.RequestParameters, want.RequestParameters) {
		return false
	}
	hi, wi := have.Integration, want.Integration
	if hi.Type != wi.Type || hi.URI != wi.URI || (wi.HTTPMethod != "" && hi.HTTPMethod != wi.HTTPMethod) ||
		(wi.TimeoutInMillis != 0 && hi.TimeoutInMillis != wi.TimeoutInMillis) || !equalMaps(hi.RequestTemplates, wi.RequestTemplates) {
		return false
	}
	if len(have.MethodResponses) != len(want.MethodResponses) || len(hi.IntegrationResponses) != len(wi.IntegrationResponses) {
		return false
	}
	for code, w := range want.MethodResponses {
		h := have.MethodResponses[code]
		if h == nil || !equalMaps(h.ResponseParameters, w.ResponseParameters) {
			return false
		}
	}
	for code, w := range wi.IntegrationResponses {
		h := hi.IntegrationResponses[code]
		if h == nil || h.SelectionPattern != w.SelectionPattern || !equalMaps(h.ResponseParameters, w.ResponseParameters) ||
			!equalMaps(h.ResponseTemplates, w.ResponseTemplates) {
			return false
		}
	}
	return true
}

func equalMaps[V comparable](x, y map[string]V) bool { return len(x) == len(y) && maps.Equal(x, y) }

// method puts a method exactly as the file says, replacing one that differs.
func (a *applier) method(ctx context.Context, resource, apiID string, res *model.Resource, verb string, m Method) error {
	want := m.desired(verb)
	if m.RequestValidator != "" {
		want.RequestValidatorID = a.validatorIDs[apiID+"/"+m.RequestValidator]
	}
	have := res.Methods[verb]
	if sameMethod(have, want) {
		return nil
	}
	return a.write(func() error { return a.putMethod(ctx, apiID, res, verb, have, want) },
		Change{resource, fmt.Sprintf("resources[%s].%s", res.Path, verb), methodText(have), methodText(&want)})
}

func (a *applier) putMethod(ctx context.Context, apiID string, res *model.Resource, verb string, have *model.Method, want model.Method) error {
	if have != nil {
		if err := a.Gateway.DeleteMethod(ctx, apiID, res.ID, verb); err != nil {
			return err
		}
	}
	if _, err := a.Gateway.PutMethod(ctx, apiID, res.ID, verb, gateway.PutMethodInput{AuthorizationType: want.AuthorizationType, APIKeyRequired: want.APIKeyRequired,
		RequestValidatorID: want.RequestValidatorID, RequestModels: want.RequestModels, RequestParameters: want.RequestParameters}); err != nil {
		return err
	}
	in := *want.Integration
	in.IntegrationResponses = nil
	if _, err := a.Gateway.PutIntegration(ctx, apiID, res.ID, verb, in); err != nil {
		return fieldErr("integration", err)
	}
	for _, code := range slices.Sorted(maps.Keys(want.MethodResponses)) {
		if _, err := a.Gateway.PutMethodResponse(ctx, apiID, res.ID, verb, code, *want.MethodResponses[code]); err != nil {
			return fieldErr("responses", err)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(want.Integration.IntegrationResponses)) {
		if _, err := a.Gateway.PutIntegrationResponse(ctx, apiID, res.ID, verb, code, *want.Integration.IntegrationResponses[code]); err != nil {
			return fieldErr("responses", err)
		}
	}
	return nil
}

// stage deploys the API to the stage when the stage is missing or serves a
// deployment that differs from the API as it is now (or, stale, will be).
func (a *applier) stage(ctx context.Context, res string, api *model.RestAPI, st Stage, stale bool) error {
	field := fmt.Sprintf("stages[%s]", st.Name)
	var stage *model.Stage
	if api.ID != planned {
		var err error
		stage, _, err = store.Load[model.Stage](ctx, a.Store, model.Key(model.KindStage, api.ID+"/"+st.Name))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	current := stage != nil && !stale
	if current {
		frozen, err := gateway.DeployedAPI(ctx, a.Store, api.ID, stage.DeploymentID)
		current = err == nil && sameDeployment(frozen, api)
	}
	if !current {
		c := Change{res, field, absent, "(deployed)"}
		if stage != nil {
			c = Change{res, field + ".deployment", stage.DeploymentID, "(a new deployment of the API as the file defines it)"}
		}
		err := a.write(func() error {
			_, err := a.Gateway.CreateDeployment(ctx, api.ID, gateway.CreateDeploymentInput{StageName: st.Name, Description: "applied by gatehouse stack"})
			return err
		}, c)
		if err != nil {
			return err
		}
	}
	if a.dryRun {
		if stage == nil {
			stage = &model.Stage{}
		}
	} else {
		var err error
		if stage, _, err = store.Load[model.Stage](ctx, a.Store, model.Key(model.KindStage, api.ID+"/"+st.Name)); err != nil {
			return err
		}
	}
	var cs []Change
	if stage.Description != st.Description {
		cs = append(cs, Change{res, field + ".description", quoted(stage.Description), quoted(st.Description)})
	}
	if !equalMaps(stage.Variables, st.Variables) {
		cs = append(cs, Change{res, field + ".variables", mapText(stage.Variables), mapText(st.Variables)})
	}
	if len(cs) > 0 {
		err := a.write(func() error {
			_, err := a.Gateway.UpdateStage(ctx, api.ID, st.Name, func(s *model.Stage) error {
				s.Description, s.Variables = st.Description, st.Variables
				return nil
			})
			return err
		}, cs...)
		if err != nil {
			return err
		}
	}
	return a.stageThrottle(ctx, res, field, api.ID, stage, st)
}

func mapText(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return listText(out)
}

// sameDeployment reports whether a deployment's frozen copy serves what the API
// holds now: the same tree, policy and endpoint configuration.
func sameDeployment(frozen, api *model.RestAPI) bool {
	fj, _ := json.Marshal(frozen.Resources)
	aj, _ := json.Marshal(api.Resources)
	return string(fj) == string(aj) && frozen.Policy == api.Policy && reflect.DeepEqual(frozen.EndpointConfiguration, api.EndpointConfiguration)
}

func (a *applier) domainNames(ctx context.Context) error {
	for i, d := range a.f.DomainNames {
		where := fmt.Sprintf("domainNames[%d] %q", i, d.Name)
		res := "domainName/" + d.Name
		refs := []string{"certificate/" + d.Certificate}
		for _, m := range d.Mappings {
			refs = append(refs, "api/"+m.API)
		}
		name := model.DomainKey(d.Name)
		cert := a.certs[d.Certificate]
		dn, _, err := store.Load[model.DomainName](ctx, a.Store, model.Key(model.KindDomainName, name))
		if errors.Is(err, store.ErrNotFound) {
			typ := strings.ToUpper(d.EndpointType)
			if typ == "" {
				typ = "REGIONAL"
			}
			in := gateway.CreateDomainNameInput{DomainName: name, SecurityPolicy: "TLS_1_2",
				EndpointConfiguration: &model.EndpointConfiguration{Types: []string{typ}}}
			if typ == "EDGE" {
				in.CertificateARN = cert.ARN
			} else {
				in.RegionalCertificateARN = cert.ARN
			}
			dn = &model.DomainName{Name: name, CertificateARN: in.CertificateARN, RegionalCertificateARN: in.RegionalCertificateARN}
			err = a.write(func() (err error) {
				dn, err = a.Gateway.CreateDomainName(ctx, in)
				return err
			}, created(res))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if dn.RegionalCertificateARN != cert.ARN && dn.CertificateARN != cert.ARN {
			return fmt.Errorf("%s.certificate: the domain already uses %s; delete the domain name to change it", where, dn.RegionalCertificateARN+dn.CertificateARN)
		}
		if !a.modify(res, refs...) {
			continue
		}
		if err := a.mappings(ctx, where, res, name, d.Mappings); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) mappingText(apiID, stage string) string {
	return nameOf(a.apis, apiID, func(api *model.RestAPI) string { return api.ID }) + "/" + cmpOr(stage, model.NoBasePath)
}

func (a *applier) mappings(ctx context.Context, where, res, domain string, specs []Mapping) error {
	have, err := all[model.BasePathMapping](ctx, a.Store, model.KindBasePathMapping)
	if err != nil {
		return err
	}
	want := map[string]Mapping{}
	for _, m := range specs {
		// As the gateway stores them: "(none)" is empty, slashes are trimmed.
		bp := strings.Trim(m.BasePath, "/")
		if bp == model.NoBasePath {
			bp = ""
		}
		if m.Stage == model.NoBasePath {
			m.Stage = ""
		}
		want[bp] = m
	}
	field := func(bp string) string { return fmt.Sprintf("mappings[%s]", cmpOr(bp, model.NoBasePath)) }
	for _, h := range have {
		if h.DomainName != domain {
			continue
		}
		m, ok := want[h.BasePath]
		if ok && h.RestAPIID == a.apis[m.API].ID && h.Stage == m.Stage {
			delete(want, h.BasePath) // already as the file says
			continue
		}
		c := Change{res, field(h.BasePath), a.mappingText(h.RestAPIID, h.Stage), absent}
		if ok {
			// Replaced below: one change from the old mapping to the new.
			c.New = a.mappingText(a.apis[m.API].ID, m.Stage)
		}
		err := a.write(func() error {
			if err := a.Gateway.DeleteBasePathMapping(ctx, domain, h.BasePath); err != nil {
				return err
			}
			if ok {
				_, err := a.Gateway.CreateBasePathMapping(ctx, domain, h.BasePath, a.apis[m.API].ID, m.Stage)
				return err
			}
			return nil
		}, c)
		if err != nil {
			return fmt.Errorf("%s.mappings: %w", where, err)
		}
		delete(want, h.BasePath)
	}
	for _, bp := range slices.Sorted(maps.Keys(want)) {
		m := want[bp]
		err := a.write(func() error {
			_, err := a.Gateway.CreateBasePathMapping(ctx, domain, bp, a.apis[m.API].ID, m.Stage)
			return err
		}, Change{res, field(bp), absent, a.mappingText(a.apis[m.API].ID, m.Stage)})
		if err != nil {
			return fmt.Errorf("%s.mappings[basePath %q]: %w", where, bp, err)
		}
	}
	return nil
}
