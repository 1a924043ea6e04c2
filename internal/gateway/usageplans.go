package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Usage plans (KindUsagePlan, by id), the keys they hold (KindUsagePlanKey,
// "<planID>/<keyID>") and the keys' daily usage (KindUsage, see meter.go's
// flush in throttle.go) are account-level records, as in AWS.

// UsagePlanInput is CreateUsagePlan's request.
type UsagePlanInput struct {
	Name, Description string
	APIStages         []model.UsagePlanStage
	Throttle          *model.ThrottleSettings
	Quota             *model.QuotaSettings
	Tags              map[string]string
}

// UsagePlanKey is a key in a plan as GetUsagePlanKey reports it.
type UsagePlanKey struct {
	ID, Type, Value, Name string
}

// Usage is GetUsage's answer: per key, [used, remaining] per day.
type Usage struct {
	UsagePlanID, StartDate, EndDate string
	Items                           map[string][][2]int64
}

const (
	keyTypeAPIKey = "API_KEY"
	// maxUsageDays bounds GetUsage's date range: AWS's bound is not
	// documented; 90 days is its usage retention.
	// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
	maxUsageDays = 90
	dayLayout    = "2006-01-02"
)

func usagePlanKey(id string) string { return model.Key(model.KindUsagePlan, id) }
func usagePlanKeyKey(planID, keyID string) string {
	return model.Key(model.KindUsagePlanKey, planID+"/"+keyID)
}

func validUsagePlan(p *model.UsagePlan) error {
	if p.Name == "" {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return badRequest("Usage Plan name is required")
	}
	if err := checkLen("name", p.Name, maxNameLen); err != nil {
		return err
	}
	if err := checkLen("description", p.Description, maxDescriptionLen); err != nil {
		return err
	}
	if t := p.Throttle; t != nil && (t.RateLimit < 0 || t.BurstLimit < 0) {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return badRequest("Throttle rate and burst limits must not be negative")
	}
	if q := p.Quota; q != nil {
		switch q.Period {
		case "DAY", "WEEK", "MONTH":
		default:
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return badRequest("Invalid quota period " + model.Clip(q.Period) + ". Must be one of: DAY, WEEK, MONTH")
		}
		if q.Limit < 0 || q.Offset < 0 || q.Offset >= max(q.Limit, 1) {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return badRequest("Quota limit must not be negative and offset must be less than the limit")
		}
	}
	if len(p.APIStages) > maxMapEntries {
		return tooMany("apiStages", maxMapEntries)
	}
	seen := map[string]bool{}
	for _, st := range p.APIStages {
		k := st.APIID + ":" + st.Stage
		if seen[k] {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return conflict("Stage " + model.Clip(k) + " is already associated with this usage plan")
		}
		seen[k] = true
		for m, t := range st.Throttle {
			if t.RateLimit < 0 || t.BurstLimit < 0 || checkLen("throttle key", m, maxURLLen) != nil {
				// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
				return badRequest("Invalid method throttle " + model.Clip(m))
			}
		}
	}
	return checkTags(p.Tags)
}

// stageConds checks that every API stage the plan names exists and returns
// the conditions that keep them so until the plan is written.
func (s *Service) stageConds(ctx context.Context, planID string, stages []model.UsagePlanStage) ([]store.Cond, error) {
	var conds []store.Cond
	for _, st := range stages {
		key := model.Key(model.KindStage, st.APIID+"/"+st.Stage)
		kv, err := s.d.Store.Get(ctx, key)
		if err != nil {
			// AWS's text and status on create (aws/aws-sdk#354 quotes the
			// CLI's answer; LocalStack's AWS-recorded test_usage_plan_crud).
			return nil, badRequest(fmt.Sprintf("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", model.Clip(st.APIID), model.Clip(st.Stage), planID))
		}
		conds = append(conds, store.KeyIs(key, kv.ModRev))
	}
	return conds, nil
}

// CreateUsagePlan stores a plan over existing API stages.
func (s *Service) CreateUsagePlan(ctx context.Context, in UsagePlanInput) (*model.UsagePlan, error) {
	p := &model.UsagePlan{ID: model.RandomID(6), Name: in.Name, Description: in.Description,
		APIStages: in.APIStages, Throttle: in.Throttle, Quota: in.Quota, Tags: in.Tags,
		Created: time.Now().UTC().Format(dayLayout)}
	if err := validUsagePlan(p); err != nil {
		return nil, err
	}
	for {
		conds, err := s.stageConds(ctx, p.ID, p.APIStages)
		if err != nil {
			return nil, err
		}
		put, err := store.SaveOp(usagePlanKey(p.ID), p)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, append(conds, store.KeyIs(put.Key, 0)), put)
		if err != nil {
			return nil, fmt.Errorf("save usage plan: %w", err)
		}
		if ok {
			return p, nil
		}
	}
}

// GetUsagePlan returns one plan.
func (s *Service) GetUsagePlan(ctx context.Context, id string) (*model.UsagePlan, error) {
	p, _, err := store.LoadOr[model.UsagePlan](ctx, s.d.Store, usagePlanKey(id), answer(notFound(msgNoUsagePlan)))
	return p, err
}

// ListUsagePlans returns the plans by id; with keyID, only those holding the key.
func (s *Service) ListUsagePlans(ctx context.Context, keyID string) ([]*model.UsagePlan, error) {
	all, err := store.LoadAll[model.UsagePlan](ctx, s.d.Store, model.Prefix(model.KindUsagePlan))
	if err != nil {
		return nil, err
	}
	if keyID != "" {
		plans, _, err := s.plansOfKey(ctx, keyID)
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(p *model.UsagePlan) bool { return !slices.Contains(plans, p.ID) })
	}
	slices.SortFunc(all, func(a, b *model.UsagePlan) int { return strings.Compare(a.ID, b.ID) })
	return all, nil
}

const usagePlanPaths = "/name, /description, /productCode, /throttle/rateLimit, /throttle/burstLimit, " +
	"/quota/limit, /quota/period, /quota/offset, /throttle, /quota, /apiStages"

// PatchUsagePlan is UpdateUsagePlan. "/apiStages" takes "apiId:stage" values
// (add, remove), as AWS's does.
func (s *Service) PatchUsagePlan(ctx context.Context, id string, ops []PatchOperation) (*model.UsagePlan, error) {
	for {
		p, rev, err := store.LoadOr[model.UsagePlan](ctx, s.d.Store, usagePlanKey(id), answer(notFound(msgNoUsagePlan)))
		if err != nil {
			return nil, err
		}
		if err := patchAll(ops, patchUsagePlan)(p); err != nil {
			return nil, err
		}
		if err := validUsagePlan(p); err != nil {
			return nil, err
		}
		conds, err := s.stageConds(ctx, id, p.APIStages)
		if err != nil {
			return nil, err
		}
		put, err := store.SaveOp(usagePlanKey(id), p)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, append(conds, store.KeyIs(put.Key, rev)), put)
		if err != nil {
			return nil, fmt.Errorf("save usage plan: %w", err)
		}
		if ok {
			return p, nil
		}
	}
}

func patchUsagePlan(p *model.UsagePlan, op PatchOperation) error {
	number := func(min float64) (float64, error) {
		if err := opIn(op, "replace", "add"); err != nil {
			return 0, err
		}
		return patchNumber(op, min, 1e9)
	}
	switch op.Path {
	case "/name":
		return patchString(op, &p.Name)
	case "/description":
		return patchString(op, &p.Description)
	case "/productCode":
		return patchString(op, &p.ProductCode)
	case "/throttle", "/quota":
		if err := opIn(op, "remove"); err != nil {
			return err
		}
		if op.Path == "/throttle" {
			p.Throttle = nil
		} else {
			p.Quota = nil
		}
		return nil
	case "/throttle/rateLimit", "/throttle/burstLimit":
		f, err := number(0)
		if err != nil {
			return err
		}
		if p.Throttle == nil {
			p.Throttle = &model.ThrottleSettings{}
		}
		if op.Path == "/throttle/rateLimit" {
			p.Throttle.RateLimit = f
		} else {
			p.Throttle.BurstLimit = int(f)
		}
		return nil
	case "/quota/limit", "/quota/offset", "/quota/period":
		if p.Quota == nil {
			p.Quota = &model.QuotaSettings{Period: "DAY"}
		}
		if op.Path == "/quota/period" {
			if err := opIn(op, "replace", "add"); err != nil {
				return err
			}
			v, err := patchEnum(op, "DAY", "WEEK", "MONTH")
			p.Quota.Period = v
			return err
		}
		f, err := number(0)
		if err != nil {
			return err
		}
		if op.Path == "/quota/limit" {
			p.Quota.Limit = int(f)
		} else {
			p.Quota.Offset = int(f)
		}
		return nil
	case "/apiStages":
		if err := opIn(op, "add", "remove"); err != nil {
			return err
		}
		api, stage, ok := strings.Cut(op.Value, ":")
		if !ok || api == "" || stage == "" {
			// AWS answers a value that is not "apiId:stage" so, without
			// quoting it (LocalStack's AWS-recorded test_usage_plan_crud).
			return badRequest("Invalid API Stage specified")
		}
		i := slices.IndexFunc(p.APIStages, func(st model.UsagePlanStage) bool { return st.APIID == api && st.Stage == stage })
		switch {
		case op.Op == "add" && i < 0:
			p.APIStages = append(p.APIStages, model.UsagePlanStage{APIID: api, Stage: stage})
		case op.Op == "remove" && i >= 0:
			p.APIStages = slices.Delete(p.APIStages, i, i+1)
		case op.Op == "remove":
			// AWS's 404 for a stage the plan does not hold (LocalStack's
			// AWS-recorded test_usage_plan_crud: unknown API, unknown stage).
			return notFound(fmt.Sprintf("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", model.Clip(api), model.Clip(stage), p.ID))
		}
		return nil
	}
	return badPatchPath(op, usagePlanPaths)
}

// DeleteUsagePlan removes a plan with its key memberships and usage.
func (s *Service) DeleteUsagePlan(ctx context.Context, id string) error {
	for {
		_, rev, err := store.LoadOr[model.UsagePlan](ctx, s.d.Store, usagePlanKey(id), answer(notFound(msgNoUsagePlan)))
		if err != nil {
			return err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(usagePlanKey(id), rev)},
			store.Del(usagePlanKey(id)),
			store.DelPrefix(model.Key(model.KindUsagePlanKey, id+"/")),
			store.DelPrefix(model.Key(model.KindUsage, id+"/")))
		if err != nil || ok {
			return err
		}
	}
}

// CreateUsagePlanKey puts an API key in a plan. A key is in a plan once, and
// in at most one plan per API stage (§A11).
func (s *Service) CreateUsagePlanKey(ctx context.Context, planID, keyID, keyType string) (*UsagePlanKey, error) {
	if keyType != keyTypeAPIKey {
		return nil, badRequest(msgBadKeyType)
	}
	for {
		plan, planRev, err := store.LoadOr[model.UsagePlan](ctx, s.d.Store, usagePlanKey(planID), answer(notFound(msgNoUsagePlan)))
		if err != nil {
			return nil, err
		}
		k, keyRev, err := store.LoadOr[model.APIKey](ctx, s.d.Store, apiKeyKey(keyID), answer(notFound(msgNoAPIKey)))
		if err != nil {
			return nil, err
		}
		others, listRev, err := s.plansOfKey(ctx, keyID)
		if err != nil {
			return nil, err
		}
		if slices.Contains(others, planID) {
			return nil, conflict(msgKeyInPlan)
		}
		for _, otherID := range others {
			other, err := s.GetUsagePlan(ctx, otherID)
			if err != nil {
				continue // deleted meanwhile: the listing's condition catches it
			}
			for _, a := range other.APIStages {
				for _, b := range plan.APIStages {
					if a.APIID == b.APIID && a.Stage == b.Stage {
						// The rule is AWS's (§A11); the text is gatehouse's.
						// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
						return nil, conflict(fmt.Sprintf("API Key %s is already associated with usage plan %s for stage %s:%s", keyID, otherID, a.APIID, a.Stage))
					}
				}
			}
		}
		pk := model.UsagePlanKey{UsagePlanID: planID, KeyID: keyID, Type: keyTypeAPIKey}
		put, err := store.SaveOp(usagePlanKeyKey(planID, keyID), pk)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(usagePlanKey(planID), planRev), store.KeyIs(apiKeyKey(keyID), keyRev),
			store.NoneAfter(model.Prefix(model.KindUsagePlanKey), listRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("save usage plan key: %w", err)
		}
		if ok {
			return &UsagePlanKey{ID: k.ID, Type: keyTypeAPIKey, Value: k.Value, Name: k.Name}, nil
		}
	}
}

// GetUsagePlanKey returns a key of a plan.
func (s *Service) GetUsagePlanKey(ctx context.Context, planID, keyID string) (*UsagePlanKey, error) {
	if _, err := s.GetUsagePlan(ctx, planID); err != nil {
		return nil, err
	}
	if _, err := s.d.Store.Get(ctx, usagePlanKeyKey(planID, keyID)); err != nil {
		return nil, notFound(msgNoAPIKey)
	}
	k, err := s.GetAPIKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	return &UsagePlanKey{ID: k.ID, Type: keyTypeAPIKey, Value: k.Value, Name: k.Name}, nil
}

// ListUsagePlanKeys returns a plan's keys by id, those whose name starts
// with nameQuery.
func (s *Service) ListUsagePlanKeys(ctx context.Context, planID, nameQuery string) ([]*UsagePlanKey, error) {
	if _, err := s.GetUsagePlan(ctx, planID); err != nil {
		return nil, err
	}
	members, err := store.LoadAll[model.UsagePlanKey](ctx, s.d.Store, model.Key(model.KindUsagePlanKey, planID+"/"))
	if err != nil {
		return nil, err
	}
	var out []*UsagePlanKey
	for _, m := range members {
		k, err := s.GetAPIKey(ctx, m.KeyID)
		if err != nil || !strings.HasPrefix(k.Name, nameQuery) {
			continue
		}
		out = append(out, &UsagePlanKey{ID: k.ID, Type: keyTypeAPIKey, Value: k.Value, Name: k.Name})
	}
	slices.SortFunc(out, func(a, b *UsagePlanKey) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteUsagePlanKey takes a key out of a plan.
func (s *Service) DeleteUsagePlanKey(ctx context.Context, planID, keyID string) error {
	if _, err := s.GetUsagePlan(ctx, planID); err != nil {
		return err
	}
	return s.deleteOr(ctx, usagePlanKeyKey(planID, keyID), answer(notFound(msgNoAPIKey)))
}

// GetUsage reports each key's daily usage under the plan from startDate to
// endDate (YYYY-MM-DD, inclusive), as stored by the nodes' flushes: per day
// [used, remaining], remaining being the quota left in that day's period
// after it (0 without a quota).
func (s *Service) GetUsage(ctx context.Context, planID, keyID, startDate, endDate string) (*Usage, error) {
	plan, err := s.GetUsagePlan(ctx, planID)
	if err != nil {
		return nil, err
	}
	start, err1 := time.Parse(dayLayout, startDate)
	end, err2 := time.Parse(dayLayout, endDate)
	if err1 != nil || err2 != nil || end.Before(start) || end.Sub(start) > maxUsageDays*24*time.Hour {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest(fmt.Sprintf("Invalid date range: startDate %s, endDate %s (YYYY-MM-DD, at most %d days)", model.Clip(startDate), model.Clip(endDate), maxUsageDays))
	}
	members, err := store.LoadAll[model.UsagePlanKey](ctx, s.d.Store, model.Key(model.KindUsagePlanKey, planID+"/"))
	if err != nil {
		return nil, err
	}
	records, err := store.LoadAll[model.Usage](ctx, s.d.Store, model.Key(model.KindUsage, planID+"/"))
	if err != nil {
		return nil, err
	}
	used := map[string]int64{}    // by keyID/day
	counted := map[string]int64{} // against the quota: used and UpdateUsage's adjustments
	for _, r := range records {
		used[r.KeyID+"/"+r.Day] += r.Used
		counted[r.KeyID+"/"+r.Day] += r.Used + r.Adjust
	}
	out := &Usage{UsagePlanID: planID, StartDate: startDate, EndDate: endDate, Items: map[string][][2]int64{}}
	for _, m := range members {
		if keyID != "" && m.KeyID != keyID {
			continue
		}
		var days [][2]int64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			n := used[m.KeyID+"/"+d.Format(dayLayout)]
			remaining := int64(0)
			if plan.Quota != nil {
				remaining = quotaRemaining(plan, d, func(day string) int64 { return counted[m.KeyID+"/"+day] })
			}
			days = append(days, [2]int64{n, remaining})
		}
		out.Items[m.KeyID] = days
	}
	return out, nil
}

// periodStart is the first UTC day of the quota period holding day: the
// day itself, the Monday of its week (AWS's week start is not documented;
// not recorded from AWS, searched: docs, issues, moto, LocalStack; 2026-12),
// or the first of its month.
func periodStart(period string, day time.Time) time.Time {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "WEEK":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "MONTH":
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}
