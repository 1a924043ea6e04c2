package route53_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/model"
)

// tooLong is Route 53's model validation message for a value over max characters.
func tooLong(field, value string, max int) string {
	return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", model.Clip(value), field, max)
}

// txt returns a TXT value of exactly n characters: quoted strings of at most
// 255 characters, separated by spaces.
func txt(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		rest := n - b.Len() - 2 // the quotes
		l := min(rest, 250)
		if rest-l > 0 && rest-l < 4 { // leave room for one more string
			l -= 4
		}
		b.WriteString(`"` + strings.Repeat("t", l) + `"`)
	}
	return b.String()
}

// nameOf returns a name of exactly n characters ending in "."+zone, made of
// valid labels: at most 255 characters make a valid DNS name, 1024 the
// longest the API model allows.
func nameOf(n int, zone string) string { return awsapitest.DomainOf(n, zone, 'n') }

// TestLimits: every limited field of every Route 53 operation, one over the
// limit (refused with Route 53's status, code and message) and at it
// (accepted by the check; later checks may still refuse, as noted).
func TestLimits(t *testing.T) {
	f := newFixture(t)
	c, ctx := f.client, f.ctx
	zone, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("limits.test"), CallerReference: aws.String("limits")})
	if err != nil {
		t.Fatal(err)
	}
	zoneID := zone.HostedZone.Id
	long := awsapitest.Long
	megabyte := long(1 << 20)

	// set is a record set of one name under the zone.
	set := func(name, typ string, values ...string) *types.ResourceRecordSet {
		rs := &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRType(typ), TTL: aws.Int64(60)}
		for _, v := range values {
			rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
		}
		return rs
	}
	ips := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
		}
		return out
	}
	// batch sends one change per set with action.
	batch := func(action types.ChangeAction, comment string, sets ...*types.ResourceRecordSet) func() error {
		return func() error {
			in := &route53.ChangeResourceRecordSetsInput{HostedZoneId: zoneID, ChangeBatch: &types.ChangeBatch{}}
			if comment != "" {
				in.ChangeBatch.Comment = aws.String(comment)
			}
			for _, s := range sets {
				in.ChangeBatch.Changes = append(in.ChangeBatch.Changes, types.Change{Action: action, ResourceRecordSet: s})
			}
			_, err := c.ChangeResourceRecordSets(ctx, in)
			return err
		}
	}
	// sets returns n TXT sets named <prefix><i>.limits.test. with one value of length characters.
	sets := func(prefix string, n, length int) []*types.ResourceRecordSet {
		out := make([]*types.ResourceRecordSet, n)
		for i := range out {
			out[i] = set(fmt.Sprintf("%s%d.limits.test", prefix, i), "TXT", txt(length))
		}
		return out
	}
	aSets := func(prefix string, n, records int) []*types.ResourceRecordSet {
		out := make([]*types.ResourceRecordSet, n)
		for i := range out {
			out[i] = set(fmt.Sprintf("%s%d.limits.test", prefix, i), "A", ips(records)...)
		}
		return out
	}
	tags := func(n, keyLen, valueLen int, prefix string) []types.Tag {
		out := make([]types.Tag, n)
		for i := range out {
			k := fmt.Sprintf("%s%d", prefix, i)
			out[i] = types.Tag{Key: aws.String(k + strings.Repeat("k", max(keyLen-len(k), 0))), Value: aws.String(strings.Repeat("v", valueLen))}
		}
		return out
	}
	changeTags := func(add []types.Tag, remove []string) func() error {
		return func() error {
			in := &route53.ChangeTagsForResourceInput{ResourceType: types.TagResourceTypeHostedzone, ResourceId: zoneID, AddTags: add}
			if len(remove) > 0 {
				in.RemoveTagKeys = remove
			}
			_, err := c.ChangeTagsForResource(ctx, in)
			return err
		}
	}
	createZone := func(name, ref, comment string) func() error {
		return func() error {
			in := &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(ref)}
			if comment != "" {
				in.HostedZoneConfig = &types.HostedZoneConfig{Comment: aws.String(comment)}
			}
			_, err := c.CreateHostedZone(ctx, in)
			return err
		}
	}
	field := func(path string) string { return "changeBatch.changes.1.member.resourceRecordSet." + path }

	checks := []struct {
		name string
		call func() error
		// status, code and msg are the refusal; code "" means the call must succeed.
		status    int
		code, msg string
	}{
		{"CreateHostedZone Name at 1024 (then not a DNS name)", createZone(nameOf(1024, "test"), "n1024", ""), 400, "InvalidDomainName", "The specified domain name is not valid."},
		{"CreateHostedZone Name over 1024", createZone(nameOf(1025, "test"), "n1025", ""), 400, "InvalidInput", tooLong("name", nameOf(1025, "test"), 1024)},
		{"CreateHostedZone Name of a megabyte", createZone(megabyte, "nmb", ""), 400, "InvalidInput", tooLong("name", megabyte, 1024)},
		{"CreateHostedZone CallerReference at 128", createZone("ref.test", long(128), ""), 0, "", ""},
		{"CreateHostedZone CallerReference over 128", createZone("ref.test", long(129), ""), 400, "InvalidInput", tooLong("callerReference", long(129), 128)},
		{"CreateHostedZone Comment at 256", createZone("comment.test", "c256", long(256)), 0, "", ""},
		{"CreateHostedZone Comment over 256", createZone("comment.test", "c257", long(257)), 400, "InvalidInput", tooLong("hostedZoneConfig.comment", long(257), 256)},
		{"UpdateHostedZoneComment Comment at 256", func() error {
			_, err := c.UpdateHostedZoneComment(ctx, &route53.UpdateHostedZoneCommentInput{Id: zoneID, Comment: aws.String(long(256))})
			return err
		}, 0, "", ""},
		{"UpdateHostedZoneComment Comment over 256", func() error {
			_, err := c.UpdateHostedZoneComment(ctx, &route53.UpdateHostedZoneCommentInput{Id: zoneID, Comment: aws.String(megabyte)})
			return err
		}, 400, "InvalidInput", tooLong("comment", megabyte, 256)},
		{"GetHostedZone Id at 32 (then not found)", func() error {
			_, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(strings.Repeat("Z", 32))})
			return err
		}, 404, "NoSuchHostedZone", "No hosted zone found with ID: " + strings.Repeat("Z", 32)},
		{"GetHostedZone Id over 32", func() error {
			_, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(strings.Repeat("Z", 33))})
			return err
		}, 400, "InvalidInput", tooLong("id", strings.Repeat("Z", 33), 32)},
		{"ListHostedZonesByName DNSName over 1024", func() error {
			_, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(nameOf(1025, "test"))})
			return err
		}, 400, "InvalidInput", tooLong("dNSName", nameOf(1025, "test"), 1024)},
		{"ListResourceRecordSets StartRecordName over 1024", func() error {
			_, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: zoneID, StartRecordName: aws.String(nameOf(1025, "limits.test"))})
			return err
		}, 400, "InvalidInput", tooLong("startRecordName", nameOf(1025, "limits.test"), 1024)},
		{"ChangeResourceRecordSets Name at DNS's 253 characters", batch(types.ChangeActionCreate, "", set(nameOf(253, "limits.test"), "A", "10.0.0.1")), 0, "", ""},
		{"ChangeResourceRecordSets Name at 1024 (then not a DNS name)", batch(types.ChangeActionCreate, "", set(nameOf(1024, "limits.test"), "A", "10.0.0.1")),
			400, "InvalidChangeBatch", fmt.Sprintf("[RRSet with DNS name %s. is not permitted in zone limits.test.]", nameOf(1024, "limits.test"))},
		{"ChangeResourceRecordSets Name over 1024", batch(types.ChangeActionCreate, "", set(nameOf(1025, "limits.test"), "A", "10.0.0.1")),
			400, "InvalidInput", tooLong(field("name"), nameOf(1025, "limits.test"), 1024)},
		{"ChangeResourceRecordSets Value at 4000", batch(types.ChangeActionCreate, "", set("v4000.limits.test", "TXT", txt(4000))), 0, "", ""},
		{"ChangeResourceRecordSets Value over 4000", batch(types.ChangeActionCreate, "", set("v4001.limits.test", "TXT", txt(4001))),
			400, "InvalidInput", tooLong(field("resourceRecords.1.member.value"), txt(4001), 4000)},
		{"ChangeResourceRecordSets AliasTarget DNSName over 1024", batch(types.ChangeActionCreate, "", &types.ResourceRecordSet{Name: aws.String("alias.limits.test"), Type: types.RRTypeA,
			AliasTarget: &types.AliasTarget{HostedZoneId: aws.String(model.AcceleratorHostedZoneID), DNSName: aws.String(megabyte)}}),
			400, "InvalidInput", tooLong(field("aliasTarget.dNSName"), megabyte, 1024)},
		{"ChangeResourceRecordSets records per set at 100", batch(types.ChangeActionCreate, "", set("r100.limits.test", "A", ips(100)...)), 0, "", ""},
		{"ChangeResourceRecordSets records per set over 100", batch(types.ChangeActionCreate, "", set("r101.limits.test", "A", ips(101)...)),
			400, "InvalidChangeBatch", "[Cannot have more than 100 records in a RRSet.]"},
		{"ChangeResourceRecordSets records per batch at 1000", batch(types.ChangeActionCreate, "", aSets("b1000-", 10, 100)...), 0, "", ""},
		{"ChangeResourceRecordSets records per batch over 1000, UPSERT counted twice", batch(types.ChangeActionUpsert, "", aSets("b1200-", 6, 100)...),
			400, "InvalidChangeBatch", "[Number of records limit of 1000 exceeded.]"},
		{"ChangeResourceRecordSets changes over 1000", batch(types.ChangeActionCreate, "", aSets("c1001-", 1001, 1)...),
			400, "InvalidChangeBatch", "[Number of records limit of 1000 exceeded.]"},
		{"ChangeResourceRecordSets RDATA at 32000", batch(types.ChangeActionCreate, "", sets("rdata-", 8, 4000)...), 0, "", ""},
		{"ChangeResourceRecordSets RDATA over 32000", batch(types.ChangeActionCreate, "", append(sets("rdata1-", 8, 4000), set("rdata1-x.limits.test", "TXT", `"x"`))...),
			400, "InvalidChangeBatch", "[RDATA character limit of 32000 exceeded.]"},
		{"ChangeResourceRecordSets RDATA over 32000, UPSERT counted twice", batch(types.ChangeActionUpsert, "", sets("rdata2-", 5, 4000)...),
			400, "InvalidChangeBatch", "[RDATA character limit of 32000 exceeded.]"},
		{"ChangeResourceRecordSets Comment at 256", batch(types.ChangeActionCreate, long(256), set("comment.limits.test", "A", "10.0.0.1")), 0, "", ""},
		{"ChangeResourceRecordSets Comment over 256", batch(types.ChangeActionCreate, megabyte, set("comment2.limits.test", "A", "10.0.0.1")),
			400, "InvalidInput", tooLong("changeBatch.comment", megabyte, 256)},
		{"ChangeResourceRecordSets HealthCheckId of a megabyte", batch(types.ChangeActionCreate, "", &types.ResourceRecordSet{Name: aws.String("hc.limits.test"), Type: types.RRTypeA, TTL: aws.Int64(60),
			HealthCheckId: aws.String(megabyte), ResourceRecords: []types.ResourceRecord{{Value: aws.String("10.0.0.1")}}}),
			404, "NoSuchHealthCheck", fmt.Sprintf("No health check exists with the ID %s.", model.Clip(megabyte))},
		{"ChangeTagsForResource keys at 128, values at 256, 10 per request, 50 per zone", func() error {
			for i := range 5 {
				if err := changeTags(tags(10, 128, 256, fmt.Sprintf("t%d-", i)), nil)(); err != nil {
					return err
				}
			}
			return nil
		}, 0, "", ""},
		{"ChangeTagsForResource tags per zone over 50", changeTags(tags(1, 8, 1, "extra"), nil), 400, "InvalidInput", "The hosted zone can have at most 50 tags."},
		{"ChangeTagsForResource AddTags over 10", changeTags(tags(11, 8, 1, "many"), nil),
			400, "InvalidInput", "1 validation error detected: Value at 'addTags' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"ChangeTagsForResource key over 128", changeTags(tags(1, 129, 1, "long"), nil), 400, "InvalidInput", tooLong("addTags.member.key", "long0"+strings.Repeat("k", 124), 128)},
		{"ChangeTagsForResource value over 256", changeTags([]types.Tag{{Key: aws.String("big"), Value: aws.String(megabyte)}}, nil), 400, "InvalidInput", tooLong("addTags.member.value", megabyte, 256)},
		{"ChangeTagsForResource RemoveTagKeys key over 128", changeTags(nil, []string{long(129)}), 400, "InvalidInput", tooLong("removeTagKeys.member", long(129), 128)},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) { awsapitest.WantAnswer(t, tc.call(), tc.status, tc.code, tc.msg) })
	}
}
