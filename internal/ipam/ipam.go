// Package ipam hands out private addresses in subnets. An address is claimed by
// creating the store key "ip/<addr>" with compare-and-swap, so two operations (or
// two nodes sharing one store) can never claim the same address.
package ipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"gatehouse/internal/store"
)

// ErrExhausted means the subnet has no free address.
var ErrExhausted = errors.New("ipam: no free address in subnet")

// reservedLow is how many addresses at the start of a subnet AWS keeps for itself
// (network, router, DNS, future use); the last address is reserved too.
const reservedLow = 4

func key(a netip.Addr) string { return "ip/" + a.String() }

// Allocate claims the lowest free address of cidr for owner.
func Allocate(ctx context.Context, st store.Store, cidr, owner string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ipam: subnet %q: %w", cidr, err)
	}
	p = p.Masked()
	last := lastAddr(p)
	a := p.Addr()
	for range reservedLow {
		a = a.Next()
	}
	for ; a.IsValid() && a.Less(last) && p.Contains(a); a = a.Next() {
		_, err := st.Put(ctx, key(a), []byte(owner), 0)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return netip.Addr{}, fmt.Errorf("ipam: claim %s: %w", a, err)
		}
	}
	return netip.Addr{}, fmt.Errorf("%w %s", ErrExhausted, cidr)
}

// Release returns an address to its subnet. Releasing a free address is no error.
func Release(ctx context.Context, st store.Store, a string) error {
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return fmt.Errorf("ipam: release %q: %w", a, err)
	}
	if _, err := st.Delete(ctx, key(addr), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("ipam: release %s: %w", a, err)
	}
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
