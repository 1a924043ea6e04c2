package balancer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Rules and targets are records of their own (model.KindRule under
// model.RulesPrefix of their listener, model.KindTarget under
// model.TargetsPrefix of their group), so a create-rule or register-targets
// writes its own few hundred bytes rather than its parent with every sibling.
// A parent's deletion takes its children in the same Txn with one prefix
// delete; a child's creation is conditioned on its parent's ModRev; limits
// on siblings (unique priorities, rules per listener, targets per group)
// are conditioned on no sibling having changed since they were listed
// (store.NoneAfter on the prefix), which holds across nodes.
//
// An older gatehouse stored rules inside their Listener and targets inside
// their TargetGroup. Those still load: every read takes the embedded ones as
// if they were records (rulesOf, targetsOf, and compile), and the first
// write to a listener's rules or a group's targets moves them out
// (migrateRules, migrateTargets).

func ruleKey(arn string) string { return model.Key(model.KindRule, arn) }

func targetKey(tgARN string, t model.Target) string {
	return model.Key(model.KindTarget, model.TargetID(tgARN, t.ID, t.Port))
}

func lbNameKey(name string) string { return model.Key(model.KindLBName, name) }
func tgNameKey(name string) string { return model.Key(model.KindTGName, name) }

// txnChunk is how many target records one Txn writes, leaving room for its
// conditions and the parent's own put under store.MaxTxnOps.
const txnChunk = 100

// rulesOf returns the listener's non-default rules, the records and any still
// stored inside l, and the store revision of the listing (for a NoneAfter on
// model.RulesPrefix).
func (s *Service) rulesOf(ctx context.Context, l *model.Listener) ([]model.Rule, int64, error) {
	recs, rev, err := store.LoadAllAt[model.Rule](ctx, s.d.Store, model.RulesPrefix(l.ARN))
	if err != nil {
		return nil, 0, err
	}
	out := make([]model.Rule, 0, len(recs)+len(l.Rules))
	for _, r := range recs {
		out = append(out, *r)
	}
	for _, r := range l.Rules {
		if !slices.ContainsFunc(out, func(o model.Rule) bool { return o.ARN == r.ARN }) {
			r.ListenerARN = l.ARN
			out = append(out, r)
		}
	}
	return out, rev, nil
}

// ruleRecordsOf returns the listener's rule records with each one's ModRev,
// and the store revision of the listing. Rules still inside the listener are
// not among them: callers that write rules migrate them first.
func (s *Service) ruleRecordsOf(ctx context.Context, listenerARN string) ([]model.Rule, map[string]int64, int64, error) {
	kvs, rev, err := s.d.Store.List(ctx, model.RulesPrefix(listenerARN))
	if err != nil {
		return nil, nil, 0, err
	}
	rules := make([]model.Rule, len(kvs))
	revs := make(map[string]int64, len(kvs))
	for i, kv := range kvs {
		if err := json.Unmarshal(kv.Value, &rules[i]); err != nil {
			return nil, nil, 0, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		revs[rules[i].ARN] = kv.ModRev
	}
	return rules, revs, rev, nil
}

// migrateRules moves the rules an older gatehouse stored inside the listener
// into records of their own, in one Txn with the listener's rewrite (at most
// maxRules of them: they fit), and returns the listener as stored afterwards
// with its revision. A listener without embedded rules is returned as it is.
// notFound is the caller's error for a listener that does not exist.
func (s *Service) migrateRules(ctx context.Context, arn string, notFound func() error) (*model.Listener, int64, error) {
	return retryOnConflict2(ctx, func() (*model.Listener, int64, error) {
		l, rev, err := store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, arn), notFound)
		if err != nil || len(l.Rules) == 0 {
			return l, rev, err
		}
		key := model.Key(model.KindListener, l.ARN)
		ops := make([]store.Op, 0, len(l.Rules)+1)
		for _, r := range l.Rules {
			r.ListenerARN = l.ARN
			op, err := store.SaveOp(ruleKey(r.ARN), r)
			if err != nil {
				return nil, 0, err
			}
			ops = append(ops, op)
		}
		l.Rules = nil
		op, err := store.SaveOp(key, l)
		if err != nil {
			return nil, 0, err
		}
		ops = append(ops, op)
		newRev, err := s.d.Store.Txn(ctx, []store.Cond{store.KeyIs(key, rev)}, ops)
		if err != nil {
			return nil, 0, err
		}
		s.d.Log.Info("listener rules moved into records of their own", "listener", l.ARN, "rules", len(ops)-1)
		return l, newRev, nil
	})
}

// loadRule returns a non-default rule by ARN, from its record or from inside
// its listener (an older gatehouse's), with the record's revision (0 for an
// embedded one); RuleNotFound if neither has it.
func (s *Service) loadRule(ctx context.Context, arn string) (*model.Rule, int64, error) {
	if resourceKind(arn) != kindRule {
		return nil, 0, ruleNotFound()
	}
	r, rev, err := store.Load[model.Rule](ctx, s.d.Store, ruleKey(arn))
	if err == nil {
		return r, rev, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, 0, fmt.Errorf("load %s: %w", ruleKey(arn), err)
	}
	l, _, err := store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, ruleListenerARN(arn)), ruleNotFound)
	if err != nil {
		return nil, 0, err
	}
	if r := findRule(l, arn); r != nil {
		r.ListenerARN = l.ARN
		return r, 0, nil
	}
	return nil, 0, ruleNotFound()
}

// targetsOf returns the group's registered targets, the records and any still
// stored inside tg, ordered by address, and the store revision of the
// listing (for a NoneAfter on model.TargetsPrefix).
func (s *Service) targetsOf(ctx context.Context, tg *model.TargetGroup) ([]model.Target, int64, error) {
	return groupTargets(ctx, s.d.Store, tg)
}

// TargetGroups reads every target group with its registered targets from
// st alone, without a running service: what `gatehouse diff` plans against
// when no daemon answers.
func TargetGroups(ctx context.Context, st store.Store) ([]*model.TargetGroup, error) {
	all, err := store.LoadAll[model.TargetGroup](ctx, st, model.Prefix(model.KindTargetGroup))
	if err != nil {
		return nil, err
	}
	for _, tg := range all {
		if tg.Targets, _, err = groupTargets(ctx, st, tg); err != nil {
			return nil, err
		}
	}
	return all, nil
}

func groupTargets(ctx context.Context, st store.Store, tg *model.TargetGroup) ([]model.Target, int64, error) {
	recs, rev, err := store.LoadAllAt[model.TargetRecord](ctx, st, model.TargetsPrefix(tg.ARN))
	if err != nil {
		return nil, 0, err
	}
	ts := make([]model.Target, 0, len(recs)+len(tg.Targets))
	for _, r := range recs {
		ts = append(ts, r.Target)
	}
	return mergeTargets(ts, tg.Targets, tg.Port), rev, nil
}

// mergeTargets adds the targets an older gatehouse stored inside their group
// (port 0: the group's) to the records' targets, each (ip, port) once,
// ordered by address so that round robin and describe-target-health follow
// one order on every node.
func mergeTargets(recs, embedded []model.Target, groupPort int) []model.Target {
	out := recs
	for _, t := range embedded {
		if t.Port == 0 {
			t.Port = groupPort
		}
		if !slices.ContainsFunc(out, func(o model.Target) bool { return o.ID == t.ID && o.Port == t.Port }) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, compareTargets)
	return out
}

func compareTargets(a, b model.Target) int {
	ia, errA := netip.ParseAddr(a.ID)
	ib, errB := netip.ParseAddr(b.ID)
	if errA == nil && errB == nil {
		if c := ia.Compare(ib); c != 0 {
			return c
		}
	} else if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return cmp.Compare(a.Port, b.Port)
}

// migrateTargets moves the targets an older gatehouse stored inside the
// group into records of their own and returns the group as stored afterwards
// with its revision. Up to 1,000 targets do not fit in one Txn: each chunk is
// conditioned on the group unchanged, and the last one rewrites the group
// without them, so a reader sees every target throughout (records and
// embedded ones are merged), and a change to the group in between (another
// node's deregistration, the group's deletion) fails the next chunk and the
// move starts over from what the group holds then.
func (s *Service) migrateTargets(ctx context.Context, arn string) (*model.TargetGroup, int64, error) {
	return retryOnConflict2(ctx, func() (*model.TargetGroup, int64, error) {
		key := model.Key(model.KindTargetGroup, arn)
		tg, rev, err := store.LoadOr[model.TargetGroup](ctx, s.d.Store, key, tgNotFound)
		if err != nil || len(tg.Targets) == 0 {
			return tg, rev, err
		}
		moved := mergeTargets(nil, tg.Targets, tg.Port)
		cond := []store.Cond{store.KeyIs(key, rev)}
		for len(moved) > 0 {
			n := min(len(moved), txnChunk)
			ops := make([]store.Op, 0, n+1)
			for _, t := range moved[:n] {
				op, err := store.SaveOp(targetKey(arn, t), model.TargetRecord{TargetGroupARN: arn, Target: t})
				if err != nil {
					return nil, 0, err
				}
				ops = append(ops, op)
			}
			moved = moved[n:]
			if len(moved) == 0 {
				tg.Targets = nil
				op, err := store.SaveOp(key, tg)
				if err != nil {
					return nil, 0, err
				}
				ops = append(ops, op)
			}
			if rev, err = s.d.Store.Txn(ctx, cond, ops); err != nil {
				return nil, 0, err
			}
		}
		s.d.Log.Info("targets moved into records of their own", "target_group", arn)
		return tg, rev, nil
	})
}

// retryOnConflict2 is retryOnConflict for an attempt with two results.
func retryOnConflict2[A, B any](ctx context.Context, attempt func() (A, B, error)) (A, B, error) {
	type pair struct {
		a A
		b B
	}
	p, err := retryOnConflict(ctx, func() (pair, error) {
		a, b, err := attempt()
		return pair{a, b}, err
	})
	return p.a, p.b, err
}
