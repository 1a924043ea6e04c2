package network

import (
	"context"
	"maps"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Tags on VPCs, subnets, security groups, endpoints and network interfaces: EC2's
// CreateTags/DeleteTags find the resource by its ID's prefix.

// Tag is one tag of a TagSpecification or a DeleteTags request; a nil Value in
// DeleteTags deletes the key whatever its value.
type Tag struct {
	Key   string
	Value *string
}

// TagSpec is one TagSpecification of a create call: the tags for resources of
// one type.
type TagSpec struct {
	ResourceType string
	Tags         []Tag
}

// TagsFor returns the tags the specifications give a resource of resourceType
// ("security-group", "vpc-endpoint"); a specification for another type is
// refused, as EC2 does.
func TagsFor(resourceType string, specs []TagSpec) (map[string]string, error) {
	var tags map[string]string
	for _, sp := range specs {
		if sp.ResourceType != resourceType {
			return nil, errInvalidValue("'%s' is not a valid taggable resource type for this operation.", sp.ResourceType)
		}
		if len(sp.Tags) == 0 {
			return nil, errInvalidValue("Tag specification must have at least one tag") // UNVERIFIED: recorded by moto, not by us
		}
		if tags == nil {
			tags = map[string]string{}
		}
		for _, t := range sp.Tags {
			if t.Value == nil {
				return nil, errInvalidValue("Tag value cannot be null. Use empty string instead.") // UNVERIFIED: recorded by moto
			}
			tags[t.Key] = *t.Value
		}
	}
	return tags, checkTags(tags)
}

// checkTags applies EC2's limits on user tags (model.CheckTags: 50 tags, keys
// of 1–128 characters, values of at most 256) in EC2's words. (EC2's user
// guide once said 127 and 255; today's guide and EC2's own answers say 128 and
// 256: "Tag key exceeds the maximum length of 128 characters", recorded in
// skypilot-org/skypilot#1992, and "Tag value exceeds the maximum length of 256
// characters", in iriusrisk/GoCD-EC2-Elastic-Agent-Plugin#24.)
func checkTags(tags map[string]string) error {
	return model.CheckTags(tags, model.MaxTags, func(p model.TagProblem, key, _ string) error {
		switch p {
		case model.TagsTooMany:
			return ec2Error("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		case model.TagKeyEmpty:
			return errInvalidValue("Tag key cannot be empty") // UNVERIFIED: EC2's text
		case model.TagKeyTooLong:
			return errInvalidValue("Tag key exceeds the maximum length of 128 characters")
		case model.TagValueTooLong:
			return errInvalidValue("Tag value exceeds the maximum length of 256 characters")
		default: // model.TagKeyReserved
			// UNVERIFIED: EC2's text.
			return errInvalidValue("Value (%s) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use", key)
		}
	})
}

// CreateTags adds tags to resources, overwriting the values of existing keys. It
// stops at the first resource that does not exist.
func (s *Service) CreateTags(ctx context.Context, ids []string, tags []Tag) error {
	switch {
	case len(ids) == 0:
		return errMissing("ResourceId")
	case len(tags) == 0:
		return errMissing("Tag")
	}
	return s.retag(ctx, ids, func(have map[string]string) (map[string]string, error) {
		out := maps.Clone(have)
		if out == nil {
			out = map[string]string{}
		}
		for _, t := range tags {
			v := ""
			if t.Value != nil {
				v = *t.Value
			}
			out[t.Key] = v
		}
		return out, checkTags(out)
	})
}

// DeleteTags removes tags from resources: a tag with a value only if the value
// matches, every tag if tags is empty.
func (s *Service) DeleteTags(ctx context.Context, ids []string, tags []Tag) error {
	if len(ids) == 0 {
		return errMissing("ResourceId")
	}
	return s.retag(ctx, ids, func(have map[string]string) (map[string]string, error) {
		if len(tags) == 0 {
			return nil, nil
		}
		out := maps.Clone(have)
		for _, t := range tags {
			if v, ok := out[t.Key]; ok && (t.Value == nil || *t.Value == v) {
				delete(out, t.Key)
			}
		}
		if len(out) == 0 {
			out = nil
		}
		return out, nil
	})
}

// retag rewrites the tags of each resource with fn.
func (s *Service) retag(ctx context.Context, ids []string, fn func(map[string]string) (map[string]string, error)) error {
	for _, id := range dedupe(ids) {
		var err error
		switch prefix, _, _ := strings.Cut(id, "-"); prefix {
		case "vpc":
			err = retagOne(ctx, s.st, model.KindVPC, id, errVpcNotFound, func(v *model.VPC) *map[string]string { return &v.Tags }, fn)
		case "subnet":
			err = retagOne(ctx, s.st, model.KindSubnet, id, errSubnetNotFound, func(v *model.Subnet) *map[string]string { return &v.Tags }, fn)
		case "sg":
			err = retagOne(ctx, s.st, model.KindSecurityGroup, id, errGroupNotFound, func(v *model.SecurityGroup) *map[string]string { return &v.Tags }, fn)
		case "vpce":
			err = retagOne(ctx, s.st, model.KindVpcEndpoint, id, errEndpointNotFound, func(v *model.VpcEndpoint) *map[string]string { return &v.Tags }, fn)
		case "eni":
			err = retagOne(ctx, s.st, model.KindNetworkIface, id, errInterfaceNotFound, func(v *model.NetworkInterface) *map[string]string { return &v.Tags }, fn)
		default:
			err = ec2Error("InvalidID", "The ID '%s' is not valid", id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func retagOne[T any](ctx context.Context, st store.Store, kind model.Kind, id string, notFound func(string) *model.Error,
	tags func(*T) *map[string]string, fn func(map[string]string) (map[string]string, error)) error {
	_, err := update(ctx, st, kind, id, notFound, func(v *T) error {
		t, err := fn(*tags(v))
		*tags(v) = t
		return err
	})
	return err
}
