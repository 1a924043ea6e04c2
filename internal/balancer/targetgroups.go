package balancer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func defaultTGAttributes() map[string]string {
	return map[string]string{
		"deregistration_delay.timeout_seconds":  "300",
		"stickiness.enabled":                    "false",
		"stickiness.type":                       "lb_cookie",
		"stickiness.lb_cookie.duration_seconds": "86400",
		"load_balancing.algorithm.type":         "round_robin",
		"load_balancing.cross_zone.enabled":     "use_load_balancer_configuration",
		"slow_start.duration_seconds":           "0",
	}
}

// HealthCheckInput is a target group's health check settings as callers pass
// them: nil fields take ALB's defaults (create) or stay as they are (modify).
type HealthCheckInput struct {
	Enabled            *bool
	Protocol           *string // "HTTP" or "HTTPS"; default: the target group's protocol
	Port               *string // "traffic-port" (default) or a port number
	Path               *string // default "/"
	IntervalSeconds    *int    // 5–300, default 30
	TimeoutSeconds     *int    // 2–120, default 5
	HealthyThreshold   *int    // 2–10, default 5
	UnhealthyThreshold *int    // 2–10, default 2
	Matcher            *string // HttpCode, default "200"
}

// CreateTGInput is CreateTargetGroup's input.
type CreateTGInput struct {
	Name            string
	Protocol        string // "HTTP" or "HTTPS"
	ProtocolVersion string // "HTTP1" (default)
	TargetType      string // "instance" (default, as ELBv2) or "ip"
	VpcID           string
	Port            int
	IPAddressType   string // "ipv4" (default)
	HealthCheck     HealthCheckInput
	Tags            map[string]string
}

func applyHealthCheck(hc *model.HealthCheck, in HealthCheckInput) {
	if in.Enabled != nil {
		hc.Enabled = *in.Enabled
	}
	if in.Protocol != nil {
		hc.Protocol = *in.Protocol
	}
	if in.Port != nil {
		hc.Port = *in.Port
	}
	if in.Path != nil {
		hc.Path = *in.Path
	}
	if in.IntervalSeconds != nil {
		hc.IntervalSeconds = *in.IntervalSeconds
	}
	if in.TimeoutSeconds != nil {
		hc.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.HealthyThreshold != nil {
		hc.HealthyThreshold = *in.HealthyThreshold
	}
	if in.UnhealthyThreshold != nil {
		hc.UnhealthyThreshold = *in.UnhealthyThreshold
	}
	if in.Matcher != nil {
		hc.Matcher = *in.Matcher
	}
}

// checkHealthCheck validates a complete health check. The range texts are
// AWS's standard validation messages; the others are noted where unconfirmed.
func checkHealthCheck(hc model.HealthCheck) error {
	if !hc.Enabled {
		// ip and instance target groups always check health (ELBv2 API reference).
		return validationError("Health checks cannot be disabled for target groups with target type 'ip' or 'instance'") // unconfirmed text
	}
	if hc.Protocol != "HTTP" && hc.Protocol != "HTTPS" {
		return model.Enum(codeValidation, "healthCheckProtocol", hc.Protocol, []string{"HTTP", "HTTPS"})
	}
	if hc.Port != "traffic-port" {
		p, err := strconv.Atoi(hc.Port)
		if err != nil || p < 1 || p > 65535 {
			return validationError("Health check port '%s' must be 'traffic-port' or a number between 1 and 65535", hc.Port) // unconfirmed text
		}
	}
	if hc.Path == "" || len(hc.Path) > 1024 {
		return model.Violation(codeValidation, "healthCheckPath", hc.Path, "Member must have length between 1 and 1024")
	}
	if !strings.HasPrefix(hc.Path, "/") {
		return validationError("Health check path must begin with '/'") // unconfirmed text
	}
	for _, c := range []byte(hc.Path) {
		if c <= ' ' || c == 0x7f {
			return validationError("Health check path '%s' contains invalid characters", hc.Path) // unconfirmed text
		}
	}
	if err := model.Range(codeValidation, "healthCheckIntervalSeconds", hc.IntervalSeconds, 5, 300); err != nil {
		return err
	}
	if err := model.Range(codeValidation, "healthCheckTimeoutSeconds", hc.TimeoutSeconds, 2, 120); err != nil {
		return err
	}
	if err := model.Range(codeValidation, "healthyThresholdCount", hc.HealthyThreshold, 2, 10); err != nil {
		return err
	}
	if err := model.Range(codeValidation, "unhealthyThresholdCount", hc.UnhealthyThreshold, 2, 10); err != nil {
		return err
	}
	if hc.TimeoutSeconds >= hc.IntervalSeconds {
		return validationError("Health check timeout '%d' must be smaller than the interval '%d'", hc.TimeoutSeconds, hc.IntervalSeconds)
	}
	if hc.Matcher == "" {
		return validationError("Health check matcher HTTP code cannot be empty")
	}
	if _, err := ParseMatcher(hc.Matcher); err != nil {
		// unconfirmed text
		return validationError("Health check matcher HTTP code '%s' is not valid: values must be between 200 and 499, as a list (200,202) or a range (200-299)", hc.Matcher)
	}
	return nil
}

// CreateTargetGroup creates a target group. Creating it again with the same
// settings returns the existing one (ELBv2 is idempotent here).
func (s *Service) CreateTargetGroup(ctx context.Context, in CreateTGInput) (*model.TargetGroup, error) {
	if err := checkName("Target group", in.Name); err != nil {
		return nil, err
	}
	if in.TargetType == "" {
		in.TargetType = "instance"
	}
	switch in.TargetType {
	case "ip", "instance":
	case "lambda", "alb":
		return nil, model.BadRequest(codeInvalidConfig, "Target type '%s' is not supported", model.Clip(in.TargetType)) // gatehouse's own text
	default:
		return nil, model.Enum(codeValidation, "targetType", in.TargetType, []string{"instance", "ip", "lambda", "alb"})
	}
	if in.Protocol == "" {
		return nil, validationError("A protocol must be specified")
	}
	if in.Port == 0 {
		return nil, validationError("A port must be specified")
	}
	if in.VpcID == "" {
		return nil, validationError("A VPC ID must be specified")
	}
	switch in.Protocol {
	case "HTTP", "HTTPS":
	case "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC":
		return nil, model.BadRequest(codeInvalidConfig, "Protocol '%s' is not supported: gatehouse serves application load balancers (HTTP, HTTPS)", model.Clip(in.Protocol)) // gatehouse's own text
	default:
		return nil, model.Enum(codeValidation, "protocol", in.Protocol, []string{"HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"})
	}
	if err := model.Range(codeValidation, "port", in.Port, 1, 65535); err != nil {
		return nil, err
	}
	switch in.IPAddressType {
	case "", "ipv4":
	case "ipv6":
		return nil, model.BadRequest(codeInvalidConfig, "IP address type '%s' is not supported", model.Clip(in.IPAddressType)) // gatehouse's own text
	default:
		return nil, model.Enum(codeValidation, "ipAddressType", in.IPAddressType, []string{"ipv4", "ipv6"})
	}
	if in.ProtocolVersion == "" {
		in.ProtocolVersion = "HTTP1"
	}
	if in.ProtocolVersion != "HTTP1" {
		return nil, model.BadRequest(codeInvalidConfig, "Protocol version '%s' is not supported", model.Clip(in.ProtocolVersion)) // gatehouse's own text
	}
	// ALB defaults. The API reference says the check protocol defaults to HTTP,
	// but ELBv2 sets it to the group's protocol for HTTP/HTTPS groups (what
	// describe-target-groups shows after create), so an HTTPS group checks over HTTPS.
	hc := model.HealthCheck{
		Enabled: true, Protocol: in.Protocol, Port: "traffic-port", Path: "/",
		IntervalSeconds: 30, TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200",
	}
	applyHealthCheck(&hc, in.HealthCheck)
	if err := checkHealthCheck(hc); err != nil {
		return nil, err
	}

	// No mutex: the group is written with its name's index key, create-only,
	// conditioned on no other name taken since the count (the quota) and on
	// its VPC as read, so two nodes cannot both take a name or the last place.
	return retryOnConflict(ctx, func() (*model.TargetGroup, error) { return s.createTargetGroup(ctx, in, hc) })
}

func (s *Service) createTargetGroup(ctx context.Context, in CreateTGInput, hc model.HealthCheck) (*model.TargetGroup, error) {
	vpcKey := model.Key(model.KindVPC, in.VpcID)
	_, vpcRev, err := store.LoadOr[model.VPC](ctx, s.d.Store, vpcKey, func() error {
		return validationError("The VPC ID '%s' is not found", in.VpcID)
	})
	if err != nil {
		return nil, err
	}
	all, listRev, err := store.LoadAllAt[model.TargetGroup](ctx, s.d.Store, model.Prefix(model.KindTargetGroup))
	if err != nil {
		return nil, err
	}
	for _, tg := range all {
		if tg.Name != in.Name {
			continue
		}
		if tg.Protocol == in.Protocol && tg.Port == in.Port && tg.VpcID == in.VpcID && tg.TargetType == in.TargetType &&
			tg.ProtocolVersion == in.ProtocolVersion && tg.HealthCheck == hc {
			return s.withLBs(ctx, tg)
		}
		return nil, model.BadRequest(codeDuplicateTG, "A target group with the same name '%s' exists, but with different settings", in.Name)
	}
	if len(all) >= s.d.MaxTargetGroups {
		return nil, tooManyTargetGroups()
	}
	tg := &model.TargetGroup{
		ARN:      fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", s.d.Env.Region, s.d.Env.Account, in.Name, model.RandomHex(16)),
		Name:     in.Name,
		Protocol: in.Protocol, ProtocolVersion: in.ProtocolVersion, Port: in.Port,
		TargetType: in.TargetType, VpcID: in.VpcID, HealthCheck: hc,
		Attributes: defaultTGAttributes(), Tags: in.Tags,
	}
	key := model.Key(model.KindTargetGroup, tg.ARN)
	op, err := store.SaveOp(key, tg)
	if err != nil {
		return nil, err
	}
	conds := []store.Cond{
		store.KeyIs(vpcKey, vpcRev),
		store.KeyIs(tgNameKey(in.Name), 0),
		store.NoneAfter(model.Prefix(model.KindTGName), listRev),
		store.KeyIs(key, 0),
	}
	ops := []store.Op{op, store.Put(tgNameKey(in.Name), []byte(tg.ARN))}
	if _, err := s.d.Store.Txn(ctx, conds, ops); err != nil {
		return nil, err
	}
	tg.Targets = []model.Target{}
	tg.LoadBalancerARNs = []string{}
	return tg, nil
}

// ModifyTargetGroup changes the target group's health check. The probers pick
// the change up at once; target states stay until the thresholds say otherwise.
func (s *Service) ModifyTargetGroup(ctx context.Context, arn string, in HealthCheckInput) (*model.TargetGroup, error) {
	tg, err := s.updateTG(ctx, arn, func(tg *model.TargetGroup) error {
		applyHealthCheck(&tg.HealthCheck, in)
		return checkHealthCheck(tg.HealthCheck) // nothing is written when it fails
	})
	if err != nil {
		return nil, err
	}
	return s.withLBs(ctx, tg)
}

// DescribeTargetGroupAttributes returns the target group's attributes.
func (s *Service) DescribeTargetGroupAttributes(ctx context.Context, arn string) (map[string]string, error) {
	tg, err := s.loadTG(ctx, arn)
	if err != nil {
		return nil, err
	}
	return withDefaults(defaultTGAttributes, tg.Attributes), nil
}

// tgAttributeRanges are the numeric target group attributes and their ranges.
var tgAttributeRanges = map[string][2]int{
	"deregistration_delay.timeout_seconds":  {0, 3600},
	"stickiness.lb_cookie.duration_seconds": {1, 604800},
	"slow_start.duration_seconds":           {0, 900},
}

// tgAttributeEnums are the target group attributes with a fixed set of values.
var tgAttributeEnums = map[string][]string{
	"stickiness.enabled":                {"true", "false"},
	"stickiness.type":                   {"lb_cookie", "app_cookie"},
	"load_balancing.algorithm.type":     {"round_robin", "least_outstanding_requests", "weighted_random"},
	"load_balancing.cross_zone.enabled": {"true", "false", "use_load_balancer_configuration"},
}

// ModifyTargetGroupAttributes changes the given attributes and returns them
// all. gatehouse stores every ALB attribute; the data plane balances round
// robin, without stickiness or slow start, whatever they say.
func (s *Service) ModifyTargetGroupAttributes(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error) {
	if len(attrs) == 0 {
		return nil, notNull("attributes")
	}
	if err := checkAttributes(attrs, false); err != nil {
		return nil, err
	}
	defaults := defaultTGAttributes()
	for k, v := range attrs {
		if _, ok := defaults[k]; !ok {
			return nil, validationError("Target group attribute key '%s' is not recognized", k)
		}
		if r, ok := tgAttributeRanges[k]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < r[0] || n > r[1] {
				return nil, validationError("'%s' value '%s' must be between '%d-%d' inclusive", k, v, r[0], r[1])
			}
		}
		if k == "slow_start.duration_seconds" && v != "0" {
			if n, _ := strconv.Atoi(v); n < 30 {
				// UNVERIFIED: AWS's text; slow start is 0 (off) or 30–900 seconds.
				return nil, validationError("'%s' value '%s' must be between '30-900' inclusive", k, v)
			}
		}
		if allowed, ok := tgAttributeEnums[k]; ok && !slices.Contains(allowed, v) {
			// UNVERIFIED: AWS's text.
			return nil, validationError("'%s' value '%s' must be one of [%s]", k, v, strings.Join(allowed, ", "))
		}
	}
	tg, err := s.updateTG(ctx, arn, func(tg *model.TargetGroup) error {
		mergeAttributes(&tg.Attributes, defaultTGAttributes, attrs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withDefaults(defaultTGAttributes, tg.Attributes), nil
}

// DescribeTargetHealthOf is DescribeTargetHealth for the given targets only
// (all when none is given). A target that is not registered is reported
// unused, Target.NotRegistered, as ALB does; port 0 means any registered port.
func (s *Service) DescribeTargetHealthOf(ctx context.Context, tgARN string, targets []model.Target) ([]model.TargetState, error) {
	all, err := s.DescribeTargetHealth(ctx, tgARN)
	if err != nil || len(targets) == 0 {
		return all, err
	}
	var out []model.TargetState
	for _, t := range targets {
		found := false
		for _, st := range all {
			if st.ID == t.ID && (t.Port == 0 || t.Port == st.Port) {
				out = append(out, st)
				found = true
			}
		}
		if !found {
			out = append(out, model.TargetState{ID: t.ID, Port: t.Port, State: model.TargetUnused,
				Reason: "Target.NotRegistered", Description: "Target is not registered to the target group"})
		}
	}
	return out, nil
}

// DescribeTargetGroups returns target groups by ARN, by name, or those a load
// balancer forwards to; every target group when all are empty.
func (s *Service) DescribeTargetGroups(ctx context.Context, arns, names []string, lbARN string) ([]*model.TargetGroup, error) {
	given := 0
	for _, set := range []bool{len(arns) > 0, len(names) > 0, lbARN != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return nil, validationError("Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time")
	}
	all, err := store.LoadAll[model.TargetGroup](ctx, s.d.Store, model.Prefix(model.KindTargetGroup))
	if err != nil {
		return nil, err
	}
	lbs, err := s.lbsByGroup(ctx) // one read of the listeners for every group
	if err != nil {
		return nil, err
	}
	var out []*model.TargetGroup
	switch {
	case lbARN != "":
		if _, err := s.loadLB(ctx, lbARN); err != nil {
			return nil, err
		}
		for _, tg := range all {
			if slices.Contains(lbs[tg.ARN], lbARN) {
				out = append(out, tg)
			}
		}
	case len(arns) > 0:
		var missing []string
		if out, missing = pick(all, arns, func(tg *model.TargetGroup) string { return tg.ARN }); len(missing) > 0 {
			return nil, tgNotFound()
		}
	case len(names) > 0:
		var missing []string
		if out, missing = pick(all, names, func(tg *model.TargetGroup) string { return tg.Name }); len(missing) > 0 {
			return nil, model.BadRequest(codeTGNotFound, "Target groups '[%s]' not found", model.Clip(strings.Join(missing, ", ")))
		}
	default:
		out = all
	}
	if err := s.fillTargets(ctx, out); err != nil {
		return nil, err
	}
	for _, tg := range out {
		tg.LoadBalancerARNs = append([]string{}, lbs[tg.ARN]...)
	}
	return out, nil
}

// fillTargets sets each group's Targets from its target records (and those
// an older gatehouse stored inside it): one listing per group for a few
// groups, one of every target for many.
func (s *Service) fillTargets(ctx context.Context, tgs []*model.TargetGroup) error {
	if len(tgs) <= 8 {
		for _, tg := range tgs {
			ts, _, err := s.targetsOf(ctx, tg)
			if err != nil {
				return err
			}
			tg.Targets = ts
		}
		return nil
	}
	recs, err := store.LoadAll[model.TargetRecord](ctx, s.d.Store, model.Prefix(model.KindTarget))
	if err != nil {
		return err
	}
	byGroup := map[string][]model.Target{}
	for _, r := range recs {
		byGroup[r.TargetGroupARN] = append(byGroup[r.TargetGroupARN], r.Target)
	}
	for _, tg := range tgs {
		tg.Targets = mergeTargets(byGroup[tg.ARN], tg.Targets, tg.Port)
	}
	return nil
}

// DeleteTargetGroup deletes a target group no listener forwards to. A target
// group that does not exist is no error.
func (s *Service) DeleteTargetGroup(ctx context.Context, arn string) error {
	// No mutex: the delete is a Txn conditioned on the group as read and on
	// no listener changed since the in-use check; a listener or rule that
	// starts forwarding to the group meanwhile (on any node) is conditioned
	// on the group in turn (groupsExist), so one of the two fails.
	_, err := retryOnConflict(ctx, func() (struct{}, error) { return struct{}{}, s.deleteTargetGroup(ctx, arn) })
	return err
}

func (s *Service) deleteTargetGroup(ctx context.Context, arn string) error {
	key := model.Key(model.KindTargetGroup, arn)
	tg, rev, err := store.Load[model.TargetGroup](ctx, s.d.Store, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	lbs, conds, err := s.forwarders(ctx)
	if err != nil {
		return err
	}
	if _, used := lbs[arn]; used {
		return model.BadRequest(codeInUse, "Target group '%s' is currently in use by a listener or a rule", arn)
	}
	conds = append(conds, store.KeyIs(key, rev))
	ops := []store.Op{
		store.Del(key),
		store.Del(model.Key(model.KindTargetHealth, arn)),
		store.DelPrefix(model.TargetsPrefix(arn)),
	}
	// The name's index key, if this group holds it (one an older gatehouse
	// created has none, and the name may be another group's since).
	if kv, err := s.d.Store.Get(ctx, tgNameKey(tg.Name)); err == nil && string(kv.Value) == arn {
		conds = append(conds, store.KeyIs(kv.Key, kv.ModRev))
		ops = append(ops, store.Del(kv.Key))
	}
	_, err = s.d.Store.Txn(ctx, conds, ops)
	return err
}
