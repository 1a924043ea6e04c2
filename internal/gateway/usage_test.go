package gateway

import (
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestQuotaOffsetAndUpdateUsage: the data path counts the quota's offset in
// the plan's first period and honours UpdateUsage's remaining.
func TestQuotaOffsetAndUpdateUsage(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.UsageFlushInterval = 10 * time.Millisecond })
	api := h.keyedAPI()
	// Limit 3, offset 2: one request today.
	k, plan := h.keyInPlan(api, "offsetoffsetoffsetoffset", nil, &model.QuotaSettings{Limit: 3, Offset: 2, Period: "WEEK"})
	h.sync()
	ep := h.endpoint("127.0.13.3:0", "vpce-test")
	url := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod/keyed"
	hdr := map[string]string{"x-api-key": k.Value}
	checkResult(t, h.do(ep, "GET", url, "", hdr, ""), 200, `{"key":"`+k.ID+`"}`, "")
	checkResult(t, h.do(ep, "GET", url, "", hdr, ""), 429, bodyQuota, "LimitExceededException")

	// Wait for the one request to reach the store, so the extension is
	// computed from it (as on AWS, unflushed requests count after it).
	today := time.Now().UTC().Format(dayLayout)
	testutil.Eventually(t, "usage flushed", func() (bool, string) {
		u, err := h.svc.GetUsage(h.ctx, plan.ID, k.ID, today, today)
		return err == nil && len(u.Items[k.ID]) == 1 && u.Items[k.ID][0] == [2]int64{1, 0}, "not yet"
	})
	u := testutil.Must[*Usage](t)(h.svc.UpdateUsage(h.ctx, plan.ID, k.ID, []PatchOperation{{Op: "replace", Path: "/remaining", Value: "2"}}))
	if got := u.Items[k.ID]; len(got) != 1 || got[0] != [2]int64{1, 2} {
		t.Errorf("UpdateUsage: got %v, want [[1 2]]", u.Items)
	}
	h.sync()
	for i, want := range []int{200, 200, 429} {
		got := h.do(ep, "GET", url, "", hdr, "")
		if got.status != want {
			t.Errorf("request %d after the extension: got %d %s, want %d", i+1, got.status, got.body, want)
		}
	}
}
