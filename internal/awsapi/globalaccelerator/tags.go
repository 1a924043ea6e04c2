package globalaccelerator

import "context"

type tagResourceInput struct {
	ResourceArn string `json:"ResourceArn" required:"true"`
	Tags        []tag  `json:"Tags" required:"true"`
}

func (a *api) tagResource(ctx context.Context, in *tagResourceInput) (any, error) {
	return nil, a.svc.TagResource(ctx, in.ResourceArn, tagMap(in.Tags))
}

type untagResourceInput struct {
	ResourceArn string   `json:"ResourceArn" required:"true"`
	TagKeys     []string `json:"TagKeys" required:"true"`
}

func (a *api) untagResource(ctx context.Context, in *untagResourceInput) (any, error) {
	return nil, a.svc.UntagResource(ctx, in.ResourceArn, in.TagKeys)
}

type resourceARNInput struct {
	ResourceArn string `json:"ResourceArn" required:"true"`
}

type listTagsResult struct {
	Tags []tag `json:"Tags"`
}

func (a *api) listTagsForResource(ctx context.Context, in *resourceARNInput) (any, error) {
	tags, err := a.svc.ListTagsForResource(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return listTagsResult{tagList(tags)}, nil
}
