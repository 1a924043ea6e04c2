package nameserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// newOps is a Service without a running DNS server: operations only.
func newOps(t *testing.T) (*Service, store.Store) {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	return New(Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: model.DefaultEnv}), st
}

func wantError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want *model.Error %s", err, code)
	}
	if me.Status != status || me.Code != code || (message != "" && me.Message != message) {
		t.Errorf("got %d %s %q,\nwant %d %s %q", me.Status, me.Code, me.Message, status, code, message)
	}
}

func TestCreateHostedZone(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "Example.TEST", "ref-1", "demo")
	if err != nil {
		t.Fatalf("CreateHostedZone: %v", err)
	}
	if !regexp.MustCompile(`^Z[A-Z0-9]{20}$`).MatchString(z.ID) {
		t.Errorf("id: got %q, want Z and 20 uppercase letters or digits", z.ID)
	}
	if z.Name != "example.test." {
		t.Errorf("name: got %q, want %q", z.Name, "example.test.")
	}
	nsRe := regexp.MustCompile(`^ns-\d{1,4}\.awsdns-\d{2}\.(org|co\.uk|com|net)\.$`)
	if len(z.NameServers) != 4 {
		t.Fatalf("name servers: got %q, want 4", z.NameServers)
	}
	for _, ns := range z.NameServers {
		if !nsRe.MatchString(ns) {
			t.Errorf("name server %q does not look like Route 53's", ns)
		}
	}

	sets, err := s.ListRecordSets(ctx, "/hostedzone/"+z.ID)
	if err != nil {
		t.Fatalf("ListRecordSets: %v", err)
	}
	if len(sets) != 2 || sets[0].Type != "NS" || sets[1].Type != "SOA" {
		t.Fatalf("record sets of a new zone: got %+v, want NS and SOA", sets)
	}
	if sets[0].TTL != 172800 || !slices.Equal(sets[0].Records, z.NameServers) {
		t.Errorf("NS: got TTL %d %q, want 172800 %q", sets[0].TTL, sets[0].Records, z.NameServers)
	}
	wantSOA := z.NameServers[0] + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
	if sets[1].TTL != 900 || len(sets[1].Records) != 1 || sets[1].Records[0] != wantSOA {
		t.Errorf("SOA: got TTL %d %q, want 900 %q", sets[1].TTL, sets[1].Records, wantSOA)
	}

	t.Run("caller reference is single-use", func(t *testing.T) {
		_, _, err := s.CreateHostedZone(ctx, "other.test", "ref-1", "")
		wantError(t, err, http.StatusConflict, "HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
	})
	t.Run("caller reference stays used after the zone is deleted", func(t *testing.T) {
		if _, err := s.DeleteHostedZone(ctx, z.ID); err != nil {
			t.Fatalf("DeleteHostedZone: %v", err)
		}
		_, _, err := s.CreateHostedZone(ctx, "example.test", "ref-1", "")
		wantError(t, err, http.StatusConflict, "HostedZoneAlreadyExists", "")
	})
	for _, bad := range []string{"", ".", "exa mple.test", "a..b", strings.Repeat("a", 64) + ".test", "bad!.test"} {
		t.Run("invalid name "+bad, func(t *testing.T) {
			_, _, err := s.CreateHostedZone(ctx, bad, "ref-"+bad, "")
			wantError(t, err, http.StatusBadRequest, "InvalidDomainName", "")
		})
	}
}

func TestListHostedZones(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	for i, name := range []string{"b.example.test", "example.test", "a.test", "z.example.org"} {
		if _, _, err := s.CreateHostedZone(ctx, name, "ref"+string(rune('0'+i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	zones, err := s.ListHostedZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, z := range zones {
		got = append(got, z.Name)
	}
	want := []string{"z.example.org.", "a.test.", "example.test.", "b.example.test."}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDeleteHostedZone(t *testing.T) {
	ctx := context.Background()
	s, st := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	rec := create("api.example.test", "A", 60, "192.0.2.1")
	if _, err := s.ChangeRecordSets(ctx, z.ID, []Change{rec}); err != nil {
		t.Fatal(err)
	}

	_, err = s.DeleteHostedZone(ctx, z.ID)
	wantError(t, err, http.StatusBadRequest, "HostedZoneNotEmpty",
		"The specified hosted zone contains non-required resource record sets and so cannot be deleted.")

	rec.Action = "DELETE"
	if _, err := s.ChangeRecordSets(ctx, z.ID, []Change{rec}); err != nil {
		t.Fatal(err)
	}
	info, err := s.DeleteHostedZone(ctx, z.ID)
	if err != nil {
		t.Fatalf("DeleteHostedZone: %v", err)
	}
	if info.Status != ChangeInsync || !strings.HasPrefix(info.ID, "C") {
		t.Errorf("change info: got %+v", info)
	}
	if kvs, _, _ := st.List(ctx, recordSetPrefix(z.ID)); len(kvs) != 0 {
		t.Errorf("record sets left after delete: %d", len(kvs))
	}
	_, err = s.GetHostedZone(ctx, z.ID)
	wantError(t, err, http.StatusNotFound, "NoSuchHostedZone", "No hosted zone found with ID: "+z.ID)
	_, err = s.DeleteHostedZone(ctx, z.ID)
	wantError(t, err, http.StatusNotFound, "NoSuchHostedZone", "")
}

func TestChangeRecordSetsErrors(t *testing.T) {
	ctx := context.Background()
	s, st := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	setup := []Change{
		create("api.example.test", "A", 300, "192.0.2.1"),
		create("www.example.test", "CNAME", 300, "api.example.test"),
	}
	if _, err := s.ChangeRecordSets(ctx, z.ID, setup); err != nil {
		t.Fatal(err)
	}
	del := func(c Change) Change { c.Action = "DELETE"; return c }
	upsert := func(c Change) Change { c.Action = "UPSERT"; return c }
	// Route 53's texts for a value it cannot take, and for a change that is
	// neither an alias nor a TTL with records.
	badValue := func(problem, value string) string {
		return "[Invalid Resource Record: 'FATAL problem: " + problem + " encountered with '" + value + "'']"
	}
	exactlyOne := func(found string) string {
		return "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found " +
			found + " in Change with [Action=CREATE, Name=a.example.test, Type=A, SetIdentifier=null]"
	}
	gaAlias := &model.AliasTarget{HostedZoneID: model.AcceleratorHostedZoneID, DNSName: gaName}

	tests := []struct {
		name    string
		changes []Change
		code    string
		message string
	}{
		{name: "create existing", code: "InvalidChangeBatch",
			changes: []Change{create("api.example.test", "A", 300, "192.0.2.9")},
			message: "[Tried to create resource record set [name='api.example.test.', type='A'] but it already exists]"},
		{name: "delete missing", code: "InvalidChangeBatch",
			changes: []Change{del(create("x.example.test", "A", 300, "192.0.2.1"))},
			message: "[Tried to delete resource record set [name='x.example.test.', type='A'] but it was not found]"},
		{name: "delete with other values", code: "InvalidChangeBatch",
			changes: []Change{del(create("api.example.test", "A", 300, "192.0.2.2"))},
			message: "[Tried to delete resource record set [name='api.example.test.', type='A'] but the values provided do not match the current values]"},
		{name: "name outside zone", code: "InvalidChangeBatch",
			changes: []Change{create("api.example.com", "A", 300, "192.0.2.1")},
			message: "[RRSet with DNS name api.example.com. is not permitted in zone example.test.]"},
		{name: "CNAME beside other records", code: "InvalidChangeBatch",
			changes: []Change{create("api.example.test", "CNAME", 300, "other.example.test")},
			message: "[RRSet of type CNAME with DNS name api.example.test. is not permitted as it conflicts with other records with the same DNS name in zone example.test.]"},
		{name: "record beside a CNAME", code: "InvalidChangeBatch",
			changes: []Change{create("www.example.test", "TXT", 300, `"x"`)},
			message: "[RRSet of type TXT with DNS name www.example.test. is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone example.test.]"},
		{name: "CNAME at apex", code: "InvalidChangeBatch",
			changes: []Change{create("example.test", "CNAME", 300, "api.example.test")},
			message: "[RRSet of type CNAME with DNS name example.test. is not permitted at apex in zone example.test.]"},
		{name: "bad IPv4", code: "InvalidChangeBatch",
			changes: []Change{create("v4.example.test", "A", 300, "999.1.1.1")},
			message: badValue("ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)", "999.1.1.1")},
		{name: "IPv6 in an A record", code: "InvalidChangeBatch",
			changes: []Change{create("v4.example.test", "A", 300, "2001:db8::1")},
			message: badValue("ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)", "2001:db8::1")},
		{name: "bad IPv6", code: "InvalidChangeBatch",
			changes: []Change{create("v6.example.test", "AAAA", 300, "192.0.2.1")},
			message: badValue("AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)", "192.0.2.1")},
		{name: "unquoted TXT", code: "InvalidChangeBatch",
			changes: []Change{create("t.example.test", "TXT", 300, "hello")},
			message: badValue("InvalidCharacterString (Value should be enclosed in quotation marks)", "hello")},
		{name: "MX without priority", code: "InvalidChangeBatch",
			changes: []Change{create("example.test", "MX", 300, "mail.example.test.")},
			message: badValue("MXRRDATANotTwoFields (MX record doesn't have 2 fields)", "mail.example.test.")},
		{name: "bad SRV", code: "InvalidChangeBatch",
			changes: []Change{create("_x._tcp.example.test", "SRV", 300, "1 2 notaport host.example.test.")},
			message: badValue("InvalidRDATA (Value is not valid for the record type)", "1 2 notaport host.example.test.")},
		{name: "same record set twice", code: "InvalidChangeBatch",
			changes: []Change{create("n.example.test", "A", 300, "192.0.2.1"), upsert(create("n.example.test", "A", 300, "192.0.2.2"))},
			message: "[The request contains an invalid set of changes for a resource record set 'A n.example.test.']"},
		{name: "same record set deleted twice", code: "InvalidChangeBatch",
			changes: []Change{
				{Action: "DELETE", Set: model.RecordSet{Name: "example.test", Type: "MX", TTL: 300, Records: []string{"10 mx.example.test."}}},
				{Action: "DELETE", Set: model.RecordSet{Name: "example.test", Type: "MX", TTL: 300, Records: []string{"10 mx.example.test."}}},
			},
			message: "[The request contains an invalid set of changes for a resource record set 'MX example.test.']"},
		{name: "delete the SOA", code: "InvalidChangeBatch",
			changes: []Change{del(soaChange(t, s, z.ID))},
			message: "[A HostedZone must contain exactly one SOA record.]"},
		{name: "alias and records", code: "InvalidInput", message: exactlyOne("more than one"),
			changes: []Change{{Action: "CREATE", Set: model.RecordSet{Name: "a.example.test", Type: "A", Records: []string{"192.0.2.1"}, Alias: gaAlias}}}},
		{name: "alias with TTL", code: "InvalidInput", message: exactlyOne("more than one"),
			changes: []Change{{Action: "CREATE", Set: model.RecordSet{Name: "a.example.test", Type: "A", TTL: 60, Alias: gaAlias}}}},
		{name: "neither alias nor records", code: "InvalidInput", message: exactlyOne("none"),
			changes: []Change{{Action: "CREATE", Set: model.RecordSet{Name: "a.example.test", Type: "A", TTL: 60}}}},
		{name: "alias to a missing record in zone", code: "InvalidChangeBatch",
			changes: []Change{alias("a.example.test", "A", z.ID, "nothing.example.test")},
			message: "[Tried to create an alias that targets nothing.example.test., type A in zone " + z.ID + ", but that target was not found]"},
		{name: "accelerator alias outside its zone", code: "InvalidChangeBatch",
			changes: []Change{alias("a.example.test", "A", model.AcceleratorHostedZoneID, "api.example.test")},
			message: "[Tried to create an alias that targets api.example.test., type A in zone Z2BJ6XQ5FK7U4H, but the alias target name does not lie within the target zone]"},
		{name: "unknown action", code: "InvalidInput",
			changes: []Change{{Action: "REPLACE", Set: model.RecordSet{Name: "a.example.test", Type: "A", TTL: 1, Records: []string{"192.0.2.1"}}}},
			message: "1 validation error detected: Value 'REPLACE' at 'changeBatch.changes.1.member.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]"},
		{name: "unknown type", code: "InvalidInput",
			changes: []Change{create("a.example.test", "WKS", 60, "x")},
			message: "1 validation error detected: Value 'WKS' at 'changeBatch.changes.1.member.resourceRecordSet.type' failed to satisfy constraint: Member must satisfy enum value set: [SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]"},
		{name: "negative TTL", code: "InvalidInput",
			changes: []Change{create("a.example.test", "A", -1, "192.0.2.1")},
			message: "1 validation error detected: Value '-1' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{name: "TTL over 2147483647", code: "InvalidInput",
			changes: []Change{create("a.example.test", "A", 2147483648, "192.0.2.1")},
			message: "1 validation error detected: Value '2147483648' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to 2147483647"},
		{name: "blank name", code: "InvalidInput",
			changes: []Change{create(" ", "A", 60, "192.0.2.1")},
			message: "1 validation error detected: Value null at 'changeBatch.changes.1.member.resourceRecordSet.name' failed to satisfy constraint: Member must not be null"},
		{name: "alias without a zone", code: "InvalidInput",
			changes: []Change{alias("a.example.test", "A", "", gaName)},
			message: "1 validation error detected: Value null at 'changeBatch.changes.1.member.resourceRecordSet.aliasTarget' failed to satisfy constraint: Member must not be null"},
		{name: "empty batch", code: "InvalidInput", changes: nil,
			message: "1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		// A later bad change rejects the good ones before it.
		{name: "all or nothing", code: "InvalidChangeBatch",
			changes: []Change{create("good.example.test", "A", 300, "192.0.2.7"), create("bad.example.test", "A", 300, "nope")},
			message: badValue("ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)", "nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, before, _ := st.List(ctx, "")
			_, err := s.ChangeRecordSets(ctx, z.ID, tc.changes)
			wantError(t, err, http.StatusBadRequest, tc.code, tc.message)
			if _, after, _ := st.List(ctx, ""); after != before {
				t.Errorf("store changed by a rejected batch: rev %d → %d", before, after)
			}
		})
	}

	t.Run("unknown zone", func(t *testing.T) {
		_, err := s.ChangeRecordSets(ctx, "ZNOSUCHZONE", setup)
		wantError(t, err, http.StatusNotFound, "NoSuchHostedZone", "No hosted zone found with ID: ZNOSUCHZONE")
	})
}

func soaChange(t *testing.T, s *Service, zoneID string) Change {
	t.Helper()
	sets, err := s.ListRecordSets(context.Background(), zoneID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range sets {
		if rs.Type == "SOA" {
			return Change{Action: "CREATE", Set: *rs}
		}
	}
	t.Fatal("no SOA")
	return Change{}
}

func TestChangeRecordSetsApplies(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		changes []Change
		want    []string            // "name type" of every record set after the step, in list order
		values  map[string][]string // "name type" → records, for the sets a step replaces
	}{
		{name: "create", want: []string{"example.test. NS", "example.test. SOA", "a.example.test. A", "www.example.test. CNAME", "z.example.test. TXT"},
			changes: []Change{
				create("WWW.example.test", "CNAME", 60, "a.example.test"),
				create("a.example.test.", "A", 60, "192.0.2.1"),
				create("z.example.test", "TXT", 60, `"v=1"`),
			}},
		{name: "replace a CNAME by an A in one batch (delete first)",
			want: []string{"example.test. NS", "example.test. SOA", "a.example.test. A", "www.example.test. A", "z.example.test. TXT"},
			changes: []Change{
				{Action: "DELETE", Set: model.RecordSet{Name: "www.example.test", Type: "CNAME", TTL: 60, Records: []string{"a.example.test."}}},
				create("www.example.test", "A", 60, "192.0.2.2"),
			}},
		{name: "upsert changes values and creates", want: []string{"example.test. A", "example.test. NS", "example.test. SOA", "a.example.test. A", "www.example.test. A", "z.example.test. TXT"},
			changes: []Change{
				{Action: "UPSERT", Set: model.RecordSet{Name: "a.example.test", Type: "A", TTL: 300, Records: []string{"192.0.2.3"}}},
				{Action: "UPSERT", Set: model.RecordSet{Name: "example.test", Type: "A",
					Alias: &model.AliasTarget{HostedZoneID: model.AcceleratorHostedZoneID, DNSName: strings.ToUpper(gaName)}}},
			}},
		{name: "upsert replaces a set's values",
			want:   []string{"example.test. A", "example.test. NS", "example.test. SOA", "a.example.test. A", "www.example.test. A", "z.example.test. TXT"},
			values: map[string][]string{"a.example.test. A": {"192.0.2.4", "192.0.2.5"}},
			changes: []Change{
				{Action: "UPSERT", Set: model.RecordSet{Name: "a.example.test", Type: "A", TTL: 60, Records: []string{"192.0.2.4", "192.0.2.5"}}},
			}},
		{name: "delete and create of one name and type replaces the set",
			want:   []string{"example.test. A", "example.test. NS", "example.test. SOA", "a.example.test. A", "www.example.test. A", "z.example.test. TXT"},
			values: map[string][]string{"www.example.test. A": {"192.0.2.9"}},
			changes: []Change{
				{Action: "DELETE", Set: model.RecordSet{Name: "www.example.test", Type: "A", TTL: 60, Records: []string{"192.0.2.2"}}},
				create("www.example.test", "A", 60, "192.0.2.9"),
			}},
	}
	for _, step := range steps {
		info, err := s.ChangeRecordSets(ctx, z.ID, step.changes)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got, err := s.GetChange(ctx, "/change/"+info.ID); err != nil || got.Status != ChangeInsync {
			t.Errorf("%s: GetChange: got %+v, %v, want INSYNC", step.name, got, err)
		}
		sets, err := s.ListRecordSets(ctx, z.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rs := range sets {
			got = append(got, rs.Name+" "+rs.Type)
		}
		if !slices.Equal(got, step.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", step.name, got, step.want)
		}
		for _, rs := range sets {
			if want, ok := step.values[rs.Name+" "+rs.Type]; ok && !slices.Equal(rs.Records, want) {
				t.Errorf("%s: %s %s: got %q, want %q", step.name, rs.Name, rs.Type, rs.Records, want)
			}
			if rs.Alias != nil && rs.Alias.DNSName != gaName+"." {
				t.Errorf("alias target not normalised: %q", rs.Alias.DNSName)
			}
		}
	}
}

func TestChangeRecordSetsListsEveryFault(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeRecordSets(ctx, z.ID, []Change{create("a.example.test", "A", 60, "192.0.2.1")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.ChangeRecordSets(ctx, z.ID, []Change{
		create("a.example.test", "A", 60, "192.0.2.2"),
		{Action: "DELETE", Set: model.RecordSet{Name: "b.example.test", Type: "A", TTL: 60, Records: []string{"192.0.2.3"}}},
	})
	wantError(t, err, http.StatusBadRequest, "InvalidChangeBatch",
		"[Tried to create resource record set [name='a.example.test.', type='A'] but it already exists, "+
			"Tried to delete resource record set [name='b.example.test.', type='A'] but it was not found]")
}

func TestListPages(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	var ids []string
	for i, name := range []string{"b.example.test", "example.test", "a.test", "z.example.org", "example.test"} {
		z, _, err := s.CreateHostedZone(ctx, name, fmt.Sprint("ref", i), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, z.ID)
	}

	t.Run("ListHostedZonesPage walks every zone in ID order", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 0; ; pages++ {
			zones, next, err := s.ListHostedZonesPage(ctx, marker, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(zones) > 2 || pages > 3 {
				t.Fatalf("page %d: %d zones, want at most 2 in 3 pages", pages, len(zones))
			}
			for _, z := range zones {
				got = append(got, z.ID)
			}
			if next == "" {
				break
			}
			marker = "/hostedzone/" + next
		}
		want := slices.Sorted(slices.Values(ids))
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("ListHostedZonesByName starts at a name and pages by name and ID", func(t *testing.T) {
		zones, nextName, nextID, err := s.ListHostedZonesByName(ctx, "A.Test", "", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(zones) != 2 || zones[0].Name != "a.test." || zones[1].Name != "example.test." || nextName != "example.test." {
			t.Fatalf("first page: got %v, next %q %q", zones, nextName, nextID)
		}
		zones, nextName, _, err = s.ListHostedZonesByName(ctx, nextName, nextID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(zones) != 2 || zones[0].ID != nextID || zones[1].Name != "b.example.test." || nextName != "" {
			t.Fatalf("second page: got %v, next %q", zones, nextName)
		}
		_, _, _, err = s.ListHostedZonesByName(ctx, "", ids[0], 0)
		wantError(t, err, http.StatusBadRequest, "InvalidInput", "")
		_, _, _, err = s.ListHostedZonesByName(ctx, "bad name!", "", 0)
		wantError(t, err, http.StatusBadRequest, "InvalidDomainName", "")
	})

	t.Run("ListRecordSetsPage", func(t *testing.T) {
		zoneID := ids[1]
		var changes []Change
		for _, n := range []string{"a", "b", "c"} {
			changes = append(changes, create(n+".example.test", "A", 60, "192.0.2.1"), create(n+".example.test", "TXT", 60, `"x"`))
		}
		if _, err := s.ChangeRecordSets(ctx, zoneID, changes); err != nil {
			t.Fatal(err)
		}
		var got []string
		name, typ := "", ""
		for pages := 0; ; pages++ {
			sets, nextName, nextType, err := s.ListRecordSetsPage(ctx, zoneID, name, typ, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(sets) > 3 || pages > 2 {
				t.Fatalf("page %d: %d sets, want at most 3 in 3 pages", pages, len(sets))
			}
			for _, rs := range sets {
				got = append(got, rs.Name+" "+rs.Type)
			}
			if nextName == "" {
				break
			}
			name, typ = nextName, nextType
		}
		want := []string{"example.test. NS", "example.test. SOA", "a.example.test. A", "a.example.test. TXT",
			"b.example.test. A", "b.example.test. TXT", "c.example.test. A", "c.example.test. TXT"}
		if !slices.Equal(got, want) {
			t.Errorf("got %q,\nwant %q", got, want)
		}

		sets, _, _, err := s.ListRecordSetsPage(ctx, zoneID, "B.example.test", "TXT", 0)
		if err != nil || len(sets) != 3 || sets[0].Name != "b.example.test." || sets[0].Type != "TXT" {
			t.Errorf("from b TXT: got %v, %v", sets, err)
		}
		_, _, _, err = s.ListRecordSetsPage(ctx, zoneID, "", "A", 0)
		wantError(t, err, http.StatusBadRequest, "InvalidInput", "")
		_, _, _, err = s.ListRecordSetsPage(ctx, zoneID, "a.example.test", "WKS", 0)
		wantError(t, err, http.StatusBadRequest, "InvalidInput", "1 validation error detected: Value 'WKS' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]")
		_, _, _, err = s.ListRecordSetsPage(ctx, "ZNOSUCHZONE", "", "", 0)
		wantError(t, err, http.StatusNotFound, "NoSuchHostedZone", "No hosted zone found with ID: ZNOSUCHZONE")

		counts, err := s.RecordSetCounts(ctx)
		if err != nil || counts[zoneID] != 8 || counts[ids[0]] != 2 {
			t.Errorf("RecordSetCounts: got %v, %v, want %s: 8 and %s: 2", counts, err, zoneID, ids[0])
		}
	})
}

func TestZoneTagsAndComment(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "old")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeTags(ctx, "hostedzone", z.ID, map[string]string{"env": "demo", "team": "edge"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeTags(ctx, "hostedzone", "/hostedzone/"+z.ID, map[string]string{"env": "prod"}, []string{"team", "absent"}); err != nil {
		t.Fatal(err)
	}
	tags, err := s.ListTags(ctx, "hostedzone", z.ID)
	if err != nil || len(tags) != 1 || tags["env"] != "prod" {
		t.Errorf("tags: got %v, %v, want env=prod", tags, err)
	}
	hz, err := s.UpdateHostedZoneComment(ctx, z.ID, "new")
	if err != nil || hz.Comment != "new" || hz.Tags["env"] != "prod" {
		t.Errorf("UpdateHostedZoneComment: got %+v, %v", hz, err)
	}

	tooMany := map[string]string{}
	for i := range 11 {
		tooMany[fmt.Sprint("k", i)] = ""
	}
	for _, tc := range []struct {
		name, typ, id string
		add           map[string]string
		status        int
		code          string
	}{
		{name: "unknown zone", typ: "hostedzone", id: "ZNOSUCHZONE", status: http.StatusNotFound, code: "NoSuchHostedZone"},
		{name: "health check", typ: "healthcheck", id: "abc", status: http.StatusNotFound, code: "NoSuchHealthCheck"},
		{name: "unknown type", typ: "bucket", id: z.ID, status: http.StatusBadRequest, code: "InvalidInput"},
		{name: "eleven tags", typ: "hostedzone", id: z.ID, add: tooMany, status: http.StatusBadRequest, code: "InvalidInput"},
		{name: "long key", typ: "hostedzone", id: z.ID, add: map[string]string{strings.Repeat("k", 129): ""}, status: http.StatusBadRequest, code: "InvalidInput"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, s.ChangeTags(ctx, tc.typ, tc.id, tc.add, nil), tc.status, tc.code, "")
		})
	}
	_, err = s.UpdateHostedZoneComment(ctx, "ZNOSUCHZONE", "x")
	wantError(t, err, http.StatusNotFound, "NoSuchHostedZone", "No hosted zone found with ID: ZNOSUCHZONE")
}
