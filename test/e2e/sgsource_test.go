package e2e

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"gatehouse/internal/testutil"
)

// TestSecurityGroupSourceAdmitsOnlyTheLoadBalancer applies the example stack,
// then hardens it as AWS advises, through the SDK: the load balancer gets a
// group of its own, and the endpoint's group admits 443 only from that group
// instead of 0.0.0.0/0. The chain keeps serving through the static IPs, while
// a client that talks to the endpoint's address directly is refused.
func TestSecurityGroupSourceAdmitsOnlyTheLoadBalancer(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.44.0.0/16", "127.85.1.0/24", "127.85.2.0/24"))
	r.apply(t, loadExample(t))
	ctx := context.Background()
	c := sdkClients(r.cfg.AWSListen)
	staticIPs := acceleratorIPs(t, r.d.Store)
	// A loopback source that is no load balancer node: a client inside the VPC
	// that skips the load balancer.
	const outsider = "127.44.9.9"

	lb := testutil.Must[*elbv2.DescribeLoadBalancersOutput](t)(
		c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"edge"}})).LoadBalancers[0]
	groupID := func(name string) string {
		out := testutil.Must[*ec2.DescribeSecurityGroupsOutput](t)(
			c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{name}}))
		return aws.ToString(out.SecurityGroups[0].GroupId)
	}
	endpointSG, albSG := groupID("endpoint-sg"), groupID("alb-sg")
	if !slices.Equal(lb.SecurityGroups, []string{albSG}) {
		t.Fatalf("load balancer groups: got %v, want the stack's alb-sg %s", lb.SecurityGroups, albSG)
	}
	interfaces := func(description string) []ec2types.NetworkInterface {
		out := testutil.Must[*ec2.DescribeNetworkInterfacesOutput](t)(
			c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
				Filters: []ec2types.Filter{{Name: aws.String("description"), Values: []string{description}}}}))
		return out.NetworkInterfaces
	}
	endpointENIs := interfaces("VPC Endpoint Interface *")
	if len(endpointENIs) != 2 {
		t.Fatalf("endpoint interfaces: got %d, want 2", len(endpointENIs))
	}
	direct := func(src string) error {
		return handshake(t, r.cfg.DataDir, aws.ToString(endpointENIs[0].PrivateIpAddress), src)
	}
	if err := direct(outsider); err != nil {
		t.Fatalf("direct client before hardening (0.0.0.0/0 allowed): got %v, want a TLS session", err)
	}

	// 1. The load balancer gets a group of its own, beside alb-sg.
	nodesSG := aws.ToString(testutil.Must[*ec2.CreateSecurityGroupOutput](t)(
		c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("edge-nodes"), Description: aws.String("nodes of the edge load balancer")})).GroupId)
	set := testutil.Must[*elbv2.SetSecurityGroupsOutput](t)(
		c.elb.SetSecurityGroups(ctx, &elbv2.SetSecurityGroupsInput{LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: []string{albSG, nodesSG}}))
	if want := []string{albSG, nodesSG}; !slices.Equal(set.SecurityGroupIds, want) {
		t.Fatalf("set-security-groups: got %v, want %v", set.SecurityGroupIds, want)
	}
	lbID := aws.ToString(lb.LoadBalancerArn)[strings.LastIndex(aws.ToString(lb.LoadBalancerArn), "/")+1:]
	nodes := interfaces("ELB app/edge/" + lbID)
	if len(nodes) != 2 {
		t.Fatalf("load balancer interfaces (description ELB app/edge/%s): got %d, want one per subnet", lbID, len(nodes))
	}
	for _, n := range nodes {
		var groups []string
		for _, g := range n.Groups {
			groups = append(groups, aws.ToString(g.GroupId))
		}
		if want := []string{albSG, nodesSG}; !slices.Equal(groups, want) {
			t.Errorf("node interface %s groups: got %v, want %v", aws.ToString(n.NetworkInterfaceId), groups, want)
		}
	}

	// 2. The endpoint's group: 443 from the load balancer's group (authorized
	// first, so the chain never has a moment without a rule), then no more
	// 0.0.0.0/0.
	testutil.Must[*ec2.AuthorizeSecurityGroupIngressOutput](t)(
		c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &endpointSG, IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: &nodesSG, Description: aws.String("HTTPS from the load balancer")}}}}}))
	testutil.Must[*ec2.RevokeSecurityGroupIngressOutput](t)(
		c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: &endpointSG,
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("0.0.0.0/0")}))

	t.Run("a direct client is refused", func(t *testing.T) {
		eventually(t, "the endpoint refuses "+outsider, func() (bool, string) {
			return direct(outsider) != nil, "a TLS session"
		})
		for _, n := range endpointENIs {
			if err := handshake(t, r.cfg.DataDir, aws.ToString(n.PrivateIpAddress), outsider); err == nil {
				t.Errorf("direct to %s from %s: got a TLS session, want the connection closed", aws.ToString(n.PrivateIpAddress), outsider)
			}
		}
	})
	t.Run("the load balancer's nodes are admitted", func(t *testing.T) {
		for _, n := range nodes {
			if err := direct(aws.ToString(n.PrivateIpAddress)); err != nil {
				t.Errorf("direct from node %s: got %v, want a TLS session", aws.ToString(n.PrivateIpAddress), err)
			}
		}
	})
	t.Run("the chain serves GET / through each static IP", func(t *testing.T) {
		for _, ip := range staticIPs {
			code, _, body := get(t, client(t, r.cfg.DataDir, ip, ""), "/")
			if code != 200 || body != "" {
				t.Errorf("via %s GET /: got %d %q, want 200 with an empty body", ip, code, body)
			}
		}
	})
	t.Run("the endpoint's group names the load balancer's", func(t *testing.T) {
		out := testutil.Must[*ec2.DescribeSecurityGroupsOutput](t)(
			c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{endpointSG}}))
		perms := out.SecurityGroups[0].IpPermissions
		if len(perms) != 1 || len(perms[0].IpRanges) != 0 || len(perms[0].UserIdGroupPairs) != 1 || aws.ToString(perms[0].UserIdGroupPairs[0].GroupId) != nodesSG {
			t.Errorf("endpoint-sg IpPermissions: got %+v, want tcp 443 from %s only", perms, nodesSG)
		}
		_, err := c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &nodesSG})
		wantAPIError(t, "delete-security-group of the referenced group", err, "DependencyViolation")
	})
}

// handshake opens a TLS session with the endpoint address ip:443 from the
// local address src, trusting gatehouse's CA and asking for the API's domain,
// as a client that skips the load balancer would; an endpoint that refuses the
// source closes the connection before the handshake completes.
func handshake(t *testing.T, dataDir, ip, src string) error {
	t.Helper()
	pool := caPool(t, dataDir)
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(ip, "443"), &tls.Config{RootCAs: pool, ServerName: domain})
	if err != nil {
		return err
	}
	return conn.Close()
}
