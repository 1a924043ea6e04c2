package nameserver

import (
	"context"
	"maps"
	"slices"

	"gatehouse/internal/model"
)

// Tag resource types (Route 53's TagResourceType).
var tagResourceTypes = []string{"healthcheck", "hostedzone"}

// maxTagChanges is the API model's limit of ten keys to add or remove per
// request. Keys and values are held to AWS's common tag limits (model.MaxTagKeyLen,
// model.MaxTagValueLen) and a hosted zone to model.MaxTags tags ("Tagging
// Amazon Route 53 resources"). Route 53's model sets no minimum key length and
// reserves no "aws:" prefix, so model.CheckTags, which refuses both, is not
// used: adopting it would refuse tags Route 53 takes.
const maxTagChanges = 10

// ChangeTags adds (or overwrites) and removes tags of a hosted zone. Removals
// apply first, so a key both removed and added ends up added.
func (s *Service) ChangeTags(ctx context.Context, resourceType, id string, add map[string]string, remove []string) error {
	if err := checkTagResource(resourceType, id); err != nil {
		return err
	}
	switch {
	case len(add) > maxTagChanges:
		return listTooLong("addTags", maxTagChanges)
	case len(remove) > maxTagChanges:
		return listTooLong("removeTagKeys", maxTagChanges)
	}
	for _, k := range slices.Sorted(maps.Keys(add)) {
		if err := model.Length(codeInvalidInput, "addTags.member.key", k, 0, model.MaxTagKeyLen); err != nil {
			return err
		}
		if err := model.Length(codeInvalidInput, "addTags.member.value", add[k], 0, model.MaxTagValueLen); err != nil {
			return err
		}
	}
	for _, k := range remove {
		if err := model.Length(codeInvalidInput, "removeTagKeys.member", k, 0, model.MaxTagKeyLen); err != nil {
			return err
		}
	}
	_, err := s.updateZone(ctx, id, func(z *model.HostedZone) error {
		for _, k := range remove {
			delete(z.Tags, k)
		}
		for k, v := range add {
			if z.Tags == nil {
				z.Tags = map[string]string{}
			}
			z.Tags[k] = v
		}
		if len(z.Tags) > model.MaxTags {
			// UNVERIFIED text: Route 53 documents the quota (50 tags per
			// hosted zone) but not its answer at it.
			return invalidInput("The hosted zone can have at most %d tags.", model.MaxTags)
		}
		if len(z.Tags) == 0 {
			z.Tags = nil
		}
		return nil
	})
	return err
}

// ListTags returns the tags of a hosted zone.
func (s *Service) ListTags(ctx context.Context, resourceType, id string) (map[string]string, error) {
	if err := checkTagResource(resourceType, id); err != nil {
		return nil, err
	}
	z, _, err := s.loadZone(ctx, id)
	if err != nil {
		return nil, err
	}
	return z.Tags, nil
}

func checkTagResource(resourceType, id string) error {
	switch resourceType {
	case "hostedzone":
		return nil
	case "healthcheck":
		return NoSuchHealthCheck(id)
	}
	return model.Enum(codeInvalidInput, "resourceType", resourceType, tagResourceTypes)
}
