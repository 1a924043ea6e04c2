package accelerator

import (
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
)

// table is the compiled, immutable data plane: which route serves each static
// IP and port, and what each accelerator should look like. Built by compile,
// read by the hot path through live.Table.Load; never modified after compile.
type table struct {
	rev          int64
	routes       map[netip.AddrPort]*route // static IP:port → listener
	addrs        []string                  // every address to listen on, sorted
	accelerators map[string]*accState      // by ARN, every accelerator in the snapshot
}

// accState is what the status writer needs to know about one accelerator.
type accState struct {
	enabled bool
	addrs   []string // its listen addresses (none when disabled or rejected)
	problem string   // why compile left it out of the data plane; "" if served
	status  string   // status and reason as stored in the snapshot, to write only changes
	reason  string
}

// route is one listener: where connections that arrive on its ports go.
type route struct {
	accelerator string
	listener    string
	sourceIP    bool     // client affinity SOURCE_IP
	groups      []*group // preference order (see compile)
}

// group is an endpoint group of the route's listener.
type group struct {
	arn       string
	region    string
	dial      float64 // traffic dial, 0–100
	endpoints []*endpoint
}

// endpoint is a load balancer behind the accelerator.
type endpoint struct {
	id       string // load balancer ARN
	group    string // the ARN of the endpoint group it is in
	weight   int
	healthy  bool
	preserve bool         // client IP preservation: send a PROXY v2 header first
	nodes    []netip.Addr // the load balancer's node IPs; empty if it is gone
}

func (t *table) route(local netip.AddrPort) *route {
	if t == nil {
		return nil
	}
	return t.routes[local]
}

// Why a table no longer carries a flow (table.lost).
const (
	lostListener = "listener_gone" // no listener of the flow's on its static IP:port: accelerator disabled or deleted, listener deleted or its ports changed
	lostEndpoint = "endpoint_gone" // the endpoint is no longer in the flow's endpoint group, or the group is gone
)

// lost says why t no longer carries f's route, or "" if it does. Only the
// route's identity counts: a flow keeps its endpoint through health, weight
// (even 0) and traffic dial changes, as Global Accelerator's flows do.
func (t *table) lost(f *flow) string {
	r := t.route(f.local)
	if r == nil || r.listener != f.listener {
		return lostListener
	}
	for _, g := range r.groups {
		if g.arn != f.group {
			continue
		}
		for _, e := range g.endpoints {
			if e.id == f.endpoint {
				return ""
			}
		}
	}
	return lostEndpoint
}

// seedFor returns the seed that drives the random choices for one connection.
// With SOURCE_IP affinity it is a hash of the client IP, so every connection
// from one client makes the same choices while the table stays the same.
func (r *route) seedFor(client netip.Addr) uint64 {
	if !r.sourceIP {
		return rand.Uint64()
	}
	h := fnv.New64a()
	b := client.Unmap().As16()
	h.Write(b[:])
	return h.Sum64()
}

// plan returns the endpoints to try for one new connection, best first:
//
//  1. Endpoint groups that have a healthy endpoint with weight > 0 are
//     candidates, in the route's preference order. Each candidate but the last
//     keeps its traffic dial's share of the connections that reach it; the rest
//     spill over to the next candidate (Global Accelerator's traffic dial).
//  2. Within the chosen group: its healthy weight > 0 endpoints in weighted
//     random order (share = weight/Σweight); then the other candidate groups'
//     the same way, as fallbacks when every node of an endpoint refuses.
//  3. If no group has a healthy weighted endpoint, fail open: every endpoint
//     with weight > 0, groups in preference order, weighted random within each.
//
// Endpoints with weight 0 are never returned. The same seed gives the same plan.
func (r *route) plan(seed uint64) []*endpoint {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var cands []*group
	for _, g := range r.groups {
		if g.servable(true) {
			cands = append(cands, g)
		}
	}
	var out []*endpoint
	if len(cands) == 0 {
		for _, g := range r.groups {
			out = appendWeighted(out, rng, g.endpoints, false)
		}
		return out
	}
	first := len(cands) - 1
	for i, g := range cands[:len(cands)-1] {
		if rng.Float64()*100 < g.dial {
			first = i
			break
		}
	}
	out = appendWeighted(out, rng, cands[first].endpoints, true)
	for i, g := range cands {
		if i != first {
			out = appendWeighted(out, rng, g.endpoints, true)
		}
	}
	return out
}

// servable reports whether the group has an endpoint with weight > 0 (and
// healthy, if healthyOnly).
func (g *group) servable(healthyOnly bool) bool {
	for _, e := range g.endpoints {
		if e.weight > 0 && (e.healthy || !healthyOnly) {
			return true
		}
	}
	return false
}

// appendWeighted appends the endpoints with weight > 0 (and healthy, if
// healthyOnly) to out in weighted random order: each pick is drawn with
// probability weight/Σweight among those not picked yet. Groups hold at most
// a handful of endpoints, so the quadratic draw is cheaper than anything cleverer.
func appendWeighted(out []*endpoint, rng *rand.Rand, eps []*endpoint, healthyOnly bool) []*endpoint {
	var pool [16]*endpoint
	left := pool[:0]
	total := 0
	for _, e := range eps {
		if e.weight > 0 && (e.healthy || !healthyOnly) {
			left = append(left, e)
			total += e.weight
		}
	}
	for len(left) > 0 {
		x := rng.IntN(total)
		i := 0
		for ; i < len(left)-1; i++ {
			if x < left[i].weight {
				break
			}
			x -= left[i].weight
		}
		out = append(out, left[i])
		total -= left[i].weight
		left = append(left[:i], left[i+1:]...)
	}
	return out
}
