package apigateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/paging"
)

// API keys, usage plans, usage plan keys and usage: the wire shapes of
// botocore's ApiKey, UsagePlan, UsagePlanKey and Usage.

type apiKey struct {
	ID              string            `json:"id"`
	Value           string            `json:"value,omitempty"`
	Name            string            `json:"name,omitempty"`
	CustomerID      string            `json:"customerId,omitempty"`
	Description     string            `json:"description,omitempty"`
	Enabled         bool              `json:"enabled"`
	CreatedDate     awsapi.Epoch      `json:"createdDate"`
	LastUpdatedDate awsapi.Epoch      `json:"lastUpdatedDate"`
	StageKeys       []string          `json:"stageKeys"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// toAPIKey shapes a key; its value only when asked for (includeValue), as
// AWS reports it — CreateApiKey always includes it.
func toAPIKey(k *model.APIKey, withValue bool) apiKey {
	out := apiKey{ID: k.ID, Name: k.Name, CustomerID: k.CustomerID, Description: k.Description, Enabled: k.Enabled,
		CreatedDate: awsapi.Epoch(k.CreatedDate), LastUpdatedDate: awsapi.Epoch(k.LastUpdatedDate),
		StageKeys: k.StageKeys, Tags: k.Tags}
	if out.StageKeys == nil {
		out.StageKeys = []string{}
	}
	if withValue {
		out.Value = k.Value
	}
	return out
}

type throttleSettings struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type quotaSettings struct {
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Period string `json:"period,omitempty"`
}

type apiStage struct {
	APIID    string                      `json:"apiId"`
	Stage    string                      `json:"stage"`
	Throttle map[string]throttleSettings `json:"throttle,omitempty"`
}

type usagePlan struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	APIStages   []apiStage        `json:"apiStages"`
	Throttle    *throttleSettings `json:"throttle,omitempty"`
	Quota       *quotaSettings    `json:"quota,omitempty"`
	ProductCode string            `json:"productCode,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func toUsagePlan(p *model.UsagePlan) usagePlan {
	out := usagePlan{ID: p.ID, Name: p.Name, Description: p.Description, ProductCode: p.ProductCode, Tags: p.Tags,
		APIStages: make([]apiStage, 0, len(p.APIStages))}
	for _, st := range p.APIStages {
		w := apiStage{APIID: st.APIID, Stage: st.Stage}
		if len(st.Throttle) > 0 {
			w.Throttle = map[string]throttleSettings{}
			for m, t := range st.Throttle {
				w.Throttle[m] = throttleSettings{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
			}
		}
		out.APIStages = append(out.APIStages, w)
	}
	if t := p.Throttle; t != nil {
		out.Throttle = &throttleSettings{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
	}
	if q := p.Quota; q != nil {
		out.Quota = &quotaSettings{Limit: q.Limit, Offset: q.Offset, Period: q.Period}
	}
	return out
}

type usagePlanKey struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
	Name  string `json:"name"`
}

func toUsagePlanKey(k *gateway.UsagePlanKey) usagePlanKey { return usagePlanKey(*k) }

var (
	byAPIKeyID    = paging.Keyset[*model.APIKey]{Key: func(k *model.APIKey) string { return k.ID }}
	byUsagePlanID = paging.Keyset[*model.UsagePlan]{Key: func(p *model.UsagePlan) string { return p.ID }}
	byPlanKeyID   = paging.Keyset[*gateway.UsagePlanKey]{Key: func(k *gateway.UsagePlanKey) string { return k.ID }}
)

// queryBool reads a boolean query parameter as botocore sends it ("true").
func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// ---- API keys ----

func (h *handler) createAPIKey(r *http.Request) (int, any, error) {
	if r.URL.Query().Get("mode") == "import" {
		return h.importAPIKeys(r)
	}
	var in struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Enabled     bool              `json:"enabled"`
		Value       string            `json:"value"`
		CustomerID  string            `json:"customerId"`
		Tags        map[string]string `json:"tags"`
		StageKeys   []struct {
			RestAPIID string `json:"restApiId"`
			StageName string `json:"stageName"`
		} `json:"stageKeys"`
		GenerateDistinctID bool `json:"generateDistinctId"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	var stageKeys []string
	for _, sk := range in.StageKeys {
		stageKeys = append(stageKeys, sk.RestAPIID+"/"+sk.StageName)
	}
	k, err := h.gw.CreateAPIKey(r.Context(), gateway.APIKeyInput{Name: in.Name, Description: in.Description,
		Value: in.Value, CustomerID: in.CustomerID, Enabled: in.Enabled, StageKeys: stageKeys, Tags: in.Tags})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toAPIKey(k, true), nil
}

// importAPIKeys is ImportApiKeys with format csv (parseAPIKeysCSV): each
// line a key, created as CreateApiKey creates one, then put in the usage
// plans it names. A key that fails is a warning, or the answer with
// failonwarnings.
func (h *handler) importAPIKeys(r *http.Request) (int, any, error) {
	if f := r.URL.Query().Get("format"); f != "csv" {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return 0, nil, model.BadRequest("BadRequestException", "Invalid format specified: %s. Must be csv", model.Clip(f))
	}
	failOnWarnings := queryBool(r, "failonwarnings")
	rows, err := parseAPIKeysCSV(awsapi.Body(r))
	if err != nil {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return 0, nil, model.BadRequest("BadRequestException", "Invalid API keys file: %s", err.Error())
	}
	out := struct {
		IDs      []string `json:"ids"`
		Warnings []string `json:"warnings"`
	}{IDs: []string{}, Warnings: []string{}}
	for _, row := range rows {
		k, err := h.gw.CreateAPIKey(r.Context(), row.input)
		if err != nil {
			if failOnWarnings {
				return 0, nil, err
			}
			out.Warnings = append(out.Warnings, "line "+strconv.Itoa(row.line)+": "+err.Error())
			continue
		}
		out.IDs = append(out.IDs, k.ID)
		for _, plan := range row.plans {
			if _, err := h.gw.CreateUsagePlanKey(r.Context(), plan, k.ID, "API_KEY"); err != nil {
				out.Warnings = append(out.Warnings, "line "+strconv.Itoa(row.line)+": "+err.Error())
			}
		}
	}
	return http.StatusCreated, out, nil
}

// csvKey is one line of an API keys file.
type csvKey struct {
	line  int
	input gateway.APIKeyInput
	plans []string
}

// maxImportKeys bounds the lines of one import: AWS's bound is not
// documented (not recorded from AWS, searched: docs, issues, moto, LocalStack;
// 2026-12); the body's own limit applies too.
const maxImportKeys = 1000

// parseAPIKeysCSV reads an API keys file: a header line naming the columns
// (Name, Key, Description, Enabled, UsagePlanIds; any order, any case), then
// one key per line; UsagePlanIds separated by ";" or spaces. Quoted fields
// are not supported. Enabled defaults to true.
func parseAPIKeysCSV(body []byte) ([]csvKey, error) {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	if strings.TrimSpace(lines[0]) == "" {
		return nil, errors.New("missing header")
	}
	cols := map[string]int{}
	for i, c := range strings.Split(lines[0], ",") {
		cols[strings.ToLower(strings.TrimSpace(c))] = i
	}
	if _, ok := cols["key"]; !ok {
		return nil, errors.New("no Key column")
	}
	var out []csvKey
	for n, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(out) == maxImportKeys {
			return nil, fmt.Errorf("more than %d keys", maxImportKeys)
		}
		f := strings.Split(line, ",")
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(f) {
				return strings.TrimSpace(f[i])
			}
			return ""
		}
		enabled := true
		if v := get("enabled"); v != "" {
			enabled, _ = strconv.ParseBool(v)
		}
		out = append(out, csvKey{line: n + 2,
			input: gateway.APIKeyInput{Name: get("name"), Value: get("key"), Description: get("description"), Enabled: enabled},
			plans: strings.Fields(strings.ReplaceAll(get("usageplanids"), ";", " "))})
	}
	return out, nil
}

func (h *handler) getAPIKey(r *http.Request) (int, any, error) {
	k, err := h.gw.GetAPIKey(r.Context(), r.PathValue("api_Key"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAPIKey(k, queryBool(r, "includeValue")), nil
}

func (h *handler) getAPIKeys(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	all, err := h.gw.ListAPIKeys(r.Context(), q.Get("name"), q.Get("customerId"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byAPIKeyID, q, "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	withValues := queryBool(r, "includeValues")
	return http.StatusOK, collection[apiKey]{Position: next,
		Items: convert(items, func(k *model.APIKey) apiKey { return toAPIKey(k, withValues) })}, nil
}

func (h *handler) updateAPIKey(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	k, err := h.gw.PatchAPIKey(r.Context(), r.PathValue("api_Key"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAPIKey(k, false), nil
}

func (h *handler) deleteAPIKey(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteAPIKey(r.Context(), r.PathValue("api_Key"))
}

// ---- Usage plans ----

func (in *usagePlanInput) model() gateway.UsagePlanInput {
	out := gateway.UsagePlanInput{Name: in.Name, Description: in.Description, Tags: in.Tags}
	for _, st := range in.APIStages {
		ms := model.UsagePlanStage{APIID: st.APIID, Stage: st.Stage}
		if len(st.Throttle) > 0 {
			ms.Throttle = map[string]model.ThrottleSettings{}
			for m, t := range st.Throttle {
				ms.Throttle[m] = model.ThrottleSettings{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
			}
		}
		out.APIStages = append(out.APIStages, ms)
	}
	if t := in.Throttle; t != nil {
		out.Throttle = &model.ThrottleSettings{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
	}
	if q := in.Quota; q != nil {
		out.Quota = &model.QuotaSettings{Limit: q.Limit, Offset: q.Offset, Period: q.Period}
	}
	return out
}

type usagePlanInput struct {
	Name        string            `json:"name" required:"true"`
	Description string            `json:"description"`
	APIStages   []apiStage        `json:"apiStages"`
	Throttle    *throttleSettings `json:"throttle"`
	Quota       *quotaSettings    `json:"quota"`
	Tags        map[string]string `json:"tags"`
}

func (h *handler) createUsagePlan(r *http.Request) (int, any, error) {
	var in usagePlanInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.gw.CreateUsagePlan(r.Context(), in.model())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toUsagePlan(p), nil
}

func (h *handler) getUsagePlan(r *http.Request) (int, any, error) {
	p, err := h.gw.GetUsagePlan(r.Context(), r.PathValue("usageplanId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUsagePlan(p), nil
}

func (h *handler) getUsagePlans(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	all, err := h.gw.ListUsagePlans(r.Context(), q.Get("keyId"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byUsagePlanID, q, "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[usagePlan]{Position: next, Items: convert(items, toUsagePlan)}, nil
}

func (h *handler) updateUsagePlan(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.gw.PatchUsagePlan(r.Context(), r.PathValue("usageplanId"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUsagePlan(p), nil
}

func (h *handler) deleteUsagePlan(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteUsagePlan(r.Context(), r.PathValue("usageplanId"))
}

// ---- Usage plan keys and usage ----

func (h *handler) createUsagePlanKey(r *http.Request) (int, any, error) {
	var in struct {
		KeyID   string `json:"keyId" required:"true"`
		KeyType string `json:"keyType" required:"true"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	k, err := h.gw.CreateUsagePlanKey(r.Context(), r.PathValue("usageplanId"), in.KeyID, in.KeyType)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toUsagePlanKey(k), nil
}

func (h *handler) getUsagePlanKey(r *http.Request) (int, any, error) {
	k, err := h.gw.GetUsagePlanKey(r.Context(), r.PathValue("usageplanId"), r.PathValue("keyId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUsagePlanKey(k), nil
}

func (h *handler) getUsagePlanKeys(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	all, err := h.gw.ListUsagePlanKeys(r.Context(), r.PathValue("usageplanId"), q.Get("name"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byPlanKeyID, q, "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[usagePlanKey]{Position: next, Items: convert(items, toUsagePlanKey)}, nil
}

func (h *handler) deleteUsagePlanKey(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteUsagePlanKey(r.Context(), r.PathValue("usageplanId"), r.PathValue("keyId"))
}

func (h *handler) getUsage(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	u, err := h.gw.GetUsage(r.Context(), r.PathValue("usageplanId"), q.Get("keyId"), q.Get("startDate"), q.Get("endDate"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, usageOut(u), nil
}

// usageOut is the Usage shape GetUsage and UpdateUsage answer.
func usageOut(u *gateway.Usage) any {
	return struct {
		UsagePlanID string                `json:"usagePlanId"`
		StartDate   string                `json:"startDate"`
		EndDate     string                `json:"endDate"`
		Items       map[string][][2]int64 `json:"values"`
	}{u.UsagePlanID, u.StartDate, u.EndDate, u.Items}
}
