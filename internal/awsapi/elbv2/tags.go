package elbv2

import "context"

type addTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
	Tags         []tagIn  `query:"Tags" required:"true"`
}

func (a api) addTags(ctx context.Context, in *addTagsIn) (any, error) {
	return nil, a.b.AddTags(ctx, in.ResourceArns, tagList(in.Tags))
}

type removeTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
	TagKeys      []string `query:"TagKeys" required:"true"`
}

func (a api) removeTags(ctx context.Context, in *removeTagsIn) (any, error) {
	return nil, a.b.RemoveTags(ctx, in.ResourceArns, in.TagKeys)
}

type describeTagsIn struct {
	ResourceArns []string `query:"ResourceArns" required:"true"`
}

func (a api) describeTags(ctx context.Context, in *describeTagsIn) (any, error) {
	rts, err := a.b.DescribeTags(ctx, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	type description struct {
		ResourceArn string    `xml:"ResourceArn"`
		Tags        []pairOut `xml:"Tags>member"`
	}
	out := struct {
		TagDescriptions []description `xml:"TagDescriptions>member"`
	}{}
	for _, rt := range rts {
		out.TagDescriptions = append(out.TagDescriptions, description{rt.ARN, pairsOut(rt.Tags)})
	}
	return out, nil
}
