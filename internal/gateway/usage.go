package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// A key's quota under a plan (QuotaSettings): Limit requests per period
// (DAY, WEEK, MONTH; periodStart), less Offset in the initial period — "the
// number of requests subtracted from the given limit in the initial time
// period", the period the plan was created in (UsagePlan.Created; a plan
// stored before that field has no initial period). UpdateUsage ("grant a
// temporary extension to the remaining quota") sets what remains of the
// current period: the difference is kept as the day's Adjust, counted
// against the quota like requests but not reported as used, so the next
// period starts afresh.

// quotaRemaining is what the plan's quota leaves of day's period, counted
// returning a day's (YYYY-MM-DD) requests and adjustments. Never negative.
func quotaRemaining(plan *model.UsagePlan, day time.Time, counted func(day string) int64) int64 {
	return max(quotaLeft(plan, day, counted), 0)
}

// quotaLeft is quotaRemaining before clamping: negative when an adjustment
// or the offset took more than the limit.
func quotaLeft(plan *model.UsagePlan, day time.Time, counted func(day string) int64) int64 {
	q := plan.Quota
	start := periodStart(q.Period, day)
	var used int64
	for d := start; !d.After(day); d = d.AddDate(0, 0, 1) {
		used += counted(d.Format(dayLayout))
	}
	if created, err := time.Parse(dayLayout, plan.Created); err == nil && periodStart(q.Period, created).Equal(start) {
		used += int64(q.Offset)
	}
	return int64(q.Limit) - used
}

// UpdateUsage sets the remaining quota of a key under a plan for the current
// period (PATCH /usageplans/{id}/keys/{keyId}/usage, one "replace" of
// "/remaining") and returns today's usage of the key: [used, remaining].
func (s *Service) UpdateUsage(ctx context.Context, planID, keyID string, ops []PatchOperation) (*Usage, error) {
	if _, err := s.GetUsagePlanKey(ctx, planID, keyID); err != nil {
		return nil, err
	}
	if err := checkPatch(ops); err != nil {
		return nil, err
	}
	remaining := int64(-1)
	for _, op := range ops {
		if op.Path != "/remaining" {
			return nil, badPatchPath(op, "/remaining")
		}
		if err := opIn(op, "replace"); err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(op.Value, 10, 64)
		if err != nil || n < 0 || n > maxQuotaValue {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return nil, badRequest(fmt.Sprintf("Invalid value '%s' specified for %s", model.Clip(op.Value), model.Clip(op.Path)))
		}
		remaining = n
	}
	if remaining < 0 {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest("Invalid patch operations: expected a replace of /remaining")
	}
	for {
		plan, planRev, err := store.LoadOr[model.UsagePlan](ctx, s.d.Store, usagePlanKey(planID), answer(notFound(msgNoUsagePlan)))
		if err != nil {
			return nil, err
		}
		if plan.Quota == nil {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return nil, badRequest("Usage plan " + planID + " has no quota to extend")
		}
		now := time.Now().UTC()
		today := now.Format(dayLayout)
		records, err := store.LoadAll[model.Usage](ctx, s.d.Store, model.Key(model.KindUsage, planID+"/"+keyID+"/"))
		if err != nil {
			return nil, err
		}
		counted := map[string]int64{}
		for _, r := range records {
			counted[r.Day] += r.Used + r.Adjust
		}
		left := quotaLeft(plan, now, func(day string) int64 { return counted[day] })
		id := model.UsageID(planID, keyID, today)
		key := model.Key(model.KindUsage, id)
		u, rev, err := store.Load[model.Usage](ctx, s.d.Store, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u, rev = &model.Usage{UsagePlanID: planID, KeyID: keyID, Day: today}, 0
		case err != nil:
			return nil, err
		}
		u.Adjust += left - remaining
		put, err := store.SaveOp(key, u)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.KeyIs(usagePlanKey(planID), planRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("save usage: %w", err)
		}
		if ok {
			return &Usage{UsagePlanID: planID, StartDate: today, EndDate: today,
				Items: map[string][][2]int64{keyID: {{u.Used, remaining}}}}, nil
		}
	}
}

// maxQuotaValue bounds a remaining quota: AWS's quota limit is an Integer.
const maxQuotaValue = 1<<31 - 1
