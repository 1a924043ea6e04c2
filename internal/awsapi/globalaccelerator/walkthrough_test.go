package globalaccelerator_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"
)

// listenerPort stands in for the walkthrough's 443: a port above 1024 lets the
// data plane open its sockets without root, and the wire is the same.
const listenerPort = 8443

// TestWalkthrough drives the walkthrough's Global Accelerator steps with the
// SDK, in order: the "Global Accelerator add-on" of step 5 (accelerator, TCP
// listener, endpoint group in us-west-2 with the ALB), the static IPs and DNS
// name that step 6's alias record reads, and the clean-up.
func TestWalkthrough(t *testing.T) {
	f := newFixture(t, true)
	ctx := f.ctx
	alb := f.putLB("edge")

	created, err := f.client.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{
		Name:          aws.String("edge"),
		IpAddressType: types.IpAddressTypeIpv4,
		Enabled:       aws.Bool(true),
		Tags:          []types.Tag{{Key: aws.String("stack"), Value: aws.String("walkthrough")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	acc := created.Accelerator
	arn := aws.ToString(acc.AcceleratorArn)
	if !strings.HasPrefix(arn, "arn:aws:globalaccelerator::") || aws.ToString(acc.Name) != "edge" ||
		!aws.ToBool(acc.Enabled) || acc.IpAddressType != types.IpAddressTypeIpv4 || acc.Status != types.AcceleratorStatusInProgress {
		t.Errorf("got accelerator %s %q enabled=%v type=%s status=%s", arn, aws.ToString(acc.Name), aws.ToBool(acc.Enabled), acc.IpAddressType, acc.Status)
	}
	if acc.CreatedTime == nil || acc.CreatedTime.IsZero() || acc.LastModifiedTime == nil {
		t.Errorf("got times %v %v, want both set", acc.CreatedTime, acc.LastModifiedTime)
	}
	if !strings.HasSuffix(aws.ToString(acc.DnsName), ".awsglobalaccelerator.com") {
		t.Errorf("got DNS name %q", aws.ToString(acc.DnsName))
	}
	if len(acc.IpSets) != 1 || len(acc.IpSets[0].IpAddresses) != 2 ||
		acc.IpSets[0].IpAddressFamily != types.IpAddressFamilyIPv4 {
		t.Fatalf("got IP sets %+v, want one IPv4 set of two addresses", acc.IpSets)
	}
	ips := acc.IpSets[0].IpAddresses
	for i, ip := range ips {
		if a, err := netip.ParseAddr(ip); err != nil || !testPools[i].Contains(a) {
			t.Errorf("static IP %d: got %s, want one of %s", i, ip, testPools[i])
		}
	}

	lst, err := f.client.CreateListener(ctx, &globalaccelerator.CreateListenerInput{
		AcceleratorArn: aws.String(arn),
		Protocol:       types.ProtocolTcp,
		PortRanges:     []types.PortRange{{FromPort: aws.Int32(listenerPort), ToPort: aws.Int32(listenerPort)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := lst.Listener
	listenerARN := aws.ToString(l.ListenerArn)
	if !strings.HasPrefix(listenerARN, arn+"/listener/") || l.Protocol != types.ProtocolTcp || l.ClientAffinity != types.ClientAffinityNone ||
		len(l.PortRanges) != 1 || aws.ToInt32(l.PortRanges[0].FromPort) != listenerPort || aws.ToInt32(l.PortRanges[0].ToPort) != listenerPort {
		t.Errorf("got listener %s %s %s %+v", listenerARN, l.Protocol, l.ClientAffinity, l.PortRanges)
	}

	grp, err := f.client.CreateEndpointGroup(ctx, &globalaccelerator.CreateEndpointGroupInput{
		ListenerArn:         aws.String(listenerARN),
		EndpointGroupRegion: aws.String("us-west-2"),
		EndpointConfigurations: []types.EndpointConfiguration{{
			EndpointId: aws.String(alb), Weight: aws.Int32(128), ClientIPPreservationEnabled: aws.Bool(true),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := grp.EndpointGroup
	groupARN := aws.ToString(g.EndpointGroupArn)
	if !strings.HasPrefix(groupARN, listenerARN+"/endpoint-group/") || aws.ToString(g.EndpointGroupRegion) != "us-west-2" ||
		aws.ToFloat32(g.TrafficDialPercentage) != 100 || g.HealthCheckProtocol != types.HealthCheckProtocolTcp ||
		aws.ToInt32(g.HealthCheckPort) != listenerPort || aws.ToInt32(g.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(g.ThresholdCount) != 3 {
		t.Errorf("got endpoint group %+v", g)
	}
	if len(g.EndpointDescriptions) != 1 {
		t.Fatalf("got %d endpoints, want 1", len(g.EndpointDescriptions))
	}
	if e := g.EndpointDescriptions[0]; aws.ToString(e.EndpointId) != alb || aws.ToInt32(e.Weight) != 128 || !aws.ToBool(e.ClientIPPreservationEnabled) {
		t.Errorf("got endpoint %s weight %d preservation %v", aws.ToString(e.EndpointId), aws.ToInt32(e.Weight), aws.ToBool(e.ClientIPPreservationEnabled))
	}

	// A script waits for DEPLOYED, then reads the static IPs and the DNS name
	// for the alias record.
	var desc *types.Accelerator
	testutil.Eventually(t, "accelerator DEPLOYED", func() (bool, string) {
		out, err := f.client.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		desc = out.Accelerator
		return desc.Status == types.AcceleratorStatusDeployed, string(desc.Status)
	})
	if !slices.Equal(desc.IpSets[0].IpAddresses, ips) || aws.ToString(desc.DnsName) != aws.ToString(acc.DnsName) {
		t.Errorf("deployed: got IPs %v DNS %s, want the created %v %s", desc.IpSets[0].IpAddresses, aws.ToString(desc.DnsName), ips, aws.ToString(acc.DnsName))
	}
	testutil.Eventually(t, "endpoint HEALTHY", func() (bool, string) {
		out, err := f.client.DescribeEndpointGroup(ctx, &globalaccelerator.DescribeEndpointGroupInput{EndpointGroupArn: aws.String(groupARN)})
		if err != nil {
			t.Fatal(err)
		}
		state := out.EndpointGroup.EndpointDescriptions[0].HealthState
		return state == types.HealthStateHealthy, string(state)
	})

	// Clean-up: the endpoint group and listener go first, as the API demands,
	// then the accelerator is disabled and deleted.
	if _, err := f.client.DeleteEndpointGroup(ctx, &globalaccelerator.DeleteEndpointGroupInput{EndpointGroupArn: aws.String(groupARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.DescribeEndpointGroup(ctx, &globalaccelerator.DescribeEndpointGroupInput{EndpointGroupArn: aws.String(groupARN)})
	var groupGone *types.EndpointGroupNotFoundException
	if !errors.As(err, &groupGone) {
		t.Errorf("describe endpoint group after delete: got %v, want EndpointGroupNotFoundException", err)
	}
	if _, err := f.client.DeleteListener(ctx, &globalaccelerator.DeleteListenerInput{ListenerArn: aws.String(listenerARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.DescribeListener(ctx, &globalaccelerator.DescribeListenerInput{ListenerArn: aws.String(listenerARN)})
	var listenerGone *types.ListenerNotFoundException
	if !errors.As(err, &listenerGone) {
		t.Errorf("describe listener after delete: got %v, want ListenerNotFoundException", err)
	}
	upd, err := f.client.UpdateAccelerator(ctx, &globalaccelerator.UpdateAcceleratorInput{AcceleratorArn: aws.String(arn), Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(upd.Accelerator.Enabled) || upd.Accelerator.Status != types.AcceleratorStatusInProgress {
		t.Errorf("disabled: got enabled=%v status=%s, want false IN_PROGRESS", aws.ToBool(upd.Accelerator.Enabled), upd.Accelerator.Status)
	}
	testutil.Eventually(t, "disabled accelerator DEPLOYED", func() (bool, string) {
		out, err := f.client.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: aws.String(arn)})
		if err != nil {
			return false, err.Error()
		}
		return out.Accelerator.Status == types.AcceleratorStatusDeployed, string(out.Accelerator.Status)
	})
	if _, err := f.client.DeleteAccelerator(ctx, &globalaccelerator.DeleteAcceleratorInput{AcceleratorArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: aws.String(arn)})
	var notFound *types.AcceleratorNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("describe after delete: got %v, want AcceleratorNotFoundException", err)
	}
	list, err := f.client.ListAccelerators(ctx, &globalaccelerator.ListAcceleratorsInput{})
	if err != nil || len(list.Accelerators) != 0 {
		t.Errorf("list after delete: got %v, %v; want none", list, err)
	}
}
