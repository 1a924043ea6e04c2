package gateway

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/internal/store"
)

// Store helpers every resource's operations share.

// deleteAll deletes every key under prefix (what a deleted API or domain owns);
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

// answer is the not-found callback of store.LoadOr, store.UpdateOr and
// deleteOr for an error fixed in advance.
func answer(err error) func() error { return func() error { return err } }
