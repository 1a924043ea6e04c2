package gateway

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// CreateDeploymentInput is CreateDeployment's request.
type CreateDeploymentInput struct {
	Description string
	// StageName, when set, names the stage that serves the new deployment: it
	// is created (with StageDescription) or repointed.
	StageName        string
	StageDescription string
	Variables        map[string]string // merged into the stage's variables
}

// CreateDeployment freezes the API as it is now; with a stage name it also
// creates that stage or points it at the new deployment.
func (s *Service) CreateDeployment(ctx context.Context, apiID string, in CreateDeploymentInput) (*model.Deployment, error) {
	for {
		dep, done, err := s.createDeployment(ctx, apiID, in)
		if done || err != nil {
			return dep, err
		}
	}
}

// createDeployment is one attempt of CreateDeployment; done is false when the
// API changed (or went) between reading and writing, and it must be redone.
//
// The frozen copy goes in parts (packParts) with the header, in one Txn
// when they fit in one (an API of MOCK methods compresses to a few tens of
// KB), else the parts first, in Txns of their own, and the header last: a
// deployment exists once its header does, and the parts of an attempt that
// lost its race are deleted again (or, after a crash, by sweepOrphanParts).
func (s *Service) createDeployment(ctx context.Context, apiID string, in CreateDeploymentInput) (dep *model.Deployment, done bool, err error) {
	tree, err := s.readTree(ctx, apiID)
	if err != nil {
		return nil, true, err
	}
	api := tree.api
	if err := checkLen("description", in.Description, maxDescriptionLen); err != nil {
		return nil, true, err
	}
	if err := checkLen("stage description", in.StageDescription, maxDescriptionLen); err != nil {
		return nil, true, err
	}
	stageName := in.StageName
	if stageName != "" {
		if err := validStageName(stageName); err != nil {
			return nil, true, err
		}
		if err := validVariables(in.Variables); err != nil {
			return nil, true, err
		}
	}
	if err := deployable(api); err != nil {
		// The listings may straddle a change (the API deleted after its
		// record was read): the refusal stands only if the API is still
		// as read.
		if kv, gerr := s.d.Store.Get(ctx, apiKey(apiID)); gerr != nil || kv.ModRev != tree.apiRev {
			return nil, false, ctx.Err()
		}
		return nil, true, err
	}
	dep = &model.Deployment{
		ID:          model.RandomID(6),
		RestAPIID:   apiID,
		Description: in.Description,
		CreatedDate: time.Now().UTC().Truncate(time.Second),
	}
	parts, hash, err := packParts(api, dep.CreatedDate)
	if err != nil {
		return nil, true, err
	}
	dep.Parts, dep.Hash = len(parts), hash
	s.fresh.put(hash, api) // this node serves it without decoding the parts (fresh.go)
	key := model.Key(model.KindDeployment, apiID+"/"+dep.ID)
	put, err := store.SaveOp(key, dep)
	if err != nil {
		return nil, true, err
	}
	partOps := make([]store.Op, len(parts))
	size := len(put.Value)
	for n, p := range parts {
		partOps[n] = store.Put(model.Key(model.KindDeploymentPart, model.DeploymentPartID(apiID, dep.ID, n)), p)
		size += len(p)
	}
	// Conditioned on the tree as read: a deployment is the API frozen at
	// one revision, and none is made under an API DeleteRestAPI removed
	// meanwhile.
	conds := append(tree.conds(), store.KeyIs(key, 0))
	ops := append(partOps, put)
	if size > store.MaxValueBytes || len(ops) > store.MaxTxnOps {
		// The API as read: no part is left under an API deleted meanwhile.
		apiCond := []store.Cond{store.KeyIs(apiKey(apiID), tree.apiRev)}
		for _, batch := range batches(partOps, 0) {
			ok, err := s.commit(ctx, apiCond, batch...)
			if err != nil || !ok {
				s.dropParts(ctx, apiID, dep.ID)
				return nil, err != nil, err
			}
		}
		ops = []store.Op{put}
	}
	rev, err := s.d.Store.Txn(ctx, conds, ops)
	if errors.Is(err, store.ErrConflict) {
		s.dropParts(ctx, apiID, dep.ID)
		return nil, false, ctx.Err()
	}
	if err != nil {
		s.dropParts(ctx, apiID, dep.ID)
		return nil, true, fmt.Errorf("save deployment %s: %w", dep.ID, err)
	}
	if stageName == "" {
		return dep, true, nil
	}
	_, err = s.UpdateStage(ctx, apiID, stageName, func(st *model.Stage) error {
		st.DeploymentID = dep.ID
		if len(in.Variables) > 0 && st.Variables == nil {
			st.Variables = map[string]string{}
		}
		maps.Copy(st.Variables, in.Variables)
		return nil
	})
	var me *model.Error
	if errors.As(err, &me) && me.Code == codeNotFound {
		_, err = s.CreateStage(ctx, apiID, stageName, dep.ID, StageInput{Description: in.StageDescription, Variables: in.Variables})
	}
	if err != nil {
		// The deployment was made for the stage; without it, it would be an
		// orphan the caller never learned the id of.
		if _, derr := s.d.Store.Txn(ctx, []store.Cond{store.KeyIs(key, rev)}, deleteDeploymentOps(apiID, dep.ID)); derr != nil {
			s.log.Warn("remove the deployment of a failed stage", "deployment", dep.ID, "err", derr)
		}
		// A DeleteRestAPI meanwhile took the new deployment with the API:
		// the API's absence is the answer then, not the deployment's.
		if _, aerr := s.GetRestAPI(ctx, apiID); aerr != nil {
			return nil, true, aerr
		}
		return nil, true, err
	}
	return dep, true, nil
}

// deployable refuses an API that AWS would not deploy.
func deployable(api *model.RestAPI) error {
	methods := 0
	for _, r := range api.Resources {
		for _, m := range r.Methods {
			methods++
			if m.Integration == nil {
				return badRequest(msgNoIntegration)
			}
		}
	}
	if methods == 0 {
		return badRequest(msgNoMethods)
	}
	if slices.Contains(api.EndpointConfiguration.Types, "PRIVATE") && api.Policy == "" {
		return badRequest(msgNoPolicy)
	}
	return nil
}

// deleteDeploymentOps delete a deployment's header and parts.
func deleteDeploymentOps(apiID, depID string) []store.Op {
	return []store.Op{
		store.Del(model.Key(model.KindDeployment, apiID+"/"+depID)),
		store.DelPrefix(under(model.KindDeploymentPart, apiID, depID)),
	}
}

// dropParts deletes the parts an attempt wrote before its header failed;
// best effort: sweepOrphanParts takes what it leaves.
func (s *Service) dropParts(ctx context.Context, apiID, depID string) {
	if _, err := s.d.Store.Txn(ctx, nil, []store.Op{store.DelPrefix(under(model.KindDeploymentPart, apiID, depID))}); err != nil {
		s.log.Warn("remove the parts of a deployment not made", "deployment", depID, "err", err)
	}
}

// orphanAge is how old the parts of a deployment without a header must be
// before sweepOrphanParts takes them: far longer than any attempt takes
// between its first part and its header, so that it never takes the parts of
// an attempt still under way on another node.
const orphanAge = 10 * time.Minute

// sweepOrphanParts deletes parts whose header never came (a node that stopped
// between writing them and the header) once they are orphanAge old, as the
// gzip header of part 0 dates them. Run calls it every orphanAge/2 (by
// default, Deps.OrphanSweepInterval): such parts come only from a crash, and looking for them on every deployment cost each
// one a listing of all its API's deployments. Best effort: compile ignores
// such parts anyway, and DeleteRestAPI removes them with the API.
func (s *Service) sweepOrphanParts(ctx context.Context) {
	headers, _, err := s.d.Store.List(ctx, model.Prefix(model.KindDeployment))
	if err != nil {
		return
	}
	parts, _, err := s.d.Store.List(ctx, model.Prefix(model.KindDeploymentPart))
	if err != nil {
		return
	}
	made := make(map[string]bool, len(headers)) // "apiID/depID"
	for _, kv := range headers {
		_, id := model.SplitKey(kv.Key)
		made[id] = true
	}
	for _, kv := range parts {
		_, id := model.SplitKey(kv.Key)
		segs := strings.Split(id, "/") // apiID, depID, n
		if len(segs) != 3 || segs[2] != "0" || made[segs[0]+"/"+segs[1]] {
			continue
		}
		// The listings are a moment old: the header may have come since.
		if _, err := s.d.Store.Get(ctx, model.Key(model.KindDeployment, segs[0]+"/"+segs[1])); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		if written, ok := partTime(kv.Value); ok && time.Since(written) > orphanAge {
			s.dropParts(ctx, segs[0], segs[1])
		}
	}
}

// sweepOrphansEvery runs sweepOrphanParts every Deps.OrphanSweepInterval
// until ctx ends.
func (s *Service) sweepOrphansEvery(ctx context.Context) {
	t := time.NewTicker(s.d.OrphanSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepOrphanParts(ctx)
		}
	}
}

// GetDeployment returns one deployment.
func (s *Service) GetDeployment(ctx context.Context, apiID, deploymentID string) (*model.Deployment, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	d, _, err := store.LoadOr[model.Deployment](ctx, s.d.Store, model.Key(model.KindDeployment, apiID+"/"+deploymentID), answer(notFound(msgNoDeployment)))
	return d, err
}

// GetDeployments returns the API's deployments, oldest first.
func (s *Service) GetDeployments(ctx context.Context, apiID string) ([]*model.Deployment, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	out, err := store.LoadAll[model.Deployment](ctx, s.d.Store, model.Key(model.KindDeployment, apiID+"/"))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *model.Deployment) int { return a.CreatedDate.Compare(b.CreatedDate) })
	return out, nil
}

// DeleteDeployment deletes a deployment no stage points to, with its parts.
func (s *Service) DeleteDeployment(ctx context.Context, apiID, deploymentID string) error {
	key := model.Key(model.KindDeployment, apiID+"/"+deploymentID)
	stagesPrefix := model.Key(model.KindStage, apiID+"/")
	for {
		if _, err := s.GetRestAPI(ctx, apiID); err != nil {
			return err
		}
		_, rev, err := store.LoadOr[model.Deployment](ctx, s.d.Store, key, answer(notFound(msgNoDeployment)))
		if err != nil {
			return err
		}
		stages, _, listRev, err := loadAllAt[model.Stage](ctx, s.d.Store, stagesPrefix)
		if err != nil {
			return err
		}
		for _, st := range stages {
			if st.DeploymentID == deploymentID {
				return badRequest(msgActiveStages)
			}
		}
		// No stage was created or repointed since the listing: a stage that
		// names this deployment now would have changed a key under the prefix.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.NoneAfter(stagesPrefix, listRev)}, deleteDeploymentOps(apiID, deploymentID)...)
		if err != nil {
			return fmt.Errorf("delete deployment %s: %w", deploymentID, err)
		}
		if ok {
			return nil
		}
	}
}

// DeployedAPI returns the API as a deployment froze it: tree, policy,
// endpoint configuration and gateway responses. It only reads st (see
// RestAPITree).
func DeployedAPI(ctx context.Context, st store.Store, apiID, deploymentID string) (*model.RestAPI, error) {
	dep, _, err := store.Load[model.Deployment](ctx, st, model.Key(model.KindDeployment, apiID+"/"+deploymentID))
	if err != nil {
		return nil, err
	}
	if dep.Parts == 0 {
		return &dep.API, nil // written before parts: the copy is inside
	}
	kvs, _, err := st.List(ctx, under(model.KindDeploymentPart, apiID, deploymentID))
	if err != nil {
		return nil, fmt.Errorf("list parts of deployment %s: %w", deploymentID, err)
	}
	parts := map[string][]byte{}
	for _, kv := range kvs {
		_, id := model.SplitKey(kv.Key)
		parts[strings.TrimPrefix(id, apiID+"/")] = kv.Value
	}
	return unpackParts(dep, parts)
}
