package accelerator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// CreateAcceleratorInput is CreateAccelerator's request.
type CreateAcceleratorInput struct {
	Name             string
	IPAddressType    string // "IPV4" (default); DUAL_STACK is not offered
	Enabled          *bool  // default true
	IdempotencyToken string
	Tags             map[string]string
}

// CreateAccelerator creates a standard accelerator with one static IP from each
// of the two network zones' pools. A repeated call with the same idempotency
// token returns the accelerator the first call created.
func (s *Service) CreateAccelerator(ctx context.Context, in CreateAcceleratorInput) (*model.Accelerator, error) {
	if err := checkLength("idempotencyToken", in.IdempotencyToken, 0, maxGenericString); err != nil {
		return nil, err
	}
	if err := validateName(in.Name); err != nil {
		return nil, err
	}
	if err := validateIPAddressType(in.IPAddressType); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.checkPools(); err != nil {
		return nil, err
	}
	all, listRev, err := store.LoadAllAt[model.Accelerator](ctx, s.d.Store, model.Prefix(model.KindAccelerator))
	if err != nil {
		return nil, err
	}
	if a := checkCreate(all, in.IdempotencyToken); a != nil || len(all) >= maxAccelerators {
		if a != nil {
			return a, nil
		}
		return nil, errLimit()
	}
	now := time.Now().UTC()
	acc := &model.Accelerator{
		ARN:              fmt.Sprintf("arn:aws:globalaccelerator::%s:accelerator/%s", s.d.Env.Account, model.UUID()),
		Name:             in.Name,
		IPAddressType:    "IPV4",
		Enabled:          in.Enabled == nil || *in.Enabled,
		DNSName:          "a" + model.RandomHex(16) + ".awsglobalaccelerator.com",
		Status:           model.AcceleratorInProgress,
		CreatedTime:      now,
		LastModifiedTime: now,
		Tags:             in.Tags,
		IdempotencyToken: in.IdempotencyToken,
	}
	var ips []string
	release := func() {
		for _, ip := range ips {
			ipam.Release(context.WithoutCancel(ctx), s.d.Store, ip)
		}
	}
	for _, pool := range s.d.Pools {
		ip, err := ipam.Allocate(ctx, s.d.Store, pool.String(), acc.ARN)
		if err != nil {
			release()
			if errors.Is(err, ipam.ErrExhausted) {
				return nil, errLimit()
			}
			return nil, fmt.Errorf("allocate static IP: %w", err)
		}
		ips = append(ips, ip.String())
	}
	acc.IPSets = []model.IPSet{{IPFamily: "IPv4", IPAddresses: ips}}
	key := model.Key(model.KindAccelerator, acc.ARN)
	op, err := store.SaveOp(key, acc)
	if err != nil {
		release()
		return nil, err
	}
	for {
		// No accelerator created since the listing: the quota and the
		// idempotency token's uniqueness hold.
		ok, err := commit(ctx, s.d.Store, []store.Cond{
			store.NoneAfter(model.Prefix(model.KindAccelerator), listRev),
			store.KeyIs(key, 0),
		}, op)
		if err != nil {
			release()
			return nil, fmt.Errorf("save accelerator: %w", err)
		}
		if ok {
			return acc, nil
		}
		if all, listRev, err = store.LoadAllAt[model.Accelerator](ctx, s.d.Store, model.Prefix(model.KindAccelerator)); err != nil {
			release()
			return nil, err
		}
		if a := checkCreate(all, in.IdempotencyToken); a != nil || len(all) >= maxAccelerators {
			release()
			if a != nil {
				return a, nil
			}
			return nil, errLimit()
		}
	}
}

// checkCreate returns the accelerator an earlier call with the idempotency
// token created, if any.
func checkCreate(all []*model.Accelerator, token string) *model.Accelerator {
	if token == "" {
		return nil
	}
	for _, a := range all {
		if a.IdempotencyToken == token {
			return a
		}
	}
	return nil
}

// validateIPAddressType accepts IPV4 (or nothing: the default). DUAL_STACK is
// Global Accelerator's other type; gatehouse's pools are IPv4 only.
func validateIPAddressType(t string) error {
	switch t {
	case "", "IPV4":
		return nil
	case "DUAL_STACK":
		// Not confirmed against AWS: gatehouse's own refusal.
		return invalidArgument("IpAddressType DUAL_STACK is not supported: the static IP pools are IPv4 only.")
	default:
		return invalidArgument("Invalid IpAddressType: %s", t) // not confirmed
	}
}

// validateName applies Global Accelerator's name rule: at most 64 characters,
// alphanumerics, periods and hyphens, not starting or ending with either.
func validateName(name string) error {
	// The model's bound comes first, as Coral checks it before the service.
	if err := checkLength("name", name, 0, maxGenericString); err != nil {
		return err
	}
	ok := name != "" && len(name) <= 64 &&
		name[0] != '-' && name[0] != '.' && name[len(name)-1] != '-' && name[len(name)-1] != '.'
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			ok = false
		}
	}
	if !ok {
		// Not confirmed against AWS: the rule is the API reference's, the wording ours.
		return invalidArgument("Invalid name: %q. The name can have a maximum of 64 characters, must contain only alphanumeric characters, periods (.), or hyphens (-), and must not begin or end with a hyphen or period.", model.Clip(name))
	}
	return nil
}

// DescribeAccelerator returns the accelerator.
func (s *Service) DescribeAccelerator(ctx context.Context, arn string) (*model.Accelerator, error) {
	acc, _, err := s.loadAccelerator(ctx, arn)
	return acc, err
}

func (s *Service) loadAccelerator(ctx context.Context, arn string) (*model.Accelerator, int64, error) {
	return load[model.Accelerator](ctx, s.d.Store, model.KindAccelerator, arn, errAcceleratorNotFound)
}

// ListAccelerators returns every accelerator, by ARN.
func (s *Service) ListAccelerators(ctx context.Context) ([]*model.Accelerator, error) {
	all, err := store.LoadAll[model.Accelerator](ctx, s.d.Store, model.Prefix(model.KindAccelerator))
	if err != nil {
		return nil, fmt.Errorf("list accelerators: %w", err)
	}
	return all, nil
}

// UpdateAcceleratorInput is UpdateAccelerator's request; nil or empty fields
// keep their value.
type UpdateAcceleratorInput struct {
	Name          *string
	Enabled       *bool
	IPAddressType string // only IPV4 is offered, so it changes nothing
}

// UpdateAccelerator renames, enables or disables the accelerator. The static
// IPs stay. A change sets the status IN_PROGRESS until the data plane serves it.
func (s *Service) UpdateAccelerator(ctx context.Context, arn string, in UpdateAcceleratorInput) (*model.Accelerator, error) {
	if in.Name != nil {
		if err := validateName(*in.Name); err != nil {
			return nil, err
		}
	}
	if err := validateIPAddressType(in.IPAddressType); err != nil {
		return nil, err
	}
	return s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		changed := false
		if in.Name != nil && *in.Name != a.Name {
			a.Name, changed = *in.Name, true
		}
		if in.Enabled != nil && *in.Enabled != a.Enabled {
			a.Enabled, changed = *in.Enabled, true
		}
		if changed {
			a.Status, a.StatusReason = model.AcceleratorInProgress, ""
			a.LastModifiedTime = time.Now().UTC()
		}
		return nil
	})
}

// updateAccelerator is a read-modify-write of one accelerator; fn's
// *model.Error passes through.
func (s *Service) updateAccelerator(ctx context.Context, arn string, fn func(*model.Accelerator) error) (*model.Accelerator, error) {
	return update(ctx, s.d.Store, model.KindAccelerator, arn, errAcceleratorNotFound, fn)
}

// DeleteAccelerator deletes a disabled accelerator without listeners and
// releases its static IPs.
func (s *Service) DeleteAccelerator(ctx context.Context, arn string) error {
	acc, rev, err := s.loadAccelerator(ctx, arn)
	if err != nil {
		return err
	}
	if acc.Enabled {
		// Text from the brief; not confirmed against a real response.
		return model.BadRequest(codeAcceleratorNotDisabled, "The accelerator must be disabled before it can be deleted.")
	}
	ls, listRev, err := store.LoadAllAt[model.GAListener](ctx, s.d.Store, listenerPrefix(arn))
	if err != nil {
		return err
	}
	if len(ls) > 0 {
		// Observed (hashicorp/terraform-provider-aws#11317).
		return model.BadRequest(codeAssociatedListener, "Cannot delete accelerator %s because an associated listener was found.", arn)
	}
	// Still disabled and no listener created since the empty listing.
	key := model.Key(model.KindAccelerator, arn)
	ok, err := commit(ctx, s.d.Store, []store.Cond{
		store.KeyIs(key, rev),
		store.NoneAfter(listenerPrefix(arn), listRev),
	}, store.Del(key))
	if err != nil {
		return fmt.Errorf("delete accelerator %s: %w", arn, err)
	}
	if !ok {
		// Changed, deleted or given a listener under us: report what a retry would see.
		return s.DeleteAccelerator(ctx, arn)
	}
	for _, set := range acc.IPSets {
		for _, ip := range set.IPAddresses {
			if err := ipam.Release(ctx, s.d.Store, ip); err != nil {
				return err
			}
		}
	}
	return nil
}
