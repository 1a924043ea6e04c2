package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
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
func (s *Service) createDeployment(ctx context.Context, apiID string, in CreateDeploymentInput) (dep *model.Deployment, done bool, err error) {
	apiKey := model.Key(model.KindRestAPI, apiID)
	api, apiRev, err := store.LoadOr[model.RestAPI](ctx, s.d.Store, apiKey, func() error { return s.noAPI(apiID) })
	if err != nil {
		return nil, true, err
	}
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
	methods := 0
	for _, r := range api.Resources {
		for _, m := range r.Methods {
			methods++
			if m.Integration == nil {
				return nil, true, badRequest(msgNoIntegration)
			}
		}
	}
	if methods == 0 {
		return nil, true, badRequest(msgNoMethods)
	}
	if slices.Contains(api.EndpointConfiguration.Types, "PRIVATE") && api.Policy == "" {
		return nil, true, badRequest(msgNoPolicy)
	}
	frozen, err := deepCopy(api)
	if err != nil {
		return nil, true, err
	}
	dep = &model.Deployment{
		ID:          model.RandomID(6),
		RestAPIID:   apiID,
		Description: in.Description,
		CreatedDate: time.Now().UTC().Truncate(time.Second),
		API:         *frozen,
	}
	key := model.Key(model.KindDeployment, apiID+"/"+dep.ID)
	put, err := store.SaveOp(key, dep)
	if err != nil {
		return nil, true, err
	}
	// Conditioned on the API as read: a deployment is the API frozen at one
	// revision, and none is made under an API DeleteRestAPI removed meanwhile.
	rev, err := s.d.Store.Txn(ctx, []store.Cond{store.KeyIs(apiKey, apiRev), store.KeyIs(key, 0)}, []store.Op{put})
	if errors.Is(err, store.ErrConflict) {
		return nil, false, ctx.Err()
	}
	if err != nil {
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
		if _, derr := s.d.Store.Delete(ctx, key, rev); derr != nil {
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

func deepCopy(api *model.RestAPI) (*model.RestAPI, error) {
	b, err := json.Marshal(api)
	if err != nil {
		return nil, fmt.Errorf("copy rest api %s: %w", api.ID, err)
	}
	out := new(model.RestAPI)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("copy rest api %s: %w", api.ID, err)
	}
	return out, nil
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

// DeleteDeployment deletes a deployment no stage points to.
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
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.NoneAfter(stagesPrefix, listRev)}, store.Del(key))
		if err != nil {
			return fmt.Errorf("delete deployment %s: %w", deploymentID, err)
		}
		if ok {
			return nil
		}
	}
}
