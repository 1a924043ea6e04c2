package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gatehouse/internal/model"
)

// DefaultEtcdPrefix is where the store's keys live in the etcd keyspace unless
// the store URL names another path, so one cluster can hold other data too.
const DefaultEtcdPrefix = "/gatehouse/"

// etcdListPage bounds one range response of List: a listing of many large
// records is read in pages at one revision instead of one response the size of
// the whole store.
const etcdListPage = 500

// etcdRewatchDelay is how long a watch waits before it opens its etcd watch
// again after etcd cancelled it (no leader, a member restarting): long enough
// not to spin against a cluster that is down, short next to an election.
const etcdRewatchDelay = 200 * time.Millisecond

// Etcd is the Store on an etcd cluster. The store revision is etcd's revision
// and a key's ModRev is its etcd ModRevision, so a compare-and-swap is one etcd
// transaction and Watch is an etcd watch from a revision. Reconnection (to the
// same or another endpoint) is the etcd client's; a watch resumes where it was.
//
// etcd's revision counts every write in the cluster, also those outside the
// prefix, so the revision of a read can lie past the last change a watch of
// the prefix will ever deliver, and a caller waiting for its snapshot to reach
// a listing's revision would wait for the next write of its own. So every
// write also puts the marker key (the prefix itself) in the same transaction:
// its ModRevision is the revision of the last change under the prefix, which
// List returns, and which lets Watch start at the present without the history
// when nothing changed since after.
type Etcd struct {
	cli    *clientv3.Client
	prefix string

	// ctx ends when Close starts: every watch derives from it, so Close ends them.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards closed and watches.Add against Close
	closed  bool
	watches sync.WaitGroup
}

// EtcdOptions says how to reach the cluster; ParseEtcdURL fills Endpoints and
// Prefix from a store URL.
type EtcdOptions struct {
	Endpoints []string // host:port of the members
	Prefix    string   // key prefix; empty: DefaultEtcdPrefix

	// Client TLS, from PEM files: CACert verifies the members; Cert and Key
	// are the client's certificate. Any of them set means TLS.
	CACert, Cert, Key string
	// Username and Password authenticate to a cluster with auth enabled.
	Username, Password string

	// DialTimeout bounds connecting and the first request of Open; 0 means 5s.
	DialTimeout time.Duration
	// Logger is the etcd client's; nil logs errors only, to stderr.
	Logger *zap.Logger
}

// ParseEtcdURL reads a store URL etcd://host:port[,host:port…][/prefix] into
// the endpoints and the key prefix ("/prefix/"; DefaultEtcdPrefix without one).
func ParseEtcdURL(raw string) (endpoints []string, prefix string, err error) {
	rest, ok := strings.CutPrefix(raw, "etcd://")
	if !ok {
		return nil, "", fmt.Errorf("store url %q: want etcd://host:port[,host:port…]", raw)
	}
	hosts, path, _ := strings.Cut(rest, "/")
	for h := range strings.SplitSeq(hosts, ",") {
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, "", fmt.Errorf("store url %q: endpoint %q is not host:port", raw, h)
		}
		endpoints = append(endpoints, h)
	}
	prefix = DefaultEtcdPrefix
	if path = strings.Trim(path, "/"); path != "" {
		prefix = "/" + path + "/"
	}
	return endpoints, prefix, nil
}

// OpenEtcd connects to the cluster and checks that it answers (within the dial
// timeout), so a wrong address or credential fails here, not on the first write.
func OpenEtcd(ctx context.Context, opt EtcdOptions) (*Etcd, error) {
	if len(opt.Endpoints) == 0 {
		return nil, errors.New("open etcd store: no endpoints")
	}
	tlsConfig, err := opt.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("open etcd store: %w", err)
	}
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	endpoints := make([]string, len(opt.Endpoints))
	for i, e := range opt.Endpoints {
		endpoints[i] = scheme + e
	}
	logger := opt.Logger
	if logger == nil {
		zc := zap.NewProductionConfig()
		zc.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
		if logger, err = zc.Build(); err != nil {
			return nil, fmt.Errorf("open etcd store: logger: %w", err)
		}
	}
	dialTimeout := opt.DialTimeout
	if dialTimeout == 0 {
		dialTimeout = 5 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: dialTimeout,
		// Keepalive finds a dead connection (a member gone without a FIN)
		// while a watch waits, so the client fails over instead of hanging.
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		PermitWithoutStream:  true,
		// The client's own send limit (2 MiB by default) would refuse a
		// record below MaxValueBytes with a transport error; the server's
		// --max-request-bytes is the limit that counts, answered as ErrTooLarge.
		MaxCallSendMsgSize: MaxValueBytes + 1<<20,
		TLS:                tlsConfig,
		Username:           opt.Username,
		Password:           opt.Password,
		Logger:             logger,
	})
	if err != nil {
		return nil, fmt.Errorf("open etcd store %s: %w", strings.Join(opt.Endpoints, ","), err)
	}
	prefix := opt.Prefix
	if prefix == "" {
		prefix = DefaultEtcdPrefix
	}
	pctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	// Creating the marker if it is missing is also the check that the
	// cluster answers and lets this user write under the prefix.
	marker := clientv3.Compare(clientv3.CreateRevision(prefix), "=", 0)
	if _, err := cli.Txn(pctx).If(marker).Then(clientv3.OpPut(prefix, "")).Commit(); err != nil {
		cli.Close()
		return nil, fmt.Errorf("open etcd store %s: %w", strings.Join(opt.Endpoints, ","), err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	return &Etcd{cli: cli, prefix: prefix, ctx: sctx, cancel: scancel}, nil
}

func (o EtcdOptions) tlsConfig() (*tls.Config, error) {
	if o.CACert == "" && o.Cert == "" && o.Key == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CACert != "" {
		pem, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, fmt.Errorf("etcd ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd ca %s: no PEM certificate", o.CACert)
		}
	}
	if (o.Cert == "") != (o.Key == "") {
		return nil, errors.New("etcd client certificate: give both the certificate and its key")
	}
	if o.Cert != "" {
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("etcd client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func (s *Etcd) Get(ctx context.Context, key string) (KV, error) {
	if key == "" {
		return KV{}, ErrNotFound // the marker's key, not a record
	}
	resp, err := s.cli.Get(ctx, s.prefix+key)
	if err != nil {
		return KV{}, s.mapErr("get "+key, err)
	}
	if len(resp.Kvs) == 0 {
		return KV{}, ErrNotFound
	}
	return s.kv(resp.Kvs[0]), nil
}

// List reads in pages, all at the revision of the first, so the listing is one
// consistent view however large. If etcd compacts that revision between two
// pages, the listing starts again at a newer one.
func (s *Etcd) List(ctx context.Context, prefix string) ([]KV, int64, error) {
	for {
		kvs, rev, err := s.listAt(ctx, prefix)
		if errors.Is(err, rpctypes.ErrCompacted) {
			continue
		}
		if err != nil {
			return nil, 0, s.mapErr("list "+prefix, err)
		}
		return kvs, rev, nil
	}
}

func (s *Etcd) listAt(ctx context.Context, prefix string) ([]KV, int64, error) {
	from := s.prefix + prefix
	end := clientv3.GetPrefixRangeEnd(from)
	// The first page and the marker in one read, so the marker's revision
	// is that of the listing; the other pages at the same revision.
	first, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.prefix), clientv3.OpGet(from, clientv3.WithRange(end), clientv3.WithLimit(etcdListPage))).Commit()
	if err != nil {
		return nil, 0, err
	}
	at := first.Header.Revision
	rev := at
	if m := first.Responses[0].GetResponseRange().Kvs; len(m) == 1 {
		rev = m[0].ModRevision
	}
	resp := (*clientv3.GetResponse)(first.Responses[1].GetResponseRange())
	var out []KV
	for {
		for _, kv := range resp.Kvs {
			if string(kv.Key) != s.prefix {
				out = append(out, s.kv(kv))
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00" // the next key after the page
		if resp, err = s.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(etcdListPage), clientv3.WithRev(at)); err != nil {
			return nil, 0, err
		}
	}
}

// Put is a Txn of one put: its condition compares the key's revision (0:
// CreateRevision, which is 0 only while the key does not exist; Any: no
// comparison), and the marker is put with the value.
func (s *Etcd) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	return s.Txn(ctx, expectConds(key, expect), []Op{Put(key, value)})
}

// Txn is one etcd transaction: the conditions as comparisons (a key's
// ModRevision, or CreateRevision 0 for "does not exist"; for a prefix, the
// ModRevision of every key in its range, which holds for an empty range), the
// ops and the marker put as its Then branch. etcd gives all of them one
// revision and its watch reports them in op order. A delete of a missing key is
// a no-op in etcd, and so it is here.
func (s *Etcd) Txn(ctx context.Context, conds []Cond, ops []Op) (int64, error) {
	if err := checkTxn(conds, ops); err != nil {
		return 0, err
	}
	cmps := make([]clientv3.Cmp, 0, len(conds))
	for _, c := range conds {
		switch {
		case c.Prefix != "":
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.prefix+c.Prefix).WithPrefix(), "<", c.NotAfter+1))
		case c.ModRev == 0:
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.prefix+c.Key), "=", 0))
		default:
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.prefix+c.Key), "=", c.ModRev))
		}
	}
	then := make([]clientv3.Op, 0, len(ops)+1)
	size := 0
	for _, op := range ops {
		if op.Prefix {
			then = append(then, clientv3.OpDelete(s.prefix+op.Key, clientv3.WithPrefix()))
			continue
		}
		if op.Delete {
			then = append(then, clientv3.OpDelete(s.prefix+op.Key))
			continue
		}
		then = append(then, clientv3.OpPut(s.prefix+op.Key, string(op.Value)))
		size += len(op.Value)
	}
	then = append(then, s.touchMarker())
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(then...).Commit()
	if err != nil {
		return 0, s.mapWriteErr(ops, size, err)
	}
	if !resp.Succeeded {
		return 0, ErrConflict
	}
	return resp.Header.Revision, nil
}

// Delete is one transaction: the key must exist (and have the expected
// revision); when it fails, the Else branch's count says which condition did.
func (s *Etcd) Delete(ctx context.Context, key string, expect int64) (int64, error) {
	k := s.prefix + key
	conds := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), ">", 0)}
	if expect != Any {
		conds = append(conds, clientv3.Compare(clientv3.ModRevision(k), "=", expect))
	}
	resp, err := s.cli.Txn(ctx).If(conds...).
		Then(clientv3.OpDelete(k), s.touchMarker()).
		Else(clientv3.OpGet(k, clientv3.WithCountOnly())).
		Commit()
	if err != nil {
		return 0, s.mapErr("delete "+key, err)
	}
	if !resp.Succeeded {
		if r := resp.Responses[0].GetResponseRange(); r == nil || r.Count == 0 {
			return 0, ErrNotFound
		}
		return 0, ErrConflict
	}
	return resp.Header.Revision, nil
}

// Watch starts at the present if the marker says nothing changed under the
// prefix since after. Otherwise it checks that etcd still has the history
// after after (a read at that revision fails once it is compacted), so a
// caller that fell behind gets ErrCompacted and lists again; so does one whose
// after lies in the cluster's future, as after a restored or replaced cluster. The watch then survives etcd
// cancelling it (a member restarting, a lost leader) by watching again from
// the revision after the last event delivered. If the history it needs was
// compacted meanwhile, the channel closes: the next Watch reports ErrCompacted.
func (s *Etcd) Watch(ctx context.Context, prefix string, after int64) (<-chan Event, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.watches.Add(1)
	s.mu.Unlock()

	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	fail := func(err error) (<-chan Event, error) {
		stop()
		cancel()
		s.watches.Done()
		return nil, err
	}
	now, err := s.cli.Get(wctx, s.prefix)
	if err != nil {
		return fail(s.mapErr("watch "+prefix, err))
	}
	next := after + 1
	switch {
	case after > now.Header.Revision:
		return fail(ErrCompacted)
	case len(now.Kvs) == 1 && now.Kvs[0].ModRevision <= after:
		// Nothing changed under the prefix since after: watch from the
		// present, which needs no history, compacted or not.
		next = now.Header.Revision + 1
	default:
		if _, err := s.cli.Get(wctx, s.prefix, clientv3.WithRev(max(after, 1)), clientv3.WithCountOnly()); err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, rpctypes.ErrFutureRev) {
				return fail(ErrCompacted)
			}
			return fail(s.mapErr("watch "+prefix, err))
		}
	}

	out := make(chan Event)
	go func() {
		defer s.watches.Done()
		defer close(out)
		defer stop()
		defer cancel()
		for {
			// RequireLeader: a member cut off from the cluster cancels the
			// watch instead of leaving it silent, and the client re-watches,
			// possibly on another member.
			wch := s.cli.Watch(clientv3.WithRequireLeader(wctx), s.prefix+prefix, clientv3.WithPrefix(), clientv3.WithRev(next))
			for resp := range wch {
				if resp.CompactRevision != 0 {
					return
				}
				if resp.Err() != nil {
					break
				}
				for _, ev := range resp.Events {
					if string(ev.Kv.Key) == s.prefix {
						continue // the marker, put with every change
					}
					e := Event{Rev: ev.Kv.ModRevision, Key: strings.TrimPrefix(string(ev.Kv.Key), s.prefix)}
					if ev.Type == mvccpb.DELETE {
						e.Delete = true
					} else {
						e.Value = ev.Kv.Value
					}
					select {
					case out <- e:
					case <-wctx.Done():
						return
					}
					next = e.Rev + 1
				}
			}
			select {
			case <-wctx.Done():
				return
			case <-time.After(etcdRewatchDelay):
			}
		}
	}()
	return out, nil
}

// Close ends every watch, waits for them, and closes the client. It is safe to
// call more than once.
func (s *Etcd) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.watches.Wait()
	if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close etcd store: %w", err)
	}
	return nil
}

// touchMarker is the put of the marker that every write carries.
func (s *Etcd) touchMarker() clientv3.Op { return clientv3.OpPut(s.prefix, "") }

func (s *Etcd) kv(kv *mvccpb.KeyValue) KV {
	return KV{Key: strings.TrimPrefix(string(kv.Key), s.prefix), Value: kv.Value, ModRev: kv.ModRevision}
}

// mapErr turns the client's errors into the store's: a closed store is
// ErrClosed, whatever the client says about its cancelled context.
func (s *Etcd) mapErr(op string, err error) error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	if errors.Is(err, rpctypes.ErrNoSpace) {
		return &LimitError{Err: ErrFull, API: &model.Error{
			Status: http.StatusBadRequest, Code: "ServiceQuotaExceededException",
			Message: "The store is full: the etcd cluster reached its backend quota (--quota-backend-bytes). Delete resources, compact and defragment etcd, or raise the quota.",
		}}
	}
	return fmt.Errorf("etcd %s: %w", op, err)
}

// mapWriteErr is mapErr for a write, which the cluster may also refuse for its
// size: its --max-request-bytes (1.5 MiB by default) can be below MaxValueBytes.
func (s *Etcd) mapWriteErr(ops []Op, size int, err error) error {
	what := fmt.Sprintf("The resource %s is %d bytes", model.Clip(ops[0].Key), size)
	op := "put " + ops[0].Key
	if ops[0].Delete {
		op = "delete " + ops[0].Key
	}
	if len(ops) > 1 {
		what = fmt.Sprintf("The change of %d resources is %d bytes", len(ops), size)
		op = fmt.Sprintf("txn of %d ops on %s…", len(ops), ops[0].Key)
	}
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || status.Code(err) == codes.ResourceExhausted {
		return &LimitError{Err: ErrTooLarge, API: &model.Error{
			Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
			Message: what + ", more than the etcd cluster takes in one request (its --max-request-bytes).",
		}}
	}
	return s.mapErr(op, err)
}
