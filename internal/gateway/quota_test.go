package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// opsOnly is a service that is not running: operations only, with deps
// changed by each of change.
func opsOnly(t *testing.T, change ...func(*Deps)) (*Service, store.Store) {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	d := Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: model.DefaultEnv}
	for _, c := range change {
		c(&d)
	}
	return New(d), st
}

func wantLimit(t *testing.T, err error, msg string) {
	t.Helper()
	wantError(t, err, http.StatusTooManyRequests, "LimitExceededException", msg)
}

func wantError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if me.Status != status || me.Code != code || me.Message != msg {
		t.Errorf("got %d %s %q, want %d %s %q", me.Status, me.Code, me.Message, status, code, msg)
	}
}

// TestRestAPIQuota fills the REGIONAL quota: the next REGIONAL create answers
// AWS's BadRequestException, while the EDGE quota is counted apart.
func TestRestAPIQuota(t *testing.T) {
	s, _ := opsOnly(t, func(d *Deps) { d.MaxRestAPIs = map[string]int{"REGIONAL": 2, "EDGE": 1} })
	ctx := context.Background()
	regional := func() CreateRestAPIInput {
		return CreateRestAPIInput{Name: "r", EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}}
	}
	var first *model.RestAPI
	for i := range 2 {
		api, err := s.CreateRestAPI(ctx, regional())
		if err != nil {
			t.Fatalf("api %d: %v", i, err)
		}
		first = api
	}
	_, err := s.CreateRestAPI(ctx, regional())
	wantError(t, err, http.StatusBadRequest, "BadRequestException", msgTooManyRestAPIs)
	if _, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "e"}); err != nil {
		t.Errorf("EDGE api with the REGIONAL quota full: %v", err)
	}
	_, err = s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "e2"})
	wantError(t, err, http.StatusBadRequest, "BadRequestException", msgTooManyRestAPIs)
	if err := s.DeleteRestAPI(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRestAPI(ctx, regional()); err != nil {
		t.Errorf("create after a delete: %v", err)
	}
}

// TestResourceQuota fills an API with 300 resources (its root counts): the
// next CreateResource answers AWS's recorded LimitExceededException.
func TestResourceQuota(t *testing.T) {
	s, _ := opsOnly(t)
	ctx := context.Background()
	api, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxResourcesPerAPI; i++ {
		if _, err := s.CreateResource(ctx, api.ID, api.RootResourceID, fmt.Sprintf("r%d", i)); err != nil {
			t.Fatalf("resource %d: %v", i, err)
		}
	}
	_, err = s.CreateResource(ctx, api.ID, api.RootResourceID, "over")
	wantLimit(t, err, "Maximum number of Resources for this API has been reached.  Please contact AWS if you need additional Resources.")
	got, err := s.GetResources(ctx, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxResourcesPerAPI {
		t.Errorf("resources: got %d, want %d", len(got), maxResourcesPerAPI)
	}
}

// TestStageQuota fills an API with 10 stages: the next CreateStage, and a
// CreateDeployment that would create an 11th, answer LimitExceededException;
// a deployment to an existing stage still works.
func TestStageQuota(t *testing.T) {
	s, _ := opsOnly(t)
	ctx := context.Background()
	api, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "staged"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMethod(ctx, api.ID, api.RootResourceID, "GET", PutMethodInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIntegration(ctx, api.ID, api.RootResourceID, "GET", model.Integration{Type: "MOCK"}); err != nil {
		t.Fatal(err)
	}
	dep, err := s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxStagesPerAPI {
		if _, err := s.CreateStage(ctx, api.ID, fmt.Sprintf("s%d", i), dep.ID, StageInput{}); err != nil {
			t.Fatalf("stage %d: %v", i, err)
		}
	}
	_, err = s.CreateStage(ctx, api.ID, "over", dep.ID, StageInput{})
	wantLimit(t, err, msgTooManyStages)
	before, err := s.GetDeployments(ctx, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "over"})
	wantLimit(t, err, msgTooManyStages)
	if after, err := s.GetDeployments(ctx, api.ID); err != nil || len(after) != len(before) {
		t.Errorf("a deployment refused for its stage left %d deployments (was %d), %v", len(after), len(before), err)
	}
	if _, err := s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "s0"}); err != nil {
		t.Errorf("deployment to an existing stage at the quota: %v", err)
	}
}

// TestDomainNameQuota fills the account's 120 custom domain names: the next
// CreateDomainName answers LimitExceededException.
func TestDomainNameQuota(t *testing.T) {
	s, st := opsOnly(t)
	ctx := context.Background()
	if _, err := store.Save(ctx, st, model.Key(model.KindCertificate, certARN),
		&model.Certificate{ARN: certARN, DomainName: "*.example.test", Status: model.CertIssued}, 0); err != nil {
		t.Fatal(err)
	}
	in := func(i int) CreateDomainNameInput {
		return CreateDomainNameInput{DomainName: fmt.Sprintf("d%d.example.test", i), RegionalCertificateARN: certARN,
			EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}}
	}
	for i := range maxDomains {
		if _, err := s.CreateDomainName(ctx, in(i)); err != nil {
			t.Fatalf("domain %d: %v", i, err)
		}
	}
	_, err := s.CreateDomainName(ctx, in(maxDomains))
	wantLimit(t, err, msgTooManyDomains)
}
