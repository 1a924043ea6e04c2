package balancer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Two nodes: two Services over one store, as two gatehouse processes sharing
// etcd. Each has its own process state (no lock in common), so only the
// store's Txn can keep a rule that spans records.
func twoNodes(t *testing.T) (store.Store, *Service, *Service) {
	t.Helper()
	ctx := context.Background()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	put := func(k model.Kind, id string, v any) {
		if _, err := store.Save(ctx, st, model.Key(k, id), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	put(model.KindVPC, testVPC, &model.VPC{ID: testVPC, CIDR: "127.0.14.0/24", State: "available"})
	// Halves of the VPC: room for a load balancer per round of a case
	// that keeps them.
	put(model.KindSubnet, subnetA, &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.14.0/25", AvailabilityZone: "us-west-2a"})
	put(model.KindSubnet, subnetB, &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.14.128/25", AvailabilityZone: "us-west-2b"})
	deps := Deps{Store: st, Env: model.DefaultEnv, MaxLoadBalancers: 1000, MaxTargetGroups: 1000}
	return st, New(deps), New(deps)
}

// awsCode is the AWS error code of err, or err's text when it is not an AWS
// error (a store conflict leaking out, say).
func awsCode(err error) string {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return err.Error()
}

// orphans lists the records that point at one that is gone: listeners whose
// load balancer is gone, listeners and rules that forward to a target group
// that is gone, rules whose listener is gone, targets whose group is gone,
// listeners that serve a certificate that is gone, load balancers that name
// a security group that is gone.
func orphans(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	listeners, err := store.LoadAll[model.Listener](ctx, st, model.Prefix(model.KindListener))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := store.LoadAll[model.Rule](ctx, st, model.Prefix(model.KindRule))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := store.LoadAll[model.TargetRecord](ctx, st, model.Prefix(model.KindTarget))
	if err != nil {
		t.Fatal(err)
	}
	lbs, err := store.LoadAll[model.LoadBalancer](ctx, st, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(k model.Kind, arn string) bool {
		_, err := st.Get(ctx, model.Key(k, arn))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	var out []string
	for _, l := range listeners {
		if !exists(model.KindLoadBalancer, l.LoadBalancerARN) {
			out = append(out, fmt.Sprintf("listener %s of deleted load balancer %s", l.ARN, l.LoadBalancerARN))
		}
		for _, tg := range l.TargetGroupARNs() {
			if !exists(model.KindTargetGroup, tg) {
				out = append(out, fmt.Sprintf("listener %s forwards to deleted target group %s", l.ARN, tg))
			}
		}
		for _, c := range l.Certificates {
			if !exists(model.KindCertificate, c.CertificateARN) {
				out = append(out, fmt.Sprintf("listener %s serves deleted certificate %s", l.ARN, c.CertificateARN))
			}
		}
	}
	for _, r := range rules {
		if !exists(model.KindListener, r.ListenerARN) {
			out = append(out, fmt.Sprintf("rule %s of deleted listener %s", r.ARN, r.ListenerARN))
		}
		for _, tg := range r.TargetGroupARNs() {
			if !exists(model.KindTargetGroup, tg) {
				out = append(out, fmt.Sprintf("rule %s forwards to deleted target group %s", r.ARN, tg))
			}
		}
	}
	for _, tr := range targets {
		if !exists(model.KindTargetGroup, tr.TargetGroupARN) {
			out = append(out, fmt.Sprintf("target %s:%d of deleted target group %s", tr.ID, tr.Port, tr.TargetGroupARN))
		}
	}
	for _, lb := range lbs {
		for _, sg := range lb.SecurityGroupIDs {
			if !exists(model.KindSecurityGroup, sg) {
				out = append(out, fmt.Sprintf("load balancer %s names deleted security group %s", lb.ARN, sg))
			}
		}
	}
	return out
}

// guardedDelete deletes a record another service owns as that service's
// delete does (ACM's DeleteCertificate, EC2's DeleteSecurityGroup): refused
// with "InUse" while a record of kind users names it, else one Txn
// conditioned on the record as read and on no such record changed since the
// listing, retried on a conflict.
func guardedDelete[T any](st store.Store, k model.Kind, id string, users model.Kind, names func(*T) []string) func() error {
	return func() error {
		ctx := context.Background()
		key := model.Key(k, id)
		for {
			kv, err := st.Get(ctx, key)
			if err != nil {
				return err
			}
			all, rev, err := store.LoadAllAt[T](ctx, st, model.Prefix(users))
			if err != nil {
				return err
			}
			if slices.ContainsFunc(all, func(v *T) bool { return slices.Contains(names(v), id) }) {
				return errors.New("InUse")
			}
			_, err = st.Txn(ctx, []store.Cond{store.KeyIs(key, kv.ModRev), store.NoneAfter(model.Prefix(users), rev)}, []store.Op{store.Del(key)})
			if !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
	}
}

// deleteCert is ACM's DeleteCertificate of arn.
func deleteCert(st store.Store, arn string) func() error {
	return guardedDelete(st, model.KindCertificate, arn, model.KindListener, func(l *model.Listener) []string {
		var out []string
		for _, c := range l.Certificates {
			out = append(out, c.CertificateARN)
		}
		return out
	})
}

// deleteSG is EC2's DeleteSecurityGroup of id, as far as load balancers go.
func deleteSG(st store.Store, id string) func() error {
	return guardedDelete(st, model.KindSecurityGroup, id, model.KindLoadBalancer, func(lb *model.LoadBalancer) []string { return lb.SecurityGroupIDs })
}

// putCert stores an issued certificate under arn, as ACM would.
func putCert(t *testing.T, st store.Store, arn string) {
	t.Helper()
	c := &model.Certificate{ARN: arn, DomainName: testDomain, Status: model.CertIssued, Type: "IMPORTED"}
	if _, err := store.Save(context.Background(), st, model.Key(model.KindCertificate, arn), c, 0); err != nil {
		t.Fatal(err)
	}
}

// putSG stores a security group of the test VPC, as EC2 would.
func putSG(t *testing.T, st store.Store, id string) {
	t.Helper()
	sg := &model.SecurityGroup{ID: id, VpcID: testVPC, Name: id}
	if _, err := store.Save(context.Background(), st, model.Key(model.KindSecurityGroup, id), sg, 0); err != nil {
		t.Fatal(err)
	}
}

// race runs a and b at the same moment and returns their errors.
func race(a, b func() error) (errA, errB error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; errA = a() }()
	go func() { defer wg.Done(); <-start; errB = b() }()
	close(start)
	wg.Wait()
	return errA, errB
}

const invariantRounds = 60

func TestInvariantsAcrossNodes(t *testing.T) {
	fixed := []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}
	cases := []struct {
		name string
		// round sets up the parent on node a and returns the two racing
		// calls: the child's creation on node b and the parent's deletion
		// on node a, with the error codes each may answer besides success.
		round func(t *testing.T, a, b *Service, i int) (create, remove func() error, createMay, removeMay []string)
	}{
		{
			name: "CreateListener against DeleteLoadBalancer",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb, err := a.CreateLoadBalancer(ctx, CreateLBInput{Name: fmt.Sprintf("race-%d", i), SubnetIDs: []string{subnetA, subnetB}})
				if err != nil {
					t.Fatalf("CreateLoadBalancer: %v", err)
				}
				create := func() error {
					_, err := b.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 8080, DefaultActions: fixed})
					return err
				}
				remove := func() error { return a.DeleteLoadBalancer(ctx, lb.ARN) }
				return create, remove, []string{codeLBNotFound}, nil
			},
		},
		{
			name: "CreateListener forwarding to a group against DeleteTargetGroup",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				// One load balancer for every round (subnets hold few), a
				// port per round so that a listener that won does not
				// collide with the next round's.
				lb, err := a.CreateLoadBalancer(ctx, CreateLBInput{Name: "tgrace", SubnetIDs: []string{subnetA, subnetB}})
				if err != nil {
					t.Fatalf("CreateLoadBalancer: %v", err)
				}
				tg, err := a.CreateTargetGroup(ctx, CreateTGInput{Name: fmt.Sprintf("tg-%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
				if err != nil {
					t.Fatalf("CreateTargetGroup: %v", err)
				}
				create := func() error {
					_, err := b.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 1000 + i,
						DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}})
					return err
				}
				remove := func() error { return a.DeleteTargetGroup(ctx, tg.ARN) }
				return create, remove, []string{codeTGNotFound}, []string{codeInUse}
			},
		},
	}
	// The cases below race a child against its parent's deletion for the
	// records this round made separate (rules, targets), and the records
	// other services own that a balancer resource names (certificates,
	// security groups).
	// sharedLB is the load balancer of that name, created by the first round
	// that asks (subnets hold few addresses; a load balancer, at most
	// maxListeners listeners).
	sharedLB := func(t *testing.T, a *Service, name string) *model.LoadBalancer {
		t.Helper()
		if lbs, err := a.DescribeLoadBalancers(context.Background(), nil, []string{name}); err == nil {
			return lbs[0]
		}
		lb, err := a.CreateLoadBalancer(context.Background(), CreateLBInput{Name: name, SubnetIDs: []string{subnetA, subnetB}})
		if err != nil {
			t.Fatalf("CreateLoadBalancer: %v", err)
		}
		return lb
	}
	cases = append(cases, []struct {
		name  string
		round func(t *testing.T, a, b *Service, i int) (create, remove func() error, createMay, removeMay []string)
	}{
		{
			name: "CreateRule against DeleteListener",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb := sharedLB(t, a, "rulerace")
				l, err := a.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 2000 + i, DefaultActions: fixed})
				if err != nil {
					t.Fatalf("CreateListener: %v", err)
				}
				create := func() error {
					_, err := b.CreateRule(ctx, CreateRuleInput{ListenerARN: l.ARN, Priority: 1,
						Conditions: []model.Condition{{Field: "path-pattern", Values: []string{"/x"}}}, Actions: fixed})
					return err
				}
				remove := func() error { return a.DeleteListener(ctx, l.ARN) }
				return create, remove, []string{codeListenerNotFound}, nil
			},
		},
		{
			name: "CreateRule forwarding to a group against DeleteTargetGroup",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb := sharedLB(t, a, "rulegrouprace")
				l, err := a.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 80, DefaultActions: fixed})
				if err != nil {
					t.Fatalf("CreateListener: %v", err)
				}
				tg, err := a.CreateTargetGroup(ctx, CreateTGInput{Name: fmt.Sprintf("rtg-%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
				if err != nil {
					t.Fatalf("CreateTargetGroup: %v", err)
				}
				create := func() error {
					_, err := b.CreateRule(ctx, CreateRuleInput{ListenerARN: l.ARN, Priority: 1 + i,
						Conditions: []model.Condition{{Field: "path-pattern", Values: []string{"/x"}}},
						Actions:    []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}})
					return err
				}
				remove := func() error { return a.DeleteTargetGroup(ctx, tg.ARN) }
				return create, remove, []string{codeTGNotFound}, []string{codeInUse}
			},
		},
		{
			name: "RegisterTargets against DeleteTargetGroup",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				tg, err := a.CreateTargetGroup(ctx, CreateTGInput{Name: fmt.Sprintf("ttg-%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
				if err != nil {
					t.Fatalf("CreateTargetGroup: %v", err)
				}
				create := func() error {
					return b.RegisterTargets(ctx, tg.ARN, []model.Target{{ID: "127.0.14.10"}, {ID: "127.0.14.11"}})
				}
				remove := func() error { return a.DeleteTargetGroup(ctx, tg.ARN) }
				return create, remove, []string{codeTGNotFound}, nil
			},
		},
		{
			name: "CreateListener with a certificate against its deletion",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb := sharedLB(t, a, fmt.Sprintf("certrace-%d", i/maxListeners))
				arn := fmt.Sprintf("arn:aws:acm:us-west-2:000000000000:certificate/race-%d", i)
				putCert(t, a.d.Store, arn)
				create := func() error {
					_, err := b.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 3000 + i,
						Certificates: []model.ListenerCertificate{{CertificateARN: arn}}, DefaultActions: fixed})
					return err
				}
				return create, deleteCert(a.d.Store, arn), []string{codeCertNotFound}, []string{"InUse"}
			},
		},
		{
			name: "ModifyListener to a certificate against its deletion",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb := sharedLB(t, a, fmt.Sprintf("modcertrace-%d", i/maxListeners))
				first := fmt.Sprintf("arn:aws:acm:us-west-2:000000000000:certificate/first-%d", i)
				next := fmt.Sprintf("arn:aws:acm:us-west-2:000000000000:certificate/next-%d", i)
				putCert(t, a.d.Store, first)
				putCert(t, a.d.Store, next)
				l, err := a.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 4000 + i,
					Certificates: []model.ListenerCertificate{{CertificateARN: first}}, DefaultActions: fixed})
				if err != nil {
					t.Fatalf("CreateListener: %v", err)
				}
				create := func() error {
					_, err := b.ModifyListener(ctx, ModifyListenerInput{ListenerARN: l.ARN, Certificates: []model.ListenerCertificate{{CertificateARN: next}}})
					return err
				}
				return create, deleteCert(a.d.Store, next), []string{codeCertNotFound}, []string{"InUse"}
			},
		},
		{
			name: "CreateLoadBalancer with a security group against its deletion",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				sg := fmt.Sprintf("sg-race%d", i)
				putSG(t, a.d.Store, sg)
				create := func() error {
					_, err := b.CreateLoadBalancer(ctx, CreateLBInput{Name: fmt.Sprintf("sgrace-%d", i), SubnetIDs: []string{subnetA, subnetB}, SecurityGroupIDs: []string{sg}})
					return err
				}
				return create, deleteSG(a.d.Store, sg), []string{codeInvalidSG}, []string{"InUse"}
			},
		},
		{
			name: "SetSecurityGroups against the group's deletion",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb := sharedLB(t, a, "setsgrace")
				sg := fmt.Sprintf("sg-set%d", i)
				putSG(t, a.d.Store, sg)
				create := func() error {
					_, err := b.SetSecurityGroups(ctx, lb.ARN, []string{sg})
					return err
				}
				return create, deleteSG(a.d.Store, sg), []string{codeInvalidSG}, []string{"InUse"}
			},
		},
	}...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, a, b := twoNodes(t)
			for i := range invariantRounds {
				create, remove, createMay, removeMay := tc.round(t, a, b, i)
				createErr, removeErr := race(create, remove)
				if createErr != nil && !slices.Contains(createMay, awsCode(createErr)) {
					t.Errorf("round %d: create: got %v, want success or one of %v", i, createErr, createMay)
				}
				if removeErr != nil && !slices.Contains(removeMay, awsCode(removeErr)) {
					t.Errorf("round %d: delete: got %v, want success or one of %v", i, removeErr, removeMay)
				}
				if got := orphans(t, st); len(got) > 0 {
					t.Fatalf("round %d: got %d orphans, want none: %v", i, len(got), got)
				}
			}
		})
	}
}

// TestLimitsAcrossNodes races two nodes for one name, one rule priority, or
// the last place under a quota: exactly one may win, the other answers AWS's
// error, and the store holds what one winner wrote. Without a process lock,
// only the Txn conditions (a name's index key, NoneAfter on the siblings)
// can keep these.
func TestLimitsAcrossNodes(t *testing.T) {
	fixed := []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}
	cases := []struct {
		name string
		// round sets up on node a and returns the calls on a and b, the
		// error the loser answers, and how many of the raced resources
		// the store must hold afterwards.
		round func(t *testing.T, a, b *Service, i int) (onA, onB func() error, loserCode string, count func() int)
	}{
		{
			name: "one load balancer name",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, string, func() int) {
				ctx := context.Background()
				name := fmt.Sprintf("name-%d", i)
				create := func(svc *Service, scheme string) func() error {
					return func() error {
						_, err := svc.CreateLoadBalancer(ctx, CreateLBInput{Name: name, Scheme: scheme, SubnetIDs: []string{subnetA, subnetB}})
						return err
					}
				}
				count := func() int {
					lbs, err := a.DescribeLoadBalancers(ctx, nil, []string{name})
					if err != nil {
						return 0
					}
					return len(lbs)
				}
				return create(a, "internal"), create(b, "internet-facing"), codeDuplicateLB, count
			},
		},
		{
			name: "one target group name",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, string, func() int) {
				ctx := context.Background()
				name := fmt.Sprintf("group-%d", i)
				create := func(svc *Service, port int) func() error {
					return func() error {
						_, err := svc.CreateTargetGroup(ctx, CreateTGInput{Name: name, Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: port})
						return err
					}
				}
				count := func() int {
					tgs, err := a.DescribeTargetGroups(ctx, nil, []string{name}, "")
					if err != nil {
						return 0
					}
					return len(tgs)
				}
				return create(a, 80), create(b, 81), codeDuplicateTG, count
			},
		},
		{
			name: "one rule per priority",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, string, func() int) {
				ctx := context.Background()
				lb, err := a.CreateLoadBalancer(ctx, CreateLBInput{Name: "priorities", SubnetIDs: []string{subnetA, subnetB}})
				if err != nil {
					t.Fatalf("CreateLoadBalancer: %v", err)
				}
				l, err := a.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 5000 + i%maxListeners, DefaultActions: fixed})
				if err != nil {
					t.Fatalf("CreateListener: %v", err)
				}
				create := func(svc *Service, path string) func() error {
					return func() error {
						_, err := svc.CreateRule(ctx, CreateRuleInput{ListenerARN: l.ARN, Priority: 100 + i,
							Conditions: []model.Condition{{Field: "path-pattern", Values: []string{path}}}, Actions: fixed})
						return err
					}
				}
				count := func() int {
					rules, err := a.DescribeRules(ctx, l.ARN, nil)
					if err != nil {
						return 0
					}
					n := 0
					for _, r := range rules {
						if r.Priority == 100+i {
							n++
						}
					}
					return n
				}
				return create(a, "/a"), create(b, "/b"), "PriorityInUse", count
			},
		},
		{
			name: "the last load balancer under the quota",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, string, func() int) {
				ctx := context.Background()
				// The quota is one more than the load balancers there are.
				have, err := a.DescribeLoadBalancers(ctx, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				a.d.MaxLoadBalancers, b.d.MaxLoadBalancers = len(have)+1, len(have)+1
				create := func(svc *Service, name string) func() error {
					return func() error {
						_, err := svc.CreateLoadBalancer(ctx, CreateLBInput{Name: name, SubnetIDs: []string{subnetA, subnetB}})
						return err
					}
				}
				count := func() int {
					lbs, err := a.DescribeLoadBalancers(ctx, nil, nil)
					if err != nil {
						return 0
					}
					return len(lbs) - len(have)
				}
				return create(a, fmt.Sprintf("quota-a-%d", i)), create(b, fmt.Sprintf("quota-b-%d", i)), "TooManyLoadBalancers", count
			},
		},
		{
			name: "the last target under the quota",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, string, func() int) {
				ctx := context.Background()
				tg, err := a.CreateTargetGroup(ctx, CreateTGInput{Name: fmt.Sprintf("full-%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
				if err != nil {
					t.Fatalf("CreateTargetGroup: %v", err)
				}
				fill := make([]model.Target, maxTargetsPerGroup-1)
				for j := range fill {
					fill[j] = model.Target{ID: "127.0.14.20", Port: 1 + j}
				}
				if err := a.RegisterTargets(ctx, tg.ARN, fill); err != nil {
					t.Fatalf("RegisterTargets: %v", err)
				}
				register := func(svc *Service, ip string) func() error {
					return func() error { return svc.RegisterTargets(ctx, tg.ARN, []model.Target{{ID: ip, Port: 80}}) }
				}
				count := func() int {
					hs, err := a.DescribeTargetHealth(ctx, tg.ARN)
					if err != nil {
						return 0
					}
					return len(hs) - len(fill)
				}
				return register(a, "127.0.14.21"), register(b, "127.0.14.22"), codeTooManyTargets, count
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, a, b := twoNodes(t)
			rounds := invariantRounds
			if tc.name == "the last target under the quota" {
				rounds = 5 // each round registers 999 targets first
			}
			for i := range rounds {
				onA, onB, loserCode, count := tc.round(t, a, b, i)
				errA, errB := race(onA, onB)
				won := 0
				for _, err := range []error{errA, errB} {
					switch {
					case err == nil:
						won++
					case awsCode(err) != loserCode:
						t.Errorf("round %d: got %v, want success or %s", i, err, loserCode)
					}
				}
				if won != 1 {
					t.Errorf("round %d: got %d winners (a: %v, b: %v), want 1", i, won, errA, errB)
				}
				if got := count(); got != 1 {
					t.Fatalf("round %d: got %d in the store, want 1", i, got)
				}
			}
		})
	}
}
