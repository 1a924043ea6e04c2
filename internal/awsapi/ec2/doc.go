// Package ec2 maps EC2's ec2Query protocol onto the network service: the
// default VPC's VPCs, subnets and availability zones, security groups and their
// rules (inbound and outbound, from CIDRs or from security groups:
// UserIdGroupPairs), execute-api interface endpoints, network interfaces and
// tags.
//
// A request is form parameters (Action=…&Version=2016-11-15, lists as Name.N),
// decoded (awsapi.QueryOf) into one input struct per operation whose query
// tags are the botocore locationNames, capitalised; the answer is XML whose
// element names are the lowerCamel locationNames of the service model. The
// rules (validation, error codes and messages) live in the network operations,
// so the stack file gets the same ones; this package only translates, and
// pages Describe results (MaxResults/NextToken, keyset tokens through
// paging.Keyset), which only the wire has.
//
// ec2.go holds the operation table, the input shapes operations share and
// paging; the operations sit one file per resource (vpcs.go,
// securitygroups.go, endpoints.go, interfaces.go with tags), the answers'
// XML shapes in shapes.go.
package ec2
