package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/client/v3/concurrency"

	"gatehouse/internal/store"
)

// DefaultTTL is the lease of a node's membership and candidacy on etcd: a
// leader that dies is succeeded within it. etcd's client renews the lease
// every third of it, so a node survives a store that is slow for a moment.
const DefaultTTL = 5 * time.Second

// Store keys: a node's record is node/<name>; the election's candidates are
// under leader/ (etcd's concurrency.Election keys, one per lease). Neither is a
// snapshot resource, so the services never compile them.
const (
	nodePrefix     = "node/"
	electionPrefix = "leader/"
)

// retryInterval paces a node that lost its session and joins again.
const retryInterval = time.Second

// Member is a node's record, node/<name> in the store.
type Member struct {
	Name        string    `json:"name"`
	Address     string    `json:"address,omitempty"` // where other nodes and operators reach it
	Started     time.Time `json:"started"`
	Version     string    `json:"version,omitempty"`
	Leader      bool      `json:"leader,omitempty"`
	LeaderSince time.Time `json:"leaderSince,omitzero"`
}

// Config describes the node.
type Config struct {
	Name    string // required; letters, digits, '.', '_' and '-'
	Address string // the node address to publish; may be empty
	Version string // gatehouse's version, recorded for operators
	// TTL is the lease on etcd (whole seconds; default DefaultTTL).
	TTL     time.Duration
	Log     *slog.Logger          // default: discard
	Metrics prometheus.Registerer // optional
	Now     func() time.Time      // default time.Now
}

// ErrNameTaken is Join's refusal when a live node already has the name.
var ErrNameTaken = errors.New("node name taken")

// sessionStore is a store shared by several nodes: etcd.
type sessionStore interface {
	NewSession(ctx context.Context, ttl time.Duration) (*store.Session, error)
}

// Node is this process's membership and leadership. New makes one, Join
// announces it, Run keeps it until its context ends, then leaves.
type Node struct {
	st     store.Store
	shared sessionStore // nil: an embedded store, one node, always leader
	cfg    Config
	log    *slog.Logger
	self   Member
	leader atomic.Bool
	gauge  prometheus.Gauge

	sess *store.Session // the current session (etcd); Join sets it, then Run owns it
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// New returns the node for cfg on st. It does no I/O.
func New(st store.Store, cfg Config) (*Node, error) {
	if !validName.MatchString(cfg.Name) {
		return nil, fmt.Errorf("node name %q: want 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", cfg.Name)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	cfg.TTL = cfg.TTL.Round(time.Second)
	if cfg.TTL < time.Second {
		cfg.TTL = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Node{st: st, cfg: cfg, log: cfg.Log,
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gatehouse_cluster_leader", Help: "1 while this node leads the cluster (writes observed status), else 0."})}
	if cfg.Metrics != nil {
		cfg.Metrics.MustRegister(n.gauge)
	}
	n.shared, _ = st.(sessionStore)
	return n, nil
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Leader reports whether this node leads: one atomic load, for any loop.
func (n *Node) Leader() bool { return n.leader.Load() }

// Join writes the node's record. On etcd it is bound to a new lease, and a
// record of the same name held by a live node refuses the join with
// ErrNameTaken, after waiting one TTL for it to go (a node killed and
// restarted at once finds its old record still there). On an embedded store
// Join clears the records a crash left and the node leads from here on.
func (n *Node) Join(ctx context.Context) error {
	n.self = Member{Name: n.cfg.Name, Address: n.cfg.Address, Started: n.cfg.Now().UTC(), Version: n.cfg.Version}
	if n.shared == nil {
		return n.joinEmbedded(ctx)
	}
	deadline := n.cfg.Now().Add(n.cfg.TTL + time.Second)
	for {
		sess, err := n.join(ctx)
		if err == nil {
			n.sess = sess
			n.log.Info("joined cluster", "node", n.cfg.Name, "address", n.cfg.Address, "lease", fmt.Sprintf("%x", sess.Lease()), "ttl", n.cfg.TTL)
			return nil
		}
		if !errors.Is(err, ErrNameTaken) || n.cfg.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("join cluster as %q: %w", n.cfg.Name, ctx.Err())
		case <-time.After(n.cfg.TTL / 10):
		}
	}
}

// join opens a session and creates the record with it.
func (n *Node) join(ctx context.Context) (*store.Session, error) {
	sess, err := n.shared.NewSession(ctx, n.cfg.TTL)
	if err != nil {
		return nil, fmt.Errorf("join cluster as %q: %w", n.cfg.Name, err)
	}
	self := n.self
	self.Leader = false
	b, err := json.Marshal(self)
	if err == nil {
		_, err = sess.Create(ctx, n.key(), b)
	}
	if err == nil {
		return sess, nil
	}
	sess.Close()
	if errors.Is(err, store.ErrConflict) {
		return nil, n.taken(ctx)
	}
	return nil, fmt.Errorf("join cluster as %q: %w", n.cfg.Name, err)
}

// taken is the error for a name another live node holds, naming that node.
func (n *Node) taken(ctx context.Context) error {
	other, _, err := store.Load[Member](ctx, n.st, n.key())
	if err != nil {
		return fmt.Errorf("%w: %q is held by a live node; give each node its own --node-name", ErrNameTaken, n.cfg.Name)
	}
	return fmt.Errorf("%w: %q is held by a live node (address %q, started %s) and stayed held for one lease TTL (%s); give each node its own --node-name",
		ErrNameTaken, n.cfg.Name, other.Address, other.Started.Format(time.RFC3339), n.cfg.TTL)
}

func (n *Node) joinEmbedded(ctx context.Context) error {
	// The embedded store is this process's alone (bbolt locks its file), so
	// any other record is what a crash left behind.
	kvs, _, err := n.st.List(ctx, nodePrefix)
	if err != nil {
		return fmt.Errorf("join as %q: %w", n.cfg.Name, err)
	}
	for _, kv := range kvs {
		if _, err := n.st.Delete(ctx, kv.Key, kv.ModRev); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("join as %q: clear %s: %w", n.cfg.Name, kv.Key, err)
		}
	}
	n.self.Leader, n.self.LeaderSince = true, n.self.Started
	if _, err := store.Save(ctx, n.st, n.key(), n.self, store.Any); err != nil {
		return fmt.Errorf("join as %q: %w", n.cfg.Name, err)
	}
	n.setLeader(true, "single node")
	return nil
}

// Leave is Run's ending for a node whose Run never started (a start that
// failed after Join): it deletes the record and revokes the lease.
func (n *Node) Leave(ctx context.Context) {
	n.setLeader(false, "leaving")
	if n.shared == nil {
		if _, err := n.st.Delete(ctx, n.key(), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			n.log.Warn("delete node record", "node", n.cfg.Name, "err", err)
		}
		return
	}
	if n.sess == nil {
		return
	}
	if _, err := n.sess.Release(ctx, n.key()); err != nil && !errors.Is(err, store.ErrConflict) {
		n.log.Warn("delete node record", "node", n.cfg.Name, "err", err)
	}
	if err := n.sess.Close(); err != nil {
		n.log.Warn("leave cluster", "node", n.cfg.Name, "err", err)
	}
	n.sess = nil
	n.log.Info("left cluster", "node", n.cfg.Name)
}

// Run keeps the node in the cluster and campaigns for leadership until ctx
// ends, then leaves (record deleted, lease revoked). A lost session (etcd out
// of reach for a TTL) ends leadership at once; Run then joins again.
func (n *Node) Run(ctx context.Context) error {
	defer func() {
		// ctx is over: leaving gets a TTL of its own.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.TTL)
		defer cancel()
		n.Leave(lctx)
	}()
	if n.shared == nil {
		<-ctx.Done()
		return nil
	}
	if n.sess == nil {
		return errors.New("cluster: Run before Join")
	}
	for {
		n.campaign(ctx, n.sess)
		if ctx.Err() != nil {
			return nil
		}
		n.log.Warn("cluster session lost; joining again", "node", n.cfg.Name)
		n.sess.Abandon() // its lease is gone or going; revoking would wait on etcd
		n.sess = nil
		for n.sess == nil {
			sess, err := n.join(ctx)
			switch {
			case err == nil:
				n.sess = sess
				n.log.Info("joined cluster again", "node", n.cfg.Name, "lease", fmt.Sprintf("%x", sess.Lease()))
			case ctx.Err() != nil:
				return nil
			case errors.Is(err, store.ErrClosed):
				return nil // the store closed under us: the node is going away
			default:
				n.log.Error("join cluster", "node", n.cfg.Name, "err", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(retryInterval):
				}
			}
		}
	}
}

// campaign runs for leader with sess until ctx ends or sess is lost, and leads
// whenever it wins. It returns with Leader false.
func (n *Node) campaign(ctx context.Context, sess *store.Session) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The keepalive giving up is the moment this node may no longer lead:
	// Leader turns false before anything else learns of it.
	stop := context.AfterFunc(sess.Context(), func() {
		n.setLeader(false, "session lost")
		cancel()
	})
	defer stop()
	el := sess.Election(electionPrefix)
	for ctx.Err() == nil {
		if err := el.Campaign(ctx, n.cfg.Name); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("campaign for leader", "node", n.cfg.Name, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(retryInterval):
				}
			}
			continue
		}
		n.setLeader(true, "won the election")
		if sess.Context().Err() != nil {
			// The session ended as the campaign was won; the AfterFunc may
			// have run before the line above.
			n.setLeader(false, "session lost")
			return
		}
		n.announce(ctx, sess, true)
		n.holdLeadership(ctx, el.Key(), el)
		if ctx.Err() != nil {
			n.setLeader(false, "stopping")
			return
		}
		// Another candidate leads: our key went (an operator deleted it).
		n.setLeader(false, "another node leads")
		n.announce(ctx, sess, false)
		rctx, rcancel := context.WithTimeout(ctx, n.cfg.TTL)
		el.Resign(rctx)
		rcancel()
	}
}

// holdLeadership returns when ctx ends or the election's leader is no longer key.
func (n *Node) holdLeadership(ctx context.Context, key string, el *concurrency.Election) {
	for resp := range el.Observe(ctx) {
		if len(resp.Kvs) > 0 && string(resp.Kvs[0].Key) != key {
			return
		}
	}
}

// announce rewrites the record with the node's leadership: operators see who
// leads, and the write wakes every node's services (see the package doc).
func (n *Node) announce(ctx context.Context, sess *store.Session, leading bool) {
	self := n.self
	self.Leader = leading
	if leading {
		self.LeaderSince = n.cfg.Now().UTC()
	}
	b, err := json.Marshal(self)
	if err == nil {
		_, err = sess.Replace(ctx, n.key(), b)
	}
	if err != nil && ctx.Err() == nil {
		n.log.Warn("record leadership", "node", n.cfg.Name, "err", err)
	}
}

func (n *Node) setLeader(v bool, why string) {
	if n.leader.Swap(v) == v {
		return
	}
	if v {
		n.gauge.Set(1)
		n.log.Info("leading the cluster", "node", n.cfg.Name, "why", why)
	} else {
		n.gauge.Set(0)
		n.log.Info("no longer leading the cluster", "node", n.cfg.Name, "why", why)
	}
}

func (n *Node) key() string { return nodePrefix + n.cfg.Name }

// Members lists the nodes' records, by name: on etcd the live nodes, on an
// embedded store the one node while it runs.
func Members(ctx context.Context, st store.Store) ([]Member, error) {
	all, err := store.LoadAll[Member](ctx, st, nodePrefix)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	out := make([]Member, 0, len(all))
	for _, m := range all {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
