package balancer

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func TestCreateLoadBalancer(t *testing.T) {
	e := newEnv(t)
	lb := e.createLB(t, "edge")
	checks := []struct{ name, got, want string }{
		{"arn prefix", lb.ARN[:len("arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/edge/")], "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/edge/"},
		{"state", lb.State, "provisioning"},
		{"scheme", lb.Scheme, "internet-facing"},
		{"zone", lb.CanonicalHostedZoneID, model.ELBHostedZoneUSWest2},
		{"vpc", lb.VpcID, testVPC},
		{"idle timeout", lb.Attributes["idle_timeout.timeout_seconds"], "60"},
		{"node a", lb.Nodes[0].IP, "127.0.14.4"},
		{"node b", lb.Nodes[1].IP, "127.0.14.68"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(lb.DNSName, "edge-") || !strings.HasSuffix(lb.DNSName, ".us-west-2.elb.amazonaws.com") || len(lb.DNSName) != len("edge-0123456789.us-west-2.elb.amazonaws.com") {
		t.Errorf("DNS name: got %q, want edge-<10 digits>.us-west-2.elb.amazonaws.com", lb.DNSName)
	}
	eni, _, err := store.Load[model.NetworkInterface](e.ctx, e.st, model.Key(model.KindNetworkIface, lb.Nodes[0].NetworkInterfaceID))
	if err != nil {
		t.Fatalf("node network interface: %v", err)
	}
	if eni.PrivateIP != "127.0.14.4" || eni.InterfaceType != "interface" || !strings.HasPrefix(eni.Description, "ELB app/edge/") {
		t.Errorf("network interface: got %+v", eni)
	}
	again := e.createLB(t, "edge")
	if again.ARN != lb.ARN {
		t.Errorf("create again with the same settings: got %s, want the existing %s", again.ARN, lb.ARN)
	}
	internal, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "inside", Scheme: "internal", SubnetIDs: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(internal.DNSName, "internal-inside-") {
		t.Errorf("internal DNS name: got %q, want internal-inside-…", internal.DNSName)
	}
	if err := e.svc.DeleteLoadBalancer(e.ctx, lb.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Get(e.ctx, "ip/127.0.14.4"); err == nil {
		t.Error("node IP still claimed after delete")
	}
	if err := e.svc.DeleteLoadBalancer(e.ctx, lb.ARN); err != nil {
		t.Errorf("deleting a missing load balancer: got %v, want success", err)
	}
}

func TestTargetGroupDefaultsAndHealthStates(t *testing.T) {
	e := newEnv(t)
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "tg", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: 443})
	if err != nil {
		t.Fatal(err)
	}
	want := model.HealthCheck{Enabled: true, Protocol: "HTTPS", Port: "traffic-port", Path: "/", IntervalSeconds: 30,
		TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	if tg.HealthCheck != want {
		t.Errorf("health check: got %+v, want %+v", tg.HealthCheck, want)
	}
	again, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "tg", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: 443})
	if err != nil || again.ARN != tg.ARN {
		t.Errorf("create again: got %v %v, want the existing group", again, err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	hs, err := e.svc.DescribeTargetHealth(e.ctx, tg.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Port != 443 || hs[0].State != model.TargetUnused || hs[0].Reason != model.ReasonNotInUse {
		t.Errorf("health of a target in an unused group: got %+v, want unused/%s on port 443", hs, model.ReasonNotInUse)
	}
	if err := e.svc.DeregisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	if hs, err := e.svc.DescribeTargetHealth(e.ctx, tg.ARN); err != nil || len(hs) != 0 {
		t.Errorf("after deregister: got %+v, %v; want no targets", hs, err)
	}
}

func TestOpErrors(t *testing.T) {
	e := newEnv(t)
	lb := e.createLB(t, "edge")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "tg", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	forward := []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18090, DefaultActions: forward}); err != nil {
		t.Fatal(err)
	}
	pending := &model.Certificate{ARN: "arn:aws:acm:us-west-2:000000000000:certificate/pending", Status: model.CertPendingValidation}
	if _, err := store.Save(e.ctx, e.st, model.Key(model.KindCertificate, pending.ARN), pending, 0); err != nil {
		t.Fatal(err)
	}
	missingLB := "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/nope/0123456789abcdef"
	missingTG := "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/nope/0123456789abcdef"
	cases := []struct {
		name    string
		op      func() error
		code    string
		message string // prefix
	}{
		{"one subnet", func() error {
			_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "x", SubnetIDs: []string{subnetA}})
			return err
		}, "ValidationError", "At least two subnets in two different Availability Zones must be specified"},
		{"unknown subnet", func() error {
			_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "x", SubnetIDs: []string{subnetA, "subnet-nope"}})
			return err
		}, "SubnetNotFound", "The subnet ID 'subnet-nope' is not valid"},
		{"name too long", func() error {
			_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: strings.Repeat("a", 33), SubnetIDs: []string{subnetA, subnetB}})
			return err
		}, "ValidationError", "Load balancer name '" + strings.Repeat("a", 33) + "' cannot be longer than '32' characters"},
		{"name with underscore", func() error {
			_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "a_b", SubnetIDs: []string{subnetA, subnetB}})
			return err
		}, "ValidationError", "Load balancer name 'a_b' can only contain"},
		{"same name other settings", func() error {
			_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "edge", Scheme: "internal", SubnetIDs: []string{subnetA, subnetB}})
			return err
		}, "DuplicateLoadBalancerName", "A load balancer with the same name 'edge' exists, but with different settings"},
		{"describe missing lb by name", func() error {
			_, err := e.svc.DescribeLoadBalancers(e.ctx, nil, []string{"nope"})
			return err
		}, "LoadBalancerNotFound", "Load balancers '[nope]' not found"},
		{"describe missing lb by arn", func() error {
			_, err := e.svc.DescribeLoadBalancers(e.ctx, []string{missingLB}, nil)
			return err
		}, "LoadBalancerNotFound", "One or more load balancers not found"},
		{"tg same name other settings", func() error {
			_, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "tg", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 81})
			return err
		}, "DuplicateTargetGroupName", "A target group with the same name 'tg' exists, but with different settings"},
		{"matcher out of range", func() error {
			_, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "m", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80,
				HealthCheck: HealthCheckInput{Matcher: ptr("500")}})
			return err
		}, "ValidationError", "Health check matcher HTTP code '500' is not valid"},
		{"matcher empty", func() error {
			_, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{Matcher: ptr("")})
			return err
		}, "ValidationError", "Health check matcher HTTP code cannot be empty"},
		{"interval too short", func() error {
			_, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{IntervalSeconds: ptr(4)})
			return err
		}, "ValidationError", "1 validation error detected: Value '4' at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value greater than or equal to 5"},
		{"timeout not below interval", func() error {
			_, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{IntervalSeconds: ptr(5), TimeoutSeconds: ptr(5)})
			return err
		}, "ValidationError", "Health check timeout '5' must be smaller than the interval '5'"},
		{"unknown vpc", func() error {
			_, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "v", Protocol: "HTTP", TargetType: "ip", VpcID: "vpc-nope", Port: 80})
			return err
		}, "ValidationError", "The VPC ID 'vpc-nope' is not found"},
		{"modify missing tg", func() error {
			_, err := e.svc.ModifyTargetGroup(e.ctx, missingTG, HealthCheckInput{})
			return err
		}, "TargetGroupNotFound", "One or more target groups not found"},
		{"register outside vpc", func() error {
			return e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: "8.8.8.8"}})
		}, "InvalidTarget", "The IP address '8.8.8.8'"},
		{"register to missing tg", func() error {
			return e.svc.RegisterTargets(e.ctx, missingTG, []model.Target{{ID: targetIP}})
		}, "TargetGroupNotFound", "One or more target groups not found"},
		{"delete tg in use", func() error {
			return e.svc.DeleteTargetGroup(e.ctx, tg.ARN)
		}, "ResourceInUse", "Target group '" + tg.ARN + "' is currently in use by a listener or a rule"},
		{"https without certificate", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 18091, DefaultActions: forward})
			return err
		}, "ValidationError", "A certificate must be specified for HTTPS listeners"},
		{"certificate not issued", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 18091, DefaultActions: forward,
				Certificates: []model.ListenerCertificate{{CertificateARN: pending.ARN}}})
			return err
		}, "CertificateNotFound", "Certificate '" + pending.ARN + "' not found"},
		{"duplicate listener", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18090,
				DefaultActions: []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}})
			return err
		}, "DuplicateListener", "A listener already exists on this port for this load balancer '" + lb.ARN + "'"},
		{"listener to missing tg", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18092,
				DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: missingTG}}})
			return err
		}, "TargetGroupNotFound", "Target group '" + missingTG + "' not found"},
		{"listener on missing lb", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: missingLB, Protocol: "HTTP", Port: 18092, DefaultActions: forward})
			return err
		}, "LoadBalancerNotFound", "One or more load balancers not found"},
		{"fixed response bad status", func() error {
			_, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18093,
				DefaultActions: []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "302"}}}})
			return err
		}, "ValidationError", "1 validation error detected: Value '302'"},
		{"delete missing listener", func() error {
			return e.svc.DeleteListener(e.ctx, "arn:aws:elasticloadbalancing:us-west-2:000000000000:listener/app/edge/x/y")
		}, "ListenerNotFound", "One or more listeners not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.op()
			if err == nil {
				t.Fatalf("got success, want %s", c.code)
			}
			me := asAWS(t, err)
			if me.Code != c.code || me.Status != http.StatusBadRequest || !strings.HasPrefix(me.Message, c.message) {
				t.Errorf("got %d %s %q, want 400 %s %q…", me.Status, me.Code, me.Message, c.code, c.message)
			}
		})
	}
}
