package balancer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"gatehouse/internal/model"
	"gatehouse/internal/paging"
	"gatehouse/internal/store"
)

// Quotas (ALB user guide, "Quotas for your Application Load Balancers").
const (
	maxSecurityGroups  = 5 // per load balancer
	maxTargetsPerGroup = 1000
	maxListeners       = 50
	maxFixedBody       = 1024
)

// Regional quotas (the same guide: "Application Load Balancers per Region" and
// "Target groups per Region"), Deps.MaxLoadBalancers and Deps.MaxTargetGroups
// by default. A create counts the existing resources at one revision and
// writes conditioned on no name index key (lbname/, tgname/) created since:
// another node's create in between fails it, and it counts again.
const (
	DefaultMaxLoadBalancers = 50
	DefaultMaxTargetGroups  = 3000
)

// Per-kind access to the store, with each kind's NotFound error.

func (s *Service) loadLB(ctx context.Context, arn string) (*model.LoadBalancer, error) {
	lb, _, err := store.LoadOr[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), lbNotFound)
	return lb, err
}

func (s *Service) updateLB(ctx context.Context, arn string, fn func(*model.LoadBalancer) error) (*model.LoadBalancer, error) {
	return store.UpdateOr(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), lbNotFound, fn)
}

func (s *Service) loadTG(ctx context.Context, arn string) (*model.TargetGroup, error) {
	tg, _, err := store.LoadOr[model.TargetGroup](ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), tgNotFound)
	return tg, err
}

func (s *Service) updateTG(ctx context.Context, arn string, fn func(*model.TargetGroup) error) (*model.TargetGroup, error) {
	return store.UpdateOr(ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), tgNotFound, fn)
}

// loadListener loads a listener and its revision, for a write back with saveListener.
func (s *Service) loadListener(ctx context.Context, arn string) (*model.Listener, int64, error) {
	return store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, arn), listenerNotFound)
}

// Page returns the page of items that marker (empty: the first) and size
// (0: ELBv2's maximum, 400) select, in the order of key (unique per item), and
// the marker of the next page, empty on the last. Markers are keyset tokens
// (paging.Keyset): a page stays right when items before it are deleted.
func Page[T any](items []T, key func(T) string, marker string, size int) ([]T, string, error) {
	if size == 0 {
		size = 400
	}
	if err := model.Range(codeValidation, "pageSize", size, 1, 400); err != nil {
		return nil, "", err
	}
	page, next, ok := paging.Keyset[T]{Key: key}.Page(items, marker, size)
	if !ok {
		return nil, "", validationError("The marker '%s' is not valid", marker) // UNVERIFIED: AWS's text
	}
	return page, next, nil
}

// Rules that span records (a listener's load balancer exists and its port is
// free; a rule's listener exists and its priority is free; a target group is
// not deleted while a listener or rule forwards to it) hold across nodes
// because each write that could break one is a store.Txn conditioned on what
// the decision read: the parent's ModRev, and no sibling changed since the
// listing (NoneAfter). A conflict means another writer got in between: the
// operation reads again and decides again.

// retryOnConflict runs attempt again while it fails with store.ErrConflict,
// as store.Update does, until ctx ends.
func retryOnConflict[T any](ctx context.Context, attempt func() (T, error)) (T, error) {
	for {
		v, err := attempt()
		if !errors.Is(err, store.ErrConflict) {
			return v, err
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
	}
}

// groupsExist is the condition that every target group a listener or rule
// forwards to (arns) still exists as the caller last checked it: a
// DeleteTargetGroup that lands in between makes the write conflict. A group
// already gone is TargetGroupNotFound.
func (s *Service) groupsExist(ctx context.Context, arns []string) ([]store.Cond, error) {
	var conds []store.Cond
	for _, arn := range arns {
		key := model.Key(model.KindTargetGroup, arn)
		kv, err := s.d.Store.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, tgNotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", key, err)
		}
		conds = append(conds, store.KeyIs(key, kv.ModRev))
	}
	return conds, nil
}

func (s *Service) listenersOf(ctx context.Context, lbARN string) ([]*model.Listener, error) {
	all, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(l *model.Listener) bool { return l.LoadBalancerARN != lbARN }), nil
}

// lbsByGroup maps every target group that listeners or rules forward to onto
// the load balancers of those listeners, sorted.
func (s *Service) lbsByGroup(ctx context.Context) (map[string][]string, error) {
	out, _, err := s.forwarders(ctx)
	return out, err
}

// forwarders is lbsByGroup and the conditions that make a write depend on it:
// no listener and no rule created or changed since they were listed.
func (s *Service) forwarders(ctx context.Context) (map[string][]string, []store.Cond, error) {
	listeners, listRev, err := store.LoadAllAt[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, nil, err
	}
	rules, rulesRev, err := store.LoadAllAt[model.Rule](ctx, s.d.Store, model.Prefix(model.KindRule))
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]string{}
	add := func(tgs []string, lbARN string) {
		for _, arn := range tgs {
			if !slices.Contains(out[arn], lbARN) {
				out[arn] = append(out[arn], lbARN)
			}
		}
	}
	lbOf := make(map[string]string, len(listeners))
	for _, l := range listeners {
		lbOf[l.ARN] = l.LoadBalancerARN
		add(l.TargetGroupARNs(), l.LoadBalancerARN)
	}
	for _, r := range rules {
		if lb, ok := lbOf[r.ListenerARN]; ok {
			add(r.TargetGroupARNs(), lb)
		} else {
			// A rule whose listener went after the listing: it still
			// holds its groups for this decision, as the listener did.
			add(r.TargetGroupARNs(), "")
		}
	}
	for arn, lbs := range out {
		lbs = slices.DeleteFunc(lbs, func(lb string) bool { return lb == "" })
		slices.Sort(lbs)
		out[arn] = lbs
	}
	conds := []store.Cond{
		store.NoneAfter(model.Prefix(model.KindListener), listRev),
		store.NoneAfter(model.Prefix(model.KindRule), rulesRev),
	}
	return out, conds, nil
}

func (s *Service) withLBs(ctx context.Context, tg *model.TargetGroup) (*model.TargetGroup, error) {
	lbs, err := s.lbsByGroup(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.fillTargets(ctx, []*model.TargetGroup{tg}); err != nil {
		return nil, err
	}
	tg.LoadBalancerARNs = append([]string{}, lbs[tg.ARN]...)
	return tg, nil
}

// withDefaults is a resource's attributes as Describe shows them: every
// default, overridden by those stored.
func withDefaults(defaults func() map[string]string, stored map[string]string) map[string]string {
	out := defaults()
	maps.Copy(out, stored)
	return out
}

// mergeAttributes writes attrs over a resource's stored attributes, which
// start as the defaults when it has none.
func mergeAttributes(stored *map[string]string, defaults func() map[string]string, attrs map[string]string) {
	if *stored == nil {
		*stored = defaults()
	}
	maps.Copy(*stored, attrs)
}

// listenerAndLB loads a listener (with its revision, for saveListener) and
// its load balancer.
func (s *Service) listenerAndLB(ctx context.Context, arn string) (*model.Listener, int64, *model.LoadBalancer, error) {
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return nil, 0, nil, err
	}
	lb, err := s.loadLB(ctx, l.LoadBalancerARN)
	if err != nil {
		return nil, 0, nil, err
	}
	return l, rev, lb, nil
}

// pick returns the items whose key is in keys, in keys' order, and the keys
// that matched nothing.
func pick[T any](all []*T, keys []string, key func(*T) string) (out []*T, missing []string) {
	for _, k := range keys {
		found := false
		for _, v := range all {
			if key(v) == k {
				out = append(out, v)
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, k)
		}
	}
	return out, missing
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func randomDigits(n int) string {
	h := model.RandomHex(2 * n)
	b := make([]byte, n)
	for i := range b {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = '0' + byte(v%10)
	}
	return string(b)
}
