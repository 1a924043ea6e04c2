package certs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// errCertGone is what the test's listener creation answers when the
// certificate it would serve no longer exists (the balancer answers
// CertificateNotFound).
var errCertGone = errors.New("certificate not found")

// createListenerServing writes a listener that serves the certificate, the way
// a node's balancer does it under the cross-record rule: read the certificate,
// then create the listener in one Txn conditioned on the certificate being
// unchanged, re-reading on a conflict. It is written here rather than calling
// the balancer so that this test holds certs' half of the rule (the delete)
// to account on its own.
func createListenerServing(ctx context.Context, st store.Store, certARN, listenerARN string) error {
	certKey := model.Key(model.KindCertificate, certARN)
	l := model.Listener{
		ARN: listenerARN, LoadBalancerARN: listenerARN + "-lb", Protocol: "HTTPS", Port: 443,
		Certificates: []model.ListenerCertificate{{CertificateARN: certARN}},
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	for {
		kv, err := st.Get(ctx, certKey)
		if errors.Is(err, store.ErrNotFound) {
			return errCertGone
		}
		if err != nil {
			return err
		}
		_, err = st.Txn(ctx, []store.Cond{store.KeyIs(certKey, kv.ModRev)},
			[]store.Op{store.Put(model.Key(model.KindListener, listenerARN), b)})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
}

// TestDeleteCertificateRacingListenerCreation runs two nodes (two services
// over one store) and, round after round, races node B's DeleteCertificate
// against the creation of a listener that serves the certificate. Whatever
// the interleaving, the store must never end with a listener whose
// certificate is gone, and each call must either succeed or give its error.
func TestDeleteCertificateRacingListenerCreation(t *testing.T) {
	st, err := store.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	ca := testutil.Must[*CA](t)(LoadOrCreateCA(t.TempDir()))
	node := func() *Service {
		return New(Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: testEnv, CA: ca, Resolver: "127.0.11.254:53"})
	}
	nodeA, nodeB := node(), node()
	ctx := context.Background()

	const rounds = 200
	var deleted, inUse int
	for round := range rounds {
		c, err := nodeA.RequestCertificate(ctx, RequestInput{DomainName: fmt.Sprintf("r%d.example.test", round)})
		if err != nil {
			t.Fatalf("round %d: RequestCertificate: %v", round, err)
		}
		listenerARN := fmt.Sprintf("arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/lb/%d", round)

		var wg sync.WaitGroup
		start := make(chan struct{})
		var deleteErr, createErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			deleteErr = nodeB.DeleteCertificate(ctx, c.ARN)
		}()
		go func() {
			defer wg.Done()
			<-start
			createErr = createListenerServing(ctx, st, c.ARN, listenerARN)
		}()
		close(start)
		wg.Wait()

		switch {
		case deleteErr == nil:
			deleted++
		default:
			var e *model.Error
			if !errors.As(deleteErr, &e) || e.Code != codeInUse {
				t.Fatalf("round %d: DeleteCertificate: got %v, want success or %s", round, deleteErr, codeInUse)
			}
			inUse++
		}
		if createErr != nil && !errors.Is(createErr, errCertGone) {
			t.Fatalf("round %d: create listener: got %v, want success or %v", round, createErr, errCertGone)
		}

		_, certErr := st.Get(ctx, model.Key(model.KindCertificate, c.ARN))
		_, listenerErr := st.Get(ctx, model.Key(model.KindListener, listenerARN))
		certExists, listenerExists := certErr == nil, listenerErr == nil
		if listenerExists && !certExists {
			t.Fatalf("round %d: got a listener serving %s after the certificate was deleted (delete: %v, create: %v), want never", round, c.ARN, deleteErr, createErr)
		}
		if got, want := certExists, deleteErr != nil; got != want {
			t.Fatalf("round %d: certificate exists: got %v, want %v (delete answered %v)", round, got, want, deleteErr)
		}
		if got, want := listenerExists, createErr == nil; got != want {
			t.Fatalf("round %d: listener exists: got %v, want %v (create answered %v)", round, got, want, createErr)
		}
	}
	t.Logf("%d rounds: %d deletes won, %d answered in use", rounds, deleted, inUse)
}

// TestRequestCertificateRacingOnTwoNodes races RequestCertificate on two
// nodes over one store: the quota and "one certificate per idempotency token"
// span every certificate record, and must hold however the requests interleave.
func TestRequestCertificateRacingOnTwoNodes(t *testing.T) {
	const quota = 3
	st, err := store.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	ca := testutil.Must[*CA](t)(LoadOrCreateCA(t.TempDir()))
	node := func() *Service {
		return New(Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: testEnv, CA: ca, Resolver: "127.0.11.254:53", MaxCertificates: quota})
	}
	nodes := []*Service{node(), node()}
	ctx := context.Background()

	tests := []struct {
		name  string
		token func(i int) string // the idempotency token of request i
		want  int                // certificates stored at the end
	}{
		{name: "one token", token: func(int) string { return "sametoken" }, want: 1},
		{name: "distinct tokens over the quota", token: func(i int) string { return fmt.Sprintf("token%d", i) }, want: quota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for round := range 20 {
				kvs, _, err := st.List(ctx, model.Prefix(model.KindCertificate))
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				for _, kv := range kvs {
					if _, err := st.Delete(ctx, kv.Key, store.Any); err != nil {
						t.Fatalf("clear %s: %v", kv.Key, err)
					}
				}
				const requests = 6
				errs := make([]error, requests)
				arns := make([]string, requests)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range requests {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						c, err := nodes[i%2].RequestCertificate(ctx, RequestInput{DomainName: "race.example.test", IdempotencyToken: tt.token(i)})
						errs[i] = err
						if err == nil {
							arns[i] = c.ARN
						}
					}()
				}
				close(start)
				wg.Wait()

				answered := map[string]bool{}
				for i, err := range errs {
					var e *model.Error
					switch {
					case err == nil:
						answered[arns[i]] = true
					case errors.As(err, &e) && e.Code == codeLimitExceeded:
					default:
						t.Fatalf("round %d: request %d: got %v, want success or %s", round, i, err, codeLimitExceeded)
					}
				}
				kvs, _, err = st.List(ctx, model.Prefix(model.KindCertificate))
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				if got := len(kvs); got != tt.want {
					t.Fatalf("round %d: got %d certificates stored, want %d", round, got, tt.want)
				}
				if got := len(answered); got != tt.want {
					t.Fatalf("round %d: got %d distinct ARNs answered, want %d", round, got, tt.want)
				}
			}
		})
	}
}
