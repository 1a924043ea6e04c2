package gateway

import (
	"strings"
	"testing"
)

func TestAccessLogFile(t *testing.T) {
	for _, tc := range []struct {
		name, arn, want string
		ok              bool
	}{
		{"log group", "arn:aws:logs:us-west-2:000000000000:log-group:api-logs", "api-logs.log", true},
		{"log group with slashes and :*", "arn:aws:logs:us-west-2:000000000000:log-group:/aws/apigateway/x:*", "aws_apigateway_x.log", true},
		{"firehose", "arn:aws:firehose:us-west-2:000000000000:deliverystream/amazon-apigateway-x", "amazon-apigateway-x.log", true},
		{"firehose without the prefix", "arn:aws:firehose:us-west-2:000000000000:deliverystream/x", "", false},
		{"dot dot", "arn:aws:logs:us-west-2:000000000000:log-group:../../etc", ".._.._etc.log", true},
		{"s3", "arn:aws:s3:::bucket", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := accessLogFile(tc.arn)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseLogFormat: any format parses without panic, and its parts put
// back together give the format again.
func FuzzParseLogFormat(f *testing.F) {
	for _, s := range []string{`$context.requestId $context.status`, `{"id":"${context.requestId}"}`, `$`, `$!{context.x`, `$$context.a.b.`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		var b strings.Builder
		for _, p := range parseLogFormat(format) {
			if p.name == "" {
				b.WriteString(p.text)
			} else if !strings.HasPrefix(p.name, "context.") && !strings.HasPrefix(p.name, "stageVariables.") {
				t.Fatalf("part %q is neither $context nor $stageVariables", p.name)
			}
		}
		if len(b.String()) > len(format) {
			t.Fatalf("text parts %q longer than the format %q", b.String(), format)
		}
		if strings.Contains(format, "$") {
			return // references were taken out
		}
		if b.String() != format {
			t.Fatalf("got %q, want the format %q back", b.String(), format)
		}
	})
}
