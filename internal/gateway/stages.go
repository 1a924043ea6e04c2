package gateway

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// StageInput is CreateStage's optional settings.
type StageInput struct {
	Description    string
	Variables      map[string]string
	TracingEnabled bool
	Tags           map[string]string
}

var (
	stageNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	stageVarKey = regexp.MustCompile(`^[a-zA-Z0-9_]{1,64}$`)
	// AWS's pattern is [A-Za-z0-9-._~:/?#&=,]+ (CreateDeployment,
	// CreateStage: "the values must match"): an empty value is refused.
	stageVarVal = regexp.MustCompile(`^[a-zA-Z0-9\-._~:/?#&=,]{1,512}$`)
)

func validStageName(name string) error {
	if !stageNameRe.MatchString(name) {
		// AWS's text, which still names no hyphen though AWS takes one
		// (Zappa#356; klothoplatform/klotho#235, 2023).
		return badRequest("Stage name only allows a-zA-Z0-9_")
	}
	return nil
}

func validVariables(vars map[string]string) error {
	if len(vars) > maxStageVariables {
		return tooMany("stage variables", maxStageVariables)
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		// AWS's texts, double spaces and unbalanced quotes included
		// (serverless#6133 for a name, sirceljm/aws-lambda-blog#10 and
		// awsdocs/amazon-api-gateway-developer-guide#91 for a value). They are
		// recorded for bad characters; a name or value over its length is
		// assumed to get the same.
		if !stageVarKey.MatchString(k) {
			return badRequest("Invalid stage variable name: " + model.Clip(k) + ".  Please use names with only word characters.")
		}
		if !stageVarVal.MatchString(vars[k]) {
			return badRequest("Invalid stage variable value: " + model.Clip(vars[k]) +
				".  Please use values with alphanumeric characters and the symbols ' ', -', '.', '_', ':', '/', '?', '&', '=', and ','.")
		}
	}
	return nil
}

// validStage bounds what CreateStage and UpdateStage store.
func validStage(st *model.Stage) error {
	if err := checkLen("description", st.Description, maxDescriptionLen); err != nil {
		return err
	}
	if err := validVariables(st.Variables); err != nil {
		return err
	}
	return checkTags(st.Tags)
}

// CreateStage names a deployment.
func (s *Service) CreateStage(ctx context.Context, apiID, stageName, deploymentID string, in StageInput) (*model.Stage, error) {
	if err := validStageName(stageName); err != nil {
		return nil, err
	}
	if err := validStage(&model.Stage{Description: in.Description, Variables: in.Variables, Tags: in.Tags}); err != nil {
		return nil, err
	}
	apiKey := model.Key(model.KindRestAPI, apiID)
	depKey := model.Key(model.KindDeployment, apiID+"/"+deploymentID)
	stagesPrefix := model.Key(model.KindStage, apiID+"/")
	key := stagesPrefix + stageName
	for {
		_, apiRev, err := store.LoadOr[model.RestAPI](ctx, s.d.Store, apiKey, func() error { return s.noAPI(apiID) })
		if err != nil {
			return nil, err
		}
		_, depRev, err := store.LoadOr[model.Deployment](ctx, s.d.Store, depKey, answer(notFound(msgNoDeployment)))
		if err != nil {
			return nil, err
		}
		stages, keys, listRev, err := loadAllAt[model.Stage](ctx, s.d.Store, stagesPrefix)
		if err != nil {
			return nil, err
		}
		if len(stages) >= maxStagesPerAPI {
			return nil, limit(msgTooManyStages)
		}
		if slices.Contains(keys, key) {
			return nil, conflict(msgStageExists)
		}
		now := time.Now().UTC().Truncate(time.Second)
		st := &model.Stage{
			RestAPIID:       apiID,
			StageName:       stageName,
			DeploymentID:    deploymentID,
			Description:     in.Description,
			Variables:       in.Variables,
			TracingEnabled:  in.TracingEnabled,
			CreatedDate:     now,
			LastUpdatedDate: now,
			Tags:            in.Tags,
		}
		put, err := store.SaveOp(key, st)
		if err != nil {
			return nil, err
		}
		// The API and the deployment as read (neither deleted meanwhile) and
		// the stages as listed (the quota holds, the name is free).
		ok, err := s.commit(ctx, []store.Cond{
			store.KeyIs(apiKey, apiRev), store.KeyIs(depKey, depRev), store.NoneAfter(stagesPrefix, listRev),
		}, put)
		if err != nil {
			return nil, fmt.Errorf("save stage %s: %w", stageName, err)
		}
		if ok {
			return st, nil
		}
	}
}

// GetStage returns one stage.
func (s *Service) GetStage(ctx context.Context, apiID, stageName string) (*model.Stage, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	st, _, err := store.LoadOr[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"+stageName), answer(notFound(msgNoStage)))
	return st, err
}

// GetStages returns the API's stages by name.
func (s *Service) GetStages(ctx context.Context, apiID string) ([]*model.Stage, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	return store.LoadAll[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"))
}

// UpdateStage applies mutate to a stage; the deployment it names must exist.
// mutate may be called more than once and must only modify the stage.
func (s *Service) UpdateStage(ctx context.Context, apiID, stageName string, mutate func(*model.Stage) error) (*model.Stage, error) {
	key := model.Key(model.KindStage, apiID+"/"+stageName)
	for {
		if _, err := s.GetRestAPI(ctx, apiID); err != nil {
			return nil, err
		}
		st, rev, err := store.LoadOr[model.Stage](ctx, s.d.Store, key, answer(notFound(msgNoStage)))
		if err != nil {
			return nil, err
		}
		if err := mutate(st); err != nil {
			return nil, err
		}
		st.RestAPIID, st.StageName = apiID, stageName
		st.LastUpdatedDate = time.Now().UTC().Truncate(time.Second)
		if err := validStage(st); err != nil {
			return nil, err
		}
		depKey := model.Key(model.KindDeployment, apiID+"/"+st.DeploymentID)
		_, depRev, err := store.LoadOr[model.Deployment](ctx, s.d.Store, depKey, answer(notFound(msgNoDeployment)))
		if err != nil {
			return nil, err
		}
		put, err := store.SaveOp(key, st)
		if err != nil {
			return nil, err
		}
		// The deployment the stage names must still exist when it is written,
		// so DeleteDeployment cannot remove it in between.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.KeyIs(depKey, depRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", key, err)
		}
		if ok {
			return st, nil
		}
	}
}

// DeleteStage deletes a stage that no base path mapping uses.
func (s *Service) DeleteStage(ctx context.Context, apiID, stageName string) error {
	key := model.Key(model.KindStage, apiID+"/"+stageName)
	mappingsPrefix := model.Prefix(model.KindBasePathMapping)
	for {
		if _, err := s.GetRestAPI(ctx, apiID); err != nil {
			return err
		}
		_, rev, err := store.LoadOr[model.Stage](ctx, s.d.Store, key, answer(notFound(msgNoStage)))
		if err != nil {
			return err
		}
		maps, _, listRev, err := loadAllAt[model.BasePathMapping](ctx, s.d.Store, mappingsPrefix)
		if err != nil {
			return err
		}
		for _, m := range maps {
			if m.RestAPIID == apiID && m.Stage == stageName {
				// AWS's text: its beginning is recorded
				// (terraform-provider-aws#41651, "Deleting stage <stagename>
				// failed. Please remove all base p…"), its end after
				// DeleteRestApi's (serverless-domain-manager#406).
				return badRequest("Deleting stage " + stageName + " failed. Please remove all base path mappings related to the stage in your domains.")
			}
		}
		// No mapping was created or changed since the listing.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.NoneAfter(mappingsPrefix, listRev)}, store.Del(key))
		if err != nil {
			return fmt.Errorf("delete stage %s: %w", stageName, err)
		}
		if ok {
			return nil
		}
	}
}
