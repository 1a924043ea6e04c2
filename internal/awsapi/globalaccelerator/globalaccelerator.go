package globalaccelerator

import (
	"context"
	"maps"
	"slices"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
)

// New returns Global Accelerator's wire mapping onto svc.
func New(svc *accelerator.Service) *awsapi.Service {
	a := &api{svc: svc}
	return &awsapi.Service{
		Name: "globalaccelerator",
		// The control plane's one region, wherever the accelerators point.
		SigningRegions: []string{"us-west-2"},
		Protocol:       awsapi.JSON,
		// UNVERIFIED: the service model names no ValidationException; every
		// input error it documents is InvalidArgumentException, so a missing
		// member is reported with that code too.
		BadInput:     "InvalidArgumentException",
		TargetPrefix: "GlobalAccelerator_V20180706",
		Handler: awsapi.JSONOps(map[string]awsapi.JSONOp{
			"CreateAccelerator":             awsapi.JSONOf(a.createAccelerator),
			"DescribeAccelerator":           awsapi.JSONOf(a.describeAccelerator),
			"ListAccelerators":              awsapi.JSONOf(a.listAccelerators),
			"UpdateAccelerator":             awsapi.JSONOf(a.updateAccelerator),
			"DeleteAccelerator":             awsapi.JSONOf(a.deleteAccelerator),
			"DescribeAcceleratorAttributes": awsapi.JSONOf(a.describeAcceleratorAttributes),
			"UpdateAcceleratorAttributes":   awsapi.JSONOf(a.updateAcceleratorAttributes),
			"CreateListener":                awsapi.JSONOf(a.createListener),
			"DescribeListener":              awsapi.JSONOf(a.describeListener),
			"ListListeners":                 awsapi.JSONOf(a.listListeners),
			"UpdateListener":                awsapi.JSONOf(a.updateListener),
			"DeleteListener":                awsapi.JSONOf(a.deleteListener),
			"CreateEndpointGroup":           awsapi.JSONOf(a.createEndpointGroup),
			"DescribeEndpointGroup":         awsapi.JSONOf(a.describeEndpointGroup),
			"ListEndpointGroups":            awsapi.JSONOf(a.listEndpointGroups),
			"UpdateEndpointGroup":           awsapi.JSONOf(a.updateEndpointGroup),
			"DeleteEndpointGroup":           awsapi.JSONOf(a.deleteEndpointGroup),
			"AddEndpoints":                  awsapi.JSONOf(a.addEndpoints),
			"RemoveEndpoints":               awsapi.JSONOf(a.removeEndpoints),
			"TagResource":                   awsapi.JSONOf(a.tagResource),
			"UntagResource":                 awsapi.JSONOf(a.untagResource),
			"ListTagsForResource":           awsapi.JSONOf(a.listTagsForResource),
		}),
	}
}

type api struct{ svc *accelerator.Service }

// unsupported refuses a member gatehouse does not implement rather than
// silently ignoring it.
func unsupported(member string) error {
	// UNVERIFIED: gatehouse's own refusal; AWS would accept the member.
	return model.BadRequest("InvalidArgumentException", "%s is not supported by gatehouse.", member)
}

// Shapes shared by requests and responses.

type tag struct {
	Key   string  `json:"Key" required:"true"`
	Value *string `json:"Value" required:"true"` // "" is a valid value
}

func tagMap(tags []tag) map[string]string {
	if tags == nil {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = *t.Value
	}
	return m
}

func tagList(m map[string]string) []tag {
	out := []tag{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tag{Key: k, Value: new(m[k])})
	}
	return out
}

type portRange struct {
	FromPort int `json:"FromPort"`
	ToPort   int `json:"ToPort"`
}

func portRanges(in []portRange) []model.PortRange {
	if in == nil {
		return nil
	}
	out := make([]model.PortRange, len(in))
	for i, r := range in {
		out[i] = model.PortRange{FromPort: r.FromPort, ToPort: r.ToPort}
	}
	return out
}

// Accelerators.

type acceleratorOut struct {
	AcceleratorArn   string       `json:"AcceleratorArn"`
	Name             string       `json:"Name"`
	IpAddressType    string       `json:"IpAddressType"`
	Enabled          bool         `json:"Enabled"`
	IpSets           []ipSet      `json:"IpSets"`
	DnsName          string       `json:"DnsName"`
	Status           string       `json:"Status"`
	CreatedTime      awsapi.Epoch `json:"CreatedTime"`
	LastModifiedTime awsapi.Epoch `json:"LastModifiedTime"`
}

type ipSet struct {
	IpFamily        string   `json:"IpFamily"` // deprecated by the model for IpAddressFamily; both are sent
	IpAddressFamily string   `json:"IpAddressFamily"`
	IpAddresses     []string `json:"IpAddresses"`
}

func acceleratorShape(a *model.Accelerator) acceleratorOut {
	out := acceleratorOut{
		AcceleratorArn: a.ARN, Name: a.Name, IpAddressType: a.IPAddressType, Enabled: a.Enabled,
		IpSets: []ipSet{}, DnsName: a.DNSName, Status: a.Status,
		CreatedTime: awsapi.Epoch(a.CreatedTime), LastModifiedTime: awsapi.Epoch(a.LastModifiedTime),
	}
	for _, s := range a.IPSets {
		out.IpSets = append(out.IpSets, ipSet{IpFamily: s.IPFamily, IpAddressFamily: s.IPFamily, IpAddresses: s.IPAddresses})
	}
	return out
}

type acceleratorResult struct {
	Accelerator acceleratorOut `json:"Accelerator"`
}

type createAcceleratorInput struct {
	Name             *string  `json:"Name" required:"true"` // "" reaches the name rule
	IpAddressType    string   `json:"IpAddressType"`
	IpAddresses      []string `json:"IpAddresses"`
	Enabled          *bool    `json:"Enabled"`
	IdempotencyToken string   `json:"IdempotencyToken" required:"true"`
	Tags             []tag    `json:"Tags"`
}

func (a *api) createAccelerator(ctx context.Context, in *createAcceleratorInput) (any, error) {
	if len(in.IpAddresses) > 0 {
		return nil, unsupported("IpAddresses (bring your own IP addresses)")
	}
	acc, err := a.svc.CreateAccelerator(ctx, accelerator.CreateAcceleratorInput{
		Name: *in.Name, IPAddressType: in.IpAddressType, Enabled: in.Enabled,
		IdempotencyToken: in.IdempotencyToken, Tags: tagMap(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return acceleratorResult{acceleratorShape(acc)}, nil
}

type acceleratorARNInput struct {
	AcceleratorArn string `json:"AcceleratorArn" required:"true"`
}

func (a *api) describeAccelerator(ctx context.Context, in *acceleratorARNInput) (any, error) {
	acc, err := a.svc.DescribeAccelerator(ctx, in.AcceleratorArn)
	if err != nil {
		return nil, err
	}
	return acceleratorResult{acceleratorShape(acc)}, nil
}

type pageInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

func (p pageInput) page() accelerator.Page {
	return accelerator.Page{MaxResults: p.MaxResults, NextToken: p.NextToken}
}

type listAcceleratorsResult struct {
	Accelerators []acceleratorOut `json:"Accelerators"`
	NextToken    string           `json:"NextToken,omitempty"`
}

func (a *api) listAccelerators(ctx context.Context, in *pageInput) (any, error) {
	all, err := a.svc.ListAccelerators(ctx)
	if err != nil {
		return nil, err
	}
	page, next, err := accelerator.Paginate(all, func(x *model.Accelerator) string { return x.ARN }, in.page())
	if err != nil {
		return nil, err
	}
	out := listAcceleratorsResult{Accelerators: []acceleratorOut{}, NextToken: next}
	for _, acc := range page {
		out.Accelerators = append(out.Accelerators, acceleratorShape(acc))
	}
	return out, nil
}

type updateAcceleratorInput struct {
	AcceleratorArn string   `json:"AcceleratorArn" required:"true"`
	Name           *string  `json:"Name"`
	IpAddressType  string   `json:"IpAddressType"`
	IpAddresses    []string `json:"IpAddresses"`
	Enabled        *bool    `json:"Enabled"`
}

func (a *api) updateAccelerator(ctx context.Context, in *updateAcceleratorInput) (any, error) {
	if len(in.IpAddresses) > 0 {
		return nil, unsupported("IpAddresses (bring your own IP addresses)")
	}
	acc, err := a.svc.UpdateAccelerator(ctx, in.AcceleratorArn, accelerator.UpdateAcceleratorInput{
		Name: in.Name, Enabled: in.Enabled, IPAddressType: in.IpAddressType,
	})
	if err != nil {
		return nil, err
	}
	return acceleratorResult{acceleratorShape(acc)}, nil
}

func (a *api) deleteAccelerator(ctx context.Context, in *acceleratorARNInput) (any, error) {
	return nil, a.svc.DeleteAccelerator(ctx, in.AcceleratorArn)
}

type attributesOut struct {
	FlowLogsEnabled  bool   `json:"FlowLogsEnabled"`
	FlowLogsS3Bucket string `json:"FlowLogsS3Bucket,omitempty"`
	FlowLogsS3Prefix string `json:"FlowLogsS3Prefix,omitempty"`
}

type attributesResult struct {
	AcceleratorAttributes attributesOut `json:"AcceleratorAttributes"`
}

func attributesShape(at *model.AcceleratorAttributes) attributesResult {
	return attributesResult{attributesOut{FlowLogsEnabled: at.FlowLogsEnabled, FlowLogsS3Bucket: at.FlowLogsS3Bucket, FlowLogsS3Prefix: at.FlowLogsS3Prefix}}
}

func (a *api) describeAcceleratorAttributes(ctx context.Context, in *acceleratorARNInput) (any, error) {
	at, err := a.svc.DescribeAcceleratorAttributes(ctx, in.AcceleratorArn)
	if err != nil {
		return nil, err
	}
	return attributesShape(at), nil
}

type updateAttributesInput struct {
	AcceleratorArn   string  `json:"AcceleratorArn" required:"true"`
	FlowLogsEnabled  *bool   `json:"FlowLogsEnabled"`
	FlowLogsS3Bucket *string `json:"FlowLogsS3Bucket"`
	FlowLogsS3Prefix *string `json:"FlowLogsS3Prefix"`
}

func (a *api) updateAcceleratorAttributes(ctx context.Context, in *updateAttributesInput) (any, error) {
	at, err := a.svc.UpdateAcceleratorAttributes(ctx, in.AcceleratorArn, accelerator.UpdateAcceleratorAttributesInput{
		FlowLogsEnabled: in.FlowLogsEnabled, FlowLogsS3Bucket: in.FlowLogsS3Bucket, FlowLogsS3Prefix: in.FlowLogsS3Prefix,
	})
	if err != nil {
		return nil, err
	}
	return attributesShape(at), nil
}

// Listeners.

type listenerOut struct {
	ListenerArn    string      `json:"ListenerArn"`
	PortRanges     []portRange `json:"PortRanges"`
	Protocol       string      `json:"Protocol"`
	ClientAffinity string      `json:"ClientAffinity"`
}

func listenerShape(l *model.GAListener) listenerOut {
	out := listenerOut{ListenerArn: l.ARN, PortRanges: []portRange{}, Protocol: l.Protocol, ClientAffinity: l.ClientAffinity}
	for _, r := range l.PortRanges {
		out.PortRanges = append(out.PortRanges, portRange{FromPort: r.FromPort, ToPort: r.ToPort})
	}
	return out
}

type listenerResult struct {
	Listener listenerOut `json:"Listener"`
}

type createListenerInput struct {
	AcceleratorArn string      `json:"AcceleratorArn" required:"true"`
	PortRanges     []portRange `json:"PortRanges" required:"true"`
	Protocol       string      `json:"Protocol" required:"true"`
	ClientAffinity string      `json:"ClientAffinity"`
	// IdempotencyToken is required by the model and accepted; a retried
	// CreateListener answers InvalidPortRangeException (its ports are taken)
	// rather than the first call's listener.
	IdempotencyToken string `json:"IdempotencyToken" required:"true"`
}

func (a *api) createListener(ctx context.Context, in *createListenerInput) (any, error) {
	if err := accelerator.CheckIdempotencyToken(in.IdempotencyToken); err != nil {
		return nil, err
	}
	l, err := a.svc.CreateListener(ctx, in.AcceleratorArn, in.Protocol, portRanges(in.PortRanges), in.ClientAffinity)
	if err != nil {
		return nil, err
	}
	return listenerResult{listenerShape(l)}, nil
}

type listenerARNInput struct {
	ListenerArn string `json:"ListenerArn" required:"true"`
}

func (a *api) describeListener(ctx context.Context, in *listenerARNInput) (any, error) {
	l, err := a.svc.DescribeListener(ctx, in.ListenerArn)
	if err != nil {
		return nil, err
	}
	return listenerResult{listenerShape(l)}, nil
}

type listListenersInput struct {
	AcceleratorArn string `json:"AcceleratorArn" required:"true"`
	pageInput
}

type listListenersResult struct {
	Listeners []listenerOut `json:"Listeners"`
	NextToken string        `json:"NextToken,omitempty"`
}

func (a *api) listListeners(ctx context.Context, in *listListenersInput) (any, error) {
	all, err := a.svc.ListListeners(ctx, in.AcceleratorArn)
	if err != nil {
		return nil, err
	}
	page, next, err := accelerator.Paginate(all, func(x *model.GAListener) string { return x.ARN }, in.page())
	if err != nil {
		return nil, err
	}
	out := listListenersResult{Listeners: []listenerOut{}, NextToken: next}
	for _, l := range page {
		out.Listeners = append(out.Listeners, listenerShape(l))
	}
	return out, nil
}

type updateListenerInput struct {
	ListenerArn    string      `json:"ListenerArn" required:"true"`
	PortRanges     []portRange `json:"PortRanges"`
	Protocol       string      `json:"Protocol"`
	ClientAffinity string      `json:"ClientAffinity"`
}

func (a *api) updateListener(ctx context.Context, in *updateListenerInput) (any, error) {
	l, err := a.svc.UpdateListener(ctx, in.ListenerArn, in.Protocol, portRanges(in.PortRanges), in.ClientAffinity)
	if err != nil {
		return nil, err
	}
	return listenerResult{listenerShape(l)}, nil
}

func (a *api) deleteListener(ctx context.Context, in *listenerARNInput) (any, error) {
	return nil, a.svc.DeleteListener(ctx, in.ListenerArn)
}

// Endpoint groups.

type endpointConfiguration struct {
	EndpointId                  string `json:"EndpointId"`
	Weight                      *int   `json:"Weight"`
	ClientIPPreservationEnabled *bool  `json:"ClientIPPreservationEnabled"`
	AttachmentArn               string `json:"AttachmentArn"`
}

// endpoints converts configurations; nil stays nil ("keep" for updates).
func endpoints(in []endpointConfiguration) ([]model.EndpointInput, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]model.EndpointInput, len(in))
	for i, c := range in {
		if c.AttachmentArn != "" {
			return nil, unsupported("AttachmentArn (cross-account attachments)")
		}
		out[i] = model.EndpointInput{EndpointID: c.EndpointId, Weight: c.Weight, ClientIPPreservationEnabled: c.ClientIPPreservationEnabled}
	}
	return out, nil
}

type portOverride struct {
	ListenerPort int `json:"ListenerPort"`
	EndpointPort int `json:"EndpointPort"`
}

type endpointDescription struct {
	EndpointId                  string `json:"EndpointId"`
	Weight                      int    `json:"Weight"`
	HealthState                 string `json:"HealthState"`
	HealthReason                string `json:"HealthReason,omitempty"`
	ClientIPPreservationEnabled bool   `json:"ClientIPPreservationEnabled"`
}

func (a *api) describe(e model.Endpoint) endpointDescription {
	state, reason := a.svc.Health(e.EndpointID)
	return endpointDescription{
		EndpointId: e.EndpointID, Weight: e.Weight, HealthState: state, HealthReason: reason,
		ClientIPPreservationEnabled: e.ClientIPPreservationEnabled,
	}
}

type endpointGroupOut struct {
	EndpointGroupArn           string                `json:"EndpointGroupArn"`
	EndpointGroupRegion        string                `json:"EndpointGroupRegion"`
	EndpointDescriptions       []endpointDescription `json:"EndpointDescriptions"`
	TrafficDialPercentage      float64               `json:"TrafficDialPercentage"`
	HealthCheckPort            int                   `json:"HealthCheckPort,omitempty"`
	HealthCheckProtocol        string                `json:"HealthCheckProtocol"`
	HealthCheckPath            string                `json:"HealthCheckPath,omitempty"`
	HealthCheckIntervalSeconds int                   `json:"HealthCheckIntervalSeconds"`
	ThresholdCount             int                   `json:"ThresholdCount"`
	PortOverrides              []portOverride        `json:"PortOverrides"`
}

func (a *api) groupShape(g *model.EndpointGroup) endpointGroupOut {
	out := endpointGroupOut{
		EndpointGroupArn: g.ARN, EndpointGroupRegion: g.Region, EndpointDescriptions: []endpointDescription{},
		TrafficDialPercentage: g.TrafficDialPercentage, HealthCheckPort: g.HealthCheckPort,
		HealthCheckProtocol: g.HealthCheckProtocol, HealthCheckPath: g.HealthCheckPath,
		HealthCheckIntervalSeconds: g.HealthCheckIntervalSeconds, ThresholdCount: g.ThresholdCount,
		PortOverrides: []portOverride{},
	}
	for _, e := range g.Endpoints {
		out.EndpointDescriptions = append(out.EndpointDescriptions, a.describe(e))
	}
	return out
}

type endpointGroupResult struct {
	EndpointGroup endpointGroupOut `json:"EndpointGroup"`
}

type createEndpointGroupInput struct {
	ListenerArn                string                  `json:"ListenerArn" required:"true"`
	EndpointGroupRegion        string                  `json:"EndpointGroupRegion" required:"true"`
	EndpointConfigurations     []endpointConfiguration `json:"EndpointConfigurations"`
	TrafficDialPercentage      *float64                `json:"TrafficDialPercentage"`
	HealthCheckPort            *int                    `json:"HealthCheckPort"`
	HealthCheckProtocol        string                  `json:"HealthCheckProtocol"`
	HealthCheckPath            string                  `json:"HealthCheckPath"`
	HealthCheckIntervalSeconds *int                    `json:"HealthCheckIntervalSeconds"`
	ThresholdCount             *int                    `json:"ThresholdCount"`
	// IdempotencyToken is required by the model and accepted; a retried
	// CreateEndpointGroup answers EndpointGroupAlreadyExistsException.
	IdempotencyToken string         `json:"IdempotencyToken" required:"true"`
	PortOverrides    []portOverride `json:"PortOverrides"`
}

func (a *api) createEndpointGroup(ctx context.Context, in *createEndpointGroupInput) (any, error) {
	if err := accelerator.CheckIdempotencyToken(in.IdempotencyToken); err != nil {
		return nil, err
	}
	if len(in.PortOverrides) > 0 {
		return nil, unsupported("PortOverrides")
	}
	eps, err := endpoints(in.EndpointConfigurations)
	if err != nil {
		return nil, err
	}
	g, err := a.svc.CreateEndpointGroup(ctx, accelerator.CreateEndpointGroupInput{
		ListenerARN: in.ListenerArn, Region: in.EndpointGroupRegion, Endpoints: eps,
		TrafficDialPercentage: in.TrafficDialPercentage, HealthCheckPort: in.HealthCheckPort,
		HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPath: in.HealthCheckPath,
		HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds, ThresholdCount: in.ThresholdCount,
	})
	if err != nil {
		return nil, err
	}
	return endpointGroupResult{a.groupShape(g)}, nil
}

type endpointGroupARNInput struct {
	EndpointGroupArn string `json:"EndpointGroupArn" required:"true"`
}

func (a *api) describeEndpointGroup(ctx context.Context, in *endpointGroupARNInput) (any, error) {
	g, err := a.svc.DescribeEndpointGroup(ctx, in.EndpointGroupArn)
	if err != nil {
		return nil, err
	}
	return endpointGroupResult{a.groupShape(g)}, nil
}

type listEndpointGroupsInput struct {
	ListenerArn string `json:"ListenerArn" required:"true"`
	pageInput
}

type listEndpointGroupsResult struct {
	EndpointGroups []endpointGroupOut `json:"EndpointGroups"`
	NextToken      string             `json:"NextToken,omitempty"`
}

func (a *api) listEndpointGroups(ctx context.Context, in *listEndpointGroupsInput) (any, error) {
	all, err := a.svc.ListEndpointGroups(ctx, in.ListenerArn)
	if err != nil {
		return nil, err
	}
	page, next, err := accelerator.Paginate(all, func(x *model.EndpointGroup) string { return x.ARN }, in.page())
	if err != nil {
		return nil, err
	}
	out := listEndpointGroupsResult{EndpointGroups: []endpointGroupOut{}, NextToken: next}
	for _, g := range page {
		out.EndpointGroups = append(out.EndpointGroups, a.groupShape(g))
	}
	return out, nil
}

type updateEndpointGroupInput struct {
	EndpointGroupArn           string                  `json:"EndpointGroupArn" required:"true"`
	EndpointConfigurations     []endpointConfiguration `json:"EndpointConfigurations"`
	TrafficDialPercentage      *float64                `json:"TrafficDialPercentage"`
	HealthCheckPort            *int                    `json:"HealthCheckPort"`
	HealthCheckProtocol        *string                 `json:"HealthCheckProtocol"`
	HealthCheckPath            *string                 `json:"HealthCheckPath"`
	HealthCheckIntervalSeconds *int                    `json:"HealthCheckIntervalSeconds"`
	ThresholdCount             *int                    `json:"ThresholdCount"`
	PortOverrides              []portOverride          `json:"PortOverrides"`
}

func (a *api) updateEndpointGroup(ctx context.Context, in *updateEndpointGroupInput) (any, error) {
	if len(in.PortOverrides) > 0 {
		return nil, unsupported("PortOverrides")
	}
	eps, err := endpoints(in.EndpointConfigurations)
	if err != nil {
		return nil, err
	}
	g, err := a.svc.UpdateEndpointGroup(ctx, in.EndpointGroupArn, accelerator.UpdateEndpointGroupInput{
		Endpoints: eps, TrafficDialPercentage: in.TrafficDialPercentage, HealthCheckPort: in.HealthCheckPort,
		HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPath: in.HealthCheckPath,
		HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds, ThresholdCount: in.ThresholdCount,
	})
	if err != nil {
		return nil, err
	}
	return endpointGroupResult{a.groupShape(g)}, nil
}

func (a *api) deleteEndpointGroup(ctx context.Context, in *endpointGroupARNInput) (any, error) {
	return nil, a.svc.DeleteEndpointGroup(ctx, in.EndpointGroupArn)
}

type addEndpointsInput struct {
	EndpointConfigurations []endpointConfiguration `json:"EndpointConfigurations" required:"true"`
	EndpointGroupArn       string                  `json:"EndpointGroupArn" required:"true"`
}

type addEndpointsResult struct {
	EndpointDescriptions []endpointDescription `json:"EndpointDescriptions"`
	EndpointGroupArn     string                `json:"EndpointGroupArn"`
}

// addEndpoints answers with the endpoints it added (as the group now holds
// them), not the whole group.
func (a *api) addEndpoints(ctx context.Context, in *addEndpointsInput) (any, error) {
	eps, err := endpoints(in.EndpointConfigurations)
	if err != nil {
		return nil, err
	}
	g, err := a.svc.AddEndpoints(ctx, in.EndpointGroupArn, eps)
	if err != nil {
		return nil, err
	}
	out := addEndpointsResult{EndpointDescriptions: []endpointDescription{}, EndpointGroupArn: g.ARN}
	for _, e := range g.Endpoints {
		if slices.ContainsFunc(eps, func(x model.EndpointInput) bool { return x.EndpointID == e.EndpointID }) {
			out.EndpointDescriptions = append(out.EndpointDescriptions, a.describe(e))
		}
	}
	return out, nil
}

type endpointIdentifier struct {
	EndpointId                  string `json:"EndpointId" required:"true"`
	ClientIPPreservationEnabled *bool  `json:"ClientIPPreservationEnabled"` // names the endpoint no further
}

type removeEndpointsInput struct {
	EndpointIdentifiers []endpointIdentifier `json:"EndpointIdentifiers" required:"true"`
	EndpointGroupArn    string               `json:"EndpointGroupArn" required:"true"`
}

func (a *api) removeEndpoints(ctx context.Context, in *removeEndpointsInput) (any, error) {
	ids := make([]string, len(in.EndpointIdentifiers))
	for i, e := range in.EndpointIdentifiers {
		ids[i] = e.EndpointId
	}
	return nil, a.svc.RemoveEndpoints(ctx, in.EndpointGroupArn, ids)
}

// Tags.

type tagResourceInput struct {
	ResourceArn string `json:"ResourceArn" required:"true"`
	Tags        []tag  `json:"Tags" required:"true"`
}

func (a *api) tagResource(ctx context.Context, in *tagResourceInput) (any, error) {
	return nil, a.svc.TagResource(ctx, in.ResourceArn, tagMap(in.Tags))
}

type untagResourceInput struct {
	ResourceArn string   `json:"ResourceArn" required:"true"`
	TagKeys     []string `json:"TagKeys" required:"true"`
}

func (a *api) untagResource(ctx context.Context, in *untagResourceInput) (any, error) {
	return nil, a.svc.UntagResource(ctx, in.ResourceArn, in.TagKeys)
}

type resourceARNInput struct {
	ResourceArn string `json:"ResourceArn" required:"true"`
}

type listTagsResult struct {
	Tags []tag `json:"Tags"`
}

func (a *api) listTagsForResource(ctx context.Context, in *resourceARNInput) (any, error) {
	tags, err := a.svc.ListTagsForResource(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return listTagsResult{tagList(tags)}, nil
}
