package accelerator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

func TestCreateDefaults(t *testing.T) {
	f := newFixture(t, false)
	lb1 := f.putLB("lb1", true, lb1IP)
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge", IdempotencyToken: "tok"}))
	if !acc.Enabled || acc.Status != model.AcceleratorInProgress || acc.IPAddressType != "IPV4" {
		t.Errorf("got enabled=%v status=%s type=%s, want true IN_PROGRESS IPV4", acc.Enabled, acc.Status, acc.IPAddressType)
	}
	if !strings.HasPrefix(acc.ARN, "arn:aws:globalaccelerator::000000000000:accelerator/") {
		t.Errorf("got ARN %s", acc.ARN)
	}
	if len(acc.DNSName) != len("a0123456789abcdef.awsglobalaccelerator.com") || !strings.HasSuffix(acc.DNSName, ".awsglobalaccelerator.com") {
		t.Errorf("got DNS name %s", acc.DNSName)
	}
	again, err := f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge", IdempotencyToken: "tok"})
	if err != nil || again.ARN != acc.ARN {
		t.Errorf("same idempotency token: got %v, %v; want accelerator %s", again, err, acc.ARN)
	}

	l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 443, ToPort: 443}, {FromPort: 8443, ToPort: 8444}}, ""))
	if l.ClientAffinity != "NONE" || !strings.HasPrefix(l.ARN, acc.ARN+"/listener/") || len(l.ARN) != len(acc.ARN)+len("/listener/")+8 {
		t.Errorf("got listener %+v", l)
	}
	g, err := f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{
		ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{{EndpointID: lb1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := model.EndpointGroup{
		ARN: g.ARN, ListenerARN: l.ARN, Region: "us-west-2", TrafficDialPercentage: 100,
		HealthCheckPort: 443, HealthCheckProtocol: "TCP", HealthCheckIntervalSeconds: 30, ThresholdCount: 3,
		Endpoints: []model.Endpoint{{EndpointID: lb1, Weight: 128, ClientIPPreservationEnabled: true}},
	}
	if fmt.Sprint(*g) != fmt.Sprint(want) {
		t.Errorf("got group %+v, want %+v", *g, want)
	}
	if !strings.HasPrefix(g.ARN, l.ARN+"/endpoint-group/") || len(g.ARN) != len(l.ARN)+len("/endpoint-group/")+12 {
		t.Errorf("got group ARN %s", g.ARN)
	}
}

func TestOpErrors(t *testing.T) {
	f := newFixture(t, false)
	lb1 := f.putLB("lb1", true, lb1IP)
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
	l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 80, ToPort: 90}}, ""))
	g := testutil.Must[*model.EndpointGroup](t)(f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{{EndpointID: lb1}}}))
	missing := acc.ARN + "x"
	big := 256
	var eleven []model.EndpointInput
	for i := range 11 {
		eleven = append(eleven, model.EndpointInput{EndpointID: f.putLB(fmt.Sprintf("many%d", i), true, lb1IP)})
	}
	tests := []struct {
		name     string
		op       func() error
		wantCode string
		wantText string
	}{
		{"delete enabled", func() error { return f.svc.DeleteAccelerator(f.ctx, acc.ARN) },
			"AcceleratorNotDisabledException", "must be disabled"},
		{"describe missing accelerator", func() error { _, err := f.svc.DescribeAccelerator(f.ctx, missing); return err },
			"AcceleratorNotFoundException", acceleratorNotFoundMessage},
		{"bad name", func() error { _, err := f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "-x"}); return err },
			"InvalidArgumentException", "Invalid name"},
		{"listener on missing accelerator", func() error {
			_, err := f.svc.CreateListener(f.ctx, missing, "TCP", []model.PortRange{{FromPort: 1, ToPort: 1}}, "")
			return err
		}, "AcceleratorNotFoundException", acceleratorNotFoundMessage},
		{"overlapping listener", func() error {
			_, err := f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 90, ToPort: 95}}, "")
			return err
		}, "InvalidPortRangeException", "taken by listener " + l.ARN},
		{"port 0", func() error {
			_, err := f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 0, ToPort: 5}}, "")
			return err
		}, "InvalidPortRangeException", invalidPortRangeMessage},
		{"bad protocol", func() error {
			_, err := f.svc.CreateListener(f.ctx, acc.ARN, "SCTP", []model.PortRange{{FromPort: 1, ToPort: 5}}, "")
			return err
		}, "InvalidArgumentException", "Invalid protocol: SCTP"},
		{"delete listener with group", func() error { return f.svc.DeleteListener(f.ctx, l.ARN) },
			"AssociatedEndpointGroupFoundException", "Cannot delete listener " + l.ARN},
		{"describe missing listener", func() error { _, err := f.svc.DescribeListener(f.ctx, l.ARN+"x"); return err },
			"ListenerNotFoundException", listenerNotFoundMessage},
		{"second group in region", func() error {
			_, err := f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "us-west-2"})
			return err
		}, "EndpointGroupAlreadyExistsException", endpointGroupExistsMessage},
		{"unknown load balancer", func() error {
			_, err := f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "eu-west-1",
				Endpoints: []model.EndpointInput{{EndpointID: lbARN("nope")}}})
			return err
		}, "InvalidArgumentException", "is not a valid load balancer ARN"},
		{"weight 256", func() error {
			_, err := f.svc.AddEndpoints(f.ctx, g.ARN, []model.EndpointInput{{EndpointID: lb1, Weight: &big}})
			return err
		}, "InvalidArgumentException", "Weight must be between 0 and 255."},
		{"eleven endpoints", func() error {
			_, err := f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "eu-west-1", Endpoints: eleven})
			return err
		}, "LimitExceededException", limitExceededMessage},
		{"remove unknown endpoint", func() error { return f.svc.RemoveEndpoints(f.ctx, g.ARN, []string{lbARN("nope")}) },
			"EndpointNotFoundException", endpointNotFoundMessage},
		{"describe missing group", func() error { _, err := f.svc.DescribeEndpointGroup(f.ctx, g.ARN+"x"); return err },
			"EndpointGroupNotFoundException", endpointGroupNotFoundMessage},
		{"interval 20", func() error {
			v := 20
			_, err := f.svc.UpdateEndpointGroup(f.ctx, g.ARN, UpdateEndpointGroupInput{HealthCheckIntervalSeconds: &v})
			return err
		}, "InvalidArgumentException", "HealthCheckIntervalSeconds must be 10 or 30."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if got := modelErrCode(err); got != tt.wantCode {
				t.Fatalf("got %s (%v), want %s", got, err, tt.wantCode)
			}
			if me := err.(*model.Error); me.Status != 400 || !strings.Contains(me.Message, tt.wantText) {
				t.Errorf("got status %d message %q, want 400 containing %q", me.Status, me.Message, tt.wantText)
			}
		})
	}

	// Disabled but with a listener.
	off := false
	if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	err := f.svc.DeleteAccelerator(f.ctx, acc.ARN)
	if got := modelErrCode(err); got != "AssociatedListenerFoundException" {
		t.Fatalf("delete with listener: got %s, want AssociatedListenerFoundException", got)
	}
}

func TestDeleteReleasesIPs(t *testing.T) {
	f := newFixture(t, false)
	lb1 := f.putLB("lb1", true, lb1IP)
	acc := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "a", Enabled: new(false)}))
	l := testutil.Must[*model.GAListener](t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 443, ToPort: 443}}, ""))
	g := testutil.Must[*model.EndpointGroup](t)(f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "us-west-2", Endpoints: []model.EndpointInput{{EndpointID: lb1}}}))
	other := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "b"}))
	if slices.Equal(other.IPSets[0].IPAddresses, acc.IPSets[0].IPAddresses) {
		t.Fatalf("two accelerators share IPs %v", acc.IPSets[0].IPAddresses)
	}
	for _, step := range []func() error{
		func() error { return f.svc.RemoveEndpoints(f.ctx, g.ARN, []string{lb1}) },
		func() error { return f.svc.DeleteEndpointGroup(f.ctx, g.ARN) },
		func() error { return f.svc.DeleteListener(f.ctx, l.ARN) },
		func() error { return f.svc.DeleteAccelerator(f.ctx, acc.ARN) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	next := testutil.Must[*model.Accelerator](t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "c"}))
	if got, want := next.IPSets[0].IPAddresses, acc.IPSets[0].IPAddresses; !slices.Equal(got, want) {
		t.Errorf("after delete: got IPs %v, want the released %v", got, want)
	}
}

func TestEndpointHealth(t *testing.T) {
	lb := lbARN("lb")
	tg := tgARN("lb")
	base := func(states ...string) *model.Snapshot {
		s := model.EmptySnapshot()
		s.LoadBalancers[lb] = &model.LoadBalancer{ARN: lb}
		s.Listeners["l"] = &model.Listener{ARN: "l", LoadBalancerARN: lb, DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg}}}
		if states != nil {
			h := &model.TargetHealth{TargetGroupARN: tg}
			for _, st := range states {
				h.Targets = append(h.Targets, model.TargetState{State: st})
			}
			s.TargetHealth[tg] = h
		}
		return s
	}
	tests := []struct {
		name string
		snap *model.Snapshot
		want string
	}{
		{"no such load balancer", model.EmptySnapshot(), HealthUnhealthy},
		{"no health yet", base(), HealthInitial},
		{"all initial", base(model.TargetInitial, model.TargetInitial), HealthInitial},
		{"one healthy", base(model.TargetUnhealthy, model.TargetHealthy), HealthHealthy},
		{"all unhealthy", base(model.TargetUnhealthy), HealthUnhealthy},
		{"no targets", base([]string{}...), HealthUnhealthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, reason := EndpointHealth(tt.snap, lb); got != tt.want {
				t.Errorf("got %s (%s), want %s", got, reason, tt.want)
			}
		})
	}
}

func FuzzValidatePortRanges(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1})
	f.Add([]byte{1, 187, 1, 187, 0, 80, 0, 90})
	f.Add([]byte{255, 255, 255, 255, 0, 0, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ranges []model.PortRange
		for i := 0; i+3 < len(b); i += 4 {
			ranges = append(ranges, model.PortRange{
				FromPort: int(b[i])<<8 | int(b[i+1]),
				ToPort:   int(b[i+2])<<8 | int(b[i+3]),
			})
		}
		err := validatePortRanges(ranges)
		if err != nil {
			if _, ok := err.(*model.Error); !ok {
				t.Fatalf("got %T, want *model.Error", err)
			}
			return
		}
		// Accepted: 1–10 ranges, valid and disjoint.
		if len(ranges) == 0 || len(ranges) > maxPortRanges {
			t.Fatalf("accepted %d ranges", len(ranges))
		}
		seen := map[int]bool{}
		for _, r := range ranges {
			if r.FromPort < 1 || r.ToPort > 65535 || r.FromPort > r.ToPort {
				t.Fatalf("accepted invalid range %+v", r)
			}
			for p := r.FromPort; p <= r.ToPort; p++ {
				if seen[p] {
					t.Fatalf("accepted overlapping ranges %v", ranges)
				}
				seen[p] = true
			}
		}
	})
}

func TestPaginate(t *testing.T) {
	items := []string{"d", "b", "a", "c", "e"}
	id := func(s string) string { return s }
	var got []string
	var pages int
	p := Page{MaxResults: new(2)}
	for {
		page, next, err := Paginate(items, id, p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, page...)
		if next == "" {
			break
		}
		p.NextToken = next
	}
	if want := []string{"a", "b", "c", "d", "e"}; pages != 3 || !slices.Equal(got, want) {
		t.Errorf("got %d pages of %v, want 3 pages of %v", pages, got, want)
	}
	if page, next, err := Paginate([]string(nil), id, Page{}); err != nil || len(page) != 0 || next != "" {
		t.Errorf("empty list: got %v %q %v, want an empty last page", page, next, err)
	}
	for _, bad := range []struct {
		page Page
		code string
		msg  string
	}{
		{Page{MaxResults: new(0)}, codeInvalidArgument,
			"1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{Page{MaxResults: new(101)}, codeInvalidArgument,
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{Page{NextToken: "!"}, codeInvalidNextToken, "There isn't another item to return."},
	} {
		_, _, err := Paginate(items, id, bad.page)
		if modelErrCode(err) != bad.code {
			t.Errorf("page %+v: got %v, want %s", bad.page, err, bad.code)
		} else if got := err.(*model.Error).Message; got != bad.msg {
			t.Errorf("page %+v: got message %q, want %q", bad.page, got, bad.msg)
		}
	}
}

// validateTags checks keys before the count and keeps accepting keys that
// start with "aws:" (model.CheckTags would refuse them).
func TestValidateTags(t *testing.T) {
	many := func(n int, extra map[string]string) map[string]string {
		tags := map[string]string{}
		for i := range n {
			tags[fmt.Sprintf("k%02d", i)] = "v"
		}
		maps.Copy(tags, extra)
		return tags
	}
	tests := []struct {
		name string
		tags map[string]string
		want string // "" for accepted
	}{
		{"none", nil, ""},
		{"50 tags", many(50, nil), ""},
		{"aws: prefix", map[string]string{"aws:team": "edge", "AWS:x": "y"}, ""},
		{"empty key", map[string]string{"": "v"}, `Invalid tag key: "". A tag key must be 1 to 128 characters long.`},
		{"key of 129", map[string]string{strings.Repeat("k", 129): "v"}, `Invalid tag key: "` + strings.Repeat("k", 128) + `...". A tag key must be 1 to 128 characters long.`},
		{"value of 257", map[string]string{"k": strings.Repeat("v", 257)}, `Invalid value for tag "k": a tag value can be at most 256 characters long.`},
		{"aws: key then a bad value", map[string]string{"aws:a": "v", "b": strings.Repeat("v", 257)}, `Invalid value for tag "b": a tag value can be at most 256 characters long.`},
		{"51 tags", many(51, nil), "A resource can have at most 50 tags."},
		{"51 tags, one key bad", many(50, map[string]string{"": "v"}), `Invalid tag key: "". A tag key must be 1 to 128 characters long.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateTags(tt.tags)
			got := ""
			if err != nil {
				got = err.(*model.Error).Message
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
