package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestMoveVersusDelete races UpdateResource moving a subtree out of a
// resource on one node against DeleteResource deleting that resource on the
// other: the moved subtree either went with the deletion (the move lost) or
// lives under its new parent with its paths (the deletion lost), and the
// store never keeps a resource without its parent, its index key or an index
// key without its resource.
func TestMoveVersusDelete(t *testing.T) {
	const rounds = 300
	ctx := context.Background()
	a, b, st := twoNodes(t)
	api := mockAPI(t, ctx, a)
	root := testutil.Must[*model.RestAPI](t)(a.GetRestAPI(ctx, api)).RootResourceID
	x := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, root, "x"))
	moves, deletes := 0, 0
	for i := range rounds {
		from := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, root, "from"))
		moved := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, from.ID, "m"))
		leaf := testutil.Must[*model.Resource](t)(a.CreateResource(ctx, api, moved.ID, "{id}"))
		var wg sync.WaitGroup
		var moveErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, moveErr = a.UpdateResource(ctx, api, moved.ID, []PatchOperation{{Op: "replace", Path: "/parentId", Value: x.ID}})
		}()
		go func() { defer wg.Done(); delErr = b.DeleteResource(ctx, api, from.ID) }()
		wg.Wait()
		mustDo(t, "DeleteResource", delErr)
		wantAWSError(t, "UpdateResource", moveErr, codeNotFound, msgNoResource)
		checkTreeHasParents(t, ctx, st, api)
		checkIndexKeysHaveResources(t, ctx, st, api)
		got, err := b.GetResource(ctx, api, leaf.ID)
		switch {
		case moveErr == nil && err == nil:
			moves++
			if got.Path != "/x/m/{id}" {
				t.Fatalf("round %d: the moved leaf: got path %q, want /x/m/{id}", i, got.Path)
			}
			mustDo(t, "DeleteResource", a.DeleteResource(ctx, api, moved.ID)) // free /x/m for the next round
		case err != nil:
			deletes++
			wantAWSError(t, "GetResource", err, codeNotFound, msgNoResource)
		default:
			t.Fatalf("round %d: the move failed with %v but the leaf is still at %q", i, moveErr, got.Path)
		}
	}
	t.Logf("%d moves won, %d deletions won", moves, deletes)
}

// checkIndexKeysHaveResources fails if a path part index key names a
// resource that is gone or no longer holds that part under that parent.
func checkIndexKeysHaveResources(t *testing.T, ctx context.Context, st store.Store, api string) {
	t.Helper()
	kvs, _, err := st.List(ctx, under(model.KindPathPart, api))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		var idx pathPartIndex
		if err := json.Unmarshal(kv.Value, &idx); err != nil {
			t.Fatal(err)
		}
		r, _, err := store.Load[model.Resource](ctx, st, resourceKey(api, idx.ResourceID))
		if err != nil {
			t.Fatalf("index key %s names resource %s: got %v, want it stored", kv.Key, idx.ResourceID, err)
		}
		_, id := model.SplitKey(kv.Key)
		if parent := strings.Split(id, "/")[1]; r.ParentID != parent || r.PathPart != idx.PathPart {
			t.Fatalf("index key %s: resource %s is %s under %s, want %s under %s", kv.Key, r.ID, r.PathPart, r.ParentID, idx.PathPart, parent)
		}
	}
}
