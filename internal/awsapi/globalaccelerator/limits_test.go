package globalaccelerator_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/awsapi/awsapitest"
	ga "gatehouse/internal/awsapi/globalaccelerator"
	"gatehouse/internal/store"
)

// minLen is Coral's constraint text for a length of at least n (the
// counterpart of awsapitest.MaxLen).
func minLen(n int) string {
	return fmt.Sprintf("Member must have length greater than or equal to %d", n)
}

// TestFieldLimits sends every limited string and list member of every
// operation through the SDK: one over the limit answers 400 with the code and
// message, at the limit the request gets past the check (it succeeds, or
// fails for the reason an acceptable value would).
func TestFieldLimits(t *testing.T) {
	f := newFixture(t, false)
	lb := f.putLB("edge")
	acc, listener, group := f.setup("edge", 443, lb)
	a := awsapitest.Long
	arn := func(n int) string { return "arn:" + a(n-4) }
	ctx := f.ctx
	c := f.client
	const badArg = "InvalidArgumentException"

	tests := []struct {
		name   string
		call   func(v string) error
		at     string // a value at the limit
		atCode string // the answer's code at the limit; "" for success
		over   string
		code   string
		msg    string
	}{
		{"CreateAccelerator name over the model's 255", func(v string) error {
			_, err := c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(v)})
			return err
		}, a(64), "", a(256), badArg, awsapitest.Coral(a(256), "name", awsapitest.MaxLen(255))},
		{"CreateAccelerator name a megabyte", func(v string) error {
			_, err := c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(v)})
			return err
		}, a(63), "", a(1 << 20), badArg, awsapitest.Coral(a(1<<20), "name", awsapitest.MaxLen(255))},
		{"CreateAccelerator name over the service's 64", func(v string) error {
			_, err := c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(v)})
			return err
		}, a(62), "", a(65), badArg, fmt.Sprintf("Invalid name: %q. The name can have a maximum of 64 characters, must contain only alphanumeric characters, periods (.), or hyphens (-), and must not begin or end with a hyphen or period.", a(65))},
		{"CreateAccelerator idempotency token", func(v string) error {
			_, err := c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String("tok"), IdempotencyToken: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "idempotencyToken", awsapitest.MaxLen(255))},
		{"CreateAccelerator tag key", func(v string) error {
			_, err := c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String("tagk"),
				Tags: []types.Tag{{Key: aws.String(v), Value: aws.String("v")}}})
			return err
		}, a(128), "", a(129), badArg, fmt.Sprintf("Invalid tag key: %q. A tag key must be 1 to 128 characters long.", a(128)+"...")},
		{"TagResource tag value", func(v string) error {
			_, err := c.TagResource(ctx, &globalaccelerator.TagResourceInput{ResourceArn: aws.String(acc),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(v)}}})
			return err
		}, a(256), "", a(257), badArg, `Invalid value for tag "k": a tag value can be at most 256 characters long.`},
		{"TagResource resource ARN", func(v string) error {
			_, err := c.TagResource(ctx, &globalaccelerator.TagResourceInput{ResourceArn: aws.String(v),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, arn(1011), "AcceleratorNotFoundException", arn(1012), badArg, awsapitest.Coral(arn(1012), "resourceArn", awsapitest.MaxLen(1011))},
		{"UntagResource tag key", func(v string) error {
			_, err := c.UntagResource(ctx, &globalaccelerator.UntagResourceInput{ResourceArn: aws.String(acc), TagKeys: []string{"k", v}})
			return err
		}, a(128), "", a(129), badArg, awsapitest.Coral(a(129), "tagKeys.2.member", awsapitest.MaxLen(128))},
		{"UntagResource empty tag key", func(v string) error {
			_, err := c.UntagResource(ctx, &globalaccelerator.UntagResourceInput{ResourceArn: aws.String(acc), TagKeys: []string{v}})
			return err
		}, "k", "", "", badArg, awsapitest.Coral("", "tagKeys.1.member", minLen(1))},
		{"UntagResource 201 keys", func(v string) error {
			keys := strings.Split(v, ",")
			_, err := c.UntagResource(ctx, &globalaccelerator.UntagResourceInput{ResourceArn: aws.String(acc), TagKeys: keys})
			return err
		}, strings.Repeat("k,", 199) + "k", "", strings.Repeat("k,", 200) + "k", badArg,
			awsapitest.Coral("["+strings.Repeat("k, ", 200)+"k]", "tagKeys", awsapitest.MaxLen(200))},
		{"ListTagsForResource resource ARN", func(v string) error {
			_, err := c.ListTagsForResource(ctx, &globalaccelerator.ListTagsForResourceInput{ResourceArn: aws.String(v)})
			return err
		}, arn(1011), "AcceleratorNotFoundException", arn(1012), badArg, awsapitest.Coral(arn(1012), "resourceArn", awsapitest.MaxLen(1011))},
		{"DescribeAccelerator ARN", func(v string) error {
			_, err := c.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: aws.String(v)})
			return err
		}, arn(255), "AcceleratorNotFoundException", arn(256), badArg, awsapitest.Coral(arn(256), "acceleratorArn", awsapitest.MaxLen(255))},
		{"UpdateAccelerator name", func(v string) error {
			_, err := c.UpdateAccelerator(ctx, &globalaccelerator.UpdateAcceleratorInput{AcceleratorArn: aws.String(acc), Name: aws.String(v)})
			return err
		}, "edge", "", a(256), badArg, awsapitest.Coral(a(256), "name", awsapitest.MaxLen(255))},
		{"UpdateAcceleratorAttributes flow log bucket", func(v string) error {
			_, err := c.UpdateAcceleratorAttributes(ctx, &globalaccelerator.UpdateAcceleratorAttributesInput{AcceleratorArn: aws.String(acc),
				FlowLogsS3Bucket: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "flowLogsS3Bucket", awsapitest.MaxLen(255))},
		{"UpdateAcceleratorAttributes flow log prefix", func(v string) error {
			_, err := c.UpdateAcceleratorAttributes(ctx, &globalaccelerator.UpdateAcceleratorAttributesInput{AcceleratorArn: aws.String(acc),
				FlowLogsS3Prefix: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "flowLogsS3Prefix", awsapitest.MaxLen(255))},
		{"ListAccelerators next token", func(v string) error {
			_, err := c.ListAccelerators(ctx, &globalaccelerator.ListAcceleratorsInput{NextToken: aws.String(v)})
			return err
		}, "", "", a(256), badArg, awsapitest.Coral(a(256), "nextToken", awsapitest.MaxLen(255))},
		{"CreateListener idempotency token", func(v string) error {
			_, err := c.CreateListener(ctx, &globalaccelerator.CreateListenerInput{AcceleratorArn: aws.String(acc), Protocol: types.ProtocolUdp,
				PortRanges: []types.PortRange{{FromPort: aws.Int32(53), ToPort: aws.Int32(53)}}, IdempotencyToken: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "idempotencyToken", awsapitest.MaxLen(255))},
		{"ListListeners accelerator ARN", func(v string) error {
			_, err := c.ListListeners(ctx, &globalaccelerator.ListListenersInput{AcceleratorArn: aws.String(v)})
			return err
		}, arn(255), "AcceleratorNotFoundException", arn(256), badArg, awsapitest.Coral(arn(256), "acceleratorArn", awsapitest.MaxLen(255))},
		{"UpdateListener listener ARN", func(v string) error {
			_, err := c.UpdateListener(ctx, &globalaccelerator.UpdateListenerInput{ListenerArn: aws.String(v), ClientAffinity: types.ClientAffinitySourceIp})
			return err
		}, arn(255), "ListenerNotFoundException", arn(256), badArg, awsapitest.Coral(arn(256), "listenerArn", awsapitest.MaxLen(255))},
		{"CreateEndpointGroup region", func(v string) error {
			_, err := c.CreateEndpointGroup(ctx, &globalaccelerator.CreateEndpointGroupInput{ListenerArn: aws.String(listener), EndpointGroupRegion: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "endpointGroupRegion", awsapitest.MaxLen(255))},
		{"CreateEndpointGroup idempotency token", func(v string) error {
			_, err := c.CreateEndpointGroup(ctx, &globalaccelerator.CreateEndpointGroupInput{ListenerArn: aws.String(listener),
				EndpointGroupRegion: aws.String("eu-west-1"), IdempotencyToken: aws.String(v)})
			return err
		}, a(255), "", a(256), badArg, awsapitest.Coral(a(256), "idempotencyToken", awsapitest.MaxLen(255))},
		{"UpdateEndpointGroup health check path", func(v string) error {
			_, err := c.UpdateEndpointGroup(ctx, &globalaccelerator.UpdateEndpointGroupInput{EndpointGroupArn: aws.String(group), HealthCheckPath: aws.String(v)})
			return err
		}, "/" + a(254), "", "/" + a(255), badArg, awsapitest.Coral("/"+a(255), "healthCheckPath", awsapitest.MaxLen(255))},
		{"AddEndpoints endpoint id", func(v string) error {
			_, err := c.AddEndpoints(ctx, &globalaccelerator.AddEndpointsInput{EndpointGroupArn: aws.String(group),
				EndpointConfigurations: []types.EndpointConfiguration{{EndpointId: aws.String(lb)}, {EndpointId: aws.String(v)}}})
			return err
		}, arn(255), badArg, arn(256), badArg, awsapitest.Coral(arn(256), "endpointConfigurations.2.member.endpointId", awsapitest.MaxLen(255))},
		{"RemoveEndpoints endpoint id", func(v string) error {
			_, err := c.RemoveEndpoints(ctx, &globalaccelerator.RemoveEndpointsInput{EndpointGroupArn: aws.String(group),
				EndpointIdentifiers: []types.EndpointIdentifier{{EndpointId: aws.String(v)}}})
			return err
		}, arn(255), "EndpointNotFoundException", arn(256), badArg, awsapitest.Coral(arn(256), "endpointIdentifiers.1.member.endpointId", awsapitest.MaxLen(255))},
		{"DeleteEndpointGroup ARN", func(v string) error {
			_, err := c.DeleteEndpointGroup(ctx, &globalaccelerator.DeleteEndpointGroupInput{EndpointGroupArn: aws.String(v)})
			return err
		}, arn(255), "EndpointGroupNotFoundException", arn(256), badArg, awsapitest.Coral(arn(256), "endpointGroupArn", awsapitest.MaxLen(255))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsapitest.WantClippedRefusal(t, tt.call(tt.over), tt.code, tt.msg)
			if _, code, msg := awsapitest.APIError(t, tt.call(tt.at)); code != tt.atCode {
				t.Errorf("at the limit: got %s %.300q, want %q", code, msg, tt.atCode)
			}
		})
	}
}

// TestStoreFullAnswers400 fills a store whose file has a small quota through
// the API: the write that does not fit answers 400 ServiceQuotaExceededException
// with the store's message (not a 500), and what was written before stays
// readable.
func TestStoreFullAnswers400(t *testing.T) {
	st, err := store.OpenBoltWith(t.TempDir(), store.BoltOptions{MaxBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := accelerator.New(accelerator.Deps{Store: st, Log: slog.New(slog.DiscardHandler), Pools: testPools})
	_, cfg := awsapitest.Start(t, ga.New(svc))
	c := globalaccelerator.NewFromConfig(cfg)
	ctx := context.Background()
	tags := make([]types.Tag, 50)
	for i := range tags {
		tags[i] = types.Tag{Key: aws.String(fmt.Sprintf("%03d%s", i, strings.Repeat("k", 125))), Value: aws.String(strings.Repeat("v", 256))}
	}
	created := 0
	for ; created < 20; created++ {
		_, err = c.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{Name: aws.String(fmt.Sprintf("full%d", created)), Tags: tags})
		if err != nil {
			break
		}
	}
	if created == 0 || created == 20 {
		t.Fatalf("%d accelerators fit the quota, want some but not all 20: the test no longer fills the store", created)
	}
	status, code, msg := awsapitest.APIError(t, err)
	const want = "The store is full: its file reached the quota of 262144 bytes. Delete resources and run 'gatehouse compact', or raise the quota."
	if status != 400 || code != "ServiceQuotaExceededException" || msg != want {
		t.Fatalf("after %d accelerators: got %d %s %q, want 400 ServiceQuotaExceededException %q", created, status, code, msg, want)
	}
	list, err := c.ListAccelerators(ctx, &globalaccelerator.ListAcceleratorsInput{})
	if err != nil || len(list.Accelerators) != created {
		t.Errorf("after the refused create: got %d accelerators, %v, want %d", len(list.Accelerators), err, created)
	}
}
