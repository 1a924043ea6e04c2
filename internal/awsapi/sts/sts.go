// Package sts maps AWS Security Token Service's awsQuery protocol onto
// gatehouse's single account. Clients call GetCallerIdentity to check their
// credentials before anything else (`aws sts get-caller-identity`); a request
// that reaches it has passed the endpoint's SigV4 check, so the answer is the
// account that owns every resource: its root identity.
package sts

import (
	"context"
	"net/url"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
)

// New returns STS's wire mapping for the account of env.
func New(env model.Env) *awsapi.Service {
	return &awsapi.Service{
		Name: "sts",
		// The global endpoint's region, besides the regional one.
		SigningRegions: []string{"us-east-1"},
		Protocol:       awsapi.Query,
		BadInput:       "ValidationError",
		Version:        "2011-06-15",
		XMLNamespace:   "https://sts.amazonaws.com/doc/2011-06-15/",
		Handler: awsapi.QueryOps(map[string]awsapi.QueryOp{
			"GetCallerIdentity": func(context.Context, url.Values) (any, error) {
				return callerIdentity{
					Arn:     "arn:aws:iam::" + env.Account + ":root",
					UserID:  env.Account,
					Account: env.Account,
				}, nil
			},
		}),
	}
}

// callerIdentity is GetCallerIdentityResult's children, in the model's order.
type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}
