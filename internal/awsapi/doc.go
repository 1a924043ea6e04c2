// Package awsapi is gatehouse's AWS-compatible control plane: one HTTP endpoint
// that the AWS CLI and SDKs reach with --endpoint-url. It verifies each
// request's SigV4 signature, finds the service from the protocol's own markers
// (the credential scope must name that service, as it must name the endpoint's
// at AWS; it decides only where no marker does), and hands the request
// to that service's wire mapping with the protocol's codecs and error envelope.
//
// The five protocols differ only at the edges, so the core owns them whole:
// decoding (DecodeJSON, DecodeQuery, DecodeEC2, DecodeXML, with one `required`
// check), encoding of results and errors, request ids and the auth failures. A
// service subpackage (awsapi/acm, awsapi/elbv2, …) is then a table of
// operations that decode an input, call the service package's operation and
// shape its output. AWS semantics stay in the service packages, so the stack
// file and the API obey the same rules.
package awsapi
