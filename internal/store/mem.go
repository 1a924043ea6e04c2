package store

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// The embedded backends keep the recent changes for Watch, up to
// historyLimit changes and historyBytes of keys and values, whichever comes
// first: a Watch that asks to start further back gets ErrCompacted and must
// List again. A registered watcher never misses a change: its queue holds
// what it has not received yet. The byte bound keeps a burst of large writes
// (a template-heavy API rewritten many times) from pinning their values in
// memory long after the snapshot moved on.
const (
	historyLimit = 10000
	historyBytes = 16 << 20
)

// Mem is an in-memory Store for tests. The zero value is not usable; call NewMem.
type Mem struct {
	mu   sync.Mutex
	rev  int64
	kv   map[string]KV
	hub  *hub
	done bool
}

// NewMem returns an empty in-memory store at revision 0.
func NewMem() *Mem {
	return &Mem{kv: map[string]KV{}, hub: newHub(0, historyLimit, historyBytes)}
}

func (m *Mem) Get(_ context.Context, key string) (KV, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return KV{}, ErrClosed
	}
	kv, ok := m.kv[key]
	if !ok {
		return KV{}, ErrNotFound
	}
	return kv, nil
}

func (m *Mem) List(_ context.Context, prefix string) ([]KV, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return nil, 0, ErrClosed
	}
	var out []KV
	for k, kv := range m.kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, kv)
		}
	}
	slices.SortFunc(out, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	return out, m.rev, nil
}

func (m *Mem) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	return m.Txn(ctx, expectConds(key, expect), []Op{Put(key, value)})
}

func (m *Mem) Delete(ctx context.Context, key string, expect int64) (int64, error) {
	return m.Txn(ctx, expectConds(key, expect), []Op{{Key: key, Delete: true, mustExist: true}})
}

func (m *Mem) Txn(_ context.Context, conds []Cond, ops []Op) (int64, error) {
	if err := checkTxn(conds, ops); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return 0, ErrClosed
	}
	for _, op := range ops {
		if _, ok := m.kv[op.Key]; op.mustExist && !ok {
			return 0, ErrNotFound
		}
	}
	modRev := func(key string) int64 { return m.kv[key].ModRev }
	newestUnder := func(prefix string) int64 {
		var newest int64
		for k, kv := range m.kv {
			if strings.HasPrefix(k, prefix) {
				newest = max(newest, kv.ModRev)
			}
		}
		return newest
	}
	if !condsHold(conds, modRev, newestUnder) {
		return 0, ErrConflict
	}
	m.rev++
	events := make([]Event, 0, len(ops))
	for _, op := range ops {
		if op.Prefix {
			var keys []string
			for k := range m.kv {
				if strings.HasPrefix(k, op.Key) {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				delete(m.kv, k)
				events = append(events, Event{Rev: m.rev, Key: k, Delete: true})
			}
			continue
		}
		if op.Delete {
			if _, ok := m.kv[op.Key]; ok {
				delete(m.kv, op.Key)
				events = append(events, Event{Rev: m.rev, Key: op.Key, Delete: true})
			}
			continue
		}
		value := slices.Clone(op.Value)
		m.kv[op.Key] = KV{Key: op.Key, Value: value, ModRev: m.rev}
		events = append(events, Event{Rev: m.rev, Key: op.Key, Value: value})
	}
	m.hub.publish(events...)
	return m.rev, nil
}

func (m *Mem) Watch(ctx context.Context, prefix string, after int64) (<-chan Event, error) {
	return m.hub.watch(ctx, prefix, after)
}

func (m *Mem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done = true
	m.hub.close()
	return nil
}
