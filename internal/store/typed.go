package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Typed access: resources are stored as JSON. These helpers are what operations use.

// Load decodes the key's value into a new T and returns it with its ModRev.
func Load[T any](ctx context.Context, s Store, key string) (*T, int64, error) {
	kv, err := s.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, kv.ModRev, nil
}

// LoadAll decodes every value under prefix, in key order.
func LoadAll[T any](ctx context.Context, s Store, prefix string) ([]*T, error) {
	out, _, err := LoadAllAt[T](ctx, s, prefix)
	return out, err
}

// LoadAllAt is LoadAll and the store revision the listing reflects: what a
// transaction's NoneAfter(prefix, rev) condition needs to write only if no
// record under prefix changed since it was read.
func LoadAllAt[T any](ctx context.Context, s Store, prefix string) ([]*T, int64, error) {
	kvs, rev, err := s.List(ctx, prefix)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*T, 0, len(kvs))
	for _, kv := range kvs {
		v := new(T)
		if err := json.Unmarshal(kv.Value, v); err != nil {
			return nil, 0, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out = append(out, v)
	}
	return out, rev, nil
}

// SaveOp is the transaction op that writes v as JSON under key, as Save
// writes it.
func SaveOp(key string, v any) (Op, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Op{}, fmt.Errorf("encode %s: %w", key, err)
	}
	return Put(key, b), nil
}

// Save writes v as JSON under key if the key's ModRev equals expect (0: create).
func Save(ctx context.Context, s Store, key string, v any, expect int64) (int64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	return s.Put(ctx, key, b, expect)
}

// Update reads key, applies fn and writes the result back, retrying on a
// concurrent change. fn may be called more than once and must only modify v; an
// error from fn aborts the update and is returned as is (ErrNotFound if the key
// does not exist). It returns the value as written.
func Update[T any](ctx context.Context, s Store, key string, fn func(v *T) error) (*T, error) {
	for {
		v, rev, err := Load[T](ctx, s, key)
		if err != nil {
			return nil, err
		}
		if err := fn(v); err != nil {
			return nil, err
		}
		_, err = Save(ctx, s, key, v, rev)
		if errors.Is(err, ErrConflict) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// LoadOr is Load with the caller's error for a key that does not exist: the
// service's own NotFound (notFound is called only then). Other failures are
// wrapped with the key.
func LoadOr[T any](ctx context.Context, s Store, key string, notFound func() error) (*T, int64, error) {
	v, rev, err := Load[T](ctx, s, key)
	if errors.Is(err, ErrNotFound) {
		return nil, 0, notFound()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load %s: %w", key, err)
	}
	return v, rev, nil
}

// UpdateOr is Update with the caller's error for a key that does not exist.
// An error fn returns passes through as it is; other failures are wrapped
// with the key.
func UpdateOr[T any](ctx context.Context, s Store, key string, notFound func() error, fn func(v *T) error) (*T, error) {
	var fnErr error
	v, err := Update(ctx, s, key, func(v *T) error {
		fnErr = fn(v)
		return fnErr
	})
	switch {
	case err == nil:
		return v, nil
	case fnErr != nil && err == fnErr:
		return nil, err
	case errors.Is(err, ErrNotFound):
		return nil, notFound()
	}
	return nil, fmt.Errorf("update %s: %w", key, err)
}
