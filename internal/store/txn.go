package store

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"gatehouse/internal/model"
)

// Multi-key compare-and-swap. A rule that spans several records (a parent is
// not deleted while a child points at it) cannot be kept by a check followed
// by a write, nor by a process mutex once several nodes share the store: the
// check and the write must be one atomic step of the store. Txn is that step:
// one bbolt transaction, one etcd Txn, one critical section in Mem.

// Cond is one condition of a Txn. It is either a key condition (Key set) or a
// prefix condition (Prefix set), never both; KeyIs and NoneAfter build them.
type Cond struct {
	// Key condition: holds when Key's ModRev equals ModRev; ModRev 0 means
	// the key must not exist.
	Key    string
	ModRev int64

	// Prefix condition: holds when no key under Prefix has a ModRev greater
	// than NotAfter, that is, no key under it was created or changed after
	// revision NotAfter (a listing at NotAfter saw them all). Deletions under
	// the prefix leave no key behind and do not make it fail. It is etcd's
	// Compare(ModRevision(Prefix).WithPrefix(), "<", NotAfter+1).
	Prefix   string
	NotAfter int64
}

// KeyIs is the condition that key's ModRev is modRev (0: key does not exist).
func KeyIs(key string, modRev int64) Cond { return Cond{Key: key, ModRev: modRev} }

// NoneAfter is the condition that no key under prefix changed after rev.
func NoneAfter(prefix string, rev int64) Cond { return Cond{Prefix: prefix, NotAfter: rev} }

// Op is one write of a Txn: a put of Value, or with Delete a delete of Key
// (with Prefix, of every key under Key). Deleting a key that does not exist
// is a no-op (as in etcd) that produces no watch event; a caller that needs
// the key to exist says so with a Cond.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
	// Prefix makes a delete remove every key that starts with Key, in one op
	// (etcd's delete with a range): a parent and all its children go in one
	// Txn however many children there are. Watchers see one delete event per
	// key removed, in key order.
	Prefix bool

	// mustExist makes a delete of a missing key fail with ErrNotFound
	// instead of doing nothing: Delete's contract, kept by the embedded
	// backends, which implement Delete as a one-op Txn.
	mustExist bool
}

// Put is the op that writes value under key.
func Put(key string, value []byte) Op { return Op{Key: key, Value: value} }

// Del is the op that deletes key.
func Del(key string) Op { return Op{Key: key, Delete: true} }

// DelPrefix is the op that deletes every key under prefix.
func DelPrefix(prefix string) Op { return Op{Key: prefix, Delete: true, Prefix: true} }

// MaxTxnOps is the most ops one Txn may carry: etcd's default --max-txn-ops
// (128) less the marker put that the etcd backend adds to every write, so a
// Txn that one backend takes every backend takes. It also bounds the conditions.
const MaxTxnOps = 127

// ErrInvalidTxn is a Txn refused for its shape (no ops, too many, a condition
// that is neither a key nor a prefix condition, a key written twice, also by
// falling under a prefix delete) before any backend sees it: a programming
// error, not a conflict.
var ErrInvalidTxn = errors.New("store: invalid txn")

// checkTxn refuses a malformed Txn and one whose values exceed the size
// limits: each value as Put limits it (MaxValueBytes), and all of them
// together too, so that one Txn fits in one etcd request as one Put does.
func checkTxn(conds []Cond, ops []Op) error {
	if len(ops) == 0 {
		return fmt.Errorf("%w: no ops", ErrInvalidTxn)
	}
	if len(ops) > MaxTxnOps || len(conds) > MaxTxnOps {
		return fmt.Errorf("%w: %d conditions and %d ops, at most %d of each", ErrInvalidTxn, len(conds), len(ops), MaxTxnOps)
	}
	for i, c := range conds {
		switch {
		case c.Key != "" && c.Prefix != "":
			return fmt.Errorf("%w: condition %d has both a key and a prefix", ErrInvalidTxn, i)
		case c.Key == "" && c.Prefix == "":
			return fmt.Errorf("%w: condition %d has neither a key nor a prefix", ErrInvalidTxn, i)
		case c.Key != "" && c.ModRev < 0:
			return fmt.Errorf("%w: condition %d on %s: revision %d", ErrInvalidTxn, i, c.Key, c.ModRev)
		}
	}
	seen := make(map[string]bool, len(ops))
	var prefixes []string
	total := 0
	for _, op := range ops {
		if op.Key == "" {
			return fmt.Errorf("%w: op with an empty key", ErrInvalidTxn)
		}
		if op.Prefix && !op.Delete {
			return fmt.Errorf("%w: a prefix op on %s that is not a delete", ErrInvalidTxn, op.Key)
		}
		// etcd refuses a key twice in one Txn; so do the others.
		if seen[op.Key] {
			return fmt.Errorf("%w: %s written twice", ErrInvalidTxn, op.Key)
		}
		seen[op.Key] = true
		if op.Prefix {
			prefixes = append(prefixes, op.Key)
		}
		if op.Delete {
			continue
		}
		if err := checkValue(op.Key, op.Value); err != nil {
			return err
		}
		total += len(op.Value)
	}
	// etcd also refuses a key that falls in the range of a delete of the
	// same Txn, and two ranges that overlap.
	for _, p := range prefixes {
		for _, op := range ops {
			if op.Key != p && strings.HasPrefix(op.Key, p) {
				return fmt.Errorf("%w: %s written twice (under the deleted prefix %s)", ErrInvalidTxn, op.Key, p)
			}
		}
	}
	if total > MaxValueBytes {
		return &LimitError{Err: ErrTooLarge, API: &model.Error{
			Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
			Message: fmt.Sprintf("The change of %d resources is %d bytes; one change may take at most %d bytes.", len(ops), total, MaxValueBytes),
		}}
	}
	return nil
}

// condsHold evaluates conds on an embedded backend's state: modRev returns a
// key's ModRev (0 if it does not exist), newestUnder the greatest ModRev under
// a prefix (0 if nothing is under it).
func condsHold(conds []Cond, modRev func(key string) int64, newestUnder func(prefix string) int64) bool {
	for _, c := range conds {
		if c.Prefix != "" {
			if newestUnder(c.Prefix) > c.NotAfter {
				return false
			}
			continue
		}
		if modRev(c.Key) != c.ModRev {
			return false
		}
	}
	return true
}

// expectConds is Put's and Delete's single condition on key: none for Any.
func expectConds(key string, expect int64) []Cond {
	if expect == Any {
		return nil
	}
	return []Cond{KeyIs(key, expect)}
}

// Every backend implements Txn: a backend that lacks it fails here, at build.
var (
	_ Store = (*Mem)(nil)
	_ Store = (*Bolt)(nil)
	_ Store = (*Etcd)(nil)
)
