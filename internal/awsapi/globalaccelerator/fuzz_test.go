package globalaccelerator_test

import (
	"fmt"
	"testing"
)

// operations are the targets the fuzzer picks from.
var operations = []string{
	"CreateAccelerator", "DescribeAccelerator", "ListAccelerators", "UpdateAccelerator", "DeleteAccelerator",
	"DescribeAcceleratorAttributes", "UpdateAcceleratorAttributes",
	"CreateListener", "DescribeListener", "ListListeners", "UpdateListener", "DeleteListener",
	"CreateEndpointGroup", "DescribeEndpointGroup", "ListEndpointGroups", "UpdateEndpointGroup", "DeleteEndpointGroup",
	"AddEndpoints", "RemoveEndpoints", "TagResource", "UntagResource", "ListTagsForResource",
}

// FuzzRequest sends arbitrary bodies to every operation: each answer is a JSON
// object, and a failure is a 400 with an error code, never a 500.
func FuzzRequest(f *testing.F) {
	fx := newFixture(f, false)
	lb := fx.putLB("edge")
	acc, listener, group := fx.setup("edge", 443, lb)
	seeds := []string{
		`{"Name": "a", "IdempotencyToken": "t", "Enabled": false, "Tags": [{"Key": "k", "Value": "v"}]}`,
		fmt.Sprintf(`{"AcceleratorArn": %q, "MaxResults": 1, "NextToken": "YQ"}`, acc),
		fmt.Sprintf(`{"AcceleratorArn": %q, "Protocol": "UDP", "IdempotencyToken": "t", "PortRanges": [{"FromPort": 53, "ToPort": 53}]}`, acc),
		fmt.Sprintf(`{"ListenerArn": %q, "EndpointGroupRegion": "eu-west-1", "IdempotencyToken": "t", "TrafficDialPercentage": 12.5,
			"EndpointConfigurations": [{"EndpointId": %q, "Weight": 7, "ClientIPPreservationEnabled": false}]}`, listener, lb),
		fmt.Sprintf(`{"EndpointGroupArn": %q, "EndpointIdentifiers": [{"EndpointId": %q}], "HealthCheckPath": "/x"}`, group, lb),
		fmt.Sprintf(`{"ResourceArn": %q, "Tags": [{"Key": "k", "Value": ""}], "TagKeys": ["k"]}`, acc),
		`{"AcceleratorArn": null, "PortRanges": {}, "Tags": "x"}`,
		`{"MaxResults": 1e400}`,
		`[`,
		``,
	}
	for i, s := range seeds {
		for op := range operations {
			if op%len(seeds) == i || i >= len(seeds)-4 {
				f.Add(uint8(op), []byte(s))
			}
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := operations[int(op)%len(operations)]
		status, out := fx.raw(t, name, string(body))
		switch {
		case status == 200:
			if _, failed := out["__type"]; failed {
				t.Fatalf("%s %q: 200 with error %v", name, body, out)
			}
		case status == 400:
			if code, _ := out["__type"].(string); code == "" {
				t.Fatalf("%s %q: 400 without an error code: %v", name, body, out)
			}
		default:
			t.Fatalf("%s %q: got status %d %v, want 200 or 400", name, body, status, out)
		}
	})
}
