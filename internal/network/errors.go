package network

import (
	"fmt"
	"strings"

	"gatehouse/internal/model"
)

// EC2 answers every client error with HTTP 400 and an error code; these build the
// ones the operations return. Messages follow the text EC2 sends where it is
// known from recorded responses; the ones marked "best match" are not documented
// and were written to read like their neighbours.

func ec2Error(code, format string, args ...any) *model.Error {
	return model.BadRequest(code, format, model.ClipArgs(args)...)
}

func errMissing(param string) *model.Error {
	return ec2Error("MissingParameter", "The request must contain the parameter %s", param)
}

func errVpcNotFound(id string) *model.Error {
	return ec2Error("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
}

func errSubnetNotFound(id string) *model.Error {
	return ec2Error("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
}

func errGroupNotFound(id string) *model.Error {
	return ec2Error("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
}

// best match: EC2 answers DescribeVpcEndpoints/ModifyVpcEndpoint this way; the
// exact capitalisation of "Vpc Endpoint Id" is not documented.
func errEndpointNotFound(id string) *model.Error {
	return ec2Error("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
}

func errInvalidValue(format string, args ...any) *model.Error {
	return ec2Error("InvalidParameterValue", format, args...)
}

func errInvalidParam(format string, args ...any) *model.Error {
	return ec2Error("InvalidParameter", format, args...)
}

// peer renders a rule the way EC2 names it in InvalidPermission.Duplicate:
// `peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW` (recorded), `peer:
// 0.0.0.0/0, ALL, ALLOW` (recorded), `peer: x, protocol: 50, ALLOW` (recorded);
// the ICMP form is a best match.
//
// A group source is named by its ID in the same place: `peer: sg-8b3b99f3, TCP,
// from port: 0, to port: 65535, ALLOW` (recorded).
func peer(a atom) string {
	src := a.source()
	switch a.proto {
	case "-1":
		return fmt.Sprintf("peer: %s, ALL, ALLOW", src)
	case "tcp", "udp":
		return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", src, strings.ToUpper(a.proto), a.from, a.to)
	case "icmp":
		return fmt.Sprintf("peer: %s, ICMP, type: %d, code: %d, ALLOW", src, a.from, a.to)
	default:
		return fmt.Sprintf("peer: %s, protocol: %s, ALLOW", src, a.proto)
	}
}

// UNVERIFIED: the capitalisation "networkInterface" is recalled, not recorded.
func errInterfaceNotFound(id string) *model.Error {
	return ec2Error("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
}

// The quota errors' texts are recorded in users' reports of real responses:
// SecurityGroupLimitExceeded from docker-machine, RulesPerSecurityGroupLimitExceeded
// from Terraform and the AWS CLI, VpcEndpointLimitExceeded from CloudFormation.

func errGroupLimit(vpcID string) *model.Error {
	return ec2Error("SecurityGroupLimitExceeded", "The maximum number of security groups for VPC '%s' has been reached.", vpcID)
}

func errRuleLimit() *model.Error {
	return ec2Error("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
}

func errEndpointLimit() *model.Error {
	return ec2Error("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached.")
}
