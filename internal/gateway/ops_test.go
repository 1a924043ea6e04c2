package gateway

import (
	"context"
	"errors"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

func TestOpsErrors(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	greedy := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "{proxy+}"))
	bare := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "bare"}))
	priv := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "priv",
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}}}))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, priv.ID, priv.RootResourceID, "GET", PutMethodInput{}))
	noInteg := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "nointeg"}))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, noInteg.ID, noInteg.RootResourceID, "GET", PutMethodInput{}))
	dep := testutil.Must[[]*model.Deployment](t)(s.GetDeployments(ctx, api))[0]
	pending := "arn:aws:acm:us-west-2:000000000000:certificate/pending"
	if _, err := store.Save(ctx, h.st, model.Key(model.KindCertificate, pending),
		&model.Certificate{ARN: pending, DomainName: "p.example.test", Status: model.CertPendingValidation}, 0); err != nil {
		t.Fatal(err)
	}
	regional := &model.EndpointConfiguration{Types: []string{"REGIONAL"}}

	tests := []struct {
		name       string
		op         func(context.Context) error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"get unknown api", func(ctx context.Context) error { _, err := s.GetRestAPI(ctx, "nope"); return err },
			404, "NotFoundException", "Invalid API identifier specified 000000000000:nope"},
		{"bad policy", func(ctx context.Context) error {
			_, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "x", Policy: "{"})
			return err
		}, 400, "BadRequestException", "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."},
		{"two endpoint types", func(ctx context.Context) error {
			_, err := s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "x", EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"EDGE", "PRIVATE"}}})
			return err
		}, 400, "BadRequestException", "Cannot create an api with multiple Endpoint Types."},
		{"model with an empty name", func(ctx context.Context) error {
			_, err := s.CreateModel(ctx, api, ModelInput{ContentType: "application/json"})
			return err
		}, 400, "BadRequestException", "Model name must be non-empty"},
		{"delete mapped api", func(ctx context.Context) error { return s.DeleteRestAPI(ctx, api) },
			400, "BadRequestException", "Deleting RestApi " + api + " failed. Please remove all base path mappings related to the RestApi in your domains."},
		{"resource unknown parent", func(ctx context.Context) error { _, err := s.CreateResource(ctx, api, "nope", "x"); return err },
			404, "NotFoundException", "Invalid Resource identifier specified"},
		{"resource duplicate", func(ctx context.Context) error { _, err := s.CreateResource(ctx, api, root, "{proxy+}"); return err },
			409, "ConflictException", "Another resource with the same parent already has this name: {proxy+}"},
		{"resource second variable", func(ctx context.Context) error { _, err := s.CreateResource(ctx, api, root, "{id}"); return err },
			400, "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"},
		{"resource under greedy", func(ctx context.Context) error { _, err := s.CreateResource(ctx, api, greedy.ID, "x"); return err },
			400, "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
		{"resource bad path part", func(ctx context.Context) error { _, err := s.CreateResource(ctx, api, root, "a b"); return err },
			400, "BadRequestException", msgBadPathPart},
		{"method exists", func(ctx context.Context) error {
			_, err := s.PutMethod(ctx, api, root, "get", PutMethodInput{})
			return err
		},
			409, "ConflictException", "Method already exists for this resource"},
		{"get unknown method", func(ctx context.Context) error { _, err := s.GetMethod(ctx, api, root, "PUT"); return err },
			404, "NotFoundException", "Invalid Method identifier specified"},
		{"integration without URI", func(ctx context.Context) error {
			_, err := s.PutIntegration(ctx, api, root, "GET", model.Integration{Type: "HTTP_PROXY", HTTPMethod: "GET"})
			return err
		}, 400, "BadRequestException", "Invalid HTTP endpoint specified for URI"},
		{"integration timeout", func(ctx context.Context) error {
			_, err := s.PutIntegration(ctx, api, root, "GET", model.Integration{Type: "MOCK", TimeoutInMillis: 30000})
			return err
		}, 400, "BadRequestException", "Timeout should be between 50 ms and 29000 ms"},
		{"integration response without integration", func(ctx context.Context) error {
			_, err := s.PutIntegrationResponse(ctx, noInteg.ID, noInteg.RootResourceID, "GET", "200", model.IntegrationResponse{})
			return err
		}, 400, "BadRequestException", "No integration defined for method"},
		{"deploy without methods", func(ctx context.Context) error {
			_, err := s.CreateDeployment(ctx, bare.ID, CreateDeploymentInput{StageName: "prod"})
			return err
		},
			400, "BadRequestException", "The REST API doesn't contain any methods"},
		{"deploy method without integration", func(ctx context.Context) error {
			_, err := s.CreateDeployment(ctx, noInteg.ID, CreateDeploymentInput{Description: ""})
			return err
		},
			400, "BadRequestException", "No integration defined for method"},
		{"deploy private without policy", func(ctx context.Context) error {
			_, err := s.PutIntegration(ctx, priv.ID, priv.RootResourceID, "GET", model.Integration{Type: "MOCK"})
			if err != nil {
				return err
			}
			_, err = s.CreateDeployment(ctx, priv.ID, CreateDeploymentInput{StageName: "prod"})
			return err
		}, 400, "BadRequestException", "Private REST API doesn't have a resource policy attached to it"},
		{"delete active deployment", func(ctx context.Context) error { return s.DeleteDeployment(ctx, api, dep.ID) },
			400, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted"},
		{"stage exists", func(ctx context.Context) error {
			_, err := s.CreateStage(ctx, api, "prod", dep.ID, StageInput{})
			return err
		},
			409, "ConflictException", "Stage already exists"},
		{"stage unknown deployment", func(ctx context.Context) error {
			_, err := s.CreateStage(ctx, api, "dev", "nope", StageInput{})
			return err
		},
			404, "NotFoundException", "Invalid Deployment identifier specified"},
		{"get unknown stage", func(ctx context.Context) error { _, err := s.GetStage(ctx, api, "dev"); return err },
			404, "NotFoundException", "Invalid Stage identifier specified"},
		{"domain exists", func(ctx context.Context) error {
			_, err := s.CreateDomainName(ctx, CreateDomainNameInput{DomainName: domain, RegionalCertificateARN: certARN, EndpointConfiguration: regional})
			return err
		}, 400, "BadRequestException", "The domain name you provided already exists."},
		{"domain certificate not issued", func(ctx context.Context) error {
			_, err := s.CreateDomainName(ctx, CreateDomainNameInput{DomainName: "p.example.test", RegionalCertificateARN: pending, EndpointConfiguration: regional})
			return err
		}, 400, "BadRequestException", "Certificate " + pending + " in account 000000000000 not yet issued"},
		{"get unknown domain", func(ctx context.Context) error { _, err := s.GetDomainName(ctx, "x.example.test"); return err },
			404, "NotFoundException", "Invalid domain name identifier specified"},
		{"mapping duplicate", func(ctx context.Context) error {
			_, err := s.CreateBasePathMapping(ctx, domain, "", api, "prod")
			return err
		}, 409, "ConflictException", "Base path already exists for this domain name"},
		{"mapping beside (none)", func(ctx context.Context) error {
			_, err := s.CreateBasePathMapping(ctx, domain, "v2", api, "prod")
			return err
		}, 409, "ConflictException", "Only one base path mapping is allowed if the base path is empty."},
		{"mapping unknown stage", func(ctx context.Context) error {
			_, err := s.CreateBasePathMapping(ctx, domain, "v2", api, "dev")
			return err
		}, 400, "BadRequestException", "Invalid stage identifier specified"},
		{"mapping unknown api", func(ctx context.Context) error {
			_, err := s.CreateBasePathMapping(ctx, domain, "v2", "nope", "prod")
			return err
		}, 400, "BadRequestException", "Invalid REST API identifier specified"},
		{"unknown mapping", func(ctx context.Context) error { return s.DeleteBasePathMapping(ctx, domain, "v9") },
			404, "NotFoundException", "Invalid base path mapping identifier specified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(ctx)
			var me *model.Error
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want *model.Error %s", err, tt.wantCode)
			}
			if me.Status != tt.wantStatus || me.Code != tt.wantCode || me.Message != tt.wantMsg {
				t.Errorf("got %d %s %q, want %d %s %q", me.Status, me.Code, me.Message, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestOpsLifecycle(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	s, ctx := h.svc, h.ctx

	d := testutil.Must[*model.DomainName](t)(s.GetDomainName(ctx, domain))
	if d.RegionalHostedZoneID != "Z2OJLYMUO9EFXC" || len(d.RegionalDomainName) != len("d-abcdefghij.execute-api.us-west-2.amazonaws.com") {
		t.Errorf("domain: got zone %q name %q, want Z2OJLYMUO9EFXC and d-<10>.execute-api.us-west-2.amazonaws.com", d.RegionalHostedZoneID, d.RegionalDomainName)
	}
	// Redeploying to an existing stage repoints it and keeps one stage.
	dep := testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod", Description: "second"}))
	st := testutil.Must[*model.Stage](t)(s.GetStage(ctx, api, "prod"))
	if st.DeploymentID != dep.ID {
		t.Errorf("stage deployment: got %q, want %q", st.DeploymentID, dep.ID)
	}
	if n := len(testutil.Must[[]*model.Deployment](t)(s.GetDeployments(ctx, api))); n != 2 {
		t.Errorf("deployments: got %d, want 2", n)
	}
	// Clean-up in the walkthrough's order: domain (and its mappings), then the API.
	if err := s.DeleteDomainName(ctx, domain); err != nil {
		t.Fatal(err)
	}
	if m, err := store.LoadAll[model.BasePathMapping](ctx, h.st, model.Prefix(model.KindBasePathMapping)); err != nil || len(m) != 0 {
		t.Errorf("mappings after domain delete: got %d (%v), want 0", len(m), err)
	}
	if err := s.DeleteRestAPI(ctx, api); err != nil {
		t.Fatal(err)
	}
	for _, k := range []model.Kind{model.KindRestAPI, model.KindDeployment, model.KindStage} {
		if kvs, _, _ := h.st.List(ctx, model.Prefix(k)); len(kvs) != 0 {
			t.Errorf("%s after API delete: got %d records, want 0", k, len(kvs))
		}
	}
}
