package stack

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// API keys and usage plans are account-level records found by name, as the
// file names them. They come after the APIs: a plan names API stages, which
// must exist when it is written. A key's value is a secret: it is compared,
// never written into a Change (changes are logged and printed by diff).

// allMethods is the method-settings key of a stage's default for every method.
const allMethods = "*/*"

func (a *applier) apiKeys(ctx context.Context) error {
	have, err := all[model.APIKey](ctx, a.Store, model.KindAPIKey)
	if err != nil {
		return err
	}
	for i, spec := range a.f.APIKeys {
		where := fmt.Sprintf("apiKeys[%d] %q", i, spec.Name)
		if err := a.apiKey(ctx, spec, have); err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
	}
	return nil
}

func (a *applier) apiKey(ctx context.Context, spec APIKey, have []*model.APIKey) error {
	res := "apiKey/" + spec.Name
	enabled := spec.Enabled == nil || *spec.Enabled
	key := find(have, func(k *model.APIKey) bool { return k.Name == spec.Name })
	if key == nil {
		key = &model.APIKey{ID: planned, Name: spec.Name}
		err := a.write(func() (err error) {
			key, err = a.Gateway.CreateAPIKey(ctx, gateway.APIKeyInput{Name: spec.Name, Description: spec.Description,
				Value: spec.Value, Enabled: enabled})
			return err
		}, created(res))
		if err != nil {
			return fieldErr("name", err)
		}
		a.keys[spec.Name] = key
		return nil
	}
	a.keys[spec.Name] = key
	if spec.Value != "" && key.Value != spec.Value {
		// API Gateway has no operation that changes a key's value.
		return fieldErr("value", fmt.Errorf("key %s holds another value; delete the key to change it", key.ID))
	}
	if !a.modify(res) {
		return nil
	}
	var cs []Change
	var ops []gateway.PatchOperation
	if key.Description != spec.Description {
		cs = append(cs, Change{res, "description", quoted(key.Description), quoted(spec.Description)})
		ops = append(ops, gateway.PatchOperation{Op: "replace", Path: "/description", Value: spec.Description})
	}
	if key.Enabled != enabled {
		cs = append(cs, Change{res, "enabled", strconv.FormatBool(key.Enabled), strconv.FormatBool(enabled)})
		ops = append(ops, gateway.PatchOperation{Op: "replace", Path: "/enabled", Value: strconv.FormatBool(enabled)})
	}
	if len(cs) == 0 {
		return nil
	}
	return a.write(func() (err error) {
		a.keys[spec.Name], err = a.Gateway.PatchAPIKey(ctx, key.ID, ops)
		return err
	}, cs...)
}

func (a *applier) usagePlans(ctx context.Context) error {
	have, err := all[model.UsagePlan](ctx, a.Store, model.KindUsagePlan)
	if err != nil {
		return err
	}
	members, err := all[model.UsagePlanKey](ctx, a.Store, model.KindUsagePlanKey)
	if err != nil {
		return err
	}
	for i, spec := range a.f.UsagePlans {
		where := fmt.Sprintf("usagePlans[%d] %q", i, spec.Name)
		if err := a.usagePlan(ctx, spec, have, members); err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
	}
	return nil
}

// desired is the plan's API stages, throttle and quota in the model's terms.
func (a *applier) desiredPlan(spec UsagePlan) ([]model.UsagePlanStage, *model.ThrottleSettings, *model.QuotaSettings) {
	var stages []model.UsagePlanStage
	for _, st := range spec.APIStages {
		stages = append(stages, model.UsagePlanStage{APIID: a.apis[st.API].ID, Stage: st.Stage})
	}
	var th *model.ThrottleSettings
	if t := spec.Throttle; t != nil {
		th = &model.ThrottleSettings{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
	}
	var q *model.QuotaSettings
	if spec.Quota != nil {
		q = &model.QuotaSettings{Limit: spec.Quota.Limit, Period: spec.Quota.Period}
	}
	return stages, th, q
}

func (a *applier) usagePlan(ctx context.Context, spec UsagePlan, have []*model.UsagePlan, members []*model.UsagePlanKey) error {
	res := "usagePlan/" + spec.Name
	var refs []string
	for _, st := range spec.APIStages {
		refs = append(refs, "api/"+st.API)
	}
	for _, k := range spec.APIKeys {
		refs = append(refs, "apiKey/"+k)
	}
	stages, throttle, quota := a.desiredPlan(spec)
	plan := find(have, func(p *model.UsagePlan) bool { return p.Name == spec.Name })
	if plan == nil {
		plan = &model.UsagePlan{ID: planned, Name: spec.Name}
		err := a.write(func() (err error) {
			plan, err = a.Gateway.CreateUsagePlan(ctx, gateway.UsagePlanInput{Name: spec.Name, Description: spec.Description,
				APIStages: stages, Throttle: throttle, Quota: quota})
			return err
		}, created(res))
		if err != nil {
			return fieldErr("name", err)
		}
	} else if a.modify(res, refs...) {
		cs, ops := a.planChanges(res, plan, spec, stages, throttle, quota)
		if len(cs) > 0 {
			err := a.write(func() error {
				_, err := a.Gateway.PatchUsagePlan(ctx, plan.ID, ops)
				return err
			}, cs...)
			if err != nil {
				return err
			}
		}
	}
	if !a.modify(res, refs...) {
		return nil
	}
	return a.planKeys(ctx, res, plan, spec, members)
}

// planChanges compares a stored plan with the file's and returns the changes
// and the UpdateUsagePlan operations that make them.
func (a *applier) planChanges(res string, plan *model.UsagePlan, spec UsagePlan, stages []model.UsagePlanStage,
	throttle *model.ThrottleSettings, quota *model.QuotaSettings) ([]Change, []gateway.PatchOperation) {
	var cs []Change
	var ops []gateway.PatchOperation
	if plan.Description != spec.Description {
		cs = append(cs, Change{res, "description", quoted(plan.Description), quoted(spec.Description)})
		ops = append(ops, gateway.PatchOperation{Op: "replace", Path: "/description", Value: spec.Description})
	}
	// Compared by API and stage: per-method throttles of a stage are not the file's.
	stageID := func(st model.UsagePlanStage) string { return st.APIID + ":" + st.Stage }
	var haveIDs, wantIDs []string
	for _, st := range plan.APIStages {
		haveIDs = append(haveIDs, stageID(st))
	}
	for _, st := range stages {
		wantIDs = append(wantIDs, stageID(st))
	}
	if add, remove := diff(haveIDs, wantIDs); len(add)+len(remove) > 0 {
		var want []string
		for _, st := range spec.APIStages {
			want = append(want, st.API+"/"+st.Stage)
		}
		cs = append(cs, Change{res, "apiStages", a.apiStagesText(plan.APIStages), listText(want)})
		for _, id := range remove {
			ops = append(ops, gateway.PatchOperation{Op: "remove", Path: "/apiStages", Value: id})
		}
		for _, id := range add {
			ops = append(ops, gateway.PatchOperation{Op: "add", Path: "/apiStages", Value: id})
		}
	}
	if !sameThrottle(plan.Throttle, throttle) {
		cs = append(cs, Change{res, "throttle", throttleText(plan.Throttle), throttleText(throttle)})
		if throttle == nil {
			ops = append(ops, gateway.PatchOperation{Op: "remove", Path: "/throttle"})
		} else {
			ops = append(ops,
				gateway.PatchOperation{Op: "replace", Path: "/throttle/rateLimit", Value: strconv.FormatFloat(throttle.RateLimit, 'f', -1, 64)},
				gateway.PatchOperation{Op: "replace", Path: "/throttle/burstLimit", Value: strconv.Itoa(throttle.BurstLimit)})
		}
	}
	// The offset is not the file's: only the limit and the period are compared.
	if (plan.Quota == nil) != (quota == nil) || (quota != nil && (plan.Quota.Limit != quota.Limit || plan.Quota.Period != quota.Period)) {
		cs = append(cs, Change{res, "quota", quotaText(plan.Quota), quotaText(quota)})
		if quota == nil {
			ops = append(ops, gateway.PatchOperation{Op: "remove", Path: "/quota"})
		} else {
			ops = append(ops,
				gateway.PatchOperation{Op: "replace", Path: "/quota/period", Value: quota.Period},
				gateway.PatchOperation{Op: "replace", Path: "/quota/limit", Value: strconv.Itoa(quota.Limit)})
		}
	}
	return cs, ops
}

// planKeys makes the plan hold exactly the file's keys: a key put in the plan
// through the API is taken out, as a mapping of a domain is.
func (a *applier) planKeys(ctx context.Context, res string, plan *model.UsagePlan, spec UsagePlan, members []*model.UsagePlanKey) error {
	var haveIDs, wantIDs []string
	for _, m := range members {
		if m.UsagePlanID == plan.ID {
			haveIDs = append(haveIDs, m.KeyID)
		}
	}
	for _, n := range spec.APIKeys {
		wantIDs = append(wantIDs, a.keys[n].ID)
	}
	add, remove := diff(haveIDs, wantIDs)
	if len(add)+len(remove) == 0 {
		return nil
	}
	var haveNames []string
	for _, id := range haveIDs {
		haveNames = append(haveNames, nameOf(a.keys, id, func(k *model.APIKey) string { return k.ID }))
	}
	err := a.write(func() error {
		// Out first: a key moved between plans of one stage may be in only one.
		for _, id := range remove {
			if err := a.Gateway.DeleteUsagePlanKey(ctx, plan.ID, id); err != nil {
				return err
			}
		}
		for _, id := range add {
			if _, err := a.Gateway.CreateUsagePlanKey(ctx, plan.ID, id, "API_KEY"); err != nil {
				return err
			}
		}
		return nil
	}, Change{res, "apiKeys", listText(haveNames), listText(slices.Clone(spec.APIKeys))})
	if err != nil {
		return fieldErr("apiKeys", err)
	}
	return nil
}

// stageThrottle sets the stage's default method throttling to the file's;
// a stage whose file entry has no throttle keeps what it has.
func (a *applier) stageThrottle(ctx context.Context, res, field, apiID string, stage *model.Stage, st Stage) error {
	if st.Throttle == nil {
		return nil
	}
	want := &model.ThrottleSettings{RateLimit: st.Throttle.RateLimit, BurstLimit: st.Throttle.BurstLimit}
	var have *model.ThrottleSettings
	if ms, ok := stage.MethodSettings[allMethods]; ok {
		have = &model.ThrottleSettings{RateLimit: ms.ThrottlingRateLimit, BurstLimit: ms.ThrottlingBurstLimit}
	}
	if sameThrottle(have, want) {
		return nil
	}
	return a.write(func() error {
		_, err := a.Gateway.PatchStage(ctx, apiID, st.Name, []gateway.PatchOperation{
			{Op: "replace", Path: "/" + allMethods + "/throttling/rateLimit", Value: strconv.FormatFloat(want.RateLimit, 'f', -1, 64)},
			{Op: "replace", Path: "/" + allMethods + "/throttling/burstLimit", Value: strconv.Itoa(want.BurstLimit)},
		})
		return err
	}, Change{res, field + ".throttle", throttleText(have), throttleText(want)})
}

func sameThrottle(x, y *model.ThrottleSettings) bool {
	return (x == nil) == (y == nil) && (x == nil || *x == *y)
}

// throttleText is "rate 10/s burst 20", "(none)" without a throttle.
func throttleText(t *model.ThrottleSettings) string {
	if t == nil {
		return "(none)"
	}
	return fmt.Sprintf("rate %s/s burst %d", strconv.FormatFloat(t.RateLimit, 'f', -1, 64), t.BurstLimit)
}

// quotaText is "1000 per DAY", "(none)" without a quota.
func quotaText(q *model.QuotaSettings) string {
	if q == nil {
		return "(none)"
	}
	return fmt.Sprintf("%d per %s", q.Limit, q.Period)
}

// apiStagesText is a plan's stages by the file's API names: "[demo/prod]".
func (a *applier) apiStagesText(stages []model.UsagePlanStage) string {
	var out []string
	for _, st := range stages {
		out = append(out, nameOf(a.apis, st.APIID, func(api *model.RestAPI) string { return api.ID })+"/"+st.Stage)
	}
	return listText(out)
}
