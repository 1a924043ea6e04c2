package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Operations: EC2 semantics for the default VPC, subnets, security groups, network
// interfaces and interface endpoints. They read the store (not the feed), so a
// caller always sees its own previous writes.

// stableHex derives n hex digits from parts, so resources that gatehouse creates
// on its own (the default VPC, its subnets and default group) get the same IDs on
// every start and on every node, and a create-only write makes them idempotent.
func stableHex(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:n]
}

// createOrLoad writes v under key if the key does not exist, and otherwise
// returns what is stored.
func createOrLoad[T any](ctx context.Context, st store.Store, key string, v *T) (*T, error) {
	_, err := store.Save(ctx, st, key, v, 0)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	got, _, err := store.Load[T](ctx, st, key)
	return got, err
}

func isEC2(err error) bool {
	var me *model.Error
	return errors.As(err, &me)
}

// countIn counts the items for which keep is true.
func countIn[T any](items []*T, keep func(*T) bool) int {
	n := 0
	for _, v := range items {
		if keep(v) {
			n++
		}
	}
	return n
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// load loads the resource of kind with id, or answers notFound(id) (the
// kind's EC2 error) when there is none.
func load[T any](ctx context.Context, st store.Store, kind model.Kind, id string, notFound func(string) *model.Error) (*T, int64, error) {
	return store.LoadOr[T](ctx, st, model.Key(kind, id), func() error { return notFound(id) })
}

// update applies fn to the resource of kind with id (store.Update), or
// answers notFound(id) when there is none.
func update[T any](ctx context.Context, st store.Store, kind model.Kind, id string, notFound func(string) *model.Error, fn func(*T) error) (*T, error) {
	return store.UpdateOr(ctx, st, model.Key(kind, id), func() error { return notFound(id) }, fn)
}

// Rules that span several records (a group is not deleted while an endpoint,
// an interface, a load balancer or another group's rule names it; one group
// name per VPC; one private-DNS execute-api endpoint per VPC; the quotas) are
// kept by store.Txn: an operation reads what the rule depends on, decides,
// and writes conditioned on nothing it read having changed since. That holds
// on one node and across nodes sharing the store; a process mutex would not.

// retryConflict runs attempt again while it fails with store.ErrConflict:
// something it read changed before it wrote, so it reads and decides afresh.
func retryConflict(ctx context.Context, attempt func() error) error {
	for {
		err := attempt()
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
