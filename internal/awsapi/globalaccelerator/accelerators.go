package globalaccelerator

import (
	"context"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
)

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

type listAcceleratorsResult struct {
	Accelerators []acceleratorOut `json:"Accelerators"`
	NextToken    string           `json:"NextToken,omitempty"`
}

func (a *api) listAccelerators(ctx context.Context, in *pageInput) (any, error) {
	all, err := a.svc.ListAccelerators(ctx)
	accs, next, err := shapedPage(all, err, func(x *model.Accelerator) string { return x.ARN }, *in, acceleratorShape)
	if err != nil {
		return nil, err
	}
	return listAcceleratorsResult{Accelerators: accs, NextToken: next}, nil
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
