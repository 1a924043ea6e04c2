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
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	if err := checkLen("description", in.Description, maxDescriptionLen); err != nil {
		return nil, err
	}
	if err := checkLen("stage description", in.StageDescription, maxDescriptionLen); err != nil {
		return nil, err
	}
	stageName := in.StageName
	if stageName != "" {
		if err := validStageName(stageName); err != nil {
			return nil, err
		}
		if err := validVariables(in.Variables); err != nil {
			return nil, err
		}
	}
	methods := 0
	for _, r := range api.Resources {
		for _, m := range r.Methods {
			methods++
			if m.Integration == nil {
				return nil, badRequest(msgNoIntegration)
			}
		}
	}
	if methods == 0 {
		return nil, badRequest(msgNoMethods)
	}
	if slices.Contains(api.EndpointConfiguration.Types, "PRIVATE") && api.Policy == "" {
		return nil, badRequest(msgNoPolicy)
	}
	frozen, err := deepCopy(api)
	if err != nil {
		return nil, err
	}
	dep := &model.Deployment{
		ID:          model.RandomID(6),
		RestAPIID:   apiID,
		Description: in.Description,
		CreatedDate: time.Now().UTC().Truncate(time.Second),
		API:         *frozen,
	}
	key := model.Key(model.KindDeployment, apiID+"/"+dep.ID)
	rev, err := store.Save(ctx, s.d.Store, key, dep, 0)
	if err != nil {
		return nil, fmt.Errorf("save deployment %s: %w", dep.ID, err)
	}
	if stageName == "" {
		return dep, nil
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
		return nil, err
	}
	return dep, nil
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
	if _, err := s.GetDeployment(ctx, apiID, deploymentID); err != nil {
		return err
	}
	stages, err := s.GetStages(ctx, apiID)
	if err != nil {
		return err
	}
	for _, st := range stages {
		if st.DeploymentID == deploymentID {
			return badRequest(msgActiveStages)
		}
	}
	return s.deleteOr(ctx, model.Key(model.KindDeployment, apiID+"/"+deploymentID), answer(notFound(msgNoDeployment)))
}
