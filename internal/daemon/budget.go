package daemon

import (
	"log/slog"
	"net/netip"

	"gatehouse/internal/listen"
)

// Listener classes, the class label of the listen metrics.
const (
	classStaticIP = "static_ip"
	classBalancer = "balancer"
	classEndpoint = "endpoint"
	classDNSTCP   = "dns_tcp"
	classAWSAPI   = "aws_api"
)

// Caps are the connection caps of each listener class. The daemon derives
// them from the file descriptor limit (splitFDs); Config.Caps overrides them
// field by field (a zero field keeps the derived value).
type Caps struct {
	StaticIP listen.Limits // every accelerator static IP
	Balancer listen.Limits // every load balancer node
	Endpoint listen.Limits // every interface endpoint address
	DNSTCP   listen.Limits // the nameserver over TCP
	AWSAPI   listen.Limits // the AWS-compatible API
}

// The file descriptor split. Every accepted connection holds file descriptors
// until it closes, so a flood of idle connections to one address could take
// them all: then nothing accepts anything, health checks cannot dial and
// targets are written unhealthy. Each listener class therefore gets a cap
// sized from the soft RLIMIT_NOFILE (raised to the hard limit at start):
//
//	reserve = max(limit/10, min(1024, limit/2)), never handed to accepted
//	connections: the listening sockets, the store's file, the DNS UDP socket,
//	health-check probes (one dial per target and interval), certificate
//	validation queries, the metrics listener, splice pipes idle in Go's pool.
//
// What is left is shared out; a class's cap is its share divided by what one
// of its connections costs:
//
//	class      share  fds per open connection
//	static_ip  30%    2: the client socket and the upstream socket to a
//	                  load balancer node (the copy holds no splice pipe
//	                  while a flow waits: accelerator.pipe)
//	balancer   40%    2: the client socket (an accelerator flow or a direct
//	                  client) and, with a request in flight, a (pooled)
//	                  connection to a target
//	endpoint   20%    2: the socket from the balancer and an HTTP
//	                  integration's connection to its backend
//	dns_tcp     5%    1
//	aws_api     5%    1
//
// Each accelerator flow also opens a balancer connection (the in-process hop
// is a real socket): the balancer's class is larger than the static IPs',
// and one node may take as many connections as all static IPs together, so a
// full accelerator cannot fill a node and leaves room for direct clients.
//
// Within a class, one listening socket may hold half of the class (one
// flooded static IP leaves its sibling at least the other half), and one
// client IP a quarter of a socket's cap (a single client cannot take a
// class). The accelerator pools are exempt from the balancer's per-source cap
// and the VPC from the endpoints' (gatehouse's own hops carry every client);
// they are still held to the class and socket caps.
var fdShares = []struct {
	class string
	share float64
	cost  int // file descriptors per open connection
}{
	{classStaticIP, 0.30, 2},
	{classBalancer, 0.40, 2},
	{classEndpoint, 0.20, 2},
	{classDNSTCP, 0.05, 1},
	{classAWSAPI, 0.05, 1},
}

// splitFDs derives every class's caps from the file descriptor limit; pools
// and vpc are the sources exempt from a class's per-source cap (see above).
func splitFDs(limit uint64, pools []netip.Prefix, vpc netip.Prefix) Caps {
	reserve := max(limit/10, min(1024, limit/2))
	usable := float64(limit - reserve)
	total := map[string]int{}
	for _, s := range fdShares {
		total[s.class] = max(1, int(usable*s.share)/s.cost)
	}
	spread := func(class string, perListener, perSource int, exempt ...netip.Prefix) listen.Limits {
		t := total[class]
		l := max(1, t/perListener)
		return listen.Limits{Total: t, PerListener: l, PerSource: max(1, l/perSource), Exempt: exempt}
	}
	caps := Caps{
		StaticIP: spread(classStaticIP, 2, 4),
		Balancer: spread(classBalancer, 2, 4, pools...),

		Endpoint: spread(classEndpoint, 2, 4),
		// One socket each: the whole class, and a client IP an eighth (DNS) or
		// a quarter (the API: few clients, scripts running in parallel).
		DNSTCP: spread(classDNSTCP, 1, 8),
		AWSAPI: spread(classAWSAPI, 1, 4),
	}
	// Every flow of every static IP may land on one node (one load balancer
	// behind the accelerator): a node's cap is at least the static IPs' total.
	caps.Balancer.PerListener = min(caps.Balancer.Total, max(caps.Balancer.PerListener, caps.StaticIP.Total))
	if vpc.IsValid() {
		caps.Endpoint.Exempt = []netip.Prefix{vpc.Masked()}
	}
	return caps
}

// override replaces each non-zero field of every class in c by o's.
func (c Caps) override(o Caps) Caps {
	one := func(dst *listen.Limits, src listen.Limits) {
		if src.Total > 0 {
			dst.Total = src.Total
		}
		if src.PerListener > 0 {
			dst.PerListener = src.PerListener
		}
		if src.PerSource > 0 {
			dst.PerSource = src.PerSource
		}
		if src.Exempt != nil {
			dst.Exempt = src.Exempt
		}
	}
	one(&c.StaticIP, o.StaticIP)
	one(&c.Balancer, o.Balancer)
	one(&c.Endpoint, o.Endpoint)
	one(&c.DNSTCP, o.DNSTCP)
	one(&c.AWSAPI, o.AWSAPI)
	return c
}

// budgets are the daemon's listener budgets, one per class.
type budgets struct {
	staticIP, balancer, endpoint, dnsTCP, awsAPI *listen.Budget
}

func newBudgets(c Caps, m *listen.Metrics, log *slog.Logger) budgets {
	log = log.With("svc", "listen")
	return budgets{
		staticIP: listen.NewBudget(classStaticIP, c.StaticIP, m, log),
		balancer: listen.NewBudget(classBalancer, c.Balancer, m, log),
		endpoint: listen.NewBudget(classEndpoint, c.Endpoint, m, log),
		dnsTCP:   listen.NewBudget(classDNSTCP, c.DNSTCP, m, log),
		awsAPI:   listen.NewBudget(classAWSAPI, c.AWSAPI, m, log),
	}
}
