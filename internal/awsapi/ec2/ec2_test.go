package ec2_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/awsapi/ec2"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Tests bind only addresses in 127.0.21.0/24, this package's loopback range:
// the default VPC is that range, one /26 per zone a, b and c.
var testPlan = []network.SubnetPlan{
	{AZ: "a", CIDR: "127.0.21.0/26"},
	{AZ: "b", CIDR: "127.0.21.64/26"},
	{AZ: "c", CIDR: "127.0.21.128/26"},
}

// start runs a network service (data plane included, so endpoints become
// available) on a fresh mem store, serves EC2 for it and returns an SDK client.
// port is the port endpoints listen on; tests that run together use different
// ports.
func start(t *testing.T, port int) (*sdk.Client, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	svc := network.New(network.Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv,
		VPCCIDR: "127.0.21.0/24", Subnets: testPlan, Port: port})
	if _, _, err := svc.EnsureDefaultVPC(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); live.Watch(ctx, st, feed, log) }()
	go func() { defer wg.Done(); svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	url, cfg := awsapitest.Start(t, ec2.New(svc))
	return sdk.NewFromConfig(cfg), url
}

// apiErr asserts err is the EC2 error code with message msg ("" skips it).
func apiErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: got %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// TestWalkthrough drives step 2 of the walkthrough (the interface endpoint) and
// its clean-up as a script does, reading what a script reads.
func TestWalkthrough(t *testing.T) {
	ctx := context.Background()
	c, _ := start(t, 18521)

	// The default VPC and two of its subnets, in different zones.
	vpcs, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "127.0.21.0/24" || !aws.ToBool(vpcs.Vpcs[0].IsDefault) ||
		vpcs.Vpcs[0].State != types.VpcStateAvailable || aws.ToString(vpcs.Vpcs[0].OwnerId) != "000000000000" {
		t.Fatalf("default vpc: got %+v", vpcs.Vpcs)
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	zones, err := c.DescribeAvailabilityZones(ctx, &sdk.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var zoneNames []string
	for _, z := range zones.AvailabilityZones {
		zoneNames = append(zoneNames, aws.ToString(z.ZoneName)+"/"+aws.ToString(z.ZoneId)+"/"+string(z.State)+"/"+aws.ToString(z.RegionName))
	}
	if got, want := strings.Join(zoneNames, " "), "us-west-2a/usw2-az1/available/us-west-2 us-west-2b/usw2-az2/available/us-west-2 us-west-2c/usw2-az3/available/us-west-2"; got != want {
		t.Errorf("zones: got %s, want %s", got, want)
	}
	subnets, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{Filters: []types.Filter{
		filter("vpc-id", vpcID), filter("availability-zone", "us-west-2a", "us-west-2b")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(subnets.Subnets) != 2 {
		t.Fatalf("subnets in a and b: got %d, want 2", len(subnets.Subnets))
	}
	var subnetIDs []string
	cidrs := map[string]netip.Prefix{}
	for _, s := range subnets.Subnets {
		subnetIDs = append(subnetIDs, aws.ToString(s.SubnetId))
		cidrs[aws.ToString(s.SubnetId)] = netip.MustParsePrefix(aws.ToString(s.CidrBlock))
		if aws.ToString(s.VpcId) != vpcID || !aws.ToBool(s.DefaultForAz) || aws.ToInt32(s.AvailableIpAddressCount) != 64-5 {
			t.Errorf("subnet: got %+v", s)
		}
	}

	// The endpoint's security group: HTTPS from anywhere.
	sg, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{
		GroupName: aws.String("endpoint-sg"), Description: aws.String("execute-api endpoint"), VpcId: aws.String(vpcID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("endpoint-sg")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sgID := aws.ToString(sg.GroupId)
	if !strings.HasPrefix(sgID, "sg-") || len(sg.Tags) != 1 || !strings.HasSuffix(aws.ToString(sg.SecurityGroupArn), ":security-group/"+sgID) {
		t.Errorf("create security group: got %s, tags %+v, arn %s", sgID, sg.Tags, aws.ToString(sg.SecurityGroupArn))
	}
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgID), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("0.0.0.0/0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(auth.Return) || len(auth.SecurityGroupRules) != 1 || aws.ToString(auth.SecurityGroupRules[0].CidrIpv4) != "0.0.0.0/0" ||
		aws.ToInt32(auth.SecurityGroupRules[0].FromPort) != 443 || !strings.HasPrefix(aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId), "sgr-") {
		t.Errorf("authorize: got %+v", auth.SecurityGroupRules)
	}

	// The interface endpoint in two zones, with private DNS, the group and a policy.
	policy := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`
	created, err := c.CreateVpcEndpoint(ctx, &sdk.CreateVpcEndpointInput{
		VpcId: aws.String(vpcID), VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String("com.amazonaws.us-west-2.execute-api"),
		SubnetIds: subnetIDs, SecurityGroupIds: []string{sgID}, PrivateDnsEnabled: aws.Bool(true), PolicyDocument: aws.String(policy),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("execute-api")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ep := created.VpcEndpoint
	epID := aws.ToString(ep.VpcEndpointId)
	if !strings.HasPrefix(epID, "vpce-") || ep.State != "pending" || ep.CreationTimestamp == nil || len(ep.Tags) != 1 {
		t.Errorf("created endpoint: got %s %s %v tags %+v", epID, ep.State, ep.CreationTimestamp, ep.Tags)
	}

	// Wait until it is available, as a script polls.
	var got types.VpcEndpoint
	testutil.Eventually(t, "endpoint leaves pending", func() (bool, string) {
		out, err := c.DescribeVpcEndpoints(ctx, &sdk.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
		if err != nil {
			t.Fatal(err)
		}
		got = out.VpcEndpoints[0]
		return got.State != "pending", string(got.State)
	})
	if got.State != "available" {
		t.Fatalf("endpoint state: got %q, want available", got.State)
	}
	if got.VpcEndpointType != types.VpcEndpointTypeInterface || aws.ToString(got.ServiceName) != "com.amazonaws.us-west-2.execute-api" ||
		!aws.ToBool(got.PrivateDnsEnabled) || aws.ToString(got.PolicyDocument) != policy || len(got.SubnetIds) != 2 ||
		len(got.Groups) != 1 || aws.ToString(got.Groups[0].GroupName) != "endpoint-sg" || len(got.NetworkInterfaceIds) != 2 {
		t.Errorf("described endpoint: got %+v", got)
	}
	if len(got.DnsEntries) == 0 || !strings.HasPrefix(aws.ToString(got.DnsEntries[0].DnsName), epID+"-") ||
		!strings.HasSuffix(aws.ToString(got.DnsEntries[0].DnsName), ".execute-api.us-west-2.vpce.amazonaws.com") {
		t.Errorf("dns entries: got %+v", got.DnsEntries)
	}

	// Its private IPs: one per subnet, inside the subnet.
	enis, err := c.DescribeNetworkInterfaces(ctx, &sdk.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("vpc-endpoint-id", epID)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("endpoint interfaces: got %d, want 2", len(enis.NetworkInterfaces))
	}
	for _, n := range enis.NetworkInterfaces {
		ip := netip.MustParseAddr(aws.ToString(n.PrivateIpAddress))
		if !cidrs[aws.ToString(n.SubnetId)].Contains(ip) || n.InterfaceType != types.NetworkInterfaceTypeVpcEndpoint ||
			aws.ToString(n.Description) != "VPC Endpoint Interface "+epID || n.Status != types.NetworkInterfaceStatusInUse ||
			len(n.Groups) != 1 || aws.ToString(n.Groups[0].GroupId) != sgID {
			t.Errorf("interface: got %+v", n)
		}
	}
	// AWS's documented way finds the same interfaces.
	byDesc, err := c.DescribeNetworkInterfaces(ctx, &sdk.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("description", "VPC Endpoint Interface vpce-*")}})
	if err != nil || len(byDesc.NetworkInterfaces) != 2 {
		t.Errorf("interfaces by description: got %v, %v, want 2", byDesc, err)
	}

	// Clean-up: the endpoint goes, with its interfaces; then the group.
	del, err := c.DeleteVpcEndpoints(ctx, &sdk.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	if err != nil || len(del.Unsuccessful) != 0 {
		t.Fatalf("delete endpoint: got %+v, %v", del, err)
	}
	_, err = c.DescribeVpcEndpoints(ctx, &sdk.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	apiErr(t, "describe deleted endpoint", err, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '"+epID+"' does not exist")
	left, err := c.DescribeNetworkInterfaces(ctx, &sdk.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("vpc-endpoint-id", epID)}})
	if err != nil || len(left.NetworkInterfaces) != 0 {
		t.Errorf("interfaces after delete: got %+v, %v, want none", left, err)
	}
	if _, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(sgID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{sgID}})
	apiErr(t, "describe deleted group", err, "InvalidGroup.NotFound", "The security group '"+sgID+"' does not exist")
}

// TestOperations covers the calls beyond the walkthrough: groups by name,
// IpPermissions, rule IDs, modify, tags, filters, pagination, dry runs.
func TestOperations(t *testing.T) {
	ctx := context.Background()
	c, _ := start(t, 18522)

	def, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	if err != nil || len(def.SecurityGroups) != 1 {
		t.Fatalf("default group by name: got %+v, %v", def, err)
	}
	vpcID := aws.ToString(def.SecurityGroups[0].VpcId)
	defaultID := aws.ToString(def.SecurityGroups[0].GroupId)
	subnets, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{})
	if err != nil || len(subnets.Subnets) != 3 {
		t.Fatalf("subnets: got %+v, %v", subnets, err)
	}
	subnetA, subnetB := aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)
	if aws.ToString(subnets.Subnets[0].AvailabilityZone) > aws.ToString(subnets.Subnets[1].AvailabilityZone) {
		subnetA, subnetB = subnetB, subnetA
	}

	// A group without VpcId lands in the default VPC; rules by IpPermissions
	// and by group name, IPv4 and IPv6.
	web, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	webID := aws.ToString(web.GroupId)
	perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}, Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupName: aws.String("web"), IpPermissions: []types.IpPermission{perm}})
	if err != nil || len(auth.SecurityGroupRules) != 2 {
		t.Fatalf("authorize by name: got %+v, %v", auth, err)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(webID), IpPermissions: []types.IpPermission{perm}})
	apiErr(t, "authorize twice", err, "InvalidPermission.Duplicate", `the specified rule "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW" already exists`)
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(webID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("192.168.0.0/16")}}}}}); err != nil {
		t.Fatal(err)
	}
	groups, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("group-name", "w?b"), filter("vpc-id", vpcID)}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("group by filters: got %+v, %v", groups, err)
	}
	g := groups.SecurityGroups[0]
	if len(g.IpPermissions) != 2 || len(g.IpPermissions[0].IpRanges) != 1 || len(g.IpPermissions[0].Ipv6Ranges) != 1 ||
		aws.ToInt32(g.IpPermissions[0].FromPort) != 443 || aws.ToString(g.IpPermissions[1].IpProtocol) != "-1" || g.IpPermissions[1].FromPort != nil ||
		len(g.IpPermissionsEgress) != 1 || aws.ToString(g.Description) != "web" {
		t.Errorf("described group: got %+v", g)
	}
	// Revoke one rule by its ID, then the rest by permission.
	rev, err := c.RevokeSecurityGroupIngress(ctx, &sdk.RevokeSecurityGroupIngressInput{GroupId: aws.String(webID),
		SecurityGroupRuleIds: []string{aws.ToString(auth.SecurityGroupRules[1].SecurityGroupRuleId)}})
	if err != nil || len(rev.RevokedSecurityGroupRules) != 1 || aws.ToString(rev.RevokedSecurityGroupRules[0].CidrIpv6) != "::/0" {
		t.Fatalf("revoke by rule id: got %+v, %v", rev, err)
	}
	rev, err = c.RevokeSecurityGroupIngress(ctx, &sdk.RevokeSecurityGroupIngressInput{GroupId: aws.String(webID), IpProtocol: aws.String("tcp"),
		FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("10.0.0.0/8")})
	if err != nil || len(rev.RevokedSecurityGroupRules) != 1 || aws.ToString(rev.RevokedSecurityGroupRules[0].CidrIpv4) != "10.0.0.0/8" {
		t.Fatalf("revoke by shorthand: got %+v, %v", rev, err)
	}

	// An endpoint without private DNS, then modified.
	created, err := c.CreateVpcEndpoint(ctx, &sdk.CreateVpcEndpointInput{VpcId: aws.String(vpcID), VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: aws.String("com.amazonaws.us-west-2.execute-api"), SubnetIds: []string{subnetA}, SecurityGroupIds: []string{webID},
		PrivateDnsEnabled: aws.Bool(false), PolicyDocument: aws.String(`{"Statement":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	epID := aws.ToString(created.VpcEndpoint.VpcEndpointId)
	if _, err := c.ModifyVpcEndpoint(ctx, &sdk.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), AddSubnetIds: []string{subnetB},
		AddSecurityGroupIds: []string{defaultID}, ResetPolicy: aws.Bool(true), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	eps, err := c.DescribeVpcEndpoints(ctx, &sdk.DescribeVpcEndpointsInput{Filters: []types.Filter{
		filter("service-name", "com.amazonaws.us-west-2.execute-api"), filter("vpc-id", vpcID)}})
	if err != nil || len(eps.VpcEndpoints) != 1 {
		t.Fatalf("endpoints by filter: got %+v, %v", eps, err)
	}
	ep := eps.VpcEndpoints[0]
	if len(ep.SubnetIds) != 2 || len(ep.Groups) != 2 || !aws.ToBool(ep.PrivateDnsEnabled) || aws.ToString(ep.PolicyDocument) != network.DefaultEndpointPolicy {
		t.Errorf("modified endpoint: got %+v", ep)
	}
	_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupName: aws.String("web")})
	apiErr(t, "delete group in use", err, "DependencyViolation", "resource "+webID+" has a dependent object")

	// Tags on an endpoint, a group and the VPC, found by tag filters.
	if _, err := c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{epID, webID, vpcID},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("api")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTags(ctx, &sdk.DeleteTagsInput{Resources: []string{webID}, Tags: []types.Tag{{Key: aws.String("env")}}}); err != nil {
		t.Fatal(err)
	}
	tagged, err := c.DescribeVpcEndpoints(ctx, &sdk.DescribeVpcEndpointsInput{Filters: []types.Filter{filter("tag:team", "api")}})
	if err != nil || len(tagged.VpcEndpoints) != 1 || len(tagged.VpcEndpoints[0].Tags) != 2 {
		t.Errorf("endpoints tagged team=api: got %+v, %v", tagged, err)
	}
	byKey, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("tag-key", "team")}})
	if err != nil || len(byKey.SecurityGroups) != 1 || len(byKey.SecurityGroups[0].Tags) != 1 {
		t.Errorf("groups with tag key team: got %+v, %v", byKey, err)
	}
	vpcs, err := c.DescribeVpcs(ctx, &sdk.DescribeVpcsInput{Filters: []types.Filter{filter("tag:env", "prod")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Errorf("vpcs tagged env=prod: got %+v, %v", vpcs, err)
	}
	_, err = c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{"vpce-0000000000000000a"}, Tags: []types.Tag{{Key: aws.String("k")}}})
	apiErr(t, "tag unknown endpoint", err, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0000000000000000a' does not exist")

	// Pages of five groups: the paginator sees every group once.
	for i := range 7 {
		if _, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("g" + string(rune('0'+i))), Description: aws.String("d")}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	pages := 0
	p := sdk.NewDescribeSecurityGroupsPaginator(c, &sdk.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.SecurityGroups {
			if seen[aws.ToString(g.GroupId)] {
				t.Errorf("group %s on two pages", aws.ToString(g.GroupId))
			}
			seen[aws.ToString(g.GroupId)] = true
		}
	}
	if len(seen) != 9 || pages != 2 {
		t.Errorf("paged groups: got %d on %d pages, want 9 on 2", len(seen), pages)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{MaxResults: aws.Int32(2)})
	apiErr(t, "too small a page", err, "InvalidParameterValue", "Value ( 2 ) for parameter maxResults is invalid. Expecting a value greater than 5.")

	// A dry run answers DryRunOperation and changes nothing.
	_, err = c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String("dry"), Description: aws.String("d"), DryRun: aws.Bool(true)})
	apiErr(t, "dry run", err, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	_, err = c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupNames: []string{"dry"}})
	apiErr(t, "the group of a dry run", err, "InvalidGroup.NotFound", "The security group 'dry' does not exist in default VPC '"+vpcID+"'")

	// Deleting an unknown endpoint is an unsuccessful item, not an error.
	del, err := c.DeleteVpcEndpoints(ctx, &sdk.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID, "vpce-0000000000000000b"}})
	if err != nil || len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].ResourceId) != "vpce-0000000000000000b" ||
		aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidVpcEndpoint.NotFound" {
		t.Errorf("delete with an unknown id: got %+v, %v", del, err)
	}
	if _, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupName: aws.String("web")}); err != nil {
		t.Errorf("delete group after its endpoint: %v", err)
	}
}
