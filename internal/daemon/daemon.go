// Package daemon wires gatehouse together: it opens the store and the certificate
// authority, builds every service with explicit dependencies, keeps the live
// snapshot feed current, and runs it all under one errgroup.
//
// Start-up order matters and is the order of Open and Run: file descriptor limit
// (raised to the hard limit; every listener class's connection cap is a share of
// it, budget.go) → store → the node's membership (cluster.Node.Join: a name a
// live node holds is refused before anything else starts) → CA → snapshot feed
// → default VPC → services (sockets) → the nameserver answering → stack apply
// (certificate validation needs the nameserver up). Every service's status
// writers run only while the node leads (Deps.Leader = cluster.Node.Leader;
// always on a bbolt store); the node's Run campaigns for that and, when the
// daemon stops, leaves the cluster after the services ended.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/awsapi"
	awsacm "gatehouse/internal/awsapi/acm"
	awsapigw "gatehouse/internal/awsapi/apigateway"
	awsec2 "gatehouse/internal/awsapi/ec2"
	awselbv2 "gatehouse/internal/awsapi/elbv2"
	awsga "gatehouse/internal/awsapi/globalaccelerator"
	awsroute53 "gatehouse/internal/awsapi/route53"
	awssts "gatehouse/internal/awsapi/sts"
	"gatehouse/internal/balancer"
	"gatehouse/internal/bgp"
	"gatehouse/internal/certs"
	"gatehouse/internal/cluster"
	"gatehouse/internal/gateway"
	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
	"gatehouse/internal/network"
	"gatehouse/internal/stack"
	"gatehouse/internal/store"
)

// Config is everything a daemon needs; Defaults fills the embedded default.
type Config struct {
	DataDir      string
	DNSListen    string // nameserver, UDP and TCP
	AccessLogDir string // API stages' access logs ("-": standard output); empty: DataDir/logs
	Env          model.Env
	Pools        []netip.Prefix    // accelerator network zones, two
	VPCCIDR      string            // the default VPC; its subnets are its 2nd, 3rd and 4th /24
	EndpointPort int               // port of interface endpoints (execute-api: 443)
	MetricsAddr  string            // Prometheus /metrics; empty: off
	AWSListen    string            // the AWS-compatible API; empty: off
	AWSKeys      map[string]string // access key id → secret key the API accepts
	// AccountThrottle is API Gateway's account-level throttle for private
	// APIs; zero fields keep AWS's default (10,000 rps, burst 5,000).
	AccountThrottle gateway.ThrottleSettings
	// Caps overrides the connection caps of the listener classes, which the
	// daemon derives from the file descriptor limit (budget.go); a zero field
	// keeps the derived value.
	Caps Caps
	Log  *slog.Logger
	// StoreURL selects the store: empty (or "bolt") is the bbolt file in
	// DataDir; etcd://host:port[,host:port…][/prefix] is an etcd cluster,
	// reached with Etcd's TLS files and credentials. The CA stays in DataDir.
	StoreURL string
	Etcd     store.EtcdOptions
	// BGP, when set, announces the static IPs this node serves to routers
	// (bgp.go); a stop then withdraws them and drains for up to DrainTimeout.
	BGP          *bgp.Config
	DrainTimeout time.Duration
	// NodeName names this node among those sharing the store (default: the
	// host name); two live nodes may not share one. NodeAddress is the
	// address other nodes and operators reach it on, published in its
	// membership record (may be empty). NodeTTL is the lease that bounds
	// how long a dead node keeps its record and, if it led, the lead
	// (default cluster.DefaultTTL).
	NodeName    string
	NodeAddress string
	NodeTTL     time.Duration
	// Handoff passes traffic between hops this process serves in process
	// (package handoff): the accelerator hands its client connections to
	// the balancer node's listener, the balancer runs requests to an
	// interface endpoint through the endpoint's admission and the gateway's
	// handler. false: every hop is a real socket (serve --handoff=false),
	// to watch with ss or tcpdump. Defaults: true.
	Handoff bool
}

// DefaultAWSKeys is the embedded default's key pair, test/test, as local AWS
// emulators use: fine on loopback, an open door anywhere else.
var DefaultAWSKeys = map[string]string{"test": "test"}

// Defaults returns the embedded default: loopback addresses, us-west-2.
func Defaults() Config {
	env := model.DefaultEnv
	return Config{
		DataDir:      "data",
		DNSListen:    "127.0.0.1:1053",
		Env:          env,
		Pools:        []netip.Prefix{netip.MustParsePrefix("127.77.1.0/24"), netip.MustParsePrefix("127.77.2.0/24")},
		VPCCIDR:      "127.31.0.0/16",
		EndpointPort: 443,
		AWSListen:    "127.0.0.1:4566",
		AWSKeys:      DefaultAWSKeys,
		Log:          slog.Default(),
		NodeName:     defaultNodeName(),
		NodeTTL:      cluster.DefaultTTL,
		Handoff:      true,
	}
}

// defaultNodeName is the host name, or "gatehouse" where there is none.
func defaultNodeName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "gatehouse"
}

// version is the module version gatehouse was built as, as `gatehouse version` prints it.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Daemon is one running gatehouse node.
type Daemon struct {
	cfg         Config
	Store       store.Store
	Feed        *live.Feed
	CA          *certs.CA
	Metrics     *prometheus.Registry
	Cluster     *cluster.Node // membership and leadership
	DNS         *nameserver.Service
	Certs       *certs.Service
	Network     *network.Service
	Gateway     *gateway.Service
	Balancer    *balancer.Service
	Accelerator *accelerator.Service

	budgets budgets // connection caps per listener class
}

// Open prepares a daemon: store, CA, snapshot and services. Nothing listens yet.
func Open(ctx context.Context, cfg Config) (*Daemon, error) {
	if err := checkAWSExposure(cfg); err != nil {
		return nil, err
	}
	if cfg.NodeAddress != "" {
		if _, err := netip.ParseAddr(cfg.NodeAddress); err != nil {
			return nil, fmt.Errorf("node address %q: want an IP address", cfg.NodeAddress)
		}
	}
	before, after, hard, err := raiseFDLimit()
	if err != nil {
		cfg.Log.Warn("file descriptor limit not raised", "soft", before, "hard", hard, "err", err)
	} else {
		cfg.Log.Info("file descriptor limit", "soft_before", before, "soft", after, "hard", hard)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	node, err := cluster.New(st, cluster.Config{Name: cfg.NodeName, Address: cfg.NodeAddress, Version: version(),
		TTL: cfg.NodeTTL, Log: cfg.Log.With("svc", "cluster"), Metrics: reg})
	if err == nil {
		err = node.Join(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg.Log.Info("node", "name", cfg.NodeName, "address", cfg.NodeAddress)
	d, err := build(ctx, cfg, st, node, reg)
	if err != nil {
		node.Leave(context.WithoutCancel(ctx))
		st.Close()
		return nil, err
	}
	return d, nil
}

// openStore opens the backend cfg.StoreURL names.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	switch {
	case cfg.StoreURL == "" || cfg.StoreURL == "bolt":
		if o := cfg.Etcd; o.CACert+o.Cert+o.Key+o.Username+o.Password != "" {
			return nil, errors.New("etcd TLS or credentials given without an etcd store (--store etcd://…)")
		}
		st, err := store.OpenBolt(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		return st, nil
	case strings.HasPrefix(cfg.StoreURL, "etcd://"):
		opt := cfg.Etcd
		var err error
		if opt.Endpoints, opt.Prefix, err = store.ParseEtcdURL(cfg.StoreURL); err != nil {
			return nil, err
		}
		st, err := store.OpenEtcd(ctx, opt)
		if err != nil {
			return nil, err
		}
		cfg.Log.Info("store", "etcd", strings.Join(opt.Endpoints, ","), "prefix", opt.Prefix)
		return st, nil
	default:
		return nil, fmt.Errorf("store %q: want bolt or etcd://host:port[,host:port…][/prefix]", cfg.StoreURL)
	}
}

func build(ctx context.Context, cfg Config, st store.Store, node *cluster.Node, reg *prometheus.Registry) (*Daemon, error) {
	// The CA lives in the store so every node sharing it serves the same root.
	ca, err := certs.LoadOrCreateSharedCA(ctx, st, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	snap, err := live.Load(ctx, st)
	if snap == nil {
		return nil, err
	}
	if err != nil {
		cfg.Log.Error("store has undecodable records", "err", err)
	}
	subnets, err := subnetPlan(cfg.VPCCIDR, cfg.Env.Region)
	if err != nil {
		return nil, err
	}
	if len(cfg.Pools) != 2 {
		return nil, fmt.Errorf("static IP pools: got %d, want 2 (one per network zone)", len(cfg.Pools))
	}
	d := &Daemon{cfg: cfg, Store: st, Feed: live.NewFeed(snap), CA: ca, Metrics: reg, Cluster: node}
	log, env, leader := cfg.Log, cfg.Env, node.Leader
	vpc, _ := netip.ParsePrefix(cfg.VPCCIDR) // checked by subnetPlan
	caps := splitFDs(fdLimit(), cfg.Pools, vpc).override(cfg.Caps)
	d.budgets = newBudgets(caps, listen.NewMetrics(reg), log)
	log.Info("connection caps", "static_ip", caps.StaticIP, "balancer", caps.Balancer, "endpoint", caps.Endpoint,
		"dns_tcp", caps.DNSTCP, "aws_api", caps.AWSAPI)

	d.DNS = nameserver.New(nameserver.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "nameserver"), Env: env, Metrics: reg, Listen: cfg.DNSListen, Budget: d.budgets.dnsTCP, Leader: leader})
	d.Certs = certs.New(certs.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "certs"), Env: env, Metrics: reg, CA: ca, Resolver: cfg.DNSListen, Leader: leader})
	// The interface endpoint presents the execute-api wildcard certificate, as
	// AWS's endpoint does; custom domains bring their own.
	endpointCert, err := d.Certs.InternalCertificate(ctx, "*.execute-api."+env.Region+".amazonaws.com")
	if err != nil {
		return nil, fmt.Errorf("execute-api certificate: %w", err)
	}
	d.Gateway = gateway.New(gateway.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "gateway"), Env: env, Metrics: reg, DefaultCert: endpointCert,
		AccountThrottle: cfg.AccountThrottle, AWSKeys: cfg.AWSKeys, // AWS_IAM methods verify signatures with the AWS API's keys
		AccessLogDir: cmp.Or(cfg.AccessLogDir, filepath.Join(cfg.DataDir, "logs"))})
	var handoffs *handoff.Registry // nil: sockets between every hop
	if cfg.Handoff {
		handoffs = handoff.New()
	}
	d.Network = network.New(network.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "network"), Env: env, Metrics: reg,
		VPCCIDR: cfg.VPCCIDR, Subnets: subnets, Port: cfg.EndpointPort, Handoff: d.Gateway.ServeConn, Budget: d.budgets.endpoint, Leader: leader,
		Handoffs: handoffs, ServeHTTP: d.Gateway.ServeHTTPFrom})
	d.Balancer = balancer.New(balancer.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "balancer"), Env: env, Metrics: reg, Budget: d.budgets.balancer, Leader: leader, Handoff: handoffs})
	d.Accelerator = accelerator.New(accelerator.Deps{Store: st, Feed: d.Feed, Log: log.With("svc", "accelerator"), Env: env, Metrics: reg, Pools: cfg.Pools, Budget: d.budgets.staticIP, Leader: leader,
		// A node announces a static IP on its own health checks' word.
		LocalHealth: d.Balancer.LoadBalancerHealthy, Handoff: handoffs})
	if _, _, err := d.Network.EnsureDefaultVPC(ctx); err != nil {
		return nil, fmt.Errorf("default VPC: %w", err)
	}
	return d, nil
}

// Run serves until ctx ends or a service fails to start. ready is closed once
// the nameserver answers; Run closes the store when it returns.
func (d *Daemon) Run(ctx context.Context, ready chan<- struct{}) error {
	defer d.Store.Close()
	// Every socket Run opens itself is opened before any goroutine starts, so a
	// failure here leaves nothing running.
	var metrics, api net.Listener
	if d.cfg.MetricsAddr != "" {
		l, err := net.Listen("tcp", d.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		metrics = l
	}
	if d.cfg.AWSListen != "" {
		l, err := net.Listen("tcp", d.cfg.AWSListen)
		if err != nil {
			if metrics != nil {
				metrics.Close()
			}
			return fmt.Errorf("aws api: %w", err)
		}
		api = d.budgets.awsAPI.Listener(l)
	}
	stop := ctx
	ctx, stopServices := d.servicesContext(ctx)
	defer stopServices()
	g, ctx := errgroup.WithContext(ctx)
	if d.cfg.BGP != nil {
		g.Go(func() error { return d.runBGP(stop, ctx, stopServices) })
	}
	if api != nil {
		srv := awsapi.NewServer(d.cfg.Env.Region, d.cfg.AWSKeys, d.cfg.Log.With("svc", "awsapi"), d.awsServices()...)
		g.Go(func() error { return srv.Serve(ctx, api) })
	}
	if metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(d.Metrics, promhttp.HandlerOpts{}))
		// Profiles on the same operator-only address: what a hot path costs is
		// measured, not guessed.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		g.Go(func() error {
			<-ctx.Done()
			return srv.Close()
		})
		g.Go(func() error {
			if err := srv.Serve(metrics); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("metrics: %w", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		// The node leaves as the stop begins, not after a BGP drain: another
		// node takes the lead while this one still serves its connections.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		return d.Cluster.Run(cctx)
	})
	g.Go(func() error {
		err := live.Watch(ctx, d.Store, d.Feed, d.cfg.Log.With("svc", "live"))
		if ctx.Err() != nil {
			return nil
		}
		return err
	})
	for _, svc := range []interface{ Run(context.Context) error }{d.DNS, d.Certs, d.Network, d.Gateway, d.Balancer, d.Accelerator} {
		g.Go(func() error { return svc.Run(ctx) })
	}
	g.Go(func() error {
		select {
		case <-d.DNS.Ready():
			close(ready)
		case <-ctx.Done():
		}
		return nil
	})
	return g.Wait()
}

// Services returns what the stack file applies through.
func (d *Daemon) Services() stack.Services {
	return stack.Services{Store: d.Store, Env: d.cfg.Env, DNS: d.DNS, Certs: d.Certs, Network: d.Network,
		Gateway: d.Gateway, Balancer: d.Balancer, Accelerator: d.Accelerator, Log: d.cfg.Log.With("svc", "stack"), Served: d.Served}
}

// Served is the newest store revision that every data-plane service serves.
func (d *Daemon) Served() int64 {
	return min(d.DNS.Served(), d.Network.Served(), d.Gateway.Served(), d.Balancer.Served(), d.Accelerator.Served())
}

// awsServices are the AWS APIs served on AWSListen, each over its service.
func (d *Daemon) awsServices() []*awsapi.Service {
	return []*awsapi.Service{
		awsapigw.New(d.Gateway), awsacm.New(d.Certs), awsec2.New(d.Network), awselbv2.New(d.Balancer),
		awsga.New(d.Accelerator), awsroute53.New(d.DNS), awssts.New(d.cfg.Env),
		awsapi.Admin(func(ctx context.Context, file []byte) (any, error) { return stack.PlanFile(ctx, d.Services(), file) }),
	}
}

// checkAWSExposure refuses to serve the API beyond loopback with the default
// keys: anyone who can reach it could then change every resource.
func checkAWSExposure(cfg Config) error {
	if cfg.AWSListen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.AWSListen)
	if err != nil {
		return fmt.Errorf("aws api address %q: %w", cfg.AWSListen, err)
	}
	ip, err := netip.ParseAddr(host)
	loopback := err == nil && ip.IsLoopback() || host == "localhost"
	if loopback {
		return nil
	}
	for id, secret := range cfg.AWSKeys {
		if DefaultAWSKeys[id] == secret {
			return fmt.Errorf("aws api on %s is not loopback-only: the default key %q would let anyone in; give your own keys", cfg.AWSListen, id)
		}
	}
	return nil
}

// subnetPlan gives the default VPC one /24 subnet per availability zone (a, b,
// c): the VPC's 2nd, 3rd and 4th /24, so 127.31.0.0/16 has 127.31.1.0/24 in "a".
func subnetPlan(vpcCIDR, region string) ([]network.SubnetPlan, error) {
	p, err := netip.ParsePrefix(vpcCIDR)
	if err != nil || !p.Addr().Is4() || p.Bits() > 22 {
		return nil, fmt.Errorf("VPC CIDR %q: want an IPv4 prefix of /22 or larger", vpcCIDR)
	}
	base := p.Masked().Addr().As4()
	var plan []network.SubnetPlan
	for i, az := range []string{"a", "b", "c"} {
		b := base
		b[2] += byte(i + 1)
		plan = append(plan, network.SubnetPlan{AZ: region + az, CIDR: netip.PrefixFrom(netip.AddrFrom4(b), 24).String()})
	}
	return plan, nil
}
