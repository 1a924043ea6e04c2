package elbv2

import (
	"context"
	"strconv"

	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
)

type tgsResult struct {
	TargetGroups []tgOut `xml:"TargetGroups>member"`
	NextMarker   string  `xml:"NextMarker,omitempty"`
}

// healthCheckIn is the health check members of CreateTargetGroup and
// ModifyTargetGroup, embedded in both inputs.
type healthCheckIn struct {
	HealthCheckProtocol        *string `query:"HealthCheckProtocol"`
	HealthCheckPort            *string `query:"HealthCheckPort"`
	HealthCheckEnabled         *bool   `query:"HealthCheckEnabled"`
	HealthCheckPath            *string `query:"HealthCheckPath"`
	HealthCheckIntervalSeconds *int    `query:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  *int    `query:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      *int    `query:"HealthyThresholdCount"`
	UnhealthyThresholdCount    *int    `query:"UnhealthyThresholdCount"`
	Matcher                    *struct {
		HTTPCode *string `query:"HttpCode"`
	} `query:"Matcher"`
}

func (h healthCheckIn) input() balancer.HealthCheckInput {
	in := balancer.HealthCheckInput{
		Enabled: h.HealthCheckEnabled, Protocol: h.HealthCheckProtocol, Port: h.HealthCheckPort, Path: h.HealthCheckPath,
		IntervalSeconds: h.HealthCheckIntervalSeconds, TimeoutSeconds: h.HealthCheckTimeoutSeconds,
		HealthyThreshold: h.HealthyThresholdCount, UnhealthyThreshold: h.UnhealthyThresholdCount,
	}
	if h.Matcher != nil {
		in.Matcher = h.Matcher.HTTPCode
	}
	return in
}

type createTargetGroupIn struct {
	Name            string  `query:"Name" required:"true"`
	Protocol        string  `query:"Protocol"`
	ProtocolVersion string  `query:"ProtocolVersion"`
	Port            int     `query:"Port"`
	VpcID           string  `query:"VpcId"`
	TargetType      string  `query:"TargetType"`
	IPAddressType   string  `query:"IpAddressType"`
	Tags            []tagIn `query:"Tags"`
	healthCheckIn
}

func (a api) createTargetGroup(ctx context.Context, in *createTargetGroupIn) (any, error) {
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	tg, err := a.b.CreateTargetGroup(ctx, balancer.CreateTGInput{Name: in.Name, Protocol: in.Protocol,
		ProtocolVersion: in.ProtocolVersion, TargetType: in.TargetType, VpcID: in.VpcID, Port: in.Port,
		IPAddressType: in.IPAddressType, HealthCheck: in.input(), Tags: tags})
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

type describeTargetGroupsIn struct {
	LoadBalancerArn string   `query:"LoadBalancerArn"`
	TargetGroupArns []string `query:"TargetGroupArns"`
	Names           []string `query:"Names"`
	pageIn
}

func (a api) describeTargetGroups(ctx context.Context, in *describeTargetGroupsIn) (any, error) {
	tgs, err := a.b.DescribeTargetGroups(ctx, in.TargetGroupArns, in.Names, in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, tgs, listed(tgs, len(in.TargetGroupArns)+len(in.Names) > 0,
		func(tg *model.TargetGroup) string { return tg.ARN }))
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut(pg), NextMarker: next}, nil
}

// tgARNIn names one target group.
type tgARNIn struct {
	TargetGroupArn string `query:"TargetGroupArn" required:"true"`
}

type modifyTargetGroupIn struct {
	tgARNIn
	healthCheckIn
}

func (a api) modifyTargetGroup(ctx context.Context, in *modifyTargetGroupIn) (any, error) {
	tg, err := a.b.ModifyTargetGroup(ctx, in.TargetGroupArn, in.input())
	if err != nil {
		return nil, err
	}
	return tgsResult{TargetGroups: tgsOut([]*model.TargetGroup{tg})}, nil
}

func (a api) deleteTargetGroup(ctx context.Context, in *tgARNIn) (any, error) {
	return nil, a.b.DeleteTargetGroup(ctx, in.TargetGroupArn)
}

func (a api) describeTargetGroupAttributes(ctx context.Context, in *tgARNIn) (any, error) {
	return attributes(a.b.DescribeTargetGroupAttributes(ctx, in.TargetGroupArn))
}

type modifyTargetGroupAttributesIn struct {
	TargetGroupArn string        `query:"TargetGroupArn" required:"true"`
	Attributes     []attributeIn `query:"Attributes" required:"true"`
}

func (a api) modifyTargetGroupAttributes(ctx context.Context, in *modifyTargetGroupAttributesIn) (any, error) {
	return attributes(a.b.ModifyTargetGroupAttributes(ctx, in.TargetGroupArn, attributeMap(in.Attributes)))
}

// targetsIn is RegisterTargets' and DeregisterTargets' input.
type targetsIn struct {
	TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
	Targets        []targetIn `query:"Targets" required:"true"`
}

func (a api) registerTargets(ctx context.Context, in *targetsIn) (any, error) {
	return nil, a.b.RegisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

func (a api) deregisterTargets(ctx context.Context, in *targetsIn) (any, error) {
	return nil, a.b.DeregisterTargets(ctx, in.TargetGroupArn, targets(in.Targets))
}

type describeTargetHealthIn struct {
	TargetGroupArn string     `query:"TargetGroupArn" required:"true"`
	Targets        []targetIn `query:"Targets"`
}

func (a api) describeTargetHealth(ctx context.Context, in *describeTargetHealthIn) (any, error) {
	states, err := a.b.DescribeTargetHealthOf(ctx, in.TargetGroupArn, targets(in.Targets))
	if err != nil {
		return nil, err
	}
	tgs, err := a.b.DescribeTargetGroups(ctx, []string{in.TargetGroupArn}, nil, "")
	if err != nil {
		return nil, err
	}
	tg := tgs[0]
	azs := map[string]string{}
	for _, t := range tg.Targets {
		azs[t.ID] = t.AvailabilityZone
	}
	out := struct {
		TargetHealthDescriptions []targetHealthOut `xml:"TargetHealthDescriptions>member"`
	}{[]targetHealthOut{}}
	for _, st := range states {
		port := tg.HealthCheck.Port
		if port == "traffic-port" {
			port = strconv.Itoa(st.Port)
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, targetHealthOut{
			Target:          targetOut{ID: st.ID, Port: st.Port, AvailabilityZone: azs[st.ID]},
			HealthCheckPort: port,
			TargetHealth:    healthOut{State: st.State, Reason: st.Reason, Description: st.Description},
		})
	}
	return out, nil
}
