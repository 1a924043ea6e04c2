package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

	t.Run("resource versus its parent's deletion", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		root := testutil.Must[*model.RestAPI](t)(a.GetRestAPI(ctx, api)).RootResourceID
		for i := range rounds {
			// A parent with a child, so the deletion is a subtree.
			parent := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, root, fmt.Sprintf("p%d", i)))
			testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, parent.ID, "old"))
			var wg sync.WaitGroup
			var createErr, deleteErr error
			wg.Go(func() { _, createErr = a.CreateResource(ctx, api, parent.ID, "new") })
			wg.Go(func() { deleteErr = b.DeleteResource(ctx, api, parent.ID) })
			wg.Wait()
			wantAWSError(t, "CreateResource", createErr, codeNotFound, msgNoResource)
			if deleteErr != nil {
				t.Errorf("round %d: DeleteResource: got %v, want success", i, deleteErr)
			}
			checkTreeHasParents(t, ctx, st, api)
		}
	})

	t.Run("method versus its resource's deletion", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		root := testutil.Must[*model.RestAPI](t)(a.GetRestAPI(ctx, api)).RootResourceID
		for i := range rounds {
			res := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, root, fmt.Sprintf("r%d", i)))
			var wg sync.WaitGroup
			var putErr, deleteErr error
			wg.Go(func() { _, putErr = a.PutMethod(ctx, api, res.ID, "GET", PutMethodInput{}) })
			wg.Go(func() { deleteErr = b.DeleteResource(ctx, api, res.ID) })
			wg.Wait()
			wantAWSError(t, "PutMethod", putErr, codeNotFound, msgNoResource)
			if deleteErr != nil {
				t.Errorf("round %d: DeleteResource: got %v, want success", i, deleteErr)
			}
			checkTreeHasParents(t, ctx, st, api)
		}
	})

	t.Run("integration versus its method's deletion", func(t *testing.T) {
		a, b, st := twoNodes(t)
		api := mockAPI(t, ctx, a)
		root := testutil.Must[*model.RestAPI](t)(a.GetRestAPI(ctx, api)).RootResourceID
		for i := range rounds {
			testutil.Must[*model.Method](t)(a.PutMethod(ctx, api, root, "POST", PutMethodInput{}))
			var wg sync.WaitGroup
			var putErr, deleteErr error
			wg.Go(func() { _, putErr = a.PutIntegration(ctx, api, root, "POST", model.Integration{Type: "MOCK"}) })
			wg.Go(func() { deleteErr = b.DeleteMethod(ctx, api, root, "POST") })
			wg.Wait()
			wantAWSError(t, "PutIntegration", putErr, codeNotFound, msgNoMethod)
			if deleteErr != nil {
				t.Errorf("round %d: DeleteMethod: got %v, want success", i, deleteErr)
			}
			checkTreeHasParents(t, ctx, st, api)
		}
	})

	t.Run("siblings with one path part", func(t *testing.T) {
		a, b, _ := twoNodes(t)
		api := mockAPI(t, ctx, a)
		root := testutil.Must[*model.RestAPI](t)(a.GetRestAPI(ctx, api)).RootResourceID
		for i := range rounds / 4 { // 300 resources per API
			part := fmt.Sprintf("s%d", i)
			var wg sync.WaitGroup
			var errA, errB error
			wg.Go(func() { _, errA = a.CreateResource(ctx, api, root, part) })
			wg.Go(func() { _, errB = b.CreateResource(ctx, api, root, part) })
			wg.Wait()
			msg := "Another resource with the same parent already has this name: " + part
			wantAWSError(t, "CreateResource on a", errA, codeConflict, msg)
			wantAWSError(t, "CreateResource on b", errB, codeConflict, msg)
			if (errA == nil) == (errB == nil) {
				t.Errorf("round %d: got %v and %v, want exactly one to succeed", i, errA, errB)
			}
		}
		resources := testutil.Must[[]*model.Resource](t)(a.GetResources(ctx, api))
		if got, want := len(resources), rounds/4+1; got != want {
			t.Errorf("resources: got %d, want %d (one per part and the root)", got, want)
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
			wantAWSError(t, "CreateDomainName", createErr, codeBadRequest, "The provided certificate does not exist.")
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

// checkTreeHasParents fails for a stored record of the API's tree whose parent
// record is gone: a resource without its parent, a method without its
// resource, an integration or response without its method, a path part index
// key without its resource.
func checkTreeHasParents(t *testing.T, ctx context.Context, st store.Store, api string) {
	t.Helper()
	parentOf := map[model.Kind]func(id []string) string{
		model.KindMethod:              func(id []string) string { return resourceKey(api, id[1]) },
		model.KindIntegration:         func(id []string) string { return methodKey(api, id[1], id[2]) },
		model.KindMethodResponse:      func(id []string) string { return methodKey(api, id[1], id[2]) },
		model.KindIntegrationResponse: func(id []string) string { return integKey(api, id[1], id[2]) },
		model.KindPathPart:            func(id []string) string { return resourceKey(api, id[1]) },
	}
	for kind, parent := range parentOf {
		kvs, _, err := st.List(ctx, under(kind, api))
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range kvs {
			_, id := model.SplitKey(kv.Key)
			p := parent(strings.Split(id, "/"))
			if _, err := st.Get(ctx, p); err != nil {
				t.Fatalf("%s has no parent %s: got %v, want it stored", kv.Key, p, err)
			}
		}
	}
	resources, err := store.LoadAll[model.Resource](ctx, st, under(model.KindResource, api))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resources {
		if r.ParentID == "" {
			continue
		}
		if _, err := st.Get(ctx, resourceKey(api, r.ParentID)); err != nil {
			t.Fatalf("resource %s (%s) has no parent %s: got %v, want it stored", r.ID, r.Path, r.ParentID, err)
		}
		if _, err := st.Get(ctx, pathPartKey(api, r.ParentID, r.PathPart)); err != nil {
			t.Fatalf("resource %s (%s) has no path part index key: got %v, want it stored", r.ID, r.Path, err)
		}
	}
}
