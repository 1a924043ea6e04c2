package balancer

import (
	"regexp"
	"strings"

	"gatehouse/internal/model"
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

// The texts at the regional quotas are the exceptions' descriptions in the API
// reference (UNVERIFIED: no recorded response was found), as for TooManyTargets.
func tooManyLoadBalancers() *model.Error {
	return model.BadRequest("TooManyLoadBalancers", "You've reached the limit on the number of load balancers for your AWS account.")
}

func tooManyTargetGroups() *model.Error {
	return model.BadRequest("TooManyTargetGroups", "You've reached the limit on the number of target groups for your AWS account.")
}

// validationError is ELBv2's ValidationError. String arguments are clipped
// (model.Clip): they are what the client sent, which may be megabytes.
func validationError(format string, args ...any) *model.Error {
	return model.BadRequest(codeValidation, format, model.ClipArgs(args)...)
}

// notNull is Coral's message for a required member that is missing or empty.
func notNull(field string) *model.Error { return model.Null(codeValidation, field) }

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

func lbNotFound() error {
	return model.BadRequest(codeLBNotFound, "One or more load balancers not found")
}

func tgNotFound() error {
	return model.BadRequest(codeTGNotFound, "One or more target groups not found")
}

// errOneCertificate: CreateListener and ModifyListener set the default
// certificate only; AddListenerCertificates adds the others.
func errOneCertificate() error {
	// UNVERIFIED: AWS's text (the API reference: "You must provide exactly one certificate").
	return validationError("You must provide exactly one certificate for the listener's default certificate; add the others with AddListenerCertificates")
}

func listenerNotFound() error {
	return model.BadRequest(codeListenerNotFound, "One or more listeners not found")
}
