package stack

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// ReadyTimeout bounds how long WaitReady waits for the data plane.
const ReadyTimeout = 30 * time.Second

// WaitReady waits until the data plane serves what the file declares: endpoints
// available, load balancers active, accelerators deployed. A resource the data
// plane could not serve (a port already in use) is an error naming it and why.
func WaitReady(ctx context.Context, s Services, f *File) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	// Status in the store may be older than the data plane (left by an earlier
	// run): first wait until every service serves what Apply wrote.
	_, rev, err := s.Store.List(ctx, model.Prefix(model.KindVPC))
	if err != nil {
		return err
	}
	for s.Served() < rev {
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: the data plane has not caught up with revision %d", ReadyTimeout, rev)
		case <-time.After(10 * time.Millisecond):
		}
	}
	for {
		pending, err := notReady(ctx, s.Store, f)
		if err != nil || pending == "" {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %s", ReadyTimeout, pending)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// notReady returns the first resource that is not served yet, or an error for
// one that failed.
func notReady(ctx context.Context, st store.Store, f *File) (string, error) {
	eps, err := all[model.VpcEndpoint](ctx, st, model.KindVpcEndpoint)
	if err != nil {
		return "", err
	}
	for i, spec := range f.VpcEndpoints {
		for _, ep := range eps {
			if ep.Tags["Name"] != spec.Name {
				continue
			}
			switch ep.State {
			case model.EndpointAvailable:
			case model.EndpointFailed:
				return "", fmt.Errorf("vpcEndpoints[%d] %q: %s", i, spec.Name, ep.LastError)
			default:
				return fmt.Sprintf("vpcEndpoints[%d] %q is %s", i, spec.Name, ep.State), nil
			}
		}
	}
	lbs, err := all[model.LoadBalancer](ctx, st, model.KindLoadBalancer)
	if err != nil {
		return "", err
	}
	for i, spec := range f.LoadBalancers {
		for _, lb := range lbs {
			if lb.Name != spec.Name {
				continue
			}
			switch lb.State {
			case "active":
				// A listener added to an active load balancer opens a moment
				// later: ready means its sockets accept.
				for _, l := range spec.Listeners {
					for _, n := range lb.Nodes {
						addr := net.JoinHostPort(n.IP, strconv.Itoa(listenerPort(l)))
						c, err := net.DialTimeout("tcp", addr, time.Second)
						if err != nil {
							return fmt.Sprintf("loadBalancers[%d] %q: %s not accepting yet", i, spec.Name, addr), nil
						}
						c.Close()
					}
				}
			case "failed":
				return "", fmt.Errorf("loadBalancers[%d] %q: %s", i, spec.Name, lb.StateReason)
			default:
				return fmt.Sprintf("loadBalancers[%d] %q is %s", i, spec.Name, lb.State), nil
			}
		}
	}
	accs, err := all[model.Accelerator](ctx, st, model.KindAccelerator)
	if err != nil {
		return "", err
	}
	for i, spec := range f.Accelerators {
		for _, acc := range accs {
			if acc.Name != spec.Name {
				continue
			}
			if acc.StatusReason != "" {
				return "", fmt.Errorf("accelerators[%d] %q: %s", i, spec.Name, acc.StatusReason)
			}
			if acc.Status != model.AcceleratorDeployed {
				return fmt.Sprintf("accelerators[%d] %q is %s", i, spec.Name, acc.Status), nil
			}
		}
	}
	return "", nil
}

// Entry is a name the stack serves and the static IPs it resolves to.
type Entry struct {
	Name string
	IPs  []string
}

// Entries lists the file's records that alias an accelerator, with its IPs: what
// a newcomer should dig and curl.
func Entries(ctx context.Context, st store.Store, f *File) ([]Entry, error) {
	accs, err := all[model.Accelerator](ctx, st, model.KindAccelerator)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, r := range f.Records {
		if r.Alias == nil || r.Alias.Accelerator == "" {
			continue
		}
		for _, acc := range accs {
			if acc.Name != r.Alias.Accelerator {
				continue
			}
			e := Entry{Name: strings.TrimSuffix(r.Name, ".")}
			for _, set := range acc.IPSets {
				e.IPs = append(e.IPs, set.IPAddresses...)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func listenerPort(l Listener) int {
	if l.Port != 0 {
		return l.Port
	}
	if l.Certificate != "" || strings.EqualFold(l.Protocol, "HTTPS") {
		return 443
	}
	return 80
}
