package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Metering is the step between authorization and the integration (§A8, §A11):
//
//  1. API key (method apiKeyRequired, the API's apiKeySource HEADER): the
//     x-api-key value must name an enabled key that a usage plan of this API
//     stage holds → else 403 Forbidden (INVALID_API_KEY).
//  2. The plan's throttle for the key (per method if the plan's API stage
//     sets one) → 429 Too Many Requests (THROTTLED).
//  3. The plan's quota for the key → 429 Limit Exceeded (QUOTA_EXCEEDED).
//  4. The stage's method settings (the method's own, else "*/*") and the
//     account's default (Deps.AccountThrottle) → 429 Too Many Requests.
//
// Throttles are token buckets (golang.org/x/time/rate) in this node's
// memory: with several nodes, each admits its own burst and rate, as AWS's
// limits are "best effort" too. Quotas hold across nodes: each node counts
// the requests it admits per key and day, and flushes its counts to the
// store every Deps.UsageFlushInterval, adding them to the day's record by
// compare-and-swap (KindUsage, one record per plan, key and UTC day). The
// used count a node checks is the stored one (the newer of the snapshot's
// and the last value this node wrote) plus what it has not flushed yet, so
// several nodes can together overshoot a quota by at most what they admit
// in one flush interval. GetUsage reads the stored records.

// Defaults of the account-level throttle (§A8: 10,000 rps, burst 5,000) and
// of the usage flush.
const (
	defaultAccountRate   = 10000
	defaultAccountBurst  = 5000
	defaultUsageFlush    = time.Second
	idleBucketLifetime   = 10 * time.Minute
	maxUsageFlushRetries = 10
)

var (
	failThrottled = &failure{responseType: "THROTTLED", status: 429, errorType: "TooManyRequestsException",
		message: "Too Many Requests", body: `{"message":"Too Many Requests"}`}
	failQuota = &failure{responseType: "QUOTA_EXCEEDED", status: 429, errorType: "LimitExceededException",
		message: "Limit Exceeded", body: `{"message":"Limit Exceeded"}`}
)

// ThrottleSettings is a token bucket: Rate requests a second, Burst at once.
type ThrottleSettings struct {
	Rate  float64
	Burst int
}

// keyTable is what metering needs from a snapshot, compiled with the table.
type keyTable struct {
	byValue  map[string]*model.APIKey
	plans    map[string][]*model.UsagePlan // by apiID/stage
	members  map[string]bool               // planID/keyID
	usage    map[string]*model.Usage       // the snapshot's, by UsageID
	sources  map[string]string             // apiKeySource by API id
	settings map[string]map[string]model.MethodSetting
}

// compileKeys indexes the snapshot's keys, plans and stage settings. Pure.
func compileKeys(snap *model.Snapshot) *keyTable {
	kt := &keyTable{
		byValue: make(map[string]*model.APIKey, len(snap.APIKeys)), plans: map[string][]*model.UsagePlan{},
		members: make(map[string]bool, len(snap.UsagePlanKeys)), usage: snap.Usage,
		sources: make(map[string]string, len(snap.RestAPIs)), settings: map[string]map[string]model.MethodSetting{},
	}
	for _, k := range snap.APIKeys {
		kt.byValue[k.Value] = k
	}
	for _, p := range snap.UsagePlans {
		for _, st := range p.APIStages {
			kt.plans[st.APIID+"/"+st.Stage] = append(kt.plans[st.APIID+"/"+st.Stage], p)
		}
	}
	for id := range snap.UsagePlanKeys {
		kt.members[id] = true
	}
	for id, a := range snap.RestAPIs {
		kt.sources[id] = a.APIKeySource
	}
	for id, st := range snap.Stages {
		if len(st.MethodSettings) > 0 {
			kt.settings[id] = st.MethodSettings
		}
	}
	return kt
}

// meter holds this node's token buckets and unflushed usage counts.
type meter struct {
	account *rate.Limiter
	flush   time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	pending map[string]int64 // admitted, not yet flushed, by UsageID
	written map[string]int64 // the stored count after this node's last flush, by UsageID
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newMeter(account ThrottleSettings, flush time.Duration) *meter {
	if account.Rate <= 0 {
		account.Rate = defaultAccountRate
	}
	if account.Burst <= 0 {
		account.Burst = defaultAccountBurst
	}
	if flush <= 0 {
		flush = defaultUsageFlush
	}
	return &meter{
		account: rate.NewLimiter(rate.Limit(account.Rate), account.Burst), flush: flush,
		buckets: map[string]*bucket{}, pending: map[string]int64{}, written: map[string]int64{},
	}
}

// allow takes a token from the bucket named id with settings t; a bucket is
// keyed by its settings too, so a changed limit starts a fresh bucket.
func (m *meter) allow(id string, t model.ThrottleSettings, now time.Time) bool {
	key := fmt.Sprintf("%s|%g|%d", id, t.RateLimit, t.BurstLimit)
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(t.RateLimit), t.BurstLimit)}
		m.buckets[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

// admitQuota counts one request of key under plan if the plan's quota has
// room in the current period; false when it has none.
func (m *meter) admitQuota(kt *keyTable, plan *model.UsagePlan, keyID string, now time.Time) bool {
	today := now.UTC().Format(dayLayout)
	todayID := model.UsageID(plan.ID, keyID, today)
	m.mu.Lock()
	defer m.mu.Unlock()
	if plan.Quota != nil {
		remaining := quotaRemaining(plan, now.UTC(), func(day string) int64 {
			return m.usedLocked(kt, model.UsageID(plan.ID, keyID, day))
		})
		if remaining <= 0 {
			return false
		}
	}
	m.pending[todayID]++
	return true
}

func (m *meter) usedLocked(kt *keyTable, id string) int64 {
	stored, adjust := m.written[id], int64(0)
	if u := kt.usage[id]; u != nil {
		stored, adjust = max(stored, u.Used), u.Adjust
	}
	return stored + adjust + m.pending[id]
}

// admit is the metering step for the request in x (see the top of this file).
func (s *Service) admit(x *exchange) *refusal {
	t := s.table.Load()
	kt := t.keys
	if kt == nil {
		kt = &keyTable{}
	}
	rt, sr := x.res.route, x.res.stage
	now := time.Now()
	if rt.method.APIKeyRequired {
		plan, key := kt.planFor(sr.apiID, sr.name, x.r.Header.Get("x-api-key"))
		if plan == nil {
			return &refusal{failure: failInvalidAPIKey, level: slog.LevelDebug, msg: "api key missing, unknown, disabled or in no usage plan of the stage"}
		}
		x.setIdentity("apiKey", key.Value)
		x.setIdentity("apiKeyId", key.ID)
		if th, ok := planThrottle(plan, sr.apiID, sr.name, rt); ok && !s.meter.allow("plan:"+plan.ID+"/"+key.ID+"/"+throttleKey(rt), th, now) {
			return &refusal{failure: failThrottled, level: slog.LevelDebug, msg: "usage plan throttle", args: []any{"usagePlan", plan.ID, "apiKeyId", key.ID}}
		}
		if !s.meter.admitQuota(kt, plan, key.ID, now) {
			return &refusal{failure: failQuota, level: slog.LevelDebug, msg: "usage plan quota exhausted", args: []any{"usagePlan", plan.ID, "apiKeyId", key.ID}}
		}
	}
	if settings := kt.settings[sr.apiID+"/"+sr.name]; settings != nil {
		ms, ok := settings[methodSettingKey(rt)]
		if !ok {
			ms, ok = settings["*/*"]
		}
		// A setting holds the account's limits until a patch lowers them
		// (defaultMethodSetting); 0 and 0 throttle every request, as on AWS.
		if ok {
			th := model.ThrottleSettings{RateLimit: ms.ThrottlingRateLimit, BurstLimit: ms.ThrottlingBurstLimit}
			if !s.meter.allow("stage:"+sr.apiID+"/"+sr.name+"/"+throttleKey(rt), th, now) {
				return &refusal{failure: failThrottled, level: slog.LevelDebug, msg: "stage throttle"}
			}
		}
	}
	if !s.meter.account.AllowN(now, 1) {
		return &refusal{failure: failThrottled, level: slog.LevelDebug, msg: "account throttle"}
	}
	return nil
}

// planFor finds the enabled key with value that a plan of the API stage
// holds, and that plan. A key is in at most one plan per stage.
func (kt *keyTable) planFor(apiID, stage, value string) (*model.UsagePlan, *model.APIKey) {
	if value == "" || (kt.sources[apiID] != "" && kt.sources[apiID] != "HEADER") {
		// AUTHORIZER keys come from a Lambda authorizer, which gatehouse
		// does not run: no key is ever valid then.
		return nil, nil
	}
	key := kt.byValue[value]
	if key == nil || !key.Enabled {
		return nil, nil
	}
	for _, p := range kt.plans[apiID+"/"+stage] {
		if kt.members[p.ID+"/"+key.ID] {
			return p, key
		}
	}
	return nil, nil
}

// throttleKey names a method as usage plans key their per-method throttles:
// "/pets/GET".
func throttleKey(rt *route) string { return rt.resourcePath + "/" + rt.httpMethod }

// methodSettingKey names a method as stage method settings key it: the
// resource path's slashes escaped ("~1pets/GET").
func methodSettingKey(rt *route) string {
	return strings.ReplaceAll(rt.resourcePath, "/", "~1") + "/" + rt.httpMethod
}

// planThrottle is the plan's throttle for the method: the API stage's
// per-method one, else the plan's own; false when the plan sets none.
func planThrottle(p *model.UsagePlan, apiID, stage string, rt *route) (model.ThrottleSettings, bool) {
	for _, st := range p.APIStages {
		if st.APIID == apiID && st.Stage == stage {
			if th, ok := st.Throttle[throttleKey(rt)]; ok {
				return th, true
			}
		}
	}
	if p.Throttle != nil {
		return *p.Throttle, true
	}
	return model.ThrottleSettings{}, false
}

// runMeter flushes usage counts every flush interval until ctx ends, then
// once more, and drops buckets idle for idleBucketLifetime.
func (s *Service) runMeter(ctx context.Context) {
	tick := time.NewTicker(s.meter.flush)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
			s.flushUsage(fctx)
			cancel()
			return
		case now := <-tick.C:
			s.flushUsage(ctx)
			s.meter.prune(now)
		}
	}
}

func (m *meter) prune(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, b := range m.buckets {
		if now.Sub(b.last) > idleBucketLifetime {
			delete(m.buckets, k)
		}
	}
	// A day's written count matters while its quota period may last (a month).
	cutoff := now.UTC().AddDate(0, 0, -32).Format(dayLayout)
	for id := range m.written {
		if id[strings.LastIndexByte(id, '/')+1:] < cutoff {
			delete(m.written, id)
		}
	}
}

// flushUsage adds this node's pending counts to the stored records.
func (s *Service) flushUsage(ctx context.Context) {
	s.meter.mu.Lock()
	batch := make(map[string]int64, len(s.meter.pending))
	for id, n := range s.meter.pending {
		if n > 0 {
			batch[id] = n
		}
	}
	s.meter.mu.Unlock()
	for id, n := range batch {
		total, err := s.addUsage(ctx, id, n)
		if err != nil {
			s.log.Warn("flush api key usage; kept for the next flush", "usage", id, "err", err)
			continue
		}
		s.meter.mu.Lock()
		s.meter.pending[id] -= n
		if s.meter.pending[id] <= 0 {
			delete(s.meter.pending, id)
		}
		s.meter.written[id] = total
		s.meter.mu.Unlock()
	}
}

// addUsage adds n to the usage record id by compare-and-swap and returns the
// new total. A plan deleted meanwhile takes its usage with it: the count is
// dropped then.
func (s *Service) addUsage(ctx context.Context, id string, n int64) (int64, error) {
	planID, rest, _ := strings.Cut(id, "/")
	keyID, day, _ := strings.Cut(rest, "/")
	key := model.Key(model.KindUsage, id)
	for range maxUsageFlushRetries {
		u, rev, err := store.Load[model.Usage](ctx, s.d.Store, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u, rev = &model.Usage{UsagePlanID: planID, KeyID: keyID, Day: day}, 0
		case err != nil:
			return 0, err
		}
		_, planRev, err := store.Load[model.UsagePlan](ctx, s.d.Store, usagePlanKey(planID))
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		u.Used += n
		put, err := store.SaveOp(key, u)
		if err != nil {
			return 0, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.KeyIs(usagePlanKey(planID), planRev)}, put)
		if err != nil {
			return 0, err
		}
		if ok {
			return u.Used, nil
		}
	}
	return 0, fmt.Errorf("usage %s: too many concurrent updates", id)
}
