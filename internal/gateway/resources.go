package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

var (
	literalPart = regexp.MustCompile(`^[a-zA-Z0-9._:,\-]+$`)
	paramPart   = regexp.MustCompile(`^\{[a-zA-Z0-9._\-]+\+?\}$`)
)

// CreateResource adds a child resource under parentID: one record, and the
// index key of its path part under its parent, in one Txn conditioned on the
// parent as read (DeleteResource cannot remove it in between) and on the
// index key being free (no sibling took the part meanwhile, on any node).
func (s *Service) CreateResource(ctx context.Context, apiID, parentID, pathPart string) (*model.Resource, error) {
	if err := checkLen("path part", pathPart, maxShortLen); err != nil {
		return nil, err
	}
	if !literalPart.MatchString(pathPart) && !paramPart.MatchString(pathPart) {
		return nil, badRequest(msgBadPathPart)
	}
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	parentKey := resourceKey(apiID, parentID)
	idxKey := pathPartKey(apiID, parentID, pathPart)
	for {
		parent, parentRev, err := store.LoadOr[model.Resource](ctx, s.d.Store, parentKey, answer(notFound(msgNoResource)))
		if err != nil {
			return nil, err
		}
		if isGreedy(parent.PathPart) {
			return nil, badRequest("Cannot create a child of a resource with a greedy path variable: " + parent.PathPart)
		}
		// The quota is checked on a listing, not conditioned on it: two
		// concurrent creates may overshoot it by one, as limits.go accepts.
		kvs, _, err := s.d.Store.List(ctx, under(model.KindResource, apiID))
		if err != nil {
			return nil, fmt.Errorf("list resources of %s: %w", apiID, err)
		}
		if len(kvs) >= maxResourcesPerAPI {
			return nil, limit(msgTooManyResources)
		}
		sib, _, err := store.Load[pathPartIndex](ctx, s.d.Store, idxKey)
		switch {
		case err == nil && sib.PathPart == pathPart:
			return nil, conflict("Another resource with the same parent already has this name: " + pathPart)
		case err == nil:
			return nil, badRequest(fmt.Sprintf("A sibling (%s) of this resource already has a variable path part -- only one is allowed", sib.PathPart))
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("load %s: %w", idxKey, err)
		}
		path := strings.TrimSuffix(parent.Path, "/") + "/" + pathPart
		if len(path) > maxURLLen {
			return nil, tooLong("resource path", maxURLLen, "characters")
		}
		created := &model.Resource{ID: model.RandomID(6), ParentID: parentID, PathPart: pathPart, Path: path}
		put, err := store.SaveOp(resourceKey(apiID, created.ID), created)
		if err != nil {
			return nil, err
		}
		idx, err := store.SaveOp(idxKey, pathPartIndex{ResourceID: created.ID, PathPart: pathPart})
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(parentKey, parentRev), store.KeyIs(idxKey, 0)}, put, idx)
		if err != nil {
			return nil, fmt.Errorf("save resource %s: %w", created.ID, err)
		}
		if ok {
			return created, nil
		}
	}
}

func isVariable(part string) bool { return strings.HasPrefix(part, "{") }
func isGreedy(part string) bool   { return strings.HasSuffix(part, "+}") }

// GetResources returns the API's resources ordered by path.
func (s *Service) GetResources(ctx context.Context, apiID string) ([]*model.Resource, error) {
	t, err := s.readTree(ctx, apiID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Resource, 0, len(t.api.Resources))
	for _, r := range t.api.Resources {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *model.Resource) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

// GetResource returns one resource with its methods.
func (s *Service) GetResource(ctx context.Context, apiID, resourceID string) (*model.Resource, error) {
	return s.loadResource(ctx, apiID, resourceID)
}

// resourceOps is how many ops deleting one resource takes (deleteResourceOps).
const resourceOps = 6

// deleteResourceOps are the ops that delete one resource with its methods,
// integrations and responses, and its path part's index key.
func deleteResourceOps(apiID string, r *model.Resource) []store.Op {
	return []store.Op{
		store.Del(resourceKey(apiID, r.ID)),
		store.Del(pathPartKey(apiID, r.ParentID, r.PathPart)),
		store.DelPrefix(under(model.KindMethod, apiID, r.ID)),
		store.DelPrefix(under(model.KindIntegration, apiID, r.ID)),
		store.DelPrefix(under(model.KindMethodResponse, apiID, r.ID)),
		store.DelPrefix(under(model.KindIntegrationResponse, apiID, r.ID)),
	}
}

// DeleteResource deletes a resource and everything under it; never the root.
//
// The subtree goes deepest first, every resource with its methods,
// integrations and responses (prefix deletes), in one Txn when it fits
// (store.MaxTxnOps / resourceOps resources, 21) and in as many as it needs
// otherwise, children always before or with their parent: the store never
// holds a child whose parent is gone. Each resource's deletion is
// conditioned on no child having been created under it since the listing
// (the prefix of its children's path part index keys): a CreateResource
// under any resource of the subtree on another node makes the step fail, and
// the deletion lists again and takes the new child with it.
func (s *Service) DeleteResource(ctx context.Context, apiID, resourceID string) error {
	api, _, err := s.loadAPI(ctx, apiID)
	if err != nil {
		return err
	}
	for {
		all, _, rev, err := loadAllAt[model.Resource](ctx, s.d.Store, under(model.KindResource, apiID))
		if err != nil {
			return err
		}
		children := map[string][]*model.Resource{}
		var doomed *model.Resource
		for _, r := range all {
			children[r.ParentID] = append(children[r.ParentID], r)
			if r.ID == resourceID {
				doomed = r
			}
		}
		if doomed == nil {
			return notFound(msgNoResource)
		}
		if resourceID == api.RootResourceID || doomed.ParentID == "" {
			return badRequest("Cannot delete root resource") // UNVERIFIED text
		}
		var order []*model.Resource // children before their parents
		var walk func(r *model.Resource)
		walk = func(r *model.Resource) {
			for _, c := range children[r.ID] {
				walk(c)
			}
			order = append(order, r)
		}
		walk(doomed)
		done := true
		for chunk := range slices.Chunk(order, store.MaxTxnOps/resourceOps) {
			var conds []store.Cond
			var ops []store.Op
			for _, r := range chunk {
				conds = append(conds, store.NoneAfter(under(model.KindPathPart, apiID, r.ID), rev))
				ops = append(ops, deleteResourceOps(apiID, r)...)
			}
			ok, err := s.commit(ctx, conds, ops...)
			if err != nil {
				return fmt.Errorf("delete resource %s: %w", resourceID, err)
			}
			if !ok {
				done = false
				break
			}
		}
		if done {
			return nil
		}
	}
}
