package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gatehouse/internal/certs"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// twoNodes is two gateway services over one store: what two gatehouse nodes
// sharing an etcd cluster are to each other. A rule spanning records must
// hold between them, where no process mutex can reach.
func twoNodes(t *testing.T) (a, b *Service, st store.Store) {
	t.Helper()
	st = store.NewMem()
	t.Cleanup(func() { _ = st.Close() })
	return New(Deps{Store: st}), New(Deps{Store: st}), st
}

// mockAPI creates an API with one MOCK method, ready to deploy.
func mockAPI(t *testing.T, ctx context.Context, s *Service) string {
	t.Helper()
	api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "race"}))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, api.RootResourceID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, api.RootResourceID, "GET", model.Integration{Type: "MOCK"}))
	return api.ID
}

// wantAWSError fails unless err is nil or the AWS error with code and message.
func wantAWSError(t *testing.T, op string, err error, code, msg string) {
	t.Helper()
	if err == nil {
		return
	}
	var me *model.Error
	if !errors.As(err, &me) || me.Code != code || me.Message != msg {
		t.Errorf("%s: got %v, want success or %s %q", op, err, code, msg)
	}
}

// TestInvariantsAcrossNodes races a child's creation on one node against its
// parent's deletion on the other and checks the store never keeps a child
// whose parent is gone.
func TestInvariantsAcrossNodes(t *testing.T) {
	const rounds = 1000
	ctx := context.Background()

	t.Run("stage versus its deployment", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		for i := range rounds {
			dep := testutil.Must[*model.Deployment](t)(a.CreateDeployment(ctx, api, CreateDeploymentInput{}))
			stage := fmt.Sprintf("s%d", i%maxStagesPerAPI)
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateStage(ctx, api, stage, dep.ID, StageInput{}) })
			wg.Go(func() { deleteErr = b.DeleteDeployment(ctx, api, dep.ID) })
			wg.Wait()
			wantAWSError(t, "CreateStage", createErr, codeNotFound, msgNoDeployment)
			wantAWSError(t, "DeleteDeployment", deleteErr, codeBadRequest, msgActiveStages)
			if (createErr == nil) == (deleteErr == nil) {
				t.Errorf("round %d: got CreateStage %v and DeleteDeployment %v, want exactly one to succeed", i, createErr, deleteErr)
			}
			checkStagesHaveDeployments(t, ctx, st, api)
			if createErr == nil {
				if err := a.DeleteStage(ctx, api, stage); err != nil {
					t.Fatalf("DeleteStage: %v", err)
				}
			}
		}
	})

	t.Run("stage repointed versus deployment deleted", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		home := testutil.Must[*model.Deployment](t)(a.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
		for i := range rounds {
			dep := testutil.Must[*model.Deployment](t)(a.CreateDeployment(ctx, api, CreateDeploymentInput{}))
			var wg sync.WaitGroup
			var updateErr, deleteErr error
			wg.Go(func() {
				_, updateErr = a.UpdateStage(ctx, api, "prod", func(s *model.Stage) error { s.DeploymentID = dep.ID; return nil })
			})
			wg.Go(func() { deleteErr = b.DeleteDeployment(ctx, api, dep.ID) })
			wg.Wait()
			wantAWSError(t, "UpdateStage", updateErr, codeNotFound, msgNoDeployment)
			wantAWSError(t, "DeleteDeployment", deleteErr, codeBadRequest, msgActiveStages)
			if (updateErr == nil) == (deleteErr == nil) {
				t.Errorf("round %d: got UpdateStage %v and DeleteDeployment %v, want exactly one to succeed", i, updateErr, deleteErr)
			}
			checkStagesHaveDeployments(t, ctx, st, api)
			if _, err := a.UpdateStage(ctx, api, "prod", func(s *model.Stage) error { s.DeploymentID = home.ID; return nil }); err != nil {
				t.Fatalf("repoint prod home: %v", err)
			}
		}
	})

	t.Run("mapping versus its stage", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		dep := testutil.Must[*model.Deployment](t)(a.CreateDeployment(ctx, api, CreateDeploymentInput{}))
		d := raceDomain(t, ctx, a, st, "stage.example.test")
		for i := range rounds {
			stage := fmt.Sprintf("s%d", i)
			testutil.Must[*model.Stage](t)(a.CreateStage(ctx, api, stage, dep.ID, StageInput{}))
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateBasePathMapping(ctx, d, "v1", api, stage) })
			wg.Go(func() { deleteErr = b.DeleteStage(ctx, api, stage) })
			wg.Wait()
			wantAWSError(t, "CreateBasePathMapping", createErr, codeBadRequest, msgNoStageMapping)
			wantAWSError(t, "DeleteStage", deleteErr, codeBadRequest,
				"Deleting stage "+stage+" failed. Please remove all base path mappings related to the stage in your domains.")
			if (createErr == nil) == (deleteErr == nil) {
				t.Errorf("round %d: got CreateBasePathMapping %v and DeleteStage %v, want exactly one to succeed", i, createErr, deleteErr)
			}
			checkMappingsHaveParents(t, ctx, st)
			if createErr == nil {
				mustDo(t, "DeleteBasePathMapping", a.DeleteBasePathMapping(ctx, d, "v1"))
				mustDo(t, "DeleteStage", a.DeleteStage(ctx, api, stage))
			}
		}
	})

	t.Run("mapping versus its rest api", func(t *testing.T) {
		a, b, st := twoNodes(t)
		d := raceDomain(t, ctx, a, st, "api.example.test")
		for i := range rounds {
			api := mockAPI(t, ctx, a)
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateBasePathMapping(ctx, d, "v1", api, "") })
			wg.Go(func() { deleteErr = b.DeleteRestAPI(ctx, api) })
			wg.Wait()
			wantAWSError(t, "CreateBasePathMapping", createErr, codeBadRequest, msgMappingNoAPI)
			wantAWSError(t, "DeleteRestAPI", deleteErr, codeBadRequest,
				"Deleting RestApi "+api+" failed. Please remove all base path mappings related to the RestApi in your domains.")
			if (createErr == nil) == (deleteErr == nil) {
				t.Errorf("round %d: got CreateBasePathMapping %v and DeleteRestAPI %v, want exactly one to succeed", i, createErr, deleteErr)
			}
			checkMappingsHaveParents(t, ctx, st)
			if createErr == nil {
				mustDo(t, "DeleteBasePathMapping", a.DeleteBasePathMapping(ctx, d, "v1"))
				mustDo(t, "DeleteRestAPI", a.DeleteRestAPI(ctx, api))
			}
		}
	})

	t.Run("mapping versus its domain", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		for i := range rounds {
			d := raceDomain(t, ctx, a, st, fmt.Sprintf("d%d.example.test", i))
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateBasePathMapping(ctx, d, "v1", api, "") })
			wg.Go(func() { deleteErr = b.DeleteDomainName(ctx, d) })
			wg.Wait()
			wantAWSError(t, "CreateBasePathMapping", createErr, codeNotFound, msgNoDomain)
			if deleteErr != nil {
				t.Errorf("round %d: DeleteDomainName: got %v, want success", i, deleteErr)
			}
			checkMappingsHaveParents(t, ctx, st)
		}
	})

	t.Run("stage and deployment versus their rest api", func(t *testing.T) {
		a, b, st := twoNodes(t)
		for i := range rounds {
			api := mockAPI(t, ctx, a)
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}) })
			wg.Go(func() { deleteErr = b.DeleteRestAPI(ctx, api) })
			wg.Wait()
			wantAWSError(t, "CreateDeployment", createErr, codeNotFound, "Invalid API identifier specified "+model.DefaultEnv.Account+":"+api)
			if deleteErr != nil {
				t.Errorf("round %d: DeleteRestAPI: got %v, want success", i, deleteErr)
			}
			for _, k := range []model.Kind{model.KindStage, model.KindDeployment} {
				kvs, _, err := st.List(ctx, model.Key(k, api+"/"))
				if err != nil {
					t.Fatal(err)
				}
				if len(kvs) != 0 {
					t.Fatalf("round %d: got %d %s records of deleted api %s, want none", i, len(kvs), k, api)
				}
			}
		}
	})

	t.Run("domain versus its certificate", func(t *testing.T) {
		a, _, st := twoNodes(t)
		acm := certs.New(certs.Deps{Store: st, Env: model.DefaultEnv})
		for i := range rounds {
			name := fmt.Sprintf("c%d.example.test", i)
			arn := "arn:aws:acm:us-west-2:000000000000:certificate/" + name
			if _, err := store.Save(ctx, st, model.Key(model.KindCertificate, arn),
				&model.Certificate{ARN: arn, DomainName: name, Status: model.CertIssued}, 0); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() {
				_, createErr = a.CreateDomainName(ctx, CreateDomainNameInput{DomainName: name, RegionalCertificateARN: arn,
					EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}})
			})
			wg.Go(func() { deleteErr = acm.DeleteCertificate(ctx, arn) })
			wg.Wait()
			wantAWSError(t, "CreateDomainName", createErr, codeBadRequest, "Certificate "+arn+" in account 000000000000 not found")
			wantAWSError(t, "DeleteCertificate", deleteErr, "ResourceInUseException", "Certificate "+arn+" in account 000000000000 is in use.")
			if (createErr == nil) == (deleteErr == nil) {
				t.Errorf("round %d: got CreateDomainName %v and DeleteCertificate %v, want exactly one to succeed", i, createErr, deleteErr)
			}
			domains := testutil.Must[[]*model.DomainName](t)(a.GetDomainNames(ctx))
			for _, d := range domains {
				if _, err := st.Get(ctx, model.Key(model.KindCertificate, d.RegionalCertificateARN)); err != nil {
					t.Fatalf("domain %s uses certificate %s: got %v, want it stored", d.Name, d.RegionalCertificateARN, err)
				}
			}
			if createErr == nil {
				mustDo(t, "DeleteDomainName", a.DeleteDomainName(ctx, name))
				mustDo(t, "DeleteCertificate", acm.DeleteCertificate(ctx, arn))
			}
		}
	})

	t.Run("empty base path versus another mapping", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		d := raceDomain(t, ctx, a, st, "empty.example.test")
		for i := range rounds {
			var wg sync.WaitGroup
			var emptyErr, otherErr error
			wg.Go(func() { _, emptyErr = a.CreateBasePathMapping(ctx, d, "", api, "") })
			wg.Go(func() { _, otherErr = b.CreateBasePathMapping(ctx, d, "v1", api, "") })
			wg.Wait()
			wantAWSError(t, "CreateBasePathMapping (none)", emptyErr, codeConflict, msgOnlyOneEmpty)
			wantAWSError(t, "CreateBasePathMapping v1", otherErr, codeConflict, msgOnlyOneEmpty)
			mappings := testutil.Must[[]*model.BasePathMapping](t)(a.GetBasePathMappings(ctx, d))
			if len(mappings) != 1 {
				t.Fatalf("round %d: got %d mappings on %s, want 1 (an empty base path excludes every other)", i, len(mappings), d)
			}
			mustDo(t, "DeleteBasePathMapping", a.DeleteBasePathMapping(ctx, d, mappings[0].BasePath))
		}
	})
}

// TestDeleteRestAPIBeyondOneTxn deletes an API with more stages and
// deployments than one store.Txn takes: the API goes first, the rest after,
// and nothing of it is left.
func TestDeleteRestAPIBeyondOneTxn(t *testing.T) {
	ctx := context.Background()
	s, _, st := twoNodes(t)
	api := mockAPI(t, ctx, s)
	for range store.MaxTxnOps {
		testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	}
	mustDo(t, "DeleteRestAPI", s.DeleteRestAPI(ctx, api))
	for _, prefix := range []string{model.Key(model.KindRestAPI, api), model.Key(model.KindStage, api+"/"), model.Key(model.KindDeployment, api+"/")} {
		kvs, _, err := st.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(kvs) != 0 {
			t.Errorf("got %d records under %s after DeleteRestAPI, want none", len(kvs), prefix)
		}
	}
}

// raceDomain creates a REGIONAL custom domain on an issued certificate.
func raceDomain(t *testing.T, ctx context.Context, s *Service, st store.Store, name string) string {
	t.Helper()
	arn := "arn:aws:acm:us-west-2:000000000000:certificate/" + name
	if _, err := store.Save(ctx, st, model.Key(model.KindCertificate, arn),
		&model.Certificate{ARN: arn, DomainName: name, Status: model.CertIssued}, store.Any); err != nil {
		t.Fatal(err)
	}
	d := testutil.Must[*model.DomainName](t)(s.CreateDomainName(ctx, CreateDomainNameInput{DomainName: name, RegionalCertificateARN: arn,
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}}))
	return d.Name
}

func mustDo(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// checkMappingsHaveParents fails for a stored mapping whose domain, API or
// stage is gone.
func checkMappingsHaveParents(t *testing.T, ctx context.Context, st store.Store) {
	t.Helper()
	mappings, err := store.LoadAll[model.BasePathMapping](ctx, st, model.Prefix(model.KindBasePathMapping))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mappings {
		parents := []string{model.Key(model.KindDomainName, m.DomainName), model.Key(model.KindRestAPI, m.RestAPIID)}
		if m.Stage != "" {
			parents = append(parents, model.Key(model.KindStage, m.RestAPIID+"/"+m.Stage))
		}
		for _, p := range parents {
			if _, err := st.Get(ctx, p); err != nil {
				t.Fatalf("mapping %s/%s names %s: got %v, want it stored", m.DomainName, m.BasePath, p, err)
			}
		}
	}
}

// checkStagesHaveDeployments fails for a stored stage whose deployment is gone.
func checkStagesHaveDeployments(t *testing.T, ctx context.Context, st store.Store, api string) {
	t.Helper()
	stages, err := store.LoadAll[model.Stage](ctx, st, model.Key(model.KindStage, api+"/"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stages {
		if _, err := st.Get(ctx, model.Key(model.KindDeployment, api+"/"+s.DeploymentID)); err != nil {
			t.Fatalf("stage %s points at deployment %s: got %v, want it stored", s.StageName, s.DeploymentID, err)
		}
	}
}
