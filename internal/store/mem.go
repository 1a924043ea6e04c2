package store

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// historyLimit is how many recent changes the embedded backends keep for Watch:
// a Watch that asks to start further back gets ErrCompacted and must List again.
// A registered watcher never misses a change: its queue holds what it has not
// received yet.
const historyLimit = 10000

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
	return &Mem{kv: map[string]KV{}, hub: newHub(0, historyLimit)}
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

func (m *Mem) Put(_ context.Context, key string, value []byte, expect int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return 0, ErrClosed
	}
	if err := checkValue(key, value); err != nil {
		return 0, err
	}
	if expect != Any && m.kv[key].ModRev != expect {
		return 0, ErrConflict
	}
	m.rev++
	value = slices.Clone(value)
	m.kv[key] = KV{Key: key, Value: value, ModRev: m.rev}
	m.hub.publish(Event{Rev: m.rev, Key: key, Value: value})
	return m.rev, nil
}

func (m *Mem) Delete(_ context.Context, key string, expect int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return 0, ErrClosed
	}
	kv, ok := m.kv[key]
	if !ok {
		return 0, ErrNotFound
	}
	if expect != Any && kv.ModRev != expect {
		return 0, ErrConflict
	}
	m.rev++
	delete(m.kv, key)
	m.hub.publish(Event{Rev: m.rev, Key: key, Delete: true})
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
