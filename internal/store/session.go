package store

import (
	"context"
	"fmt"
	"math"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Session is a node's lease on the etcd cluster: the keys written through it
// are bound to the lease, so they exist exactly as long as the node keeps the
// lease alive. Close revokes the lease (a node that stops leaves nothing
// claimed); a node that dies stops renewing it and etcd deletes its keys once
// the TTL passes. Only the etcd backend has sessions: an embedded store has one
// node, whose records its own start and stop write and delete.
//
// The keys are under the store's prefix like records, so the snapshot feed
// sees them (and ignores their kinds), but etcd deletes them on expiry
// without touching the store's marker: they are for readers that list them
// (cluster membership), not for anything that resumes a watch over them.
type Session struct {
	st *Etcd
	s  *concurrency.Session
}

// NewSession grants a lease of ttl (whole seconds, at least one) and keeps it
// alive in the background until Close, Abandon or the store's Close. The grant
// is bounded by ctx; the keepalive is not.
func (s *Etcd) NewSession(ctx context.Context, ttl time.Duration) (*Session, error) {
	secs := max(1, int64(math.Ceil(ttl.Seconds())))
	lease, err := s.cli.Grant(ctx, secs)
	if err != nil {
		return nil, s.mapErr("grant lease", err)
	}
	// The keepalive runs under the store's context, so closing the store
	// stops it as a crash would: the lease then expires on its own.
	cs, err := concurrency.NewSession(s.cli, concurrency.WithLease(lease.ID), concurrency.WithTTL(int(secs)), concurrency.WithContext(s.ctx))
	if err != nil {
		// Revoke is best effort: the lease expires on its own anyway.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(secs)*time.Second)
		defer cancel()
		s.cli.Revoke(rctx, lease.ID)
		return nil, s.mapErr("keep lease alive", err)
	}
	return &Session{st: s, s: cs}, nil
}

// Lease is the session's etcd lease id.
func (ss *Session) Lease() int64 { return int64(ss.s.Lease()) }

// Done is closed once the lease is no longer kept alive: it expired (etcd
// unreachable for its TTL), was revoked, or the store closed.
func (ss *Session) Done() <-chan struct{} { return ss.s.Done() }

// Context ends when Done is closed.
func (ss *Session) Context() context.Context { return ss.s.Ctx() }

// Create writes key bound to the lease if no key of that name exists, with
// the store's marker as every write; ErrConflict if one does.
func (ss *Session) Create(ctx context.Context, key string, value []byte) (int64, error) {
	return ss.write(ctx, key, value, clientv3.Compare(clientv3.CreateRevision(ss.st.prefix+key), "=", 0))
}

// Replace rewrites key if it is still bound to this session's lease;
// ErrConflict if it is gone or another lease holds it.
func (ss *Session) Replace(ctx context.Context, key string, value []byte) (int64, error) {
	return ss.write(ctx, key, value, ss.owns(key))
}

// Release deletes key if it is still bound to this session's lease, with the
// marker (so a watch resuming after it sees the delete); ErrConflict if not.
func (ss *Session) Release(ctx context.Context, key string) (int64, error) {
	resp, err := ss.st.cli.Txn(ctx).If(ss.owns(key)).Then(clientv3.OpDelete(ss.st.prefix+key), ss.st.touchMarker()).Commit()
	if err != nil {
		return 0, ss.st.mapErr("release "+key, err)
	}
	if !resp.Succeeded {
		return 0, ErrConflict
	}
	return resp.Header.Revision, nil
}

func (ss *Session) write(ctx context.Context, key string, value []byte, cond clientv3.Cmp) (int64, error) {
	if err := checkValue(key, value); err != nil {
		return 0, err
	}
	put := clientv3.OpPut(ss.st.prefix+key, string(value), clientv3.WithLease(ss.s.Lease()))
	resp, err := ss.st.cli.Txn(ctx).If(cond).Then(put, ss.st.touchMarker()).Commit()
	if err != nil {
		return 0, ss.st.mapErr("put "+key, err)
	}
	if !resp.Succeeded {
		return 0, ErrConflict
	}
	return resp.Header.Revision, nil
}

// owns is the condition that key exists and is bound to the session's lease.
func (ss *Session) owns(key string) clientv3.Cmp {
	return clientv3.Compare(clientv3.LeaseValue(ss.st.prefix+key), "=", ss.s.Lease())
}

// Election is the election named by prefix (a store key prefix such as
// "leader/"), campaigned for with this session: its candidates' keys are
// bound to their leases, so a leader that dies is succeeded once its TTL passes.
func (ss *Session) Election(prefix string) *concurrency.Election {
	return concurrency.NewElection(ss.s, ss.st.prefix+prefix)
}

// Close stops keeping the lease alive and revokes it, which deletes every key
// bound to it at once.
func (ss *Session) Close() error {
	if err := ss.s.Close(); err != nil {
		return fmt.Errorf("revoke lease %x: %w", ss.s.Lease(), err)
	}
	return nil
}

// Abandon stops keeping the lease alive without revoking it, as a node that
// dies does: etcd deletes the session's keys once the TTL passes.
func (ss *Session) Abandon() { ss.s.Orphan() }
