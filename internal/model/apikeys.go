package model

import "time"

// APIKey is an API Gateway API key: an account-level resource that callers
// send in x-api-key. Store id: ID. Its Value is also an index key
// (KindAPIKeyValue), put create-only with the key, so values stay unique
// across nodes.
type APIKey struct {
	ID              string // 10 lowercase alphanumerics
	Value           string // 20–128 characters
	Name            string
	Description     string `json:",omitempty"`
	CustomerID      string `json:",omitempty"`
	Enabled         bool
	CreatedDate     time.Time
	LastUpdatedDate time.Time
	StageKeys       []string          `json:",omitempty"` // "restApiId/stageName", stored only
	Tags            map[string]string `json:",omitempty"`
}

// UsagePlan meters the API keys it holds on the API stages it names: a
// throttle (token bucket per key) and a quota (requests per period per key).
// Store id: ID.
type UsagePlan struct {
	ID          string // 6 lowercase alphanumerics
	Name        string
	Description string            `json:",omitempty"`
	APIStages   []UsagePlanStage  `json:",omitempty"`
	Throttle    *ThrottleSettings `json:",omitempty"`
	Quota       *QuotaSettings    `json:",omitempty"`
	ProductCode string            `json:",omitempty"`
	Tags        map[string]string `json:",omitempty"`
	// Created is the UTC day (YYYY-MM-DD) the plan was created: its
	// quota's initial period, the one Quota.Offset counts in.
	Created string `json:",omitempty"`
}

// UsagePlanStage is an API stage a usage plan applies to, with per-method
// throttles keyed "/resource/path/METHOD" as AWS keys them.
type UsagePlanStage struct {
	APIID    string
	Stage    string
	Throttle map[string]ThrottleSettings `json:",omitempty"`
}

// ThrottleSettings is a token bucket: RateLimit tokens a second, at most
// BurstLimit at once.
type ThrottleSettings struct {
	BurstLimit int
	RateLimit  float64
}

// QuotaSettings caps the requests of one key per period (DAY, WEEK, MONTH).
// Offset is, as AWS defines it, the requests subtracted from the limit in the
// plan's first period; gatehouse stores and reports it but does not apply it.
type QuotaSettings struct {
	Limit  int
	Offset int
	Period string
}

// UsagePlanKey puts an API key in a usage plan. Store id: UsagePlanID + "/" +
// KeyID.
type UsagePlanKey struct {
	UsagePlanID string
	KeyID       string
	Type        string // "API_KEY"
}

// Usage is the requests one key made under one plan on one UTC day, as the
// nodes flushed them (each adds its own count by compare-and-swap). Store id:
// UsageID.
type Usage struct {
	UsagePlanID string
	KeyID       string
	Day         string // YYYY-MM-DD, UTC
	Used        int64
	// Adjust is what UpdateUsage added to the day's count so that the
	// quota's remaining became what it set; counted against the quota,
	// not reported as used.
	Adjust int64 `json:",omitempty"`
}

// UsageID is the store id of a key's usage under a plan on a day.
func UsageID(planID, keyID, day string) string { return planID + "/" + keyID + "/" + day }
