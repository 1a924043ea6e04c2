package gateway

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

var (
	literalPart = regexp.MustCompile(`^[a-zA-Z0-9._:,\-]+$`)
	paramPart   = regexp.MustCompile(`^\{[a-zA-Z0-9._\-]+\+?\}$`)
)

// CreateResource adds a child resource under parentID.
func (s *Service) CreateResource(ctx context.Context, apiID, parentID, pathPart string) (*model.Resource, error) {
	if err := checkLen("path part", pathPart, maxShortLen); err != nil {
		return nil, err
	}
	if !literalPart.MatchString(pathPart) && !paramPart.MatchString(pathPart) {
		return nil, badRequest(msgBadPathPart)
	}
	var created *model.Resource
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		parent := api.Resources[parentID]
		if parent == nil {
			return notFound(msgNoResource)
		}
		if isGreedy(parent.PathPart) {
			return badRequest("Cannot create a child of a resource with a greedy path variable: " + parent.PathPart)
		}
		if len(api.Resources) >= maxResourcesPerAPI {
			return limit(msgTooManyResources)
		}
		for _, sib := range api.Resources {
			if sib.ParentID != parentID {
				continue
			}
			if sib.PathPart == pathPart {
				return conflict("Another resource with the same parent already has this name: " + pathPart)
			}
			if isVariable(sib.PathPart) && isVariable(pathPart) {
				return badRequest(fmt.Sprintf("A sibling (%s) of this resource already has a variable path part -- only one is allowed", sib.PathPart))
			}
		}
		path := strings.TrimSuffix(parent.Path, "/") + "/" + pathPart
		if len(path) > maxURLLen {
			return tooLong("resource path", maxURLLen, "characters")
		}
		created = &model.Resource{ID: model.RandomID(6), ParentID: parentID, PathPart: pathPart, Path: path}
		api.Resources[created.ID] = created
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func isVariable(part string) bool { return strings.HasPrefix(part, "{") }
func isGreedy(part string) bool   { return strings.HasSuffix(part, "+}") }

// GetResources returns the API's resources ordered by path.
func (s *Service) GetResources(ctx context.Context, apiID string) ([]*model.Resource, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Resource, 0, len(api.Resources))
	for _, r := range api.Resources {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *model.Resource) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

// GetResource returns one resource.
func (s *Service) GetResource(ctx context.Context, apiID, resourceID string) (*model.Resource, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	r := api.Resources[resourceID]
	if r == nil {
		return nil, notFound(msgNoResource)
	}
	return r, nil
}

// DeleteResource deletes a resource and everything under it; never the root.
func (s *Service) DeleteResource(ctx context.Context, apiID, resourceID string) error {
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		if api.Resources[resourceID] == nil {
			return notFound(msgNoResource)
		}
		if resourceID == api.RootResourceID {
			return badRequest("Cannot delete root resource") // UNVERIFIED text
		}
		doomed := map[string]bool{resourceID: true}
		for changed := true; changed; {
			changed = false
			for id, r := range api.Resources {
				if !doomed[id] && doomed[r.ParentID] {
					doomed[id], changed = true, true
				}
			}
		}
		for id := range doomed {
			delete(api.Resources, id)
		}
		return nil
	})
	return err
}
