package globalaccelerator_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"
)

// setup creates an accelerator with a TCP listener on port and an endpoint
// group holding lb, and returns their ARNs.
func (f *fixture) setup(name string, port int32, lb string) (acc, listener, group string) {
	f.t.Helper()
	a, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(name)})
	if err != nil {
		f.t.Fatal(err)
	}
	acc = aws.ToString(a.Accelerator.AcceleratorArn)
	l, err := f.client.CreateListener(f.ctx, &globalaccelerator.CreateListenerInput{
		AcceleratorArn: aws.String(acc), Protocol: types.ProtocolTcp,
		PortRanges: []types.PortRange{{FromPort: aws.Int32(port), ToPort: aws.Int32(port)}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	listener = aws.ToString(l.Listener.ListenerArn)
	g, err := f.client.CreateEndpointGroup(f.ctx, &globalaccelerator.CreateEndpointGroupInput{
		ListenerArn: aws.String(listener), EndpointGroupRegion: aws.String("us-west-2"),
		EndpointConfigurations: []types.EndpointConfiguration{{EndpointId: aws.String(lb)}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return acc, listener, aws.ToString(g.EndpointGroup.EndpointGroupArn)
}

func TestIdempotentCreate(t *testing.T) {
	f := newFixture(t, false)
	in := &globalaccelerator.CreateAcceleratorInput{Name: aws.String("edge"), IdempotencyToken: aws.String("retry-1")}
	first, err := f.client.CreateAccelerator(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.client.CreateAccelerator(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := aws.ToString(first.Accelerator.AcceleratorArn), aws.ToString(again.Accelerator.AcceleratorArn); a != b {
		t.Errorf("same token: got accelerators %s and %s, want one", a, b)
	}
	// The SDK fills a fresh token for each call that has none.
	other, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String("edge")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(other.Accelerator.AcceleratorArn) == aws.ToString(first.Accelerator.AcceleratorArn) {
		t.Errorf("no token: got the first accelerator again")
	}
}

func TestUpdates(t *testing.T) {
	f := newFixture(t, false)
	ctx := f.ctx
	lb1, lb2 := f.putLB("one"), f.putLB("two")
	acc, listener, group := f.setup("edge", 443, lb1)

	ua, err := f.client.UpdateAccelerator(ctx, &globalaccelerator.UpdateAcceleratorInput{AcceleratorArn: aws.String(acc), Name: aws.String("renamed")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(ua.Accelerator.Name); got != "renamed" || !aws.ToBool(ua.Accelerator.Enabled) {
		t.Errorf("rename: got name %q enabled %v, want renamed true", got, aws.ToBool(ua.Accelerator.Enabled))
	}

	ul, err := f.client.UpdateListener(ctx, &globalaccelerator.UpdateListenerInput{
		ListenerArn:    aws.String(listener),
		PortRanges:     []types.PortRange{{FromPort: aws.Int32(443), ToPort: aws.Int32(443)}, {FromPort: aws.Int32(8000), ToPort: aws.Int32(8010)}},
		ClientAffinity: types.ClientAffinitySourceIp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if l := ul.Listener; l.ClientAffinity != types.ClientAffinitySourceIp || l.Protocol != types.ProtocolTcp || len(l.PortRanges) != 2 ||
		aws.ToInt32(l.PortRanges[1].FromPort) != 8000 || aws.ToInt32(l.PortRanges[1].ToPort) != 8010 {
		t.Errorf("update listener: got %s %s %+v", l.Protocol, l.ClientAffinity, l.PortRanges)
	}
	dl, err := f.client.DescribeListener(ctx, &globalaccelerator.DescribeListenerInput{ListenerArn: aws.String(listener)})
	if err != nil || dl.Listener.ClientAffinity != types.ClientAffinitySourceIp {
		t.Errorf("describe listener: got %+v, %v", dl, err)
	}

	ug, err := f.client.UpdateEndpointGroup(ctx, &globalaccelerator.UpdateEndpointGroupInput{
		EndpointGroupArn:      aws.String(group),
		TrafficDialPercentage: aws.Float32(50),
		HealthCheckProtocol:   types.HealthCheckProtocolHttps,
		HealthCheckPath:       aws.String("/health"),
		ThresholdCount:        aws.Int32(5),
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := ug.EndpointGroup; aws.ToFloat32(g.TrafficDialPercentage) != 50 || g.HealthCheckProtocol != types.HealthCheckProtocolHttps ||
		aws.ToString(g.HealthCheckPath) != "/health" || aws.ToInt32(g.ThresholdCount) != 5 || len(g.EndpointDescriptions) != 1 {
		t.Errorf("update group: got %+v", g)
	}

	add, err := f.client.AddEndpoints(ctx, &globalaccelerator.AddEndpointsInput{
		EndpointGroupArn:       aws.String(group),
		EndpointConfigurations: []types.EndpointConfiguration{{EndpointId: aws.String(lb2), Weight: aws.Int32(0)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(add.EndpointGroupArn) != group || len(add.EndpointDescriptions) != 1 ||
		aws.ToString(add.EndpointDescriptions[0].EndpointId) != lb2 || aws.ToInt32(add.EndpointDescriptions[0].Weight) != 0 {
		t.Errorf("add endpoints: got %s %+v, want %s with weight 0", aws.ToString(add.EndpointGroupArn), add.EndpointDescriptions, lb2)
	}
	// Without a running data plane no health verdict exists yet.
	if st := add.EndpointDescriptions[0].HealthState; st != types.HealthStateInitial {
		t.Errorf("health without a data plane: got %s, want INITIAL", st)
	}
	if got := endpointIDs(t, f, group); !slices.Equal(got, []string{lb1, lb2}) {
		t.Errorf("after add: got endpoints %v, want %v", got, []string{lb1, lb2})
	}
	if _, err := f.client.RemoveEndpoints(ctx, &globalaccelerator.RemoveEndpointsInput{
		EndpointGroupArn:    aws.String(group),
		EndpointIdentifiers: []types.EndpointIdentifier{{EndpointId: aws.String(lb1)}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := endpointIDs(t, f, group); !slices.Equal(got, []string{lb2}) {
		t.Errorf("after remove: got endpoints %v, want %v", got, []string{lb2})
	}
	// An empty list replaces the endpoints with none.
	if _, err := f.client.UpdateEndpointGroup(ctx, &globalaccelerator.UpdateEndpointGroupInput{
		EndpointGroupArn: aws.String(group), EndpointConfigurations: []types.EndpointConfiguration{},
	}); err != nil {
		t.Fatal(err)
	}
	if got := endpointIDs(t, f, group); len(got) != 0 {
		t.Errorf("after replacing with none: got endpoints %v", got)
	}

	ls, err := f.client.ListListeners(ctx, &globalaccelerator.ListListenersInput{AcceleratorArn: aws.String(acc)})
	if err != nil || len(ls.Listeners) != 1 || aws.ToString(ls.Listeners[0].ListenerArn) != listener {
		t.Errorf("list listeners: got %+v, %v", ls, err)
	}
	gs, err := f.client.ListEndpointGroups(ctx, &globalaccelerator.ListEndpointGroupsInput{ListenerArn: aws.String(listener)})
	if err != nil || len(gs.EndpointGroups) != 1 || aws.ToString(gs.EndpointGroups[0].EndpointGroupArn) != group {
		t.Errorf("list endpoint groups: got %+v, %v", gs, err)
	}
}

func endpointIDs(t *testing.T, f *fixture, group string) []string {
	t.Helper()
	out, err := f.client.DescribeEndpointGroup(f.ctx, &globalaccelerator.DescribeEndpointGroupInput{EndpointGroupArn: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range out.EndpointGroup.EndpointDescriptions {
		ids = append(ids, aws.ToString(e.EndpointId))
	}
	return ids
}

func TestAttributes(t *testing.T) {
	f := newFixture(t, false)
	a, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String("edge")})
	if err != nil {
		t.Fatal(err)
	}
	arn := a.Accelerator.AcceleratorArn
	got, err := f.client.DescribeAcceleratorAttributes(f.ctx, &globalaccelerator.DescribeAcceleratorAttributesInput{AcceleratorArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if at := got.AcceleratorAttributes; at == nil || aws.ToBool(at.FlowLogsEnabled) || at.FlowLogsS3Bucket != nil {
		t.Errorf("defaults: got %+v, want flow logs off", at)
	}
	upd, err := f.client.UpdateAcceleratorAttributes(f.ctx, &globalaccelerator.UpdateAcceleratorAttributesInput{
		AcceleratorArn: arn, FlowLogsEnabled: aws.Bool(true), FlowLogsS3Bucket: aws.String("logs"), FlowLogsS3Prefix: aws.String("ga/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(true, "logs", "ga/")
	if at := upd.AcceleratorAttributes; fmt.Sprint(aws.ToBool(at.FlowLogsEnabled), aws.ToString(at.FlowLogsS3Bucket), aws.ToString(at.FlowLogsS3Prefix)) != want {
		t.Errorf("update: got %+v", at)
	}
	// Turning flow logs off keeps the bucket and prefix.
	if _, err := f.client.UpdateAcceleratorAttributes(f.ctx, &globalaccelerator.UpdateAcceleratorAttributesInput{AcceleratorArn: arn, FlowLogsEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	got, err = f.client.DescribeAcceleratorAttributes(f.ctx, &globalaccelerator.DescribeAcceleratorAttributesInput{AcceleratorArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if at := got.AcceleratorAttributes; aws.ToBool(at.FlowLogsEnabled) || aws.ToString(at.FlowLogsS3Bucket) != "logs" || aws.ToString(at.FlowLogsS3Prefix) != "ga/" {
		t.Errorf("after disabling: got %+v", at)
	}
}

func TestTags(t *testing.T) {
	f := newFixture(t, false)
	a, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{
		Name: aws.String("edge"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}, {Key: aws.String("empty"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := a.Accelerator.AcceleratorArn
	if _, err := f.client.TagResource(f.ctx, &globalaccelerator.TagResourceInput{
		ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}, {Key: aws.String("env"), Value: aws.String("test")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.UntagResource(f.ctx, &globalaccelerator.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"empty", "absent"}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.client.ListTagsForResource(f.ctx, &globalaccelerator.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range out.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if want := []string{"env=test", "team=net"}; !slices.Equal(got, want) {
		t.Errorf("got tags %v, want %v", got, want)
	}
}

func TestPagination(t *testing.T) {
	f := newFixture(t, false)
	var want []string
	for i := range 5 {
		a, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(fmt.Sprintf("acc-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, aws.ToString(a.Accelerator.AcceleratorArn))
	}
	slices.Sort(want)
	var got []string
	pages := 0
	p := globalaccelerator.NewListAcceleratorsPaginator(f.client, &globalaccelerator.ListAcceleratorsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Accelerators) > 2 {
			t.Errorf("page %d: got %d accelerators, want at most 2", pages, len(out.Accelerators))
		}
		for _, a := range out.Accelerators {
			got = append(got, aws.ToString(a.AcceleratorArn))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("got %d pages of %v, want 3 pages of %v", pages, got, want)
	}

	// A page's token stays good when the item it ends on is deleted.
	first, err := f.client.ListAccelerators(f.ctx, &globalaccelerator.ListAcceleratorsInput{MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	last := first.Accelerators[1].AcceleratorArn
	if _, err := f.client.UpdateAccelerator(f.ctx, &globalaccelerator.UpdateAcceleratorInput{AcceleratorArn: last, Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.DeleteAccelerator(f.ctx, &globalaccelerator.DeleteAcceleratorInput{AcceleratorArn: last}); err != nil {
		t.Fatal(err)
	}
	next, err := f.client.ListAccelerators(f.ctx, &globalaccelerator.ListAcceleratorsInput{MaxResults: aws.Int32(2), NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Accelerators) != 2 || aws.ToString(next.Accelerators[0].AcceleratorArn) != want[2] {
		t.Errorf("after deleting the page's last item: got %d accelerators starting %v, want 2 starting %s", len(next.Accelerators), next.Accelerators, want[2])
	}
}
