package accelerator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Global Accelerator quotas and defaults [aws-behaviors.md C].
const (
	maxAccelerators  = 20 // standard accelerators per account
	maxListeners     = 10 // per accelerator
	maxPortRanges    = 10 // per listener
	maxEndpoints     = 10 // per endpoint group
	defaultWeight    = 128
	defaultDial      = 100.0
	defaultInterval  = 30
	defaultThreshold = 3
)

// Error codes (awsJson1.1; Global Accelerator answers every client error with HTTP 400).
const (
	codeAcceleratorNotFound      = "AcceleratorNotFoundException"
	codeAcceleratorNotDisabled   = "AcceleratorNotDisabledException"
	codeAssociatedListener       = "AssociatedListenerFoundException"
	codeAssociatedEndpointGroup  = "AssociatedEndpointGroupFoundException"
	codeListenerNotFound         = "ListenerNotFoundException"
	codeEndpointGroupNotFound    = "EndpointGroupNotFoundException"
	codeEndpointGroupExists      = "EndpointGroupAlreadyExistsException"
	codeEndpointNotFound         = "EndpointNotFoundException"
	codeInvalidArgument          = "InvalidArgumentException"
	codeInvalidPortRange         = "InvalidPortRangeException"
	codeLimitExceeded            = "LimitExceededException"
	codeInvalidNextToken         = "InvalidNextTokenException"
	limitExceededMessage         = "Processing your request would cause you to exceed an Global Accelerator limit."
	invalidPortRangeMessage      = "The port numbers that you specified are not valid numbers or are not unique for this accelerator."
	endpointGroupExistsMessage   = "The endpoint group that you specified already exists."
	acceleratorNotFoundMessage   = "The accelerator that you specified doesn't exist."
	listenerNotFoundMessage      = "The listener that you specified doesn't exist."
	endpointGroupNotFoundMessage = "The endpoint group that you specified doesn't exist."
	endpointNotFoundMessage      = "The endpoint that you specified doesn't exist."
	invalidNextTokenMessage      = "There isn't another item to return."
)

// Where no real Global Accelerator response text could be found, the message is
// the exception's documentation text from the service model (botocore
// globalaccelerator service-2.json) and is marked "model text" below. Texts
// observed from real responses are marked "observed" with their source.

func errAcceleratorNotFound() *model.Error {
	return model.BadRequest(codeAcceleratorNotFound, acceleratorNotFoundMessage) // model text
}

func errListenerNotFound() *model.Error {
	return model.BadRequest(codeListenerNotFound, listenerNotFoundMessage) // model text
}

func errEndpointGroupNotFound() *model.Error {
	return model.BadRequest(codeEndpointGroupNotFound, endpointGroupNotFoundMessage) // model text
}

func errLimit() *model.Error {
	return model.BadRequest(codeLimitExceeded, limitExceededMessage) // model text
}

func invalidArgument(format string, args ...any) *model.Error {
	return model.BadRequest(codeInvalidArgument, format, args...)
}

// Field limits of the service model (botocore globalaccelerator
// 2018-08-08): every GenericString (names, ARNs, idempotency tokens, regions,
// endpoint ids, flow log bucket and prefix, paging tokens) has at most 255
// characters; a resource ARN in the tagging calls at most 1011; a tag key 1–128
// and a value at most 256; UntagResource takes at most 200 keys.
const (
	maxGenericString = 255
	maxResourceARN   = 1011
	maxTagKey        = 128
	maxTagValue      = 256
	maxUntagKeys     = 200
)

// checkLength is Coral's check of one string member, refused before the
// service looks at it. UNVERIFIED: that Global Accelerator answers Coral's
// text as InvalidArgumentException (the model names no ValidationException;
// the wire layer reports missing members with the same code).
func checkLength(field, value string, min, max int) error {
	if e := model.Length(codeInvalidArgument, field, value, min, max); e != nil {
		return e
	}
	return nil
}

// CheckIdempotencyToken applies the model's limit to an idempotency token,
// which CreateListener and CreateEndpointGroup accept but do not keep.
func CheckIdempotencyToken(token string) error {
	return checkLength("idempotencyToken", token, 0, maxGenericString)
}

// arnFields names the request member an ARN of each kind arrives in.
var arnFields = map[model.Kind]string{
	model.KindAccelerator:   "acceleratorArn",
	model.KindGAListener:    "listenerArn",
	model.KindEndpointGroup: "endpointGroupArn",
}

func checkARN(kind model.Kind, arn string) error {
	return checkLength(arnFields[kind], arn, 0, maxGenericString)
}

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
	all, err := store.LoadAll[model.Accelerator](ctx, s.d.Store, model.Prefix(model.KindAccelerator))
	if err != nil {
		return nil, fmt.Errorf("list accelerators: %w", err)
	}
	if in.IdempotencyToken != "" {
		for _, a := range all {
			if a.IdempotencyToken == in.IdempotencyToken {
				return a, nil
			}
		}
	}
	if len(all) >= maxAccelerators {
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
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindAccelerator, acc.ARN), acc, 0); err != nil {
		release()
		return nil, fmt.Errorf("save accelerator: %w", err)
	}
	return acc, nil
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

// load is store.Load of the record of kind named arn, with the record's
// not-found error for a missing one.
func load[T any](ctx context.Context, st store.Store, kind model.Kind, arn string, notFound func() *model.Error) (*T, int64, error) {
	if err := checkARN(kind, arn); err != nil {
		return nil, 0, err
	}
	v, rev, err := store.Load[T](ctx, st, model.Key(kind, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, notFound()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load %s: %w", arn, err)
	}
	return v, rev, nil
}

// Page asks for one page of a list: at most MaxResults items (1–100; nil
// means 100) after the page that returned NextToken ("" for the first page).
type Page struct {
	MaxResults *int
	NextToken  string
}

// Paginate returns the page p asks for of items, ordered by key, and the token
// of the next page ("" after the last). A token is the last key of its page, so
// a page stays correct when items before it are deleted.
func Paginate[T any](items []T, key func(T) string, p Page) ([]T, string, error) {
	limit := 100 // UNVERIFIED: the default page size; 100 is the model's maximum
	if p.MaxResults != nil {
		// Coral's constraint texts for the model's MaxResults range. UNVERIFIED:
		// that Global Accelerator answers them as InvalidArgumentException.
		const violation = "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value %s"
		if *p.MaxResults < 1 {
			return nil, "", invalidArgument(violation, *p.MaxResults, "greater than or equal to 1")
		}
		if *p.MaxResults > 100 {
			return nil, "", invalidArgument(violation, *p.MaxResults, "less than or equal to 100")
		}
		limit = *p.MaxResults
	}
	if err := checkLength("nextToken", p.NextToken, 0, maxGenericString); err != nil {
		return nil, "", err
	}
	sorted := slices.SortedFunc(slices.Values(items), func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if p.NextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.NextToken)
		if err != nil || len(after) == 0 {
			return nil, "", model.BadRequest(codeInvalidNextToken, invalidNextTokenMessage) // model text
		}
		start, _ = slices.BinarySearchFunc(sorted, string(after), func(x T, k string) int {
			if c := strings.Compare(key(x), k); c != 0 {
				return c
			}
			return -1 // the item with the token's key was on the previous page
		})
	}
	end := min(start+limit, len(sorted))
	page := sorted[start:end]
	if end == len(sorted) {
		return page, "", nil
	}
	return page, base64.RawURLEncoding.EncodeToString([]byte(key(page[len(page)-1]))), nil
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

// update is store.Update of the record of kind named arn, with the record's
// not-found error for a missing one; fn's *model.Error passes through.
func update[T any](ctx context.Context, st store.Store, kind model.Kind, arn string, notFound func() *model.Error, fn func(*T) error) (*T, error) {
	if err := checkARN(kind, arn); err != nil {
		return nil, err
	}
	v, err := store.Update(ctx, st, model.Key(kind, arn), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return nil, err
		}
		return nil, fmt.Errorf("update %s: %w", arn, err)
	}
	return v, nil
}

// DescribeAcceleratorAttributes returns the accelerator's flow log settings.
func (s *Service) DescribeAcceleratorAttributes(ctx context.Context, arn string) (*model.AcceleratorAttributes, error) {
	acc, _, err := s.loadAccelerator(ctx, arn)
	if err != nil {
		return nil, err
	}
	return &acc.Attributes, nil
}

// UpdateAcceleratorAttributesInput is UpdateAcceleratorAttributes' request;
// nil fields keep their value.
type UpdateAcceleratorAttributesInput struct {
	FlowLogsEnabled  *bool
	FlowLogsS3Bucket *string
	FlowLogsS3Prefix *string
}

// UpdateAcceleratorAttributes changes the flow log settings. Enabled flow logs
// need a bucket. The settings do not touch the data plane, so the status stays.
func (s *Service) UpdateAcceleratorAttributes(ctx context.Context, arn string, in UpdateAcceleratorAttributesInput) (*model.AcceleratorAttributes, error) {
	if in.FlowLogsS3Bucket != nil {
		if err := checkLength("flowLogsS3Bucket", *in.FlowLogsS3Bucket, 0, maxGenericString); err != nil {
			return nil, err
		}
	}
	if in.FlowLogsS3Prefix != nil {
		if err := checkLength("flowLogsS3Prefix", *in.FlowLogsS3Prefix, 0, maxGenericString); err != nil {
			return nil, err
		}
	}
	acc, err := s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		at := &a.Attributes
		if in.FlowLogsEnabled != nil {
			at.FlowLogsEnabled = *in.FlowLogsEnabled
		}
		if in.FlowLogsS3Bucket != nil {
			at.FlowLogsS3Bucket = *in.FlowLogsS3Bucket
		}
		if in.FlowLogsS3Prefix != nil {
			at.FlowLogsS3Prefix = *in.FlowLogsS3Prefix
		}
		if at.FlowLogsEnabled && at.FlowLogsS3Bucket == "" {
			// UNVERIFIED: the rule is the API reference's ("required if
			// FlowLogsEnabled is true"), the wording ours.
			return invalidArgument("FlowLogsS3Bucket is required when FlowLogsEnabled is true.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &acc.Attributes, nil
}

// Tags. Global Accelerator tags accelerators; any other ARN names no accelerator.

// maxTags is the tags one resource may carry (the AWS-wide tag quota).
const maxTags = 50

// validateTags applies the Tag shape's limits (keys of 1–128 characters,
// values of at most 256) and the AWS-wide quota of 50 tags per resource.
// UNVERIFIED: the limits are the service model's and the AWS tag quota, the
// wording ours (kept; tests and users match "tag key"), with the key clipped
// so that an oversized one is not echoed back.
func validateTags(tags map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKey {
			return invalidArgument("Invalid tag key: %q. A tag key must be 1 to 128 characters long.", model.Clip(k))
		}
		if utf8.RuneCountInString(tags[k]) > maxTagValue {
			return invalidArgument("Invalid value for tag %q: a tag value can be at most 256 characters long.", model.Clip(k))
		}
	}
	if len(tags) > maxTags {
		return invalidArgument("A resource can have at most %d tags.", maxTags)
	}
	return nil
}

// checkResourceARN applies the tagging calls' ResourceArn limit (1–1011). An
// ARN longer than an accelerator's can be (255) names no accelerator.
func checkResourceARN(arn string) error {
	if err := checkLength("resourceArn", arn, 1, maxResourceARN); err != nil {
		return err
	}
	if utf8.RuneCountInString(arn) > maxGenericString {
		return errAcceleratorNotFound()
	}
	return nil
}

// TagResource adds tags to the accelerator, replacing the values of keys it
// already has.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkResourceARN(arn); err != nil {
		return err
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err := s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		merged := maps.Clone(a.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		a.Tags = merged
		return nil
	})
	return err
}

// UntagResource removes the tags with the given keys; absent keys are no error.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	if err := checkResourceARN(arn); err != nil {
		return err
	}
	if len(keys) > maxUntagKeys {
		return model.Violation(codeInvalidArgument, "tagKeys", "["+strings.Join(keys, ", ")+"]",
			fmt.Sprintf("Member must have length less than or equal to %d", maxUntagKeys))
	}
	for i, k := range keys {
		if err := checkLength(fmt.Sprintf("tagKeys.%d.member", i+1), k, 1, maxTagKey); err != nil {
			return err
		}
	}
	_, err := s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		for _, k := range keys {
			delete(a.Tags, k)
		}
		return nil
	})
	return err
}

// ListTagsForResource returns the accelerator's tags.
func (s *Service) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	if err := checkResourceARN(arn); err != nil {
		return nil, err
	}
	acc, _, err := s.loadAccelerator(ctx, arn)
	if err != nil {
		return nil, err
	}
	return acc.Tags, nil
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
	ls, err := s.listenersOf(ctx, arn)
	if err != nil {
		return err
	}
	if len(ls) > 0 {
		// Observed (hashicorp/terraform-provider-aws#11317).
		return model.BadRequest(codeAssociatedListener, "Cannot delete accelerator %s because an associated listener was found.", arn)
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindAccelerator, arn), rev); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			// Changed or deleted under us: report what a retry would see.
			return s.DeleteAccelerator(ctx, arn)
		}
		return fmt.Errorf("delete accelerator %s: %w", arn, err)
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

// markInProgress records that a change to the accelerator's listeners or
// endpoint groups is not served yet. It is the last write of an operation, so
// the data plane's DEPLOYED always covers the change (see Service.writeStatus).
func (s *Service) markInProgress(ctx context.Context, accARN string) error {
	_, err := store.Update(ctx, s.d.Store, model.Key(model.KindAccelerator, accARN), func(a *model.Accelerator) error {
		a.Status, a.StatusReason = model.AcceleratorInProgress, ""
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark accelerator %s in progress: %w", accARN, err)
	}
	return nil
}

// Listeners.

func (s *Service) listenersOf(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	ls, err := store.LoadAll[model.GAListener](ctx, s.d.Store, model.Key(model.KindGAListener, accARN+"/listener/"))
	if err != nil {
		return nil, fmt.Errorf("list listeners of %s: %w", accARN, err)
	}
	return ls, nil
}

// CreateListener adds a listener to the accelerator: protocol TCP or UDP (UDP
// is stored but not served by the data plane), 1–10 port ranges that overlap
// no other listener of the same protocol, client affinity NONE (default) or
// SOURCE_IP.
func (s *Service) CreateListener(ctx context.Context, accARN string, protocol string, ranges []model.PortRange, affinity string) (*model.GAListener, error) {
	if _, _, err := s.loadAccelerator(ctx, accARN); err != nil {
		return nil, err
	}
	l := &model.GAListener{
		ARN:            accARN + "/listener/" + model.RandomHex(8),
		AcceleratorARN: accARN,
		Protocol:       protocol,
		PortRanges:     ranges,
		ClientAffinity: affinity,
	}
	if l.ClientAffinity == "" {
		l.ClientAffinity = "NONE"
	}
	others, err := s.listenersOf(ctx, accARN)
	if err != nil {
		return nil, err
	}
	if len(others) >= maxListeners {
		return nil, errLimit()
	}
	if err := validateListener(l, others); err != nil {
		return nil, err
	}
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindGAListener, l.ARN), l, 0); err != nil {
		return nil, fmt.Errorf("save listener: %w", err)
	}
	return l, s.markInProgress(ctx, accARN)
}

func validateListener(l *model.GAListener, others []*model.GAListener) error {
	if l.Protocol != "TCP" && l.Protocol != "UDP" {
		return invalidArgument("Invalid protocol: %s", l.Protocol) // not confirmed
	}
	if l.ClientAffinity != "NONE" && l.ClientAffinity != "SOURCE_IP" {
		return invalidArgument("Invalid client affinity: %s", l.ClientAffinity) // not confirmed
	}
	if err := validatePortRanges(l.PortRanges); err != nil {
		return err
	}
	for _, o := range others {
		if o.ARN == l.ARN || o.Protocol != l.Protocol {
			continue
		}
		for _, a := range l.PortRanges {
			for _, b := range o.PortRanges {
				if a.FromPort <= b.ToPort && b.FromPort <= a.ToPort {
					return model.BadRequest(codeInvalidPortRange, // observed (aws/aws-cdk#22656)
						"Invalid port range PortRange(fromPort=%d, toPort=%d), which overlaps with port range PortRange(fromPort=%d, toPort=%d) taken by listener %s",
						a.FromPort, a.ToPort, b.FromPort, b.ToPort, o.ARN)
				}
			}
		}
	}
	return nil
}

// validatePortRanges checks a listener's own ranges: 1–10 of them, each within
// 1–65535 with FromPort ≤ ToPort, none overlapping another.
func validatePortRanges(ranges []model.PortRange) error {
	if len(ranges) == 0 {
		return invalidArgument("PortRanges must contain at least one port range.") // not confirmed
	}
	if len(ranges) > maxPortRanges {
		return errLimit()
	}
	for i, a := range ranges {
		if a.FromPort < 1 || a.ToPort > 65535 || a.FromPort > a.ToPort {
			return model.BadRequest(codeInvalidPortRange, invalidPortRangeMessage) // model text
		}
		for _, b := range ranges[:i] {
			if a.FromPort <= b.ToPort && b.FromPort <= a.ToPort {
				// Same form as the observed cross-listener text, without a listener.
				return model.BadRequest(codeInvalidPortRange,
					"Invalid port range PortRange(fromPort=%d, toPort=%d), which overlaps with port range PortRange(fromPort=%d, toPort=%d)",
					a.FromPort, a.ToPort, b.FromPort, b.ToPort)
			}
		}
	}
	return nil
}

// DescribeListener returns the listener.
func (s *Service) DescribeListener(ctx context.Context, arn string) (*model.GAListener, error) {
	l, _, err := s.loadListener(ctx, arn)
	return l, err
}

func (s *Service) loadListener(ctx context.Context, arn string) (*model.GAListener, int64, error) {
	return load[model.GAListener](ctx, s.d.Store, model.KindGAListener, arn, errListenerNotFound)
}

// ListListeners returns the accelerator's listeners, by ARN.
func (s *Service) ListListeners(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	if _, _, err := s.loadAccelerator(ctx, accARN); err != nil {
		return nil, err
	}
	return s.listenersOf(ctx, accARN)
}

// UpdateListener changes the listener's protocol, port ranges or client
// affinity; an empty protocol or affinity and nil ranges keep the current value.
func (s *Service) UpdateListener(ctx context.Context, arn string, protocol string, ranges []model.PortRange, affinity string) (*model.GAListener, error) {
	l, err := update(ctx, s.d.Store, model.KindGAListener, arn, errListenerNotFound, func(l *model.GAListener) error {
		if protocol != "" {
			l.Protocol = protocol
		}
		if ranges != nil {
			l.PortRanges = ranges
		}
		if affinity != "" {
			l.ClientAffinity = affinity
		}
		others, err := s.listenersOf(ctx, l.AcceleratorARN)
		if err != nil {
			return err
		}
		return validateListener(l, others)
	})
	if err != nil {
		return nil, err
	}
	return l, s.markInProgress(ctx, l.AcceleratorARN)
}

// DeleteListener deletes a listener that has no endpoint groups.
func (s *Service) DeleteListener(ctx context.Context, arn string) error {
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return err
	}
	gs, err := s.groupsOf(ctx, arn)
	if err != nil {
		return err
	}
	if len(gs) > 0 {
		// Not confirmed: worded after the observed AssociatedListenerFoundException text.
		return model.BadRequest(codeAssociatedEndpointGroup, "Cannot delete listener %s because an associated endpoint group was found.", arn)
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindGAListener, arn), rev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errListenerNotFound()
		}
		if errors.Is(err, store.ErrConflict) {
			return s.DeleteListener(ctx, arn)
		}
		return fmt.Errorf("delete listener %s: %w", arn, err)
	}
	return s.markInProgress(ctx, l.AcceleratorARN)
}

// Endpoint groups.

func (s *Service) groupsOf(ctx context.Context, listenerARN string) ([]*model.EndpointGroup, error) {
	gs, err := store.LoadAll[model.EndpointGroup](ctx, s.d.Store, model.Key(model.KindEndpointGroup, listenerARN+"/endpoint-group/"))
	if err != nil {
		return nil, fmt.Errorf("list endpoint groups of %s: %w", listenerARN, err)
	}
	return gs, nil
}

// acceleratorOf returns the accelerator ARN inside a listener or endpoint group ARN.
func acceleratorOf(arn string) string {
	acc, _, _ := strings.Cut(arn, "/listener/")
	return acc
}

// CreateEndpointGroupInput is CreateEndpointGroup's request.
type CreateEndpointGroupInput struct {
	ListenerARN                string
	Region                     string
	Endpoints                  []model.EndpointInput
	TrafficDialPercentage      *float64 // default 100
	HealthCheckPort            *int     // default: the listener's first port
	HealthCheckProtocol        string   // default TCP
	HealthCheckPath            string   // default "/" for HTTP and HTTPS
	HealthCheckIntervalSeconds *int     // 10 or 30, default 30
	ThresholdCount             *int     // 1–10, default 3
}

// CreateEndpointGroup adds the listener's endpoint group for one region. The
// endpoints are load balancers that must exist. The health check settings are
// stored and returned, as Global Accelerator does; for load balancer endpoints
// it uses the load balancer's own target health instead of them.
func (s *Service) CreateEndpointGroup(ctx context.Context, in CreateEndpointGroupInput) (*model.EndpointGroup, error) {
	l, _, err := s.loadListener(ctx, in.ListenerARN)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.loadAccelerator(ctx, l.AcceleratorARN); err != nil {
		return nil, err
	}
	if in.Region == "" {
		return nil, invalidArgument("EndpointGroupRegion must be specified.") // not confirmed
	}
	if err := checkLength("endpointGroupRegion", in.Region, 0, maxGenericString); err != nil {
		return nil, err
	}
	existing, err := s.groupsOf(ctx, l.ARN)
	if err != nil {
		return nil, err
	}
	for _, g := range existing {
		if g.Region == in.Region {
			return nil, model.BadRequest(codeEndpointGroupExists, endpointGroupExistsMessage) // model text
		}
	}
	g := &model.EndpointGroup{
		ARN:                        l.ARN + "/endpoint-group/" + model.RandomHex(12),
		ListenerARN:                l.ARN,
		Region:                     in.Region,
		TrafficDialPercentage:      defaultDial,
		HealthCheckProtocol:        "TCP",
		HealthCheckIntervalSeconds: defaultInterval,
		ThresholdCount:             defaultThreshold,
	}
	if len(l.PortRanges) > 0 {
		g.HealthCheckPort = l.PortRanges[0].FromPort
	}
	err = applyGroupSettings(g, groupSettings{
		dial: in.TrafficDialPercentage, port: in.HealthCheckPort,
		protocol: optional(in.HealthCheckProtocol), path: optional(in.HealthCheckPath),
		interval: in.HealthCheckIntervalSeconds, threshold: in.ThresholdCount,
	})
	if err != nil {
		return nil, err
	}
	if g.Endpoints, err = s.resolveEndpoints(ctx, nil, in.Endpoints); err != nil {
		return nil, err
	}
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindEndpointGroup, g.ARN), g, 0); err != nil {
		return nil, fmt.Errorf("save endpoint group: %w", err)
	}
	return g, s.markInProgress(ctx, l.AcceleratorARN)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// groupSettings are an endpoint group's scalar settings; nil keeps the value.
type groupSettings struct {
	dial                *float64
	port                *int
	protocol, path      *string
	interval, threshold *int
}

func applyGroupSettings(g *model.EndpointGroup, in groupSettings) error {
	// The messages below are not confirmed against AWS; the ranges are the API reference's.
	if in.dial != nil {
		if *in.dial < 0 || *in.dial > 100 {
			return invalidArgument("TrafficDialPercentage must be between 0 and 100.")
		}
		g.TrafficDialPercentage = *in.dial
	}
	if in.port != nil {
		if *in.port < 1 || *in.port > 65535 {
			return invalidArgument("HealthCheckPort must be between 1 and 65535.")
		}
		g.HealthCheckPort = *in.port
	}
	if in.protocol != nil {
		switch *in.protocol {
		case "TCP", "HTTP", "HTTPS":
			g.HealthCheckProtocol = *in.protocol
		default:
			return invalidArgument("Invalid HealthCheckProtocol: %s", *in.protocol)
		}
	}
	if in.path != nil {
		if err := checkLength("healthCheckPath", *in.path, 0, maxGenericString); err != nil {
			return err
		}
		if !strings.HasPrefix(*in.path, "/") || len(*in.path) > 255 {
			return invalidArgument("Invalid HealthCheckPath: %s", model.Clip(*in.path))
		}
		g.HealthCheckPath = *in.path
	}
	if g.HealthCheckPath == "" && g.HealthCheckProtocol != "TCP" {
		g.HealthCheckPath = "/"
	}
	if in.interval != nil {
		if *in.interval != 10 && *in.interval != 30 {
			return invalidArgument("HealthCheckIntervalSeconds must be 10 or 30.")
		}
		g.HealthCheckIntervalSeconds = *in.interval
	}
	if in.threshold != nil {
		if *in.threshold < 1 || *in.threshold > 10 {
			return invalidArgument("ThresholdCount must be between 1 and 10.")
		}
		g.ThresholdCount = *in.threshold
	}
	return nil
}

// resolveEndpoints validates endpoint configurations, applies defaults and
// merges them into current: an endpoint already in current is replaced in
// place, a new one is appended. At most maxEndpoints result.
func (s *Service) resolveEndpoints(ctx context.Context, current []model.Endpoint, in []model.EndpointInput) ([]model.Endpoint, error) {
	out := slices.Clone(current)
	seen := map[string]bool{}
	for i, c := range in {
		if c.EndpointID == "" {
			return nil, invalidArgument("EndpointId must be specified.") // not confirmed
		}
		if err := checkLength(fmt.Sprintf("endpointConfigurations.%d.member.endpointId", i+1), c.EndpointID, 0, maxGenericString); err != nil {
			return nil, err
		}
		if seen[c.EndpointID] {
			return nil, invalidArgument("Duplicate endpoint: %s", c.EndpointID) // not confirmed
		}
		seen[c.EndpointID] = true
		lb, _, err := store.Load[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, c.EndpointID))
		if errors.Is(err, store.ErrNotFound) {
			// Observed (hashicorp/terraform-provider-aws#28536), there for an ARN of another region.
			return nil, invalidArgument("'%s' is not a valid load balancer ARN", c.EndpointID)
		}
		if err != nil {
			return nil, fmt.Errorf("load load balancer %s: %w", c.EndpointID, err)
		}
		e := model.Endpoint{EndpointID: c.EndpointID, Weight: defaultWeight, ClientIPPreservationEnabled: true}
		if c.Weight != nil {
			if *c.Weight < 0 || *c.Weight > 255 {
				return nil, invalidArgument("Weight must be between 0 and 255.") // not confirmed
			}
			e.Weight = *c.Weight
		}
		if c.ClientIPPreservationEnabled != nil {
			if !*c.ClientIPPreservationEnabled && lb.Scheme == "internal" {
				// Worded as the observed NLB message (h3poteto/aws-global-accelerator-controller#134).
				return nil, invalidArgument("ClientIPPreservation must be enabled for internal facing application load balancer: %s", c.EndpointID)
			}
			e.ClientIPPreservationEnabled = *c.ClientIPPreservationEnabled
		}
		if i := slices.IndexFunc(out, func(x model.Endpoint) bool { return x.EndpointID == e.EndpointID }); i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	if len(out) > maxEndpoints {
		return nil, errLimit()
	}
	return out, nil
}

// DescribeEndpointGroup returns the endpoint group.
func (s *Service) DescribeEndpointGroup(ctx context.Context, arn string) (*model.EndpointGroup, error) {
	g, _, err := s.loadGroup(ctx, arn)
	return g, err
}

func (s *Service) loadGroup(ctx context.Context, arn string) (*model.EndpointGroup, int64, error) {
	return load[model.EndpointGroup](ctx, s.d.Store, model.KindEndpointGroup, arn, errEndpointGroupNotFound)
}

// ListEndpointGroups returns the listener's endpoint groups, by ARN.
func (s *Service) ListEndpointGroups(ctx context.Context, listenerARN string) ([]*model.EndpointGroup, error) {
	if _, _, err := s.loadListener(ctx, listenerARN); err != nil {
		return nil, err
	}
	return s.groupsOf(ctx, listenerARN)
}

// UpdateEndpointGroupInput is UpdateEndpointGroup's request; nil fields keep
// their value. A non-nil Endpoints (even empty) replaces the whole list, with
// defaults applied to each, as Global Accelerator does.
type UpdateEndpointGroupInput struct {
	Endpoints                  []model.EndpointInput
	TrafficDialPercentage      *float64
	HealthCheckPort            *int
	HealthCheckProtocol        *string
	HealthCheckPath            *string
	HealthCheckIntervalSeconds *int
	ThresholdCount             *int
}

// UpdateEndpointGroup changes the endpoint group's endpoints and settings.
func (s *Service) UpdateEndpointGroup(ctx context.Context, arn string, in UpdateEndpointGroupInput) (*model.EndpointGroup, error) {
	return s.updateGroup(ctx, arn, func(g *model.EndpointGroup) error {
		err := applyGroupSettings(g, groupSettings{
			dial: in.TrafficDialPercentage, port: in.HealthCheckPort,
			protocol: in.HealthCheckProtocol, path: in.HealthCheckPath,
			interval: in.HealthCheckIntervalSeconds, threshold: in.ThresholdCount,
		})
		if err != nil || in.Endpoints == nil {
			return err
		}
		g.Endpoints, err = s.resolveEndpoints(ctx, nil, in.Endpoints)
		return err
	})
}

// AddEndpoints adds endpoints to the group; an endpoint already in it takes the
// new weight and client IP preservation.
func (s *Service) AddEndpoints(ctx context.Context, groupARN string, in []model.EndpointInput) (*model.EndpointGroup, error) {
	return s.updateGroup(ctx, groupARN, func(g *model.EndpointGroup) error {
		var err error
		g.Endpoints, err = s.resolveEndpoints(ctx, g.Endpoints, in)
		return err
	})
}

// RemoveEndpoints removes endpoints from the group; every one must be in it.
func (s *Service) RemoveEndpoints(ctx context.Context, groupARN string, endpointIDs []string) error {
	if len(endpointIDs) > maxEndpoints {
		return model.Violation(codeInvalidArgument, "endpointIdentifiers", "["+strings.Join(endpointIDs, ", ")+"]",
			fmt.Sprintf("Member must have length less than or equal to %d", maxEndpoints))
	}
	for i, id := range endpointIDs {
		if err := checkLength(fmt.Sprintf("endpointIdentifiers.%d.member.endpointId", i+1), id, 0, maxGenericString); err != nil {
			return err
		}
	}
	_, err := s.updateGroup(ctx, groupARN, func(g *model.EndpointGroup) error {
		for _, id := range endpointIDs {
			i := slices.IndexFunc(g.Endpoints, func(e model.Endpoint) bool { return e.EndpointID == id })
			if i < 0 {
				return model.BadRequest(codeEndpointNotFound, endpointNotFoundMessage) // model text
			}
			g.Endpoints = slices.Delete(g.Endpoints, i, i+1)
		}
		return nil
	})
	return err
}

// updateGroup is a read-modify-write of one endpoint group that marks its
// accelerator IN_PROGRESS after the write.
func (s *Service) updateGroup(ctx context.Context, arn string, fn func(*model.EndpointGroup) error) (*model.EndpointGroup, error) {
	g, err := update(ctx, s.d.Store, model.KindEndpointGroup, arn, errEndpointGroupNotFound, fn)
	if err != nil {
		return nil, err
	}
	return g, s.markInProgress(ctx, acceleratorOf(arn))
}

// DeleteEndpointGroup deletes the endpoint group.
func (s *Service) DeleteEndpointGroup(ctx context.Context, arn string) error {
	if err := checkARN(model.KindEndpointGroup, arn); err != nil {
		return err
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindEndpointGroup, arn), store.Any); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errEndpointGroupNotFound()
		}
		return fmt.Errorf("delete endpoint group %s: %w", arn, err)
	}
	return s.markInProgress(ctx, acceleratorOf(arn))
}

// Endpoint health states (Global Accelerator's HealthState enum).
const (
	HealthInitial   = "INITIAL"
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
)

// EndpointHealth is a load balancer endpoint's health as DescribeEndpointGroup
// reports it. Global Accelerator takes it from the load balancer: HEALTHY when
// every target group it forwards to has a healthy target; INITIAL while no
// target group has a verdict yet (no record, or every target still initial);
// UNHEALTHY otherwise. Global Accelerator documents HealthReason as null; the
// reason here is gatehouse's explanation and empty when HEALTHY.
func EndpointHealth(snap *model.Snapshot, endpointID string) (state, reason string) {
	if snap.LoadBalancers[endpointID] == nil {
		return HealthUnhealthy, "load balancer not found"
	}
	tgs := snap.LoadBalancerTargetGroups(endpointID)
	if len(tgs) == 0 {
		return HealthUnhealthy, "load balancer forwards to no target group"
	}
	if snap.LoadBalancerHealthy(endpointID) {
		return HealthHealthy, ""
	}
	for _, tg := range tgs {
		h := snap.TargetHealth[tg]
		if h == nil || anyInState(h, model.TargetHealthy) {
			continue // no verdict yet, or this one is fine
		}
		if len(h.Targets) == 0 {
			return HealthUnhealthy, "target group " + tg + " has no targets"
		}
		for _, t := range h.Targets {
			if t.State != model.TargetInitial {
				return HealthUnhealthy, "target group " + tg + " has no healthy target"
			}
		}
	}
	return HealthInitial, "initial health checking"
}

// Health is the endpoint's health in the newest snapshot (see EndpointHealth).
func (s *Service) Health(endpointID string) (state, reason string) {
	if s.d.Feed == nil {
		return HealthInitial, "initial health checking"
	}
	snap, _ := s.d.Feed.Current()
	return EndpointHealth(snap, endpointID)
}

func anyInState(h *model.TargetHealth, state string) bool {
	for _, t := range h.Targets {
		if t.State == state {
			return true
		}
	}
	return false
}
