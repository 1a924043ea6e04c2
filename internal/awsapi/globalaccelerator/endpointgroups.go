package globalaccelerator

import (
	"context"
	"slices"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/model"
)

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
	gs, next, err := shapedPage(all, err, func(x *model.EndpointGroup) string { return x.ARN }, in.pageInput, a.groupShape)
	if err != nil {
		return nil, err
	}
	return listEndpointGroupsResult{EndpointGroups: gs, NextToken: next}, nil
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
