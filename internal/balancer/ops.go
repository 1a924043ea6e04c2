package balancer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// ELBv2 error codes. Every ELBv2 client error answers HTTP 400 (awsQuery).
const (
	codeLBNotFound       = "LoadBalancerNotFound"
	codeTGNotFound       = "TargetGroupNotFound"
	codeListenerNotFound = "ListenerNotFound"
	codeDuplicateLB      = "DuplicateLoadBalancerName"
	codeDuplicateTG      = "DuplicateTargetGroupName"
	codeDuplicateLis     = "DuplicateListener"
	codeCertNotFound     = "CertificateNotFound"
	codeInUse            = "ResourceInUse"
	codeInvalidConfig    = "InvalidConfigurationRequest"
	codeValidation       = "ValidationError"
	codeSubnetNotFound   = "SubnetNotFound"
	codeInvalidSubnet    = "InvalidSubnet"
	codeInvalidSG        = "InvalidSecurityGroup"
	codeInvalidTarget    = "InvalidTarget"
	codeTooManyTargets   = "TooManyTargets"
	codeSSLPolicy        = "SSLPolicyNotFound"
	codeInvalidAction    = "InvalidLoadBalancerAction"
	codeNotPermitted     = "OperationNotPermitted"
)

// Quotas (ALB user guide, "Quotas for your Application Load Balancers").
const (
	maxSecurityGroups  = 5 // per load balancer
	maxTargetsPerGroup = 1000
	maxListeners       = 50
	maxFixedBody       = 1024
)

// Regional quotas (the same guide: "Application Load Balancers per Region" and
// "Target groups per Region"). Variables so tests can fill them quickly. The
// creates count under opMu, which serialises this node's creates; another node
// creating at the same moment can overshoot a quota by one, which is accepted.
var (
	maxLoadBalancers = 50
	maxTargetGroups  = 3000
)

// The texts at the regional quotas are the exceptions' descriptions in the API
// reference (UNVERIFIED: no recorded response was found), as for TooManyTargets.
func tooManyLoadBalancers() *model.Error {
	return model.BadRequest("TooManyLoadBalancers", "You've reached the limit on the number of load balancers for your AWS account.")
}

func tooManyTargetGroups() *model.Error {
	return model.BadRequest("TooManyTargetGroups", "You've reached the limit on the number of target groups for your AWS account.")
}

// DefaultSSLPolicy is the policy CreateListener applies when none is given
// (the API's default; the console's is ELBSecurityPolicy-TLS13-1-2-2021-06).
const DefaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// sslPolicies are the predefined policy names ELBv2 accepts. gatehouse serves
// TLS 1.3 only for the TLS13-1-3 policies and TLS 1.2 and 1.3 for the others,
// with Go's cipher suites (see listenerTLS in compile.go).
var sslPolicies = []string{
	"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
	"ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-FS-1-2-Res-2019-08",
	"ELBSecurityPolicy-FS-1-2-2019-08", "ELBSecurityPolicy-FS-1-1-2019-08", "ELBSecurityPolicy-FS-2018-06",
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-TLS-1-2-2017-01",
	"ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-2015-05",
}

// canonicalZones are the Route 53 hosted zones of ALB DNS names per region.
var canonicalZones = map[string]string{
	"us-west-2":    model.ELBHostedZoneUSWest2,
	"us-east-1":    "Z35SXDOTRQ7X7K",
	"us-east-2":    "Z3AADJGX6KTTL2",
	"us-west-1":    "Z368ELLRRE2KJ0",
	"eu-west-1":    "Z32O12XQLNTSW2",
	"eu-central-1": "Z215JYRZR1TBD5",
}

func defaultLBAttributes() map[string]string {
	return map[string]string{
		"access_logs.s3.enabled":                                   "false",
		"access_logs.s3.bucket":                                    "",
		"access_logs.s3.prefix":                                    "",
		"deletion_protection.enabled":                              "false",
		"idle_timeout.timeout_seconds":                             "60",
		"client_keep_alive.seconds":                                "3600",
		"routing.http.desync_mitigation_mode":                      "defensive",
		"routing.http.drop_invalid_header_fields.enabled":          "false",
		"routing.http.preserve_host_header.enabled":                "false",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
		"routing.http.xff_client_port.enabled":                     "false",
		"routing.http.xff_header_processing.mode":                  "append",
		"routing.http2.enabled":                                    "true",
		"waf.fail_open.enabled":                                    "false",
	}
}

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

// validationError is ELBv2's ValidationError. String arguments are clipped
// (model.Clip): they are what the client sent, which may be megabytes.
func validationError(format string, args ...any) *model.Error {
	return model.BadRequest(codeValidation, format, model.ClipArgs(args)...)
}

// checkLength is Coral's length check of one member of the ELBv2 model, nil
// when value fits.
func checkLength(field, value string, min, max int) error {
	if e := model.Length(codeValidation, field, value, min, max); e != nil {
		return e
	}
	return nil
}

// rangeError is the AWS (Coral) validation message for a number out of range.
func rangeError(field string, v, lo, hi int) error {
	if v < lo {
		return validationError("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, field, lo)
	}
	if v > hi {
		return validationError("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, field, hi)
	}
	return nil
}

func enumError(field, v string, allowed []string) error {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, field, strings.Join(allowed, ", "))
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// checkName applies ELBv2's name rules. what is "Load balancer" or "Target
// group". The texts follow ELBv2's target group messages (seen in moto, which
// copies AWS); the load balancer variants are the same sentences, unconfirmed.
func checkName(what, name string) error {
	switch {
	case name == "":
		return validationError("%s name cannot be empty", what) // unconfirmed text
	case len(name) > 32:
		return validationError("%s name '%s' cannot be longer than '32' characters", what, name)
	case !nameRE.MatchString(name):
		return validationError("%s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", what, name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return validationError("%s name '%s' cannot begin or end with '-'", what, name)
	case what == "Load balancer" && strings.HasPrefix(strings.ToLower(name), "internal-"):
		return validationError("Load balancer name '%s' cannot begin with 'internal-'", name)
	}
	return nil
}

// ---- Load balancers ----

// CreateLBInput is CreateLoadBalancer's input.
type CreateLBInput struct {
	Name             string
	SubnetIDs        []string
	SecurityGroupIDs []string
	Scheme           string // "internet-facing" (default) or "internal"
	Type             string // "application" (default)
	IPAddressType    string // "ipv4" (default)
	Tags             map[string]string
}

// CreateLoadBalancer creates an application load balancer with one node (a
// network interface with a private IP) in each subnet. It starts in state
// provisioning; the service makes it active once its sockets are open.
// Creating it again with the same settings returns the existing one.
func (s *Service) CreateLoadBalancer(ctx context.Context, in CreateLBInput) (*model.LoadBalancer, error) {
	if in.Type == "" {
		in.Type = "application"
	}
	if in.Scheme == "" {
		in.Scheme = "internet-facing"
	}
	if in.IPAddressType == "" {
		in.IPAddressType = "ipv4"
	}
	if err := checkName("Load balancer", in.Name); err != nil {
		return nil, err
	}
	switch in.Type {
	case "application":
	case "network", "gateway":
		return nil, model.BadRequest(codeInvalidConfig, "Load balancer type '%s' is not supported", model.Clip(in.Type)) // gatehouse's own text
	default:
		return nil, enumError("type", in.Type, []string{"application", "network", "gateway"})
	}
	if in.Scheme != "internet-facing" && in.Scheme != "internal" {
		return nil, enumError("scheme", in.Scheme, []string{"internet-facing", "internal"})
	}
	if in.IPAddressType != "ipv4" {
		return nil, model.BadRequest(codeInvalidConfig, "IP address type '%s' is not supported", model.Clip(in.IPAddressType)) // gatehouse's own text
	}

	s.opMu.Lock()
	defer s.opMu.Unlock()

	subnets := make([]*model.Subnet, 0, len(in.SubnetIDs))
	azs := map[string]bool{}
	for _, id := range in.SubnetIDs {
		sn, _, err := store.Load[model.Subnet](ctx, s.d.Store, model.Key(model.KindSubnet, id))
		if errors.Is(err, store.ErrNotFound) {
			return nil, model.BadRequest(codeSubnetNotFound, "The subnet ID '%s' is not valid", model.Clip(id)) // unconfirmed text
		}
		if err != nil {
			return nil, err
		}
		if azs[sn.AvailabilityZone] {
			return nil, model.BadRequest(codeInvalidConfig, "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		if len(subnets) > 0 && sn.VpcID != subnets[0].VpcID {
			return nil, model.BadRequest(codeInvalidConfig, "The subnets must belong to the same VPC") // unconfirmed text
		}
		azs[sn.AvailabilityZone] = true
		subnets = append(subnets, sn)
	}
	if len(azs) < 2 {
		return nil, validationError("At least two subnets in two different Availability Zones must be specified")
	}
	vpcID := subnets[0].VpcID
	sgs, err := s.securityGroups(ctx, vpcID, in.SecurityGroupIDs)
	if err != nil {
		return nil, err
	}

	all, err := store.LoadAll[model.LoadBalancer](ctx, s.d.Store, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		return nil, err
	}
	for _, lb := range all {
		if lb.Name != in.Name {
			continue
		}
		if lb.Scheme == in.Scheme && lb.Type == in.Type && slices.Equal(sortedCopy(lb.SubnetIDs), sortedCopy(in.SubnetIDs)) &&
			slices.Equal(sortedCopy(lb.SecurityGroupIDs), sortedCopy(sgs)) {
			return lb, nil
		}
		return nil, model.BadRequest(codeDuplicateLB, "A load balancer with the same name '%s' exists, but with different settings", in.Name)
	}
	if len(all) >= maxLoadBalancers {
		return nil, tooManyLoadBalancers()
	}

	id := model.RandomHex(16)
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", s.d.Env.Region, s.d.Env.Account, in.Name, id)
	dns := fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", in.Name, randomDigits(10), s.d.Env.Region)
	if in.Scheme == "internal" {
		dns = "internal-" + dns
	}
	zone := canonicalZones[s.d.Env.Region]
	if zone == "" {
		zone = model.ELBHostedZoneUSWest2 // unknown region: the one zone gatehouse knows for sure
	}
	lb := &model.LoadBalancer{
		ARN: arn, Name: in.Name, DNSName: dns, CanonicalHostedZoneID: zone,
		Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IPAddressType, State: "provisioning",
		VpcID: vpcID, SubnetIDs: slices.Clone(in.SubnetIDs), SecurityGroupIDs: sgs,
		Attributes: defaultLBAttributes(), CreatedTime: time.Now().UTC(), Tags: in.Tags,
	}
	// One node per subnet. Undo every claim if any fails.
	var claimed []model.LBNode
	undo := func() {
		for _, n := range claimed {
			_, _ = s.d.Store.Delete(ctx, model.Key(model.KindNetworkIface, n.NetworkInterfaceID), store.Any)
			_ = ipam.Release(ctx, s.d.Store, n.IP)
		}
	}
	for _, sn := range subnets {
		ip, err := ipam.Allocate(ctx, s.d.Store, sn.CIDR, arn)
		if errors.Is(err, ipam.ErrExhausted) {
			undo()
			return nil, model.BadRequest(codeInvalidSubnet, "Not enough IP space available in %s. ELB requires at least 8 free IP addresses in each subnet.", sn.ID)
		}
		if err != nil {
			undo()
			return nil, err
		}
		eni := &model.NetworkInterface{
			ID: "eni-" + model.RandomHex(17), SubnetID: sn.ID, VpcID: vpcID, AvailabilityZone: sn.AvailabilityZone,
			PrivateIP: ip.String(), Description: "ELB app/" + in.Name + "/" + id, InterfaceType: "interface",
			SecurityGroupIDs: sgs,
		}
		if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindNetworkIface, eni.ID), eni, 0); err != nil {
			_ = ipam.Release(ctx, s.d.Store, ip.String())
			undo()
			return nil, err
		}
		n := model.LBNode{SubnetID: sn.ID, AvailabilityZone: sn.AvailabilityZone, IP: ip.String(), NetworkInterfaceID: eni.ID}
		claimed = append(claimed, n)
	}
	lb.Nodes = claimed
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), lb, 0); err != nil {
		undo()
		return nil, err
	}
	return lb, nil
}

// securityGroups checks the given groups, or picks the VPC's default group
// when none is given (as ELBv2 does).
func (s *Service) securityGroups(ctx context.Context, vpcID string, ids []string) ([]string, error) {
	if len(ids) > maxSecurityGroups {
		// UNVERIFIED: AWS's code and text; the quota is the ALB guide's.
		return nil, model.BadRequest(codeInvalidConfig, "A load balancer can have at most %d security groups", maxSecurityGroups)
	}
	all, err := store.LoadAll[model.SecurityGroup](ctx, s.d.Store, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		for _, sg := range all {
			if sg.VpcID == vpcID && sg.Name == "default" {
				return []string{sg.ID}, nil
			}
		}
		return []string{}, nil
	}
	for _, id := range ids {
		ok := false
		for _, sg := range all {
			if sg.ID == id && sg.VpcID == vpcID {
				ok = true
			}
		}
		if !ok {
			return nil, model.BadRequest(codeInvalidSG, "One or more security groups are invalid") // unconfirmed text
		}
	}
	return slices.Clone(ids), nil
}

// DescribeLoadBalancers returns the load balancers named by ARN or by name, or
// every load balancer when both are empty.
func (s *Service) DescribeLoadBalancers(ctx context.Context, arns, names []string) ([]*model.LoadBalancer, error) {
	if len(arns) > 0 && len(names) > 0 {
		return nil, validationError("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	all, err := store.LoadAll[model.LoadBalancer](ctx, s.d.Store, model.Prefix(model.KindLoadBalancer))
	if err != nil {
		return nil, err
	}
	switch {
	case len(arns) > 0:
		out, missing := pick(all, arns, func(lb *model.LoadBalancer) string { return lb.ARN })
		if len(missing) > 0 {
			return nil, model.BadRequest(codeLBNotFound, "One or more load balancers not found")
		}
		return out, nil
	case len(names) > 0:
		out, missing := pick(all, names, func(lb *model.LoadBalancer) string { return lb.Name })
		if len(missing) > 0 {
			return nil, model.BadRequest(codeLBNotFound, "Load balancers '[%s]' not found", model.Clip(strings.Join(missing, ", ")))
		}
		return out, nil
	}
	return all, nil
}

// DeleteLoadBalancer deletes the load balancer and its listeners and releases
// its nodes' addresses. A load balancer that does not exist is no error.
func (s *Service) DeleteLoadBalancer(ctx context.Context, arn string) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	lb, _, err := store.Load[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if lb.Attributes["deletion_protection.enabled"] == "true" {
		return model.BadRequest(codeNotPermitted, "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
	}
	listeners, err := s.listenersOf(ctx, arn)
	if err != nil {
		return err
	}
	for _, l := range listeners {
		if _, err := s.d.Store.Delete(ctx, model.Key(model.KindListener, l.ARN), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindLoadBalancer, arn), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, n := range lb.Nodes {
		if _, err := s.d.Store.Delete(ctx, model.Key(model.KindNetworkIface, n.NetworkInterfaceID), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := ipam.Release(ctx, s.d.Store, n.IP); err != nil {
			return err
		}
	}
	return nil
}

// DescribeLoadBalancerAttributes returns the load balancer's attributes.
func (s *Service) DescribeLoadBalancerAttributes(ctx context.Context, arn string) (map[string]string, error) {
	lb, err := s.loadLB(ctx, arn)
	if err != nil {
		return nil, err
	}
	attrs := defaultLBAttributes()
	maps.Copy(attrs, lb.Attributes)
	return attrs, nil
}

// ModifyLoadBalancerAttributes changes the given attributes and returns them all.
func (s *Service) ModifyLoadBalancerAttributes(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error) {
	if len(attrs) > maxLBAttributes {
		return nil, model.Violation(codeValidation, "attributes", attributeList(attrs),
			fmt.Sprintf("Member must have length less than or equal to %d", maxLBAttributes))
	}
	if err := checkAttributes(attrs, true); err != nil {
		return nil, err
	}
	defaults := defaultLBAttributes()
	for k, v := range attrs {
		if _, ok := defaults[k]; !ok {
			return nil, validationError("Load balancer attribute key '%s' is not recognized", k) // unconfirmed text
		}
		switch {
		case k == "idle_timeout.timeout_seconds":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 4000 {
				return nil, validationError("Idle timeout must be between 1 and 4000 seconds") // unconfirmed text
			}
		case strings.HasSuffix(k, ".enabled") && v != "true" && v != "false":
			return nil, validationError("Load balancer attribute value '%s' for '%s' must be 'true' or 'false'", v, k) // unconfirmed text
		}
	}
	lb, err := store.Update(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), func(lb *model.LoadBalancer) error {
		if lb.Attributes == nil {
			lb.Attributes = defaultLBAttributes()
		}
		maps.Copy(lb.Attributes, attrs)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, lbNotFound()
	}
	if err != nil {
		return nil, err
	}
	out := defaultLBAttributes()
	maps.Copy(out, lb.Attributes)
	return out, nil
}

// Attribute limits of the model: LoadBalancerAttributes holds at most 20; a
// key (of either kind) at most 256 characters, a load balancer attribute's
// value at most 1024. A target group attribute's value has no length in the
// model; every one gatehouse knows is a number or from a fixed set.
const (
	maxLBAttributes   = 20
	maxAttributeKey   = 256
	maxAttributeValue = 1024
)

// attributeList renders attributes as Coral quotes a list value.
func attributeList(attrs map[string]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, k := range slices.Sorted(maps.Keys(attrs)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "AttributeRecord(key=%s, value=%s)", k, attrs[k])
		if b.Len() > 256 {
			break // the message shows 128 characters
		}
	}
	b.WriteString("]")
	return b.String()
}

// checkAttributes applies the model's key (and, for a load balancer, value)
// lengths. The attributes arrive as a map, so the member is named without its
// list index ('attributes.member.key' where Coral says 'attributes.1.member.key').
func checkAttributes(attrs map[string]string, lb bool) error {
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if err := checkLength("attributes.member.key", k, 0, maxAttributeKey); err != nil {
			return err
		}
		if lb {
			if err := checkLength("attributes.member.value", attrs[k], 0, maxAttributeValue); err != nil {
				return err
			}
		}
	}
	return nil
}

func lbNotFound() error {
	return model.BadRequest(codeLBNotFound, "One or more load balancers not found")
}

func (s *Service) loadLB(ctx context.Context, arn string) (*model.LoadBalancer, error) {
	lb, _, err := store.Load[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil, lbNotFound()
	}
	return lb, err
}

// ---- Target groups ----

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
		return enumError("healthCheckProtocol", hc.Protocol, []string{"HTTP", "HTTPS"})
	}
	if hc.Port != "traffic-port" {
		p, err := strconv.Atoi(hc.Port)
		if err != nil || p < 1 || p > 65535 {
			return validationError("Health check port '%s' must be 'traffic-port' or a number between 1 and 65535", hc.Port) // unconfirmed text
		}
	}
	if hc.Path == "" || len(hc.Path) > 1024 {
		return validationError("1 validation error detected: Value '%s' at 'healthCheckPath' failed to satisfy constraint: Member must have length between 1 and 1024", hc.Path)
	}
	if !strings.HasPrefix(hc.Path, "/") {
		return validationError("Health check path must begin with '/'") // unconfirmed text
	}
	for _, c := range []byte(hc.Path) {
		if c <= ' ' || c == 0x7f {
			return validationError("Health check path '%s' contains invalid characters", hc.Path) // unconfirmed text
		}
	}
	if err := rangeError("healthCheckIntervalSeconds", hc.IntervalSeconds, 5, 300); err != nil {
		return err
	}
	if err := rangeError("healthCheckTimeoutSeconds", hc.TimeoutSeconds, 2, 120); err != nil {
		return err
	}
	if err := rangeError("healthyThresholdCount", hc.HealthyThreshold, 2, 10); err != nil {
		return err
	}
	if err := rangeError("unhealthyThresholdCount", hc.UnhealthyThreshold, 2, 10); err != nil {
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
		return nil, enumError("targetType", in.TargetType, []string{"instance", "ip", "lambda", "alb"})
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
		return nil, enumError("protocol", in.Protocol, []string{"HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"})
	}
	if err := rangeError("port", in.Port, 1, 65535); err != nil {
		return nil, err
	}
	switch in.IPAddressType {
	case "", "ipv4":
	case "ipv6":
		return nil, model.BadRequest(codeInvalidConfig, "IP address type '%s' is not supported", model.Clip(in.IPAddressType)) // gatehouse's own text
	default:
		return nil, enumError("ipAddressType", in.IPAddressType, []string{"ipv4", "ipv6"})
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

	s.opMu.Lock()
	defer s.opMu.Unlock()
	if _, _, err := store.Load[model.VPC](ctx, s.d.Store, model.Key(model.KindVPC, in.VpcID)); errors.Is(err, store.ErrNotFound) {
		return nil, validationError("The VPC ID '%s' is not found", in.VpcID)
	} else if err != nil {
		return nil, err
	}
	all, err := store.LoadAll[model.TargetGroup](ctx, s.d.Store, model.Prefix(model.KindTargetGroup))
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
	if len(all) >= maxTargetGroups {
		return nil, tooManyTargetGroups()
	}
	tg := &model.TargetGroup{
		ARN:      fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", s.d.Env.Region, s.d.Env.Account, in.Name, model.RandomHex(16)),
		Name:     in.Name,
		Protocol: in.Protocol, ProtocolVersion: in.ProtocolVersion, Port: in.Port,
		TargetType: in.TargetType, VpcID: in.VpcID, HealthCheck: hc, Targets: []model.Target{},
		Attributes: defaultTGAttributes(), Tags: in.Tags,
	}
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindTargetGroup, tg.ARN), tg, 0); err != nil {
		return nil, err
	}
	tg.LoadBalancerARNs = []string{}
	return tg, nil
}

// ModifyTargetGroup changes the target group's health check. The probers pick
// the change up at once; target states stay until the thresholds say otherwise.
func (s *Service) ModifyTargetGroup(ctx context.Context, arn string, in HealthCheckInput) (*model.TargetGroup, error) {
	tg, err := store.Update(ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), func(tg *model.TargetGroup) error {
		applyHealthCheck(&tg.HealthCheck, in)
		return checkHealthCheck(tg.HealthCheck) // nothing is written when it fails
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, tgNotFound()
	}
	if err != nil {
		return nil, err
	}
	return s.withLBs(ctx, tg)
}

func tgNotFound() error {
	return model.BadRequest(codeTGNotFound, "One or more target groups not found")
}

func (s *Service) loadTG(ctx context.Context, arn string) (*model.TargetGroup, error) {
	tg, _, err := store.Load[model.TargetGroup](ctx, s.d.Store, model.Key(model.KindTargetGroup, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil, tgNotFound()
	}
	return tg, err
}

// DescribeTargetGroupAttributes returns the target group's attributes.
func (s *Service) DescribeTargetGroupAttributes(ctx context.Context, arn string) (map[string]string, error) {
	tg, err := s.loadTG(ctx, arn)
	if err != nil {
		return nil, err
	}
	attrs := defaultTGAttributes()
	maps.Copy(attrs, tg.Attributes)
	return attrs, nil
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
		return nil, validationError("1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
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
	tg, err := store.Update(ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), func(tg *model.TargetGroup) error {
		if tg.Attributes == nil {
			tg.Attributes = defaultTGAttributes()
		}
		maps.Copy(tg.Attributes, attrs)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, tgNotFound()
	}
	if err != nil {
		return nil, err
	}
	out := defaultTGAttributes()
	maps.Copy(out, tg.Attributes)
	return out, nil
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
	for _, tg := range out {
		tg.LoadBalancerARNs = append([]string{}, lbs[tg.ARN]...)
	}
	return out, nil
}

// DeleteTargetGroup deletes a target group no listener forwards to. A target
// group that does not exist is no error.
func (s *Service) DeleteTargetGroup(ctx context.Context, arn string) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	key := model.Key(model.KindTargetGroup, arn)
	if _, _, err := store.Load[model.TargetGroup](ctx, s.d.Store, key); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	listeners, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return err
	}
	for _, l := range listeners {
		if slices.Contains(l.TargetGroupARNs(), arn) {
			return model.BadRequest(codeInUse, "Target group '%s' is currently in use by a listener or a rule", arn)
		}
	}
	if _, err := s.d.Store.Delete(ctx, key, store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindTargetHealth, arn), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// RegisterTargets adds targets to the group (a target already registered on
// the same port stays as it is). Port 0 means the group's port. IP targets must
// lie in a subnet of one of the store's VPCs.
func (s *Service) RegisterTargets(ctx context.Context, tgARN string, targets []model.Target) error {
	if len(targets) == 0 {
		return validationError("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	if len(targets) > maxTargetsPerGroup {
		// More than a group can hold is refused before any is looked at.
		return model.BadRequest(codeTooManyTargets, "You've reached the limit on the number of targets.")
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	tg, err := s.loadTG(ctx, tgARN)
	if err != nil {
		return err
	}
	subnets, err := store.LoadAll[model.Subnet](ctx, s.d.Store, model.Prefix(model.KindSubnet))
	if err != nil {
		return err
	}
	add := make([]model.Target, 0, len(targets))
	for _, t := range targets {
		if t.Port == 0 {
			t.Port = tg.Port
		}
		if err := rangeError("port", t.Port, 1, 65535); err != nil {
			return err
		}
		if tg.TargetType != "ip" {
			// gatehouse has no EC2 instances to register.
			return model.BadRequest(codeInvalidTarget, "The following targets are not valid instances: '%s'", model.Clip(t.ID)) // unconfirmed text
		}
		a, err := netip.ParseAddr(t.ID)
		if err != nil || !a.Is4() {
			return validationError("The IP address '%s' is not a valid IPv4 address", t.ID) // unconfirmed text
		}
		var az string
		for _, sn := range subnets {
			if p, err := netip.ParsePrefix(sn.CIDR); err == nil && p.Contains(a) {
				az = sn.AvailabilityZone
				break
			}
		}
		if az == "" {
			return model.BadRequest(codeInvalidTarget, "The IP address '%s' is not in a subnet of a VPC", model.Clip(t.ID)) // unconfirmed text
		}
		t.ID = a.String()
		if t.AvailabilityZone == "" {
			t.AvailabilityZone = az
		}
		add = append(add, t)
	}
	_, err = store.Update(ctx, s.d.Store, model.Key(model.KindTargetGroup, tgARN), func(tg *model.TargetGroup) error {
		for _, t := range add {
			if !slices.ContainsFunc(tg.Targets, func(o model.Target) bool { return o.ID == t.ID && o.Port == t.Port }) {
				tg.Targets = append(tg.Targets, t)
			}
		}
		if len(tg.Targets) > maxTargetsPerGroup {
			return model.BadRequest(codeTooManyTargets, "You've reached the limit on the number of targets.")
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return tgNotFound()
	}
	return err
}

// DeregisterTargets removes targets from the group. Port 0 means the group's
// port. A target that is not registered is no error.
func (s *Service) DeregisterTargets(ctx context.Context, tgARN string, targets []model.Target) error {
	if len(targets) == 0 {
		return validationError("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	_, err := store.Update(ctx, s.d.Store, model.Key(model.KindTargetGroup, tgARN), func(tg *model.TargetGroup) error {
		tg.Targets = slices.DeleteFunc(tg.Targets, func(o model.Target) bool {
			for _, t := range targets {
				port := t.Port
				if port == 0 {
					port = tg.Port
				}
				if o.ID == t.ID && o.Port == port {
					return true
				}
			}
			return false
		})
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return tgNotFound()
	}
	return err
}

// DescribeTargetHealth returns the health of every registered target, as the
// balancer last observed it. A target not checked yet is initial
// (Elb.RegistrationInProgress); a group no listener uses reports unused.
func (s *Service) DescribeTargetHealth(ctx context.Context, tgARN string) ([]model.TargetState, error) {
	tg, err := s.loadTG(ctx, tgARN)
	if err != nil {
		return nil, err
	}
	h, _, err := store.Load[model.TargetHealth](ctx, s.d.Store, model.Key(model.KindTargetHealth, tgARN))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var inUse *bool
	out := make([]model.TargetState, 0, len(tg.Targets))
	for _, t := range tg.Targets {
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		st := model.TargetState{ID: t.ID, Port: port, State: model.TargetInitial,
			Reason: model.ReasonRegistrationInProgress, Description: descRegistration}
		found := false
		if h != nil {
			for _, o := range h.Targets {
				if o.ID == t.ID && o.Port == port {
					st, found = o, true
					break
				}
			}
		}
		if !found {
			if inUse == nil {
				lbs, err := s.lbsByGroup(ctx)
				if err != nil {
					return nil, err
				}
				inUse = new(len(lbs[tgARN]) > 0)
			}
			if !*inUse {
				st.State, st.Reason, st.Description = model.TargetUnused, model.ReasonNotInUse, descNotInUse
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// ---- Listeners ----

// CreateListenerInput is CreateListener's input.
type CreateListenerInput struct {
	LoadBalancerARN string
	Protocol        string // "HTTP" or "HTTPS"
	Port            int
	SslPolicy       string // HTTPS; default DefaultSSLPolicy
	Certificates    []model.ListenerCertificate
	DefaultActions  []model.Action
	Tags            map[string]string
}

// ModifyListenerInput is ModifyListener's input: nil / empty fields stay.
type ModifyListenerInput struct {
	ListenerARN    string
	Protocol       *string
	Port           *int
	SslPolicy      *string
	Certificates   []model.ListenerCertificate
	DefaultActions []model.Action
}

// checkListener validates a listener against the store: protocol and port,
// certificates, SSL policy and actions.
func (s *Service) checkListener(ctx context.Context, lb *model.LoadBalancer, l *model.Listener) error {
	switch l.Protocol {
	case "HTTP", "HTTPS":
	case "":
		return validationError("A listener protocol must be specified")
	default:
		return model.BadRequest("UnsupportedProtocol", "Protocol '%s' is not supported for listeners of application load balancers", model.Clip(l.Protocol)) // unconfirmed text
	}
	if err := rangeError("port", l.Port, 1, 65535); err != nil {
		return err
	}
	if l.Protocol == "HTTPS" {
		if len(l.Certificates) == 0 {
			return validationError("A certificate must be specified for HTTPS listeners")
		}
		for i := range l.Certificates {
			if err := s.checkCertificate(ctx, l.Certificates[i].CertificateARN); err != nil {
				return err
			}
			l.Certificates[i].IsDefault = i == 0
		}
		if l.SslPolicy == "" {
			l.SslPolicy = DefaultSSLPolicy
		}
		if !slices.Contains(sslPolicies, l.SslPolicy) {
			return model.BadRequest(codeSSLPolicy, "SSL policy '%s' not found", model.Clip(l.SslPolicy)) // unconfirmed text
		}
	} else {
		if len(l.Certificates) > 0 {
			return validationError("Certificates cannot be specified for HTTP listeners") // unconfirmed text
		}
		if l.SslPolicy != "" {
			return validationError("An SSL policy cannot be specified for HTTP listeners") // unconfirmed text
		}
	}
	return s.checkActions(ctx, lb.VpcID, "defaultActions", l.DefaultActions)
}

// Redirect placeholders: a redirect part left out keeps the request's own.
var redirectDefaults = model.Redirect{Protocol: "#{protocol}", Port: "#{port}", Host: "#{host}", Path: "/#{path}", Query: "#{query}"}

var fixedStatusRE = regexp.MustCompile(`^(2|4|5)\d\d$`)

// checkActions validates a listener's default actions or a rule's actions
// (field names them in messages) and fills in defaults. gatehouse serves one
// terminal action per listener or rule: forward (to a group in the load
// balancer's VPC), fixed-response or redirect.
func (s *Service) checkActions(ctx context.Context, vpcID, field string, acts []model.Action) error {
	if len(acts) == 0 {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	if len(acts) > 1 {
		return model.BadRequest(codeInvalidAction, "gatehouse serves exactly one action per listener or rule: forward, fixed-response or redirect") // gatehouse's own text
	}
	a := &acts[0]
	if a.Order == 0 {
		a.Order = 1
	}
	if err := rangeError(field+".1.member.order", a.Order, 1, 50000); err != nil {
		return err
	}
	switch a.Type {
	case "forward":
		a.FixedResponse, a.Redirect = nil, nil
		if a.TargetGroupARN == "" {
			return validationError("A target group ARN must be specified") // UNVERIFIED: AWS's text
		}
		tg, _, err := store.Load[model.TargetGroup](ctx, s.d.Store, model.Key(model.KindTargetGroup, a.TargetGroupARN))
		if errors.Is(err, store.ErrNotFound) {
			return model.BadRequest(codeTGNotFound, "Target group '%s' not found", model.Clip(a.TargetGroupARN))
		}
		if err != nil {
			return err
		}
		if tg.VpcID != vpcID {
			return model.BadRequest(codeInvalidConfig, "The target group '%s' is not in the same VPC as the load balancer", tg.ARN) // UNVERIFIED: AWS's text
		}
	case "fixed-response":
		a.TargetGroupARN, a.Redirect = "", nil
		f := a.FixedResponse
		if f == nil {
			return validationError("A fixed response configuration must be specified for the 'fixed-response' action type") // UNVERIFIED: AWS's text
		}
		if !fixedStatusRE.MatchString(f.StatusCode) {
			return validationError("1 validation error detected: Value '%s' at '%s.1.member.fixedResponseConfig.statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$", f.StatusCode, field)
		}
		if err := checkLength(field+".1.member.fixedResponseConfig.contentType", f.ContentType, 0, 32); err != nil {
			return err
		}
		switch f.ContentType {
		case "", "text/plain", "text/css", "text/html", "application/javascript", "application/json":
		default:
			return model.BadRequest(codeInvalidAction, "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'")
		}
		if len(f.MessageBody) > maxFixedBody {
			return validationError("1 validation error detected: Value at '%s.1.member.fixedResponseConfig.messageBody' failed to satisfy constraint: Member must have length less than or equal to 1024", field)
		}
	case "redirect":
		a.TargetGroupARN, a.FixedResponse = "", nil
		if a.Redirect == nil {
			return validationError("A redirect configuration must be specified for the 'redirect' action type") // UNVERIFIED: AWS's text
		}
		return checkRedirect(a.Redirect, field)
	case "authenticate-oidc", "authenticate-cognito", "jwt-validation":
		return model.BadRequest(codeInvalidAction, "Action type '%s' is not supported", model.Clip(a.Type)) // gatehouse's own text
	default:
		return enumError(field+".1.member.type", a.Type, []string{"forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation"})
	}
	return nil
}

// checkRedirect validates a redirect and fills in the parts left out.
func checkRedirect(r *model.Redirect, field string) error {
	if r.StatusCode != "HTTP_301" && r.StatusCode != "HTTP_302" {
		return enumError(field+".1.member.redirectConfig.statusCode", r.StatusCode, []string{"HTTP_301", "HTTP_302"})
	}
	if r.Protocol == "" && r.Port == "" && r.Host == "" && r.Path == "" && r.Query == "" {
		// UNVERIFIED: AWS's text for a redirect to the same URL.
		return model.BadRequest(codeInvalidAction, "The redirect must change at least one of the following components to avoid a redirect loop: protocol, port, hostname or path")
	}
	// Host, path and query are the model's (RedirectActionHost/Path/Query:
	// at most 128 characters; empty keeps the request's, "#{host}" etc.);
	// protocol and port have no length in the model: no documented limit;
	// bound: the same 128, far beyond "HTTPS" or "65535".
	for _, p := range []struct{ name, value string }{
		{"protocol", r.Protocol}, {"port", r.Port}, {"host", r.Host}, {"path", r.Path}, {"query", r.Query},
	} {
		if err := checkLength(field+".1.member.redirectConfig."+p.name, p.value, 0, 128); err != nil {
			return err
		}
	}
	d := redirectDefaults
	if r.Protocol == "" {
		r.Protocol = d.Protocol
	}
	if r.Port == "" {
		r.Port = d.Port
	}
	if r.Host == "" {
		r.Host = d.Host
	}
	if r.Path == "" {
		r.Path = d.Path
	}
	if r.Query == "" {
		r.Query = d.Query
	}
	switch r.Protocol {
	case "HTTP", "HTTPS", d.Protocol:
	default:
		return validationError("Redirect protocol '%s' must be one of 'HTTP', 'HTTPS' or '#{protocol}'", r.Protocol) // UNVERIFIED: AWS's text
	}
	if r.Port != d.Port {
		if n, err := strconv.Atoi(r.Port); err != nil || n < 1 || n > 65535 {
			return validationError("Redirect port '%s' must be a number between 1 and 65535 or '#{port}'", r.Port) // UNVERIFIED: AWS's text
		}
	}
	if !strings.HasPrefix(r.Path, "/") {
		return validationError("Redirect path '%s' must start with a '/'", r.Path) // UNVERIFIED: AWS's text
	}
	return nil
}

// CreateListener adds a listener to a load balancer. Creating it again with
// the same settings returns the existing one.
func (s *Service) CreateListener(ctx context.Context, in CreateListenerInput) (*model.Listener, error) {
	if len(in.Certificates) > 1 {
		return nil, errOneCertificate()
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	lb, err := s.loadLB(ctx, in.LoadBalancerARN)
	if err != nil {
		return nil, err
	}
	l := &model.Listener{
		LoadBalancerARN: lb.ARN, Protocol: in.Protocol, Port: in.Port, SslPolicy: in.SslPolicy,
		Certificates: slices.Clone(in.Certificates), DefaultActions: slices.Clone(in.DefaultActions), Tags: in.Tags,
	}
	if err := s.checkListener(ctx, lb, l); err != nil {
		return nil, err
	}
	existing, err := s.listenersOf(ctx, lb.ARN)
	if err != nil {
		return nil, err
	}
	for _, o := range existing {
		if o.Port != l.Port {
			continue
		}
		if o.Protocol == l.Protocol && o.SslPolicy == l.SslPolicy && slices.Equal(o.Certificates, l.Certificates) &&
			slices.EqualFunc(o.DefaultActions, l.DefaultActions, sameAction) {
			return o, nil
		}
		return nil, model.BadRequest(codeDuplicateLis, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
	}
	if len(existing) >= maxListeners {
		return nil, model.BadRequest("TooManyListeners", "You've reached the limit on the number of listeners per load balancer.")
	}
	l.ARN = strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/" + model.RandomHex(16)
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindListener, l.ARN), l, 0); err != nil {
		return nil, err
	}
	return l, nil
}

// errOneCertificate: CreateListener and ModifyListener set the default
// certificate only; AddListenerCertificates adds the others.
func errOneCertificate() error {
	// UNVERIFIED: AWS's text (the API reference: "You must provide exactly one certificate").
	return validationError("You must provide exactly one certificate for the listener's default certificate; add the others with AddListenerCertificates")
}

func sameAction(a, b model.Action) bool {
	return a.Type == b.Type && a.Order == b.Order && a.TargetGroupARN == b.TargetGroupARN &&
		samePtr(a.FixedResponse, b.FixedResponse) && samePtr(a.Redirect, b.Redirect)
}

func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// DescribeListeners returns a load balancer's listeners, or listeners by ARN.
func (s *Service) DescribeListeners(ctx context.Context, lbARN string, arns []string) ([]*model.Listener, error) {
	if lbARN == "" && len(arns) == 0 {
		return nil, validationError("You must specify either listener ARNs or a load balancer ARN")
	}
	if lbARN != "" && len(arns) > 0 {
		return nil, validationError("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	}
	if lbARN != "" {
		if _, err := s.loadLB(ctx, lbARN); err != nil {
			return nil, err
		}
		return s.listenersOf(ctx, lbARN)
	}
	all, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	out, missing := pick(all, arns, func(l *model.Listener) string { return l.ARN })
	if len(missing) > 0 {
		return nil, listenerNotFound()
	}
	return out, nil
}

func listenerNotFound() error {
	return model.BadRequest(codeListenerNotFound, "One or more listeners not found")
}

// loadListener loads a listener and its revision, for a write back with saveListener.
func (s *Service) loadListener(ctx context.Context, arn string) (*model.Listener, int64, error) {
	l, rev, err := store.Load[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, listenerNotFound()
	}
	return l, rev, err
}

// ModifyListener changes a listener's protocol, port, policy, certificates or
// default actions. Its socket moves without touching the others.
func (s *Service) ModifyListener(ctx context.Context, in ModifyListenerInput) (*model.Listener, error) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, err := s.loadListener(ctx, in.ListenerARN)
	if err != nil {
		return nil, err
	}
	lb, err := s.loadLB(ctx, l.LoadBalancerARN)
	if err != nil {
		return nil, err
	}
	if in.Protocol != nil {
		if *in.Protocol == "HTTP" && l.Protocol == "HTTPS" {
			l.Certificates, l.SslPolicy = nil, ""
		}
		l.Protocol = *in.Protocol
	}
	if in.Port != nil {
		l.Port = *in.Port
	}
	if in.SslPolicy != nil {
		l.SslPolicy = *in.SslPolicy
	}
	if len(in.Certificates) > 1 {
		return nil, errOneCertificate()
	}
	if len(in.Certificates) == 1 {
		// The new default; the certificates added for SNI stay.
		def := in.Certificates[0]
		extra := slices.DeleteFunc(slices.Clone(l.Certificates[min(1, len(l.Certificates)):]), func(c model.ListenerCertificate) bool {
			return c.CertificateARN == def.CertificateARN
		})
		l.Certificates = append([]model.ListenerCertificate{def}, extra...)
	}
	if len(in.DefaultActions) > 0 {
		l.DefaultActions = slices.Clone(in.DefaultActions)
	}
	if err := s.checkListener(ctx, lb, l); err != nil {
		return nil, err
	}
	others, err := s.listenersOf(ctx, lb.ARN)
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.ARN != l.ARN && o.Port == l.Port {
			return nil, model.BadRequest(codeDuplicateLis, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
		}
	}
	if err := s.saveListener(ctx, l, rev); err != nil {
		return nil, err
	}
	return l, nil
}

// DeleteListener deletes a listener; its sockets close.
func (s *Service) DeleteListener(ctx context.Context, arn string) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	_, err := s.d.Store.Delete(ctx, model.Key(model.KindListener, arn), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return listenerNotFound()
	}
	return err
}

// maxCertificates is ALB's quota of certificates per load balancer, the
// default certificates not counted.
const maxCertificates = 25

// DescribeListenerCertificates returns an HTTPS listener's certificates: the
// default (IsDefault) first, then those served by SNI.
func (s *Service) DescribeListenerCertificates(ctx context.Context, arn string) ([]model.ListenerCertificate, error) {
	l, _, err := s.loadListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	return l.Certificates, nil
}

// AddListenerCertificates adds certificates that the HTTPS listener serves to
// clients asking for their names (SNI); one already there is no error. It
// returns the certificates added.
func (s *Service) AddListenerCertificates(ctx context.Context, arn string, certARNs []string) ([]model.ListenerCertificate, error) {
	if len(certARNs) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'certificates' failed to satisfy constraint: Member must not be null")
	}
	if len(certARNs) > maxCertificates {
		// More than a listener can hold is refused before any is looked at.
		return nil, model.BadRequest("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer")
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	if l.Protocol != "HTTPS" {
		return nil, validationError("Certificates can only be added to HTTPS listeners") // UNVERIFIED: AWS's text
	}
	var added []model.ListenerCertificate
	for _, c := range certARNs {
		if err := s.checkCertificate(ctx, c); err != nil {
			return nil, err
		}
		added = append(added, model.ListenerCertificate{CertificateARN: c})
		if !slices.ContainsFunc(l.Certificates[1:], func(o model.ListenerCertificate) bool { return o.CertificateARN == c }) {
			l.Certificates = append(l.Certificates, model.ListenerCertificate{CertificateARN: c})
		}
	}
	if len(l.Certificates)-1 > maxCertificates {
		return nil, model.BadRequest("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer")
	}
	if err := s.saveListener(ctx, l, rev); err != nil {
		return nil, err
	}
	return added, nil
}

// RemoveListenerCertificates removes certificates added for SNI; the default
// certificate stays until ModifyListener replaces it.
func (s *Service) RemoveListenerCertificates(ctx context.Context, arn string, certARNs []string) error {
	if len(certARNs) == 0 {
		return validationError("1 validation error detected: Value null at 'certificates' failed to satisfy constraint: Member must not be null")
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return err
	}
	if len(l.Certificates) > 0 && slices.Contains(certARNs, l.Certificates[0].CertificateARN) {
		return model.BadRequest(codeNotPermitted, "The default certificate cannot be removed from the listener") // UNVERIFIED: AWS's text
	}
	l.Certificates = slices.DeleteFunc(l.Certificates, func(c model.ListenerCertificate) bool {
		return !c.IsDefault && slices.Contains(certARNs, c.CertificateARN)
	})
	return s.saveListener(ctx, l, rev)
}

// checkCertificate reports CertificateNotFound for a certificate that is not
// in the store or not issued.
func (s *Service) checkCertificate(ctx context.Context, arn string) error {
	c, _, err := store.Load[model.Certificate](ctx, s.d.Store, model.Key(model.KindCertificate, arn))
	if errors.Is(err, store.ErrNotFound) || err == nil && c.Status != model.CertIssued {
		return model.BadRequest(codeCertNotFound, "Certificate '%s' not found", model.Clip(arn))
	}
	return err
}

// ---- helpers ----

// Page returns the page of items that marker (empty: the first) and size
// (0: ELBv2's maximum, 400) select, and the marker of the next page, empty
// on the last. Markers are opaque to clients: the offset of the page.
func Page[T any](items []T, marker string, size int) ([]T, string, error) {
	if size == 0 {
		size = 400
	}
	if err := rangeError("pageSize", size, 1, 400); err != nil {
		return nil, "", err
	}
	start := 0
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		n, perr := strconv.Atoi(string(b))
		if err != nil || perr != nil || n < 0 || n > len(items) {
			return nil, "", validationError("The marker '%s' is not valid", marker) // UNVERIFIED: AWS's text
		}
		start = n
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

func (s *Service) listenersOf(ctx context.Context, lbARN string) ([]*model.Listener, error) {
	all, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(l *model.Listener) bool { return l.LoadBalancerARN != lbARN }), nil
}

// lbsByGroup maps every target group that listeners forward to onto the
// load balancers of those listeners, sorted.
func (s *Service) lbsByGroup(ctx context.Context) (map[string][]string, error) {
	all, err := store.LoadAll[model.Listener](ctx, s.d.Store, model.Prefix(model.KindListener))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, l := range all {
		for _, arn := range l.TargetGroupARNs() {
			if !slices.Contains(out[arn], l.LoadBalancerARN) {
				out[arn] = append(out[arn], l.LoadBalancerARN)
			}
		}
	}
	for _, lbs := range out {
		slices.Sort(lbs)
	}
	return out, nil
}

func (s *Service) withLBs(ctx context.Context, tg *model.TargetGroup) (*model.TargetGroup, error) {
	lbs, err := s.lbsByGroup(ctx)
	if err != nil {
		return nil, err
	}
	tg.LoadBalancerARNs = append([]string{}, lbs[tg.ARN]...)
	return tg, nil
}

// pick returns the items whose key is in keys, in keys' order, and the keys
// that matched nothing.
func pick[T any](all []*T, keys []string, key func(*T) string) (out []*T, missing []string) {
	for _, k := range keys {
		found := false
		for _, v := range all {
			if key(v) == k {
				out = append(out, v)
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, k)
		}
	}
	return out, missing
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func randomDigits(n int) string {
	h := model.RandomHex(2 * n)
	b := make([]byte, n)
	for i := range b {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = '0' + byte(v%10)
	}
	return string(b)
}
