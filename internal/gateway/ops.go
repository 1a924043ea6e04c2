package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gatehouse/internal/store"
)

// Store helpers every resource's operations share.

// deleteAll deletes every key under prefix (what a deleted domain owns);
// a key someone else deleted meanwhile is no error.
func (s *Service) deleteAll(ctx context.Context, prefix string) error {
	kvs, _, err := s.d.Store.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if _, err := s.d.Store.Delete(ctx, kv.Key, store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete %s: %w", kv.Key, err)
		}
	}
	return nil
}

// deleteOr deletes key, answering notFound's error when it does not exist.
func (s *Service) deleteOr(ctx context.Context, key string, notFound func() error) error {
	_, err := s.d.Store.Delete(ctx, key, store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// getUnderAPI loads a record under an API: the API must exist (its own
// NotFound comes first), then the record (missing, if not).
func getUnderAPI[T any](ctx context.Context, s *Service, apiID, key string, missing error) (*T, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	v, _, err := store.LoadOr[T](ctx, s.d.Store, key, answer(missing))
	return v, err
}

// updateUnderAPI is store.UpdateOr for a record under an API: the API must
// exist (its own NotFound comes first), then the record (missing, if not);
// fn changes and checks it, and a concurrent write makes fn run again on
// what is stored then.
func updateUnderAPI[T any](ctx context.Context, s *Service, apiID, key string, missing error, fn func(*T) error) (*T, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	return store.UpdateOr(ctx, s.d.Store, key, answer(missing), fn)
}

// answer is the not-found callback of store.LoadOr, store.UpdateOr and
// deleteOr for an error fixed in advance.
func answer(err error) func() error { return func() error { return err } }

// Rules that span several records (a deployment is not deleted while a stage
// serves it, a stage or API not while a base path mapping names it, no child
// is created under a deleted parent) are kept by store.Txn, never by a check
// followed by a write: the write is conditioned on the parent's ModRev and on
// no child having appeared since the listing the decision was made on, so
// that two nodes sharing the store cannot both pass the check. On a conflict
// the operation reads again and decides again.

// commit applies ops if conds hold. It reports false when they did not (a
// concurrent change: the caller re-reads and decides again) and no error then,
// unless ctx has ended.
func (s *Service) commit(ctx context.Context, conds []store.Cond, ops ...store.Op) (bool, error) {
	_, err := s.d.Store.Txn(ctx, conds, ops)
	if errors.Is(err, store.ErrConflict) {
		return false, ctx.Err()
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// loadAllAt is store.LoadAll with the revision the listing reflects, for a
// store.NoneAfter condition on the prefix.
func loadAllAt[T any](ctx context.Context, st store.Store, prefix string) ([]*T, []string, int64, error) {
	kvs, rev, err := st.List(ctx, prefix)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make([]*T, 0, len(kvs))
	keys := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		v := new(T)
		if err := json.Unmarshal(kv.Value, v); err != nil {
			return nil, nil, 0, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out = append(out, v)
		keys = append(keys, kv.Key)
	}
	return out, keys, rev, nil
}
