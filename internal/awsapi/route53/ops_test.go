package route53_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// TestPaging walks every listing with the SDK's paginators and page
// parameters, as a script with many zones and records would.
func TestPaging(t *testing.T) {
	f := newFixture(t)
	c, ctx := f.client, f.ctx
	var ids []string
	for i, name := range []string{"b.example.test", "example.test", "a.test", "z.example.org", "c.test"} {
		out, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(fmt.Sprint("paging-", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.HostedZone.Id))
	}

	t.Run("list-hosted-zones", func(t *testing.T) {
		var got []string
		p := route53.NewListHostedZonesPaginator(c, &route53.ListHostedZonesInput{MaxItems: aws.Int32(2)})
		for pages := 0; p.HasMorePages(); pages++ {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.HostedZones) > 2 || pages > 2 || aws.ToInt32(page.MaxItems) != 2 {
				t.Fatalf("page %d: %d zones, MaxItems %d; want at most 2 in 3 pages", pages, len(page.HostedZones), aws.ToInt32(page.MaxItems))
			}
			if page.IsTruncated != (page.NextMarker != nil) {
				t.Errorf("page %d: IsTruncated %v but NextMarker %v", pages, page.IsTruncated, page.NextMarker)
			}
			for _, z := range page.HostedZones {
				got = append(got, aws.ToString(z.Id))
			}
		}
		if want := slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("list-hosted-zones-by-name", func(t *testing.T) {
		var got []string
		in := &route53.ListHostedZonesByNameInput{MaxItems: aws.Int32(2)}
		for pages := 0; ; pages++ {
			page, err := c.ListHostedZonesByName(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if pages > 2 {
				t.Fatal("more than 3 pages")
			}
			for _, z := range page.HostedZones {
				got = append(got, aws.ToString(z.Name))
			}
			if !page.IsTruncated {
				break
			}
			in.DNSName, in.HostedZoneId = page.NextDNSName, page.NextHostedZoneId
		}
		want := []string{"z.example.org.", "a.test.", "c.test.", "example.test.", "b.example.test."}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("list-resource-record-sets", func(t *testing.T) {
		zoneID := ids[1]
		var changes []types.Change
		for _, n := range []string{"www", "api", "mail"} {
			for _, typ := range []types.RRType{types.RRTypeA, types.RRTypeTxt} {
				value := "192.0.2.1"
				if typ == types.RRTypeTxt {
					value = `"v=1"`
				}
				changes = append(changes, types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: &types.ResourceRecordSet{
					Name: aws.String(n + ".example.test"), Type: typ, TTL: aws.Int64(60),
					ResourceRecords: []types.ResourceRecord{{Value: aws.String(value)}}}})
			}
		}
		if _, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
			ChangeBatch: &types.ChangeBatch{Changes: changes}}); err != nil {
			t.Fatal(err)
		}
		var got []string
		p := route53.NewListResourceRecordSetsPaginator(c, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(3)})
		for pages := 0; p.HasMorePages(); pages++ {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.ResourceRecordSets) > 3 || pages > 2 {
				t.Fatalf("page %d: %d sets, want at most 3 in 3 pages", pages, len(page.ResourceRecordSets))
			}
			for _, rs := range page.ResourceRecordSets {
				got = append(got, aws.ToString(rs.Name)+" "+string(rs.Type))
			}
		}
		want := []string{"example.test. NS", "example.test. SOA", "api.example.test. A", "api.example.test. TXT",
			"mail.example.test. A", "mail.example.test. TXT", "www.example.test. A", "www.example.test. TXT"}
		if !slices.Equal(got, want) {
			t.Errorf("got %q,\nwant %q", got, want)
		}

		page, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
			StartRecordName: aws.String("mail.example.test"), StartRecordType: types.RRTypeTxt, MaxItems: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.ResourceRecordSets) != 1 || aws.ToString(page.ResourceRecordSets[0].Name) != "mail.example.test." ||
			page.ResourceRecordSets[0].Type != types.RRTypeTxt || !page.IsTruncated ||
			aws.ToString(page.NextRecordName) != "www.example.test." || page.NextRecordType != types.RRTypeA {
			t.Errorf("from mail TXT: got %+v", page)
		}
	})

	count, err := c.GetHostedZoneCount(ctx, &route53.GetHostedZoneCountInput{})
	if err != nil || aws.ToInt64(count.HostedZoneCount) != 5 {
		t.Errorf("GetHostedZoneCount: got %v, %v, want 5", count, err)
	}
}

// TestTagsAndComment covers the tag operations and UpdateHostedZoneComment.
func TestTagsAndComment(t *testing.T) {
	f := newFixture(t)
	c, ctx := f.client, f.ctx
	zone, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("example.test"), CallerReference: aws.String("tags")})
	if err != nil {
		t.Fatal(err)
	}
	// Tag calls name the zone without its prefix, as Route 53's examples do
	// (the SDK does not strip it from ResourceId); the prefixed form works too.
	id := aws.ToString(zone.HostedZone.Id)[len("/hostedzone/"):]

	list := func() []types.Tag {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &route53.ListTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: aws.String(id)})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		if aws.ToString(out.ResourceTagSet.ResourceId) != id || out.ResourceTagSet.ResourceType != types.TagResourceTypeHostedzone {
			t.Errorf("tag set names %s %s, want hostedzone %s", out.ResourceTagSet.ResourceType, aws.ToString(out.ResourceTagSet.ResourceId), id)
		}
		return out.ResourceTagSet.Tags
	}
	if got := list(); len(got) != 0 {
		t.Errorf("tags of a new zone: got %v", got)
	}
	if _, err := c.ChangeTagsForResource(ctx, &route53.ChangeTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: aws.String(id),
		AddTags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}, {Key: aws.String("env"), Value: aws.String("demo")}}}); err != nil {
		t.Fatalf("ChangeTagsForResource: %v", err)
	}
	if _, err := c.ChangeTagsForResource(ctx, &route53.ChangeTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: zone.HostedZone.Id,
		RemoveTagKeys: []string{"team"}}); err != nil {
		t.Fatalf("ChangeTagsForResource: %v", err)
	}
	if got := list(); len(got) != 1 || aws.ToString(got[0].Key) != "env" || aws.ToString(got[0].Value) != "demo" {
		t.Errorf("tags: got %+v, want env=demo", got)
	}
	many, err := c.ListTagsForResources(ctx, &route53.ListTagsForResourcesInput{ResourceType: types.TagResourceTypeHostedzone, ResourceIds: []string{id}})
	if err != nil {
		t.Fatalf("ListTagsForResources: %v", err)
	}
	if sets := many.ResourceTagSets; len(sets) != 1 || aws.ToString(sets[0].ResourceId) != id || sets[0].ResourceType != types.TagResourceTypeHostedzone ||
		len(sets[0].Tags) != 1 || aws.ToString(sets[0].Tags[0].Key) != "env" || aws.ToString(sets[0].Tags[0].Value) != "demo" {
		t.Errorf("ListTagsForResources: got %+v, want hostedzone %s with env=demo", sets, id)
	}
	_, err = c.ListTagsForResource(ctx, &route53.ListTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: aws.String("ZNOSUCHZONE")})
	wantAPIError(t, "tags of an unknown zone", err, "NoSuchHostedZone", "No hosted zone found with ID: ZNOSUCHZONE")
	_, err = c.ListTagsForResource(ctx, &route53.ListTagsForResourceInput{ResourceType: types.TagResourceTypeHealthcheck, ResourceId: aws.String("abc")})
	wantAPIError(t, "tags of a health check", err, "NoSuchHealthCheck", "")

	up, err := c.UpdateHostedZoneComment(ctx, &route53.UpdateHostedZoneCommentInput{Id: zone.HostedZone.Id, Comment: aws.String("new comment")})
	if err != nil || aws.ToString(up.HostedZone.Config.Comment) != "new comment" || aws.ToInt64(up.HostedZone.ResourceRecordSetCount) != 2 {
		t.Errorf("UpdateHostedZoneComment: got %+v, %v", up, err)
	}
}
