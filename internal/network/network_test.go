package network_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Tests bind only addresses in 127.0.12.0/24: the test VPC is that range, split
// into subnet a (127.0.12.0/26) and subnet b (127.0.12.64/26).
var testPlan = []network.SubnetPlan{{AZ: "a", CIDR: "127.0.12.0/26"}, {AZ: "b", CIDR: "127.0.12.64/26"}}

type harness struct {
	svc      *network.Service
	st       store.Store
	port     int
	handoffs atomic.Int64
}

// start runs a network service (and the store watch that feeds it) on a fresh
// mem store until the test ends. Handoff writes the endpoint id back and closes.
func start(t *testing.T, port int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	h := &harness{st: st, port: port}
	h.svc = network.New(network.Deps{
		Store:   st,
		Feed:    feed,
		Log:     log,
		Env:     model.DefaultEnv,
		VPCCIDR: "127.0.12.0/24",
		Subnets: testPlan,
		Port:    port,
		Handoff: func(c net.Conn, vpceID string) {
			defer c.Close()
			h.handoffs.Add(1)
			io.WriteString(c, vpceID)
		},
	})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); live.Watch(ctx, st, feed, log) }()
	var runErr error
	go func() { defer wg.Done(); runErr = h.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if runErr != nil {
			t.Errorf("Run: got %v, want nil", runErr)
		}
		st.Close()
	})
	return h
}

// dial connects from src to addr and returns what the server sent before closing,
// or the dial error.
func dial(src, addr string) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) { // a reset is a close too
		return string(b), err
	}
	return string(b), nil
}

func waitState(t *testing.T, h *harness, id string) *model.VpcEndpoint {
	t.Helper()
	var ep *model.VpcEndpoint
	testutil.Eventually(t, "endpoint leaves pending", func() (bool, string) {
		eps, err := h.svc.DescribeVpcEndpoints(context.Background(), []string{id}, nil)
		if err != nil {
			return false, err.Error()
		}
		ep = eps[0]
		return ep.State != model.EndpointPending, ep.State
	})
	return ep
}

func TestEnsureDefaultVPCIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := store.NewMem()
	defer st.Close()
	deps := network.Deps{Store: st, Env: model.DefaultEnv, VPCCIDR: "127.0.12.0/24", Subnets: testPlan}
	vpc1, subnets1, err := network.New(deps).EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second service on the same store: a restart.
	vpc2, subnets2, err := network.New(deps).EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if vpc1.ID != vpc2.ID || !strings.HasPrefix(vpc1.ID, "vpc-") || len(vpc1.ID) != 4+17 {
		t.Errorf("vpc ids: got %s then %s, want one stable vpc-<17 hex>", vpc1.ID, vpc2.ID)
	}
	if !vpc1.IsDefault || vpc1.State != "available" || vpc1.CIDR != "127.0.12.0/24" {
		t.Errorf("vpc: got %+v, want default, available, 127.0.12.0/24", vpc1)
	}
	if len(subnets1) != 2 || len(subnets2) != 2 {
		t.Fatalf("subnets: got %d then %d, want 2", len(subnets1), len(subnets2))
	}
	want := []struct{ az, azID, cidr string }{{"us-west-2a", "usw2-az1", "127.0.12.0/26"}, {"us-west-2b", "usw2-az2", "127.0.12.64/26"}}
	for i, w := range want {
		a, b := subnets1[i], subnets2[i]
		if a.ID != b.ID || len(a.ID) != len("subnet-")+17 {
			t.Errorf("subnet %s ids: got %s then %s, want one stable subnet-<17 hex>", w.az, a.ID, b.ID)
		}
		if a.AvailabilityZone != w.az || a.AvailabilityZoneID != w.azID || a.CIDR != w.cidr || !a.DefaultForAz || a.VpcID != vpc1.ID {
			t.Errorf("subnet %d: got %+v, want %s %s %s default for AZ in %s", i, a, w.az, w.azID, w.cidr, vpc1.ID)
		}
	}
	vpcs, _ := network.New(deps).DescribeVpcs(ctx, nil, nil)
	if len(vpcs) != 1 {
		t.Errorf("vpcs after two ensures: got %d, want 1", len(vpcs))
	}
	sgs, err := network.New(deps).DescribeSecurityGroups(ctx, nil, nil, nil)
	if err != nil || len(sgs) != 1 || sgs[0].Name != "default" || sgs[0].VpcID != vpc1.ID {
		t.Errorf("security groups: got %+v, %v, want the vpc's one default group", sgs, err)
	}
}

func TestEndpointDataPlane(t *testing.T) {
	ctx := context.Background()
	h := start(t, 18443)
	vpc, subnets, err := h.svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := h.svc.CreateSecurityGroup(ctx, "endpoint-sg", "execute-api endpoint", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	rule := []model.IPPermission{{Protocol: "tcp", FromPort: h.port, ToPort: h.port, CIDRs: []string{"127.0.12.0/26"}}}
	if _, err := h.svc.AuthorizeIngress(ctx, sg.ID, rule); err != nil {
		t.Fatal(err)
	}
	ep, err := h.svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID:            vpc.ID,
		ServiceName:      "com.amazonaws.us-west-2.execute-api",
		VpcEndpointType:  "Interface",
		SubnetIDs:        []string{subnets[0].ID, subnets[1].ID},
		SecurityGroupIDs: []string{sg.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ep.State != model.EndpointPending || !ep.PrivateDNSEnabled || !strings.HasSuffix(ep.DNSName, ".execute-api.us-west-2.vpce.amazonaws.com") || !strings.HasPrefix(ep.DNSName, ep.ID+"-") {
		t.Errorf("created endpoint: got state %q, private DNS %v, DNS name %q", ep.State, ep.PrivateDNSEnabled, ep.DNSName)
	}
	if got := waitState(t, h, ep.ID); got.State != model.EndpointAvailable || got.LastError != "" {
		t.Fatalf("endpoint state: got %q (%q), want available", got.State, got.LastError)
	}

	enis, err := h.svc.DescribeNetworkInterfaces(ctx, nil, map[string][]string{"vpc-endpoint-id": {ep.ID}})
	if err != nil || len(enis) != 2 {
		t.Fatalf("interfaces: got %d, %v, want 2", len(enis), err)
	}
	var addrs []string
	for _, n := range enis {
		sn := subnets[0]
		if n.SubnetID == subnets[1].ID {
			sn = subnets[1]
		}
		ip := netip.MustParseAddr(n.PrivateIP)
		if !netip.MustParsePrefix(sn.CIDR).Contains(ip) {
			t.Errorf("interface %s: got IP %s, want inside %s", n.ID, ip, sn.CIDR)
		}
		if n.InterfaceType != "vpc_endpoint" || n.Description != "VPC Endpoint Interface "+ep.ID || !strings.HasPrefix(n.ID, "eni-") {
			t.Errorf("interface: got %+v", n)
		}
		addrs = append(addrs, net.JoinHostPort(n.PrivateIP, strconv.Itoa(h.port)))
	}
	if enis[0].PrivateIP == enis[1].PrivateIP {
		t.Fatalf("interface IPs: got %s twice, want distinct", enis[0].PrivateIP)
	}

	t.Run("allowed source reaches Handoff", func(t *testing.T) {
		for _, a := range addrs {
			got, err := dial("127.0.12.5", a)
			if err != nil || got != ep.ID {
				t.Errorf("dial %s from 127.0.12.5: got %q, %v, want %q", a, got, err, ep.ID)
			}
		}
	})
	t.Run("disallowed source is closed before Handoff", func(t *testing.T) {
		before := h.handoffs.Load()
		got, err := dial("127.0.12.100", addrs[0])
		if err != nil || got != "" {
			t.Errorf("dial from 127.0.12.100: got %q, %v, want a closed connection", got, err)
		}
		if n := h.handoffs.Load(); n != before {
			t.Errorf("handoffs: got %d, want %d", n, before)
		}
	})
	t.Run("revoke and authorize apply to new connections", func(t *testing.T) {
		if _, err := h.svc.RevokeIngress(ctx, sg.ID, rule); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "denied after revoke", func() (bool, string) {
			got, err := dial("127.0.12.5", addrs[0])
			return err == nil && got == "", strconv.Quote(got)
		})
		wide := []model.IPPermission{{Protocol: "-1", CIDRs: []string{"127.0.12.64/26"}}}
		if _, err := h.svc.AuthorizeIngress(ctx, sg.ID, wide); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "127.0.12.100 allowed after authorize", func() (bool, string) {
			got, err := dial("127.0.12.100", addrs[1])
			return err == nil && got == ep.ID, strconv.Quote(got)
		})
		if got, err := dial("127.0.12.5", addrs[0]); err != nil || got != "" {
			t.Errorf("127.0.12.5 after authorizing only 127.0.12.64/26: got %q, %v, want closed", got, err)
		}
	})
	t.Run("security group in use cannot be deleted", func(t *testing.T) {
		err := h.svc.DeleteSecurityGroup(ctx, sg.ID)
		checkErr(t, err, "DependencyViolation", "resource "+sg.ID+" has a dependent object")
	})
	t.Run("delete closes the sockets and frees the addresses", func(t *testing.T) {
		bad, err := h.svc.DeleteVpcEndpoints(ctx, []string{ep.ID, "vpce-0123456789abcdef0"})
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) != 1 || bad[0].ResourceID != "vpce-0123456789abcdef0" || bad[0].Code != "InvalidVpcEndpoint.NotFound" {
			t.Errorf("unsuccessful: got %+v, want the unknown id", bad)
		}
		for _, a := range addrs {
			testutil.Eventually(t, "socket "+a+" closed", func() (bool, string) {
				_, err := dial("127.0.12.5", a)
				return err != nil && strings.Contains(err.Error(), "refused"), "err " + strconv.Quote(errString(err))
			})
		}
		for _, n := range enis {
			if _, err := h.st.Get(ctx, "ip/"+n.PrivateIP); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("address %s after delete: got %v, want released", n.PrivateIP, err)
			}
		}
		left, _ := h.svc.DescribeNetworkInterfaces(ctx, nil, nil)
		if len(left) != 0 {
			t.Errorf("interfaces after delete: got %d, want 0", len(left))
		}
		_, err = h.svc.DescribeVpcEndpoints(ctx, []string{ep.ID}, nil)
		checkErr(t, err, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '"+ep.ID+"' does not exist")
		if err := h.svc.DeleteSecurityGroup(ctx, sg.ID); err != nil {
			t.Errorf("delete unused group: got %v, want nil", err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestEndpointFailsOnBusyAddress(t *testing.T) {
	ctx := context.Background()
	h := start(t, 18444)
	vpc, subnets, err := h.svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// ipam hands out the subnet's base + 4 first.
	busy := "127.0.12.4:" + strconv.Itoa(h.port)
	l, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep, err := h.svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID: vpc.ID, ServiceName: "com.amazonaws.us-west-2.execute-api", VpcEndpointType: "Interface",
		SubnetIDs: []string{subnets[0].ID, subnets[1].ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := waitState(t, h, ep.ID)
	want := "listen " + busy + ": bind: address already in use"
	if got.State != model.EndpointFailed || got.LastError != want {
		t.Fatalf("endpoint on a busy address: got %q %q, want %q %q", got.State, got.LastError, model.EndpointFailed, want)
	}
	if got.SecurityGroupIDs[0] == "" {
		t.Errorf("security groups: got %v, want the default group", got.SecurityGroupIDs)
	}
	// Freeing the address is enough: the socket is tried again without any
	// change to the endpoint.
	l.Close()
	testutil.Eventually(t, "available once the address is free", func() (bool, string) {
		eps, err := h.svc.DescribeVpcEndpoints(ctx, []string{ep.ID}, nil)
		if err != nil {
			return false, err.Error()
		}
		return eps[0].State == model.EndpointAvailable && len(eps[0].NetworkInterfaceIDs) == 2, eps[0].State + " " + eps[0].LastError
	})
	if c, err := net.Dial("tcp", busy); err != nil {
		t.Fatalf("the freed address does not serve the endpoint: %v", err)
	} else {
		c.Close()
	}
	if _, err := h.svc.ModifyVpcEndpoint(ctx, ep.ID, network.ModifyEndpointInput{RemoveSubnetIDs: []string{subnets[1].ID}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "available with one interface after the modify", func() (bool, string) {
		eps, err := h.svc.DescribeVpcEndpoints(ctx, []string{ep.ID}, nil)
		if err != nil {
			return false, err.Error()
		}
		return eps[0].State == model.EndpointAvailable && len(eps[0].NetworkInterfaceIDs) == 1, eps[0].State + " " + eps[0].LastError
	})
}

func checkErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want %s: %s", err, code, msg)
	}
	if me.Status != 400 || me.Code != code || me.Message != msg {
		t.Errorf("got %d %s: %q, want 400 %s: %q", me.Status, me.Code, me.Message, code, msg)
	}
}

func TestOperationErrors(t *testing.T) {
	ctx := context.Background()
	st := store.NewMem()
	defer st.Close()
	svc := network.New(network.Deps{Store: st, Env: model.DefaultEnv, VPCCIDR: "127.0.12.0/24", Subnets: testPlan})
	vpc, subnets, err := svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := svc.CreateSecurityGroup(ctx, "web", "web servers", "", map[string]string{"Name": "web"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.VpcID != vpc.ID {
		t.Errorf("group without vpc: got vpc %s, want the default %s", sg.VpcID, vpc.ID)
	}
	if _, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}); err != nil {
		t.Fatal(err)
	}
	ep, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID: vpc.ID, ServiceName: "com.amazonaws.us-west-2.execute-api", VpcEndpointType: "Interface",
		SubnetIDs: []string{subnets[0].ID}, SecurityGroupIDs: []string{sg.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defaultSG := ""
	groups, _ := svc.DescribeSecurityGroups(ctx, nil, nil, nil)
	for _, g := range groups {
		if g.Name == "default" {
			defaultSG = g.ID
		}
	}
	execAPI := "com.amazonaws.us-west-2.execute-api"
	noDNS := false
	cases := []struct {
		name      string
		op        func() error
		code, msg string
	}{
		{"group without name", func() error { _, err := svc.CreateSecurityGroup(ctx, "", "d", vpc.ID, nil); return err },
			"MissingParameter", "The request must contain the parameter GroupName"},
		{"group without description", func() error { _, err := svc.CreateSecurityGroup(ctx, "x", "", vpc.ID, nil); return err },
			"MissingParameter", "The request must contain the parameter GroupDescription"},
		{"group in unknown vpc", func() error {
			_, err := svc.CreateSecurityGroup(ctx, "x", "d", "vpc-0000000000000000a", nil)
			return err
		}, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000000a' does not exist"},
		{"duplicate group name", func() error { _, err := svc.CreateSecurityGroup(ctx, "web", "again", vpc.ID, nil); return err },
			"InvalidGroup.Duplicate", "The security group 'web' already exists for VPC '" + vpc.ID + "'"},
		{"group named default", func() error { _, err := svc.CreateSecurityGroup(ctx, "default", "d", vpc.ID, nil); return err },
			"InvalidGroup.Reserved", "The security group 'default' is reserved"},
		{"group named sg-*", func() error { _, err := svc.CreateSecurityGroup(ctx, "sg-web", "d", vpc.ID, nil); return err },
			"InvalidParameterValue", "Group names may not be in the format sg-*."},
		{"duplicate rule", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "6", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}})
			return err
		}, "InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW" already exists`},
		{"same rule twice in one request", func() error {
			p := model.IPPermission{Protocol: "udp", FromPort: 53, ToPort: 53, CIDRs: []string{"10.0.0.0/8"}}
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{p, p})
			return err
		}, "InvalidParameterValue", "The same permission must not appear multiple times"},
		{"bad cidr", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.0/33"}}})
			return err
		}, "InvalidParameterValue", "Value (10.0.0.0/33) for parameter cidrIp is invalid. This is not a valid CIDR block."},
		{"cidr with host bits", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"10.0.0.1/8"}}})
			return err
		}, "InvalidParameterValue", "CIDR block 10.0.0.1/8 is malformed"},
		{"port out of range", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 80, ToPort: 70000, CIDRs: []string{"10.0.0.0/8"}}})
			return err
		}, "InvalidParameterValue", "Invalid value '70000' for portRange. Must be between 0 and 65535."},
		{"reversed port range", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 90, ToPort: 80, CIDRs: []string{"10.0.0.0/8"}}})
			return err
		}, "InvalidParameterValue", "Invalid TCP/UDP port range (90 - 80)"},
		{"unknown protocol", func() error {
			_, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "sctpx", CIDRs: []string{"10.0.0.0/8"}}})
			return err
		}, "InvalidParameterValue", "Invalid value 'sctpx' for IP protocol. Unknown protocol."},
		{"revoke missing rule", func() error {
			_, err := svc.RevokeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"10.0.0.0/8"}}})
			return err
		}, "InvalidPermission.NotFound", "The specified rule does not exist in this security group."},
		{"authorize unknown group", func() error {
			_, err := svc.AuthorizeIngress(ctx, "sg-0000000000000000a", []model.IPPermission{{Protocol: "-1", CIDRs: []string{"10.0.0.0/8"}}})
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0000000000000000a' does not exist"},
		{"describe unknown group", func() error {
			_, err := svc.DescribeSecurityGroups(ctx, []string{sg.ID, "sg-0000000000000000b"}, nil, nil)
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0000000000000000b' does not exist"},
		{"delete default group", func() error { return svc.DeleteSecurityGroup(ctx, defaultSG) },
			"CannotDelete", `the specified group: "` + defaultSG + `" name: "default" cannot be deleted by a user`},
		{"delete group in use", func() error { return svc.DeleteSecurityGroup(ctx, sg.ID) },
			"DependencyViolation", "resource " + sg.ID + " has a dependent object"},
		{"endpoint without vpc", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{ServiceName: execAPI, VpcEndpointType: "Interface"})
			return err
		}, "MissingParameter", "The request must contain the parameter VpcId"},
		{"endpoint in unknown vpc", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: "vpc-0000000000000000a", ServiceName: execAPI, VpcEndpointType: "Interface"})
			return err
		}, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000000a' does not exist"},
		{"endpoint for another service", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: "com.amazonaws.us-west-2.s3", VpcEndpointType: "Interface"})
			return err
		}, "InvalidServiceName", "The Vpc Endpoint Service 'com.amazonaws.us-west-2.s3' does not exist"},
		{"endpoint type defaults to Gateway", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: execAPI})
			return err
		}, "InvalidParameter", "Endpoint type (Gateway) does not match available service types ([Interface])."},
		{"endpoint in unknown subnet", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: execAPI, VpcEndpointType: "Interface",
				PrivateDNSEnabled: &noDNS, SubnetIDs: []string{"subnet-0000000000000000a"}})
			return err
		}, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0000000000000000a' does not exist"},
		{"two subnets in one zone", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: execAPI, VpcEndpointType: "Interface",
				PrivateDNSEnabled: &noDNS, SubnetIDs: []string{subnets[1].ID, subnets[1].ID}})
			return err
		}, "DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of " + subnets[1].ID + ". VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service."},
		{"endpoint with unknown group", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: execAPI, VpcEndpointType: "Interface",
				PrivateDNSEnabled: &noDNS, SecurityGroupIDs: []string{"sg-0000000000000000c"}})
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0000000000000000c' does not exist"},
		{"second private DNS endpoint", func() error {
			_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{VpcID: vpc.ID, ServiceName: execAPI, VpcEndpointType: "Interface"})
			return err
		}, "InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain for execute-api.us-west-2.amazonaws.com in the VPC " + vpc.ID},
		{"describe unknown endpoint", func() error {
			_, err := svc.DescribeVpcEndpoints(ctx, []string{"vpce-0000000000000000a"}, nil)
			return err
		}, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0000000000000000a' does not exist"},
		{"modify unknown endpoint", func() error {
			_, err := svc.ModifyVpcEndpoint(ctx, "vpce-0000000000000000a", network.ModifyEndpointInput{})
			return err
		}, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0000000000000000a' does not exist"},
		{"modify adds a subnet in a used zone", func() error {
			_, err := svc.ModifyVpcEndpoint(ctx, ep.ID, network.ModifyEndpointInput{AddSubnetIDs: []string{subnets[0].ID}})
			return err
		}, "DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of " + subnets[0].ID + ". VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service."},
		{"unknown interface filter", func() error {
			_, err := svc.DescribeNetworkInterfaces(ctx, nil, map[string][]string{"owner": {"x"}})
			return err
		}, "InvalidParameterValue", "The filter 'owner' is invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErr(t, c.op(), c.code, c.msg) })
	}

	// Nothing above changed the group's rules.
	got, _ := svc.DescribeSecurityGroups(ctx, []string{sg.ID}, nil, nil)
	if len(got[0].Ingress) != 1 || len(got[0].Ingress[0].CIDRs) != 1 {
		t.Errorf("rules after failed calls: got %+v, want the one tcp/443 rule", got[0].Ingress)
	}
	// Rules with one protocol and port range are grouped, as EC2 reports them.
	g, err := svc.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "TCP", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}})
	if err != nil || len(g.Ingress) != 1 || strings.Join(g.Ingress[0].CIDRs, ",") != "0.0.0.0/0,10.0.0.0/8" {
		t.Errorf("authorize a second cidr: got %+v, %v, want one permission with two cidrs", g, err)
	}
	g, err = svc.RevokeIngress(ctx, sg.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0", "10.0.0.0/8"}}})
	if err != nil || len(g.Ingress) != 0 {
		t.Errorf("revoke both: got %+v, %v, want no rules", g, err)
	}
	// Modify: add a subnet and a group, switch private DNS off.
	m, err := svc.ModifyVpcEndpoint(ctx, ep.ID, network.ModifyEndpointInput{
		AddSubnetIDs: []string{subnets[1].ID}, AddSecurityGroupIDs: []string{defaultSG}, PrivateDNSEnabled: &noDNS,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.NetworkInterfaceIDs) != 2 || len(m.SecurityGroupIDs) != 2 || m.PrivateDNSEnabled || m.State != model.EndpointPending {
		t.Errorf("modified endpoint: got %+v", m)
	}
	enis, _ := svc.DescribeNetworkInterfaces(ctx, nil, map[string][]string{"vpc-endpoint-id": {ep.ID}, "subnet-id": {subnets[0].ID}})
	if len(enis) != 1 || len(enis[0].SecurityGroupIDs) != 2 {
		t.Errorf("kept interface after modify: got %+v, want one with both groups", enis)
	}
	if m.PolicyDocument != network.DefaultEndpointPolicy {
		t.Errorf("policy: got %q, want the default", m.PolicyDocument)
	}
}
