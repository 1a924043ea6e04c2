package globalaccelerator

import (
	"context"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/model"
)

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
	ls, next, err := shapedPage(all, err, func(x *model.GAListener) string { return x.ARN }, in.pageInput, listenerShape)
	if err != nil {
		return nil, err
	}
	return listListenersResult{Listeners: ls, NextToken: next}, nil
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
