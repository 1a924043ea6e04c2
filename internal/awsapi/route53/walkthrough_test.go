package route53_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// TestWalkthrough drives the Route 53 steps of the reference walkthrough with
// the Go SDK, in its order, and checks what a script reads: the zone and
// change IDs, INSYNC, the records, the DNS answers, and AWS's refusals.
func TestWalkthrough(t *testing.T) {
	f := newFixture(t)
	c, ctx := f.client, f.ctx

	// The hosted zone.
	zone, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
		Name: aws.String("example.test"), CallerReference: aws.String("walkthrough-1"),
		HostedZoneConfig: &types.HostedZoneConfig{Comment: aws.String("demo")}})
	if err != nil {
		t.Fatalf("CreateHostedZone: %v", err)
	}
	zoneID := aws.ToString(zone.HostedZone.Id)
	if !regexp.MustCompile(`^/hostedzone/Z[A-Z0-9]+$`).MatchString(zoneID) {
		t.Fatalf("zone id: got %q, want /hostedzone/Z…", zoneID)
	}
	if got, want := aws.ToString(zone.Location), f.url+"/2013-04-01/hostedzone/"+strings.TrimPrefix(zoneID, "/hostedzone/"); got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	if got := aws.ToString(zone.HostedZone.Name); got != "example.test." {
		t.Errorf("zone name: got %q, want example.test.", got)
	}
	if got := aws.ToString(zone.HostedZone.Config.Comment); got != "demo" || zone.HostedZone.Config.PrivateZone {
		t.Errorf("config: got comment %q private %v, want demo false", got, zone.HostedZone.Config.PrivateZone)
	}
	if n := len(zone.DelegationSet.NameServers); n != 4 {
		t.Errorf("name servers: got %q, want 4", zone.DelegationSet.NameServers)
	}
	if !strings.HasPrefix(aws.ToString(zone.ChangeInfo.Id), "/change/C") || zone.ChangeInfo.SubmittedAt == nil {
		t.Errorf("change info: got %+v", zone.ChangeInfo)
	}
	waitInsync(t, c, zone.ChangeInfo.Id)

	_, err = c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("other.test"), CallerReference: aws.String("walkthrough-1")})
	wantAPIError(t, "a reused caller reference", err, "HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")

	// A script finds the zone by name.
	byName, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.test")})
	if err != nil {
		t.Fatalf("ListHostedZonesByName: %v", err)
	}
	if len(byName.HostedZones) != 1 || aws.ToString(byName.HostedZones[0].Id) != zoneID || aws.ToString(byName.DNSName) != "example.test" {
		t.Fatalf("ListHostedZonesByName: got %+v", byName)
	}

	// 1. The certificate's validation record.
	validation := types.ResourceRecordSet{
		Name: aws.String("_3639ac514e785e898d2646601fa951d5.api.example.test."), Type: types.RRTypeCname, TTL: aws.Int64(300),
		ResourceRecords: []types.ResourceRecord{{Value: aws.String("_98d2646601fa951d53639ac514e785e8.acm-validations.aws.")}}}
	change(t, c, zoneID, types.ChangeActionCreate, validation)

	// 6. The alias record to the accelerator.
	const accDNS = "a1234567890abcdef.awsglobalaccelerator.com"
	f.accelerator(accDNS, "127.0.10.61", "127.0.10.62")
	alias := types.ResourceRecordSet{Name: aws.String("api.example.test"), Type: types.RRTypeA,
		AliasTarget: &types.AliasTarget{HostedZoneId: aws.String("Z2BJ6XQ5FK7U4H"), DNSName: aws.String(accDNS)}}
	change(t, c, zoneID, types.ChangeActionCreate, alias)
	if got, want := sorted(f.resolve("api.example.test")), []string{"127.0.10.61", "127.0.10.62"}; !slices.Equal(got, want) {
		t.Errorf("api.example.test resolves to %v, want %v", got, want)
	}

	_, err = c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		ChangeBatch: &types.ChangeBatch{Changes: []types.Change{{Action: types.ChangeActionCreate, ResourceRecordSet: &alias}}}})
	wantAPIError(t, "creating the alias twice", err, "InvalidChangeBatch",
		"[Tried to create resource record set [name='api.example.test.', type='A'] but it already exists]")
	var icb *types.InvalidChangeBatch
	if !errors.As(err, &icb) {
		t.Errorf("creating the alias twice: got %T, want *types.InvalidChangeBatch", err)
	}

	// The records as list-resource-record-sets shows them.
	sets, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil {
		t.Fatalf("ListResourceRecordSets: %v", err)
	}
	var got []string
	for _, rs := range sets.ResourceRecordSets {
		got = append(got, aws.ToString(rs.Name)+" "+string(rs.Type))
	}
	want := []string{"example.test. NS", "example.test. SOA", "api.example.test. A", "_3639ac514e785e898d2646601fa951d5.api.example.test. CNAME"}
	if !slices.Equal(got, want) || sets.IsTruncated || aws.ToInt32(sets.MaxItems) != 300 {
		t.Fatalf("record sets: got %q truncated %v max %d, want %q", got, sets.IsTruncated, aws.ToInt32(sets.MaxItems), want)
	}
	a, cname := sets.ResourceRecordSets[2], sets.ResourceRecordSets[3]
	if a.TTL != nil || a.ResourceRecords != nil || a.AliasTarget == nil ||
		aws.ToString(a.AliasTarget.DNSName) != accDNS+"." || aws.ToString(a.AliasTarget.HostedZoneId) != "Z2BJ6XQ5FK7U4H" {
		t.Errorf("alias record set: got %+v (alias %+v)", a, a.AliasTarget)
	}
	if aws.ToInt64(cname.TTL) != 300 || len(cname.ResourceRecords) != 1 || aws.ToString(cname.ResourceRecords[0].Value) != "_98d2646601fa951d53639ac514e785e8.acm-validations.aws." {
		t.Errorf("validation record set: got %+v", cname)
	}

	hz, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		t.Fatalf("GetHostedZone: %v", err)
	}
	if aws.ToInt64(hz.HostedZone.ResourceRecordSetCount) != 4 || !slices.Equal(hz.DelegationSet.NameServers, zone.DelegationSet.NameServers) {
		t.Errorf("GetHostedZone: got count %d name servers %q", aws.ToInt64(hz.HostedZone.ResourceRecordSetCount), hz.DelegationSet.NameServers)
	}

	// Clean-up: the alias first; the zone goes once only SOA and NS are left.
	change(t, c, zoneID, types.ChangeActionDelete, alias)
	if got := f.resolve("api.example.test"); len(got) != 0 {
		t.Errorf("api.example.test still resolves to %v after the alias was deleted", got)
	}
	_, err = c.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(zoneID)})
	wantAPIError(t, "delete a zone with records", err, "HostedZoneNotEmpty", "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
	change(t, c, zoneID, types.ChangeActionDelete, validation)
	del, err := c.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		t.Fatalf("DeleteHostedZone: %v", err)
	}
	waitInsync(t, c, del.ChangeInfo.Id)
	bare := strings.TrimPrefix(zoneID, "/hostedzone/")
	_, err = c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	wantAPIError(t, "get a deleted zone", err, "NoSuchHostedZone", "No hosted zone found with ID: "+bare)
}

// change applies one change with the SDK and waits with the SDK's waiter
// (aws route53 wait resource-record-sets-changed) until it is INSYNC.
func change(t *testing.T, c *route53.Client, zoneID string, action types.ChangeAction, set types.ResourceRecordSet) {
	t.Helper()
	out, err := c.ChangeResourceRecordSets(t.Context(), &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		ChangeBatch: &types.ChangeBatch{Comment: aws.String("walkthrough"), Changes: []types.Change{{Action: action, ResourceRecordSet: &set}}}})
	if err != nil {
		t.Fatalf("ChangeResourceRecordSets %s %s: %v", action, aws.ToString(set.Name), err)
	}
	if !strings.HasPrefix(aws.ToString(out.ChangeInfo.Id), "/change/C") {
		t.Errorf("change id: got %q, want /change/C…", aws.ToString(out.ChangeInfo.Id))
	}
	waitInsync(t, c, out.ChangeInfo.Id)
}

func waitInsync(t *testing.T, c *route53.Client, id *string) {
	t.Helper()
	// The limit is a safety net; the nameserver answers within its own wait.
	w := route53.NewResourceRecordSetsChangedWaiter(c)
	if err := w.Wait(t.Context(), &route53.GetChangeInput{Id: id}, 2*time.Minute); err != nil {
		t.Fatalf("wait for change %s: %v", aws.ToString(id), err)
	}
	got, err := c.GetChange(t.Context(), &route53.GetChangeInput{Id: id})
	if err != nil || got.ChangeInfo.Status != types.ChangeStatusInsync || aws.ToString(got.ChangeInfo.Id) != aws.ToString(id) {
		t.Fatalf("GetChange %s: got %+v, %v, want INSYNC", aws.ToString(id), got, err)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
