package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// A REST API is stored as API Gateway addresses it: the API's own record
// (KindRestAPI) and one record per resource, method, integration, method
// response, integration response and gateway response, each keyed under the
// API's id, so that an edit writes one small record and never the API's
// whole tree. The tree is assembled only where it is needed whole
// (GetResources, CreateDeployment, the stack file); a deployment freezes it
// into parts (deployments.go).

// Keys of an API's records.
func apiKey(api string) string              { return model.Key(model.KindRestAPI, api) }
func resourceKey(api, res string) string    { return model.Key(model.KindResource, api+"/"+res) }
func methodID(api, res, verb string) string { return api + "/" + res + "/" + verb }
func methodKey(api, res, verb string) string {
	return model.Key(model.KindMethod, methodID(api, res, verb))
}
func integKey(api, res, verb string) string {
	return model.Key(model.KindIntegration, methodID(api, res, verb))
}
func gatewayResponseKey(api, typ string) string {
	return model.Key(model.KindGatewayResponse, api+"/"+typ)
}
func methodResponseKey(api, res, verb, code string) string {
	return model.Key(model.KindMethodResponse, methodID(api, res, verb)+"/"+code)
}
func integResponseKey(api, res, verb, code string) string {
	return model.Key(model.KindIntegrationResponse, methodID(api, res, verb)+"/"+code)
}

// under is the prefix of every record of kind whose id starts with the
// segments given: under(KindMethod, api, res) lists a resource's methods.
func under(kind model.Kind, segs ...string) string {
	return model.Key(kind, strings.Join(segs, "/")+"/")
}

// pathPartKey is the index key that keeps a parent's children's path parts
// unique: every variable part ("{id}", "{proxy+}") shares the key "{", as a
// resource may have only one variable child. Literal parts cannot hold "{".
func pathPartKey(api, parent, part string) string {
	if isVariable(part) {
		part = "{"
	}
	return model.Key(model.KindPathPart, api+"/"+parent+"/"+part)
}

// pathPartIndex is the value of a path part index key: which child holds it.
type pathPartIndex struct {
	ResourceID string
	PathPart   string
}

// apiChildren are the kinds of record that live under an API's id and go
// with it: DeleteRestAPI removes one prefix of each.
var apiChildren = []model.Kind{
	model.KindResource, model.KindPathPart, model.KindMethod, model.KindIntegration,
	model.KindMethodResponse, model.KindIntegrationResponse, model.KindGatewayResponse,
	model.KindStage, model.KindDeployment, model.KindDeploymentPart,
	model.KindModel, model.KindRequestValidator,
}

// treeKinds are the kinds a deployment freezes, children before parents: the
// order readTree lists them in (see there).
var treeKinds = []model.Kind{
	model.KindIntegrationResponse, model.KindMethodResponse, model.KindIntegration,
	model.KindMethod, model.KindResource, model.KindGatewayResponse,
	model.KindModel, model.KindRequestValidator,
}

// loadAPI returns the API's own record and its ModRev. A record in the shape
// gatehouse wrote before the tree was split (the tree inside it) is migrated
// first, so every operation after it finds the tree's records.
func (s *Service) loadAPI(ctx context.Context, id string) (*model.RestAPI, int64, error) {
	for {
		api, rev, err := store.LoadOr[model.RestAPI](ctx, s.d.Store, apiKey(id), func() error { return s.noAPI(id) })
		if err != nil || (api.Resources == nil && api.GatewayResponses == nil) {
			return api, rev, err
		}
		if err := s.migrate(ctx, api, rev); err != nil {
			return nil, 0, fmt.Errorf("migrate rest api %s: %w", id, err)
		}
	}
}

// migrate splits an API record that holds its tree into the tree's records,
// written in as many Txns as they need, then rewrites the API's record
// without the tree. Every step is conditioned on the API's record as read:
// nothing is written for an API deleted meanwhile, and of two nodes that
// migrate at once, one rewrites the record and the other's steps fail and
// find it migrated. It reports no error on such a conflict: the caller reads
// again.
func (s *Service) migrate(ctx context.Context, api *model.RestAPI, rev int64) error {
	ops, err := treeOps(api)
	if err != nil {
		return err
	}
	cond := []store.Cond{store.KeyIs(apiKey(api.ID), rev)}
	for _, batch := range batches(ops, 0) {
		if ok, err := s.commit(ctx, cond, batch...); err != nil || !ok {
			return err
		}
	}
	own := *api
	own.Resources, own.GatewayResponses = nil, nil
	put, err := store.SaveOp(apiKey(api.ID), &own)
	if err != nil {
		return err
	}
	_, err = s.commit(ctx, cond, put)
	return err
}

// treeOps are the puts that store an assembled tree as its records.
func treeOps(api *model.RestAPI) ([]store.Op, error) {
	var ops []store.Op
	put := func(key string, v any) error {
		op, err := store.SaveOp(key, v)
		ops = append(ops, op)
		return err
	}
	for id, r := range api.Resources {
		own := *r
		own.Methods = nil
		if err := put(resourceKey(api.ID, id), &own); err != nil {
			return nil, err
		}
		if r.ParentID != "" {
			if err := put(pathPartKey(api.ID, r.ParentID, r.PathPart), pathPartIndex{ResourceID: id, PathPart: r.PathPart}); err != nil {
				return nil, err
			}
		}
		for verb, m := range r.Methods {
			ownM := *m
			ownM.Integration, ownM.MethodResponses = nil, nil
			if err := put(methodKey(api.ID, id, verb), &ownM); err != nil {
				return nil, err
			}
			for code, mr := range m.MethodResponses {
				if err := put(methodResponseKey(api.ID, id, verb, code), mr); err != nil {
					return nil, err
				}
			}
			if m.Integration == nil {
				continue
			}
			integ := *m.Integration
			integ.IntegrationResponses = nil
			if err := put(integKey(api.ID, id, verb), &integ); err != nil {
				return nil, err
			}
			for code, ir := range m.Integration.IntegrationResponses {
				if err := put(integResponseKey(api.ID, id, verb, code), ir); err != nil {
					return nil, err
				}
			}
		}
	}
	for typ, gr := range api.GatewayResponses {
		if err := put(gatewayResponseKey(api.ID, typ), gr); err != nil {
			return nil, err
		}
	}
	// Models and validators: an imported definition's (openapimodels.go).
	for name, m := range api.Models {
		if err := put(modelKey(api.ID, name), m); err != nil {
			return nil, err
		}
	}
	for id, v := range api.RequestValidators {
		if err := put(validatorKey(api.ID, id), v); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// batches cuts ops into Txns that the store takes: at most store.MaxTxnOps
// ops (less reserve, for the caller's own) and store.MaxValueBytes of values
// each.
func batches(ops []store.Op, reserve int) [][]store.Op {
	var out [][]store.Op
	var cur []store.Op
	size := 0
	for _, op := range ops {
		if len(cur) > 0 && (len(cur)+reserve >= store.MaxTxnOps || size+len(op.Value) > store.MaxValueBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, op)
		size += len(op.Value)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// treeRead is an API's tree as readTree assembled it, with what a write that
// depends on all of it must be conditioned on.
type treeRead struct {
	api     *model.RestAPI // the API's record with Resources and GatewayResponses filled in
	apiRev  int64          // the API record's ModRev
	listRev int64          // the revision of the first listing
}

// conds are the conditions under which the tree as read is still the tree:
// the API's record unchanged, and no record of the tree created or changed
// since the first listing. (Deletions leave no key for a prefix condition to
// see; readTree's order makes one that falls between its listings drop
// whole, see there.)
func (t *treeRead) conds() []store.Cond {
	out := []store.Cond{store.KeyIs(apiKey(t.api.ID), t.apiRev)}
	for _, k := range treeKinds {
		out = append(out, store.NoneAfter(under(k, t.api.ID), t.listRev))
	}
	return out
}

// readTree assembles an API's whole tree from its records, after loadAPI
// migrated a record of the old shape.
func (s *Service) readTree(ctx context.Context, apiID string) (*treeRead, error) {
	api, apiRev, err := s.loadAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	return readTree(ctx, s.d.Store, api, apiRev)
}

// readTree assembles the tree of the API whose record is api. The kinds are
// listed children first (treeKinds), and every child is attached only to a
// parent that the later listing still has: a deletion, which removes a
// parent and its children in one Txn, that falls between two listings drops
// the children as orphans instead of leaving half of it.
func readTree(ctx context.Context, st store.Store, api *model.RestAPI, apiRev int64) (*treeRead, error) {
	apiID := api.ID
	t := &treeRead{api: api, apiRev: apiRev}
	lists := map[model.Kind][]store.KV{}
	for i, k := range treeKinds {
		kvs, rev, err := st.List(ctx, under(k, apiID))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", under(k, apiID), err)
		}
		if i == 0 {
			t.listRev = rev
		}
		lists[k] = kvs
	}
	resources, err := assemble(apiID, lists)
	if err != nil {
		return nil, err
	}
	api.Resources = resources
	for _, kv := range lists[model.KindGatewayResponse] {
		gr := new(model.GatewayResponse)
		if err := json.Unmarshal(kv.Value, gr); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*model.GatewayResponse{}
		}
		api.GatewayResponses[gr.ResponseType] = gr
	}
	if err := attachModels(api, lists); err != nil {
		return nil, err
	}
	return t, nil
}

// loadResource assembles one resource with its methods, integrations and
// responses.
func (s *Service) loadResource(ctx context.Context, apiID, resID string) (*model.Resource, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	lists := map[model.Kind][]store.KV{}
	for _, k := range treeKinds[:4] {
		kvs, _, err := s.d.Store.List(ctx, under(k, apiID, resID))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", under(k, apiID, resID), err)
		}
		lists[k] = kvs
	}
	kv, err := s.d.Store.Get(ctx, resourceKey(apiID, resID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoResource)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", resourceKey(apiID, resID), err)
	}
	lists[model.KindResource] = []store.KV{kv}
	resources, err := assemble(apiID, lists)
	if err != nil {
		return nil, err
	}
	return resources[resID], nil
}

// assemble links records listed by kind into resources with their methods.
func assemble(apiID string, lists map[model.Kind][]store.KV) (map[string]*model.Resource, error) {
	// subID is a record's id below its API: "<resourceID>/…".
	subID := func(key string) string {
		_, id := model.SplitKey(key)
		return strings.TrimPrefix(id, apiID+"/")
	}
	resources := map[string]*model.Resource{}
	for _, kv := range lists[model.KindResource] {
		r := new(model.Resource)
		if err := json.Unmarshal(kv.Value, r); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		r.Methods = nil
		resources[subID(kv.Key)] = r
	}
	methods := map[string]*model.Method{} // by resourceID/VERB
	for _, kv := range lists[model.KindMethod] {
		id := subID(kv.Key)
		resID, verb, _ := strings.Cut(id, "/")
		r := resources[resID]
		if r == nil {
			continue // its resource went between the listings
		}
		m := new(model.Method)
		if err := json.Unmarshal(kv.Value, m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if r.Methods == nil {
			r.Methods = map[string]*model.Method{}
		}
		r.Methods[verb] = m
		methods[id] = m
	}
	for _, kv := range lists[model.KindIntegration] {
		m := methods[subID(kv.Key)]
		if m == nil {
			continue
		}
		integ := new(model.Integration)
		if err := json.Unmarshal(kv.Value, integ); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		m.Integration = integ
	}
	for _, kv := range lists[model.KindMethodResponse] {
		id := subID(kv.Key)
		m := methods[id[:max(strings.LastIndexByte(id, '/'), 0)]]
		if m == nil {
			continue
		}
		mr := new(model.MethodResponse)
		if err := json.Unmarshal(kv.Value, mr); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*model.MethodResponse{}
		}
		m.MethodResponses[mr.StatusCode] = mr
	}
	for _, kv := range lists[model.KindIntegrationResponse] {
		id := subID(kv.Key)
		m := methods[id[:max(strings.LastIndexByte(id, '/'), 0)]]
		if m == nil || m.Integration == nil {
			continue
		}
		ir := new(model.IntegrationResponse)
		if err := json.Unmarshal(kv.Value, ir); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if m.Integration.IntegrationResponses == nil {
			m.Integration.IntegrationResponses = map[string]*model.IntegrationResponse{}
		}
		m.Integration.IntegrationResponses[ir.StatusCode] = ir
	}
	return resources, nil
}

// RestAPITree returns an API with its whole tree (Resources with their
// methods, integrations and responses, and GatewayResponses), as the stack
// file compares it. It only reads st, so a plan can run on a store no daemon
// serves: a record of the old shape is returned as it is, tree inside.
func RestAPITree(ctx context.Context, st store.Store, id string) (*model.RestAPI, error) {
	api, rev, err := store.Load[model.RestAPI](ctx, st, apiKey(id))
	if err != nil {
		return nil, err
	}
	if api.Resources != nil {
		return api, nil
	}
	t, err := readTree(ctx, st, api, rev)
	if err != nil {
		return nil, err
	}
	return t.api, nil
}
