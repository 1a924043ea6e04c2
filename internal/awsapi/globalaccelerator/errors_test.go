package globalaccelerator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"
)

// TestErrors sends each request as raw signed HTTP and checks what a client
// sees: AWS's error cases, malformed bodies, wrong types and missing members
// all answer 400 with the service's code and message, never a 500.
func TestErrors(t *testing.T) {
	f := newFixture(t, false)
	lb := f.putLB("edge")
	acc, listener, group := f.setup("edge", 443, lb)
	off, err := f.client.CreateAccelerator(f.ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String("off"), Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	offARN := aws.ToString(off.Accelerator.AcceleratorArn)
	if _, err := f.client.CreateListener(f.ctx, &globalaccelerator.CreateListenerInput{
		AcceleratorArn: aws.String(offARN), Protocol: "TCP", PortRanges: []types.PortRange{{FromPort: aws.Int32(80), ToPort: aws.Int32(80)}},
	}); err != nil {
		t.Fatal(err)
	}
	missingAcc := "arn:aws:globalaccelerator::000000000000:accelerator/00000000-0000-0000-0000-000000000000"
	q := func(s string) string { return fmt.Sprintf("%q", s) }

	tests := []struct {
		name, op, body string
		wantCode       string
		wantMessage    string // a substring of the message
	}{
		// Malformed requests.
		{"bad JSON", "DescribeAccelerator", `{"AcceleratorArn":`, "SerializationException", "not valid JSON"},
		{"wrong type", "DescribeAccelerator", `{"AcceleratorArn": 5}`, "SerializationException", "Unexpected number at 'AcceleratorArn'"},
		{"wrong nested type", "CreateListener", `{"AcceleratorArn": ` + q(acc) + `, "Protocol": "TCP", "IdempotencyToken": "t", "PortRanges": [{"FromPort": "443"}]}`,
			"SerializationException", "Unexpected string"},
		{"MaxResults as string", "ListAccelerators", `{"MaxResults": "2"}`, "SerializationException", "Unexpected string"},
		{"body is an array", "ListAccelerators", `[]`, "SerializationException", "Unexpected array"},
		{"empty body", "DescribeAccelerator", ``, "InvalidArgumentException",
			"1 validation error detected: Value null at 'acceleratorArn' failed to satisfy constraint: Member must not be null"},
		{"null body", "DescribeListener", `null`, "InvalidArgumentException", "Value null at 'listenerArn'"},
		{"two members missing", "CreateAccelerator", `{}`, "InvalidArgumentException",
			"2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; Value null at 'idempotencyToken'"},
		{"no port ranges", "CreateListener", `{"AcceleratorArn": ` + q(acc) + `, "Protocol": "TCP", "IdempotencyToken": "t"}`,
			"InvalidArgumentException", "Value null at 'portRanges'"},
		{"tag without value", "TagResource", `{"ResourceArn": ` + q(acc) + `, "Tags": [{"Key": "k"}]}`, "InvalidArgumentException", "Value null at 'value'"},
		{"no endpoint identifiers", "RemoveEndpoints", `{"EndpointGroupArn": ` + q(group) + `}`, "InvalidArgumentException", "Value null at 'endpointIdentifiers'"},
		{"unknown operation", "CreateCustomRoutingAccelerator", `{}`, "UnknownOperationException", ""},

		// Unknown resources.
		{"describe missing accelerator", "DescribeAccelerator", `{"AcceleratorArn": ` + q(missingAcc) + `}`,
			"AcceleratorNotFoundException", "The accelerator that you specified doesn't exist."},
		{"listener on missing accelerator", "CreateListener", `{"AcceleratorArn": ` + q(missingAcc) + `, "Protocol": "TCP", "IdempotencyToken": "t", "PortRanges": [{"FromPort": 1, "ToPort": 1}]}`,
			"AcceleratorNotFoundException", ""},
		{"tag missing accelerator", "TagResource", `{"ResourceArn": ` + q(missingAcc) + `, "Tags": []}`, "AcceleratorNotFoundException", ""},
		{"attributes of missing accelerator", "DescribeAcceleratorAttributes", `{"AcceleratorArn": ` + q(missingAcc) + `}`, "AcceleratorNotFoundException", ""},
		{"describe missing listener", "DescribeListener", `{"ListenerArn": ` + q(listener+"x") + `}`,
			"ListenerNotFoundException", "The listener that you specified doesn't exist."},
		{"group on missing listener", "CreateEndpointGroup", `{"ListenerArn": ` + q(listener+"x") + `, "EndpointGroupRegion": "us-west-2", "IdempotencyToken": "t"}`,
			"ListenerNotFoundException", ""},
		{"describe missing group", "DescribeEndpointGroup", `{"EndpointGroupArn": ` + q(group+"x") + `}`,
			"EndpointGroupNotFoundException", "The endpoint group that you specified doesn't exist."},
		{"delete missing group", "DeleteEndpointGroup", `{"EndpointGroupArn": ` + q(group+"x") + `}`, "EndpointGroupNotFoundException", ""},
		{"remove unknown endpoint", "RemoveEndpoints", `{"EndpointGroupArn": ` + q(group) + `, "EndpointIdentifiers": [{"EndpointId": "nope"}]}`,
			"EndpointNotFoundException", "The endpoint that you specified doesn't exist."},
		{"add unknown load balancer", "AddEndpoints", `{"EndpointGroupArn": ` + q(group) + `, "EndpointConfigurations": [{"EndpointId": ` + q(lbARN("nope")) + `}]}`,
			"InvalidArgumentException", "is not a valid load balancer ARN"},

		// Rules of the operations.
		{"delete enabled accelerator", "DeleteAccelerator", `{"AcceleratorArn": ` + q(acc) + `}`,
			"AcceleratorNotDisabledException", "must be disabled"},
		{"delete accelerator with listener", "DeleteAccelerator", `{"AcceleratorArn": ` + q(offARN) + `}`,
			"AssociatedListenerFoundException", "because an associated listener was found"},
		{"delete listener with group", "DeleteListener", `{"ListenerArn": ` + q(listener) + `}`,
			"AssociatedEndpointGroupFoundException", "because an associated endpoint group was found"},
		{"second group in region", "CreateEndpointGroup", `{"ListenerArn": ` + q(listener) + `, "EndpointGroupRegion": "us-west-2", "IdempotencyToken": "t"}`,
			"EndpointGroupAlreadyExistsException", "The endpoint group that you specified already exists."},
		{"overlapping listener", "CreateListener", `{"AcceleratorArn": ` + q(acc) + `, "Protocol": "TCP", "IdempotencyToken": "t", "PortRanges": [{"FromPort": 400, "ToPort": 500}]}`,
			"InvalidPortRangeException", "overlaps with port range PortRange(fromPort=443, toPort=443)"},
		{"port 0", "UpdateListener", `{"ListenerArn": ` + q(listener) + `, "PortRanges": [{"ToPort": 5}]}`,
			"InvalidPortRangeException", "The port numbers that you specified are not valid"},
		{"bad protocol", "CreateListener", `{"AcceleratorArn": ` + q(acc) + `, "Protocol": "SCTP", "IdempotencyToken": "t", "PortRanges": [{"FromPort": 9, "ToPort": 9}]}`,
			"InvalidArgumentException", "Invalid protocol"},
		{"bad name", "CreateAccelerator", `{"Name": "-edge", "IdempotencyToken": "t"}`, "InvalidArgumentException", "Invalid name"},
		{"empty name", "CreateAccelerator", `{"Name": "", "IdempotencyToken": "t"}`, "InvalidArgumentException", "Invalid name"},
		{"dual stack", "CreateAccelerator", `{"Name": "ds", "IdempotencyToken": "t", "IpAddressType": "DUAL_STACK"}`, "InvalidArgumentException", "DUAL_STACK"},
		{"dual stack update", "UpdateAccelerator", `{"AcceleratorArn": ` + q(acc) + `, "IpAddressType": "DUAL_STACK"}`, "InvalidArgumentException", "DUAL_STACK"},
		{"own IP addresses", "CreateAccelerator", `{"Name": "byoip", "IdempotencyToken": "t", "IpAddresses": ["192.0.2.1"]}`, "InvalidArgumentException", "IpAddresses"},
		{"port overrides", "UpdateEndpointGroup", `{"EndpointGroupArn": ` + q(group) + `, "PortOverrides": [{"ListenerPort": 443, "EndpointPort": 8443}]}`,
			"InvalidArgumentException", "PortOverrides"},
		{"attachment", "AddEndpoints", `{"EndpointGroupArn": ` + q(group) + `, "EndpointConfigurations": [{"EndpointId": ` + q(lb) + `, "AttachmentArn": "arn:x"}]}`,
			"InvalidArgumentException", "AttachmentArn"},
		{"interval 20", "UpdateEndpointGroup", `{"EndpointGroupArn": ` + q(group) + `, "HealthCheckIntervalSeconds": 20}`, "InvalidArgumentException", "10 or 30"},
		{"dial 101", "UpdateEndpointGroup", `{"EndpointGroupArn": ` + q(group) + `, "TrafficDialPercentage": 101}`, "InvalidArgumentException", "TrafficDialPercentage"},
		{"weight 256", "AddEndpoints", `{"EndpointGroupArn": ` + q(group) + `, "EndpointConfigurations": [{"EndpointId": ` + q(lb) + `, "Weight": 256}]}`,
			"InvalidArgumentException", "Weight"},
		{"MaxResults 0", "ListAccelerators", `{"MaxResults": 0}`, "InvalidArgumentException", "Value '0' at 'maxResults' failed to satisfy constraint"},
		{"MaxResults 101", "ListListeners", `{"AcceleratorArn": ` + q(acc) + `, "MaxResults": 101}`, "InvalidArgumentException", "maxResults"},
		{"bad token", "ListAccelerators", `{"NextToken": "!!"}`, "InvalidNextTokenException", "There isn't another item to return."},
		{"flow logs without bucket", "UpdateAcceleratorAttributes", `{"AcceleratorArn": ` + q(acc) + `, "FlowLogsEnabled": true}`,
			"InvalidArgumentException", "FlowLogsS3Bucket"},
		{"tag key too long", "TagResource", `{"ResourceArn": ` + q(acc) + `, "Tags": [{"Key": ` + q(strings.Repeat("k", 129)) + `, "Value": "v"}]}`,
			"InvalidArgumentException", "tag key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := f.raw(t, tt.op, tt.body)
			if status != 400 || out["__type"] != tt.wantCode {
				t.Fatalf("got %d %v, want 400 %s", status, out, tt.wantCode)
			}
			if msg, _ := out["message"].(string); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("got message %q, want it to contain %q", msg, tt.wantMessage)
			}
		})
	}
}
