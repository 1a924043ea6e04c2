package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"gatehouse/internal/testutil"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The address plan of this test, apart from every other test's.
const (
	restartVPC   = "127.42.0.0/16"
	restartPools = "127.83.1.0/24,127.83.2.0/24"
)

// denyStatement is what a user adds to the API's resource policy through the
// API; it denies what the stack does not serve, so GET / still answers.
var denyStatement = map[string]any{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/DELETE/*"}

// TestServeRestartKeepsAPIChanges is issue 7: serve -f after a restart must
// not undo what was changed through the AWS API, every change an apply makes
// is logged, and gatehouse diff shows what differs from the file.
func TestServeRestartKeepsAPIChanges(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	bin := buildBinary(t)
	dataDir := t.TempDir()
	awsAddr := freeAddr(t)
	base := []string{"--data-dir", dataDir, "--dns-listen", freeAddr(t), "--aws-listen", awsAddr,
		"--vpc-cidr", restartVPC, "--static-ip-pools", restartPools}
	serveFile := func(t *testing.T, file string, extra ...string) *proc {
		t.Helper()
		p, err := serve(t, bin, append(append(slices.Clone(base), "-f", file), extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := sdkClients(awsAddr)

	p := serveFile(t, exampleFile)
	ips := p.ips
	sgID := securityGroupID(t, c, "endpoint-sg")
	apiID := restAPIID(t, c, "demo")

	// Narrow the endpoint's group to the balancer nodes' subnets (a and b).
	nodes := ingress("127.42.1.0/24", "127.42.2.0/24")
	testutil.Must[*ec2.AuthorizeSecurityGroupIngressOutput](t)(c.ec2.AuthorizeSecurityGroupIngress(ctx,
		&ec2.AuthorizeSecurityGroupIngressInput{GroupId: &sgID, IpPermissions: nodes}))
	testutil.Must[*ec2.RevokeSecurityGroupIngressOutput](t)(c.ec2.RevokeSecurityGroupIngress(ctx,
		&ec2.RevokeSecurityGroupIngressInput{GroupId: &sgID, IpPermissions: ingress("0.0.0.0/0")}))
	// Add an explicit Deny to the resource policy and deploy it.
	api := testutil.Must[*apigateway.GetRestApiOutput](t)(c.apigw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID}))
	// GetRestApi returns the policy with its quotes escaped, as AWS does;
	// a client unescapes it before editing it (Terraform does the same).
	policy := withStatement(t, strings.ReplaceAll(aws.ToString(api.Policy), `\"`, `"`), denyStatement)
	testutil.Must[*apigateway.UpdateRestApiOutput](t)(c.apigw.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &apiID,
		PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/policy"), Value: &policy}}}))
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx,
		&apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}))
	servesGET(t, dataDir, ips)
	p.stop(t)
	if n := len(logLines(p.stderr.String(), "stack change")); n == 0 {
		t.Errorf("first start: no change logged; log:\n%s", p.stderr)
	}
	if drift := logLines(p.stderr.String(), "stack drift"); len(drift) != 0 {
		t.Errorf("first start: the file just applied differs from the running state: %q", drift)
	}

	// What the user changed through the API, as the API reports it.
	wantIngress := []string{"tcp 443 127.42.1.0/24", "tcp 443 127.42.2.0/24"}
	checkKept := func(t *testing.T) {
		t.Helper()
		if got := ingressOf(t, c, sgID); !slices.Equal(got, wantIngress) {
			t.Errorf("endpoint-sg ingress: got %q, want %q (narrowed through the API)", got, wantIngress)
		}
		api := testutil.Must[*apigateway.GetRestApiOutput](t)(c.apigw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID}))
		if !strings.Contains(aws.ToString(api.Policy), `\"Deny\"`) {
			t.Errorf("policy: got %s, want the Deny added through the API", aws.ToString(api.Policy))
		}
	}

	t.Run("same file: nothing re-applied, drift logged and diffed", func(t *testing.T) {
		p := serveFile(t, exampleFile)
		checkKept(t)
		servesGET(t, dataDir, ips)
		out, code := runDiff(t, bin, exampleFile, "http://"+awsAddr, dataDir)
		if code != 1 {
			t.Errorf("diff with the daemon running: exit got %d, want 1; output:\n%s", code, out)
		}
		for _, want := range []string{"--- running (daemon at http://" + awsAddr + ")", "securityGroup/endpoint-sg ingress\n- [tcp 443 127.42.1.0/24, tcp 443 127.42.2.0/24]\n+ [tcp 443 0.0.0.0/0]\n", "api/demo policy\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("diff output:\n%s\nwant it to contain %q", out, want)
			}
		}
		p.stop(t)
		log := p.stderr.String()
		if !strings.Contains(log, "stack "+exampleFile+" unchanged since the last apply (sha256 ") ||
			!strings.Contains(log, "not re-applied; changes made through the API are kept") {
			t.Errorf("log: want the unchanged line; got:\n%s", log)
		}
		if changes := logLines(log, "stack change"); len(changes) != 0 {
			t.Errorf("log: got changes %q, want none on an unchanged file", changes)
		}
		for _, want := range []string{`resource=securityGroup/endpoint-sg field=ingress running="[tcp 443 127.42.1.0/24, tcp 443 127.42.2.0/24]" file="[tcp 443 0.0.0.0/0]"`,
			`resource=api/demo field=policy`} {
			if !slices.ContainsFunc(logLines(log, "stack drift"), func(l string) bool { return strings.Contains(l, want) }) {
				t.Errorf("log: want a stack drift line with %s; got:\n%s", want, log)
			}
		}

		// With the daemon stopped, diff reads the store itself.
		out, code = runDiff(t, bin, exampleFile, "http://"+awsAddr, dataDir)
		if code != 1 || !strings.Contains(out, "--- running (store "+dataDir+")") || !strings.Contains(out, "securityGroup/endpoint-sg ingress") {
			t.Errorf("diff from the store: exit got %d, want 1; output:\n%s", code, out)
		}
	})

	// The file changes one resource: alb-sg gets a second rule.
	src, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	oldRule := "description: HTTPS from anywhere\n    ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]"
	if !bytes.Contains(src, []byte(oldRule)) {
		t.Fatalf("%s no longer holds alb-sg's rule %q", exampleFile, oldRule)
	}
	changed := filepath.Join(t.TempDir(), "changed.yaml")
	os.WriteFile(changed, bytes.Replace(src, []byte(oldRule), []byte(oldRule[:len(oldRule)-1]+", {protocol: tcp, port: 8443, cidr: 10.0.0.0/8}]"), 1), 0o644)

	t.Run("changed file: only what changed is written, each change logged", func(t *testing.T) {
		p := serveFile(t, changed)
		checkKept(t)
		servesGET(t, dataDir, ips)
		if got, want := ingressOf(t, c, securityGroupID(t, c, "alb-sg")), []string{"tcp 443 0.0.0.0/0", "tcp 8443 10.0.0.0/8"}; !slices.Equal(got, want) {
			t.Errorf("alb-sg ingress: got %q, want %q", got, want)
		}
		out, code := runDiff(t, bin, changed, "http://"+awsAddr, dataDir)
		if code != 1 || !strings.Contains(out, "securityGroup/endpoint-sg ingress") || strings.Contains(out, "alb-sg") {
			t.Errorf("diff: exit got %d, want 1 with the kept drift and not alb-sg; output:\n%s", code, out)
		}
		p.stop(t)
		want := `resource=securityGroup/alb-sg field=ingress old="[tcp 443 0.0.0.0/0]" new="[tcp 443 0.0.0.0/0, tcp 8443 10.0.0.0/8]"`
		if got := logLines(p.stderr.String(), "stack change"); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("log: got changes %q, want exactly one with %s", got, want)
		}
	})

	t.Run("reapply reverts, then diff finds nothing", func(t *testing.T) {
		p := serveFile(t, changed, "--reapply")
		if got, want := ingressOf(t, c, sgID), []string{"tcp 443 0.0.0.0/0"}; !slices.Equal(got, want) {
			t.Errorf("endpoint-sg ingress after --reapply: got %q, want %q", got, want)
		}
		servesGET(t, dataDir, ips)
		out, code := runDiff(t, bin, changed, "http://"+awsAddr, dataDir)
		if code != 0 || out != "" {
			t.Errorf("diff: exit got %d, want 0 and no output; output:\n%s", code, out)
		}
		p.stop(t)
		changes := logLines(p.stderr.String(), "stack change")
		for _, want := range []string{`resource=securityGroup/endpoint-sg field=ingress old="[tcp 443 127.42.1.0/24, tcp 443 127.42.2.0/24]" new="[tcp 443 0.0.0.0/0]"`,
			`resource=api/demo field=policy`} {
			if !slices.ContainsFunc(changes, func(l string) bool { return strings.Contains(l, want) }) {
				t.Errorf("log: got changes %q, want one with %s", changes, want)
			}
		}
	})
}

func ingress(cidrs ...string) []ec2types.IpPermission {
	var ranges []ec2types.IpRange
	for _, c := range cidrs {
		ranges = append(ranges, ec2types.IpRange{CidrIp: aws.String(c)})
	}
	return []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: ranges}}
}

func securityGroupID(t *testing.T, c awsClients, name string) string {
	t.Helper()
	out := testutil.Must[*ec2.DescribeSecurityGroupsOutput](t)(c.ec2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{}))
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupName) == name {
			return aws.ToString(g.GroupId)
		}
	}
	t.Fatalf("describe-security-groups: no group %q", name)
	return ""
}

// ingressOf is the group's ingress as describe-security-groups reports it,
// one "protocol port cidr" per CIDR, sorted.
func ingressOf(t *testing.T, c awsClients, id string) []string {
	t.Helper()
	out := testutil.Must[*ec2.DescribeSecurityGroupsOutput](t)(c.ec2.DescribeSecurityGroups(context.Background(),
		&ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}}))
	var rules []string
	for _, g := range out.SecurityGroups {
		for _, p := range g.IpPermissions {
			for _, r := range p.IpRanges {
				rules = append(rules, strings.Join([]string{aws.ToString(p.IpProtocol), strconv.Itoa(int(aws.ToInt32(p.FromPort))), aws.ToString(r.CidrIp)}, " "))
			}
		}
	}
	slices.Sort(rules)
	return rules
}

func restAPIID(t *testing.T, c awsClients, name string) string {
	t.Helper()
	out := testutil.Must[*apigateway.GetRestApisOutput](t)(c.apigw.GetRestApis(context.Background(), &apigateway.GetRestApisInput{}))
	for _, api := range out.Items {
		if aws.ToString(api.Name) == name {
			return aws.ToString(api.Id)
		}
	}
	t.Fatalf("get-rest-apis: no API %q", name)
	return ""
}

// withStatement adds a statement to a policy document.
func withStatement(t *testing.T, policy string, stmt map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("policy %q: %v", policy, err)
	}
	doc["Statement"] = append(doc["Statement"].([]any), stmt)
	b, _ := json.Marshal(doc)
	return string(b)
}

// servesGET waits until GET / answers 200 through each static IP: the
// whole chain, balancer → endpoint (its security group) → API, still serves.
func servesGET(t *testing.T, dataDir string, ips []string) {
	t.Helper()
	for _, ip := range ips {
		c := client(t, dataDir, ip, "")
		eventually(t, "GET / via "+ip+" answers 200", func() (bool, string) {
			resp, err := c.Get("https://" + domain + "/")
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		})
	}
}

// runDiff runs gatehouse diff and returns its output and exit status.
func runDiff(t *testing.T, bin, file, endpoint, dataDir string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, "diff", "-f", file, "--endpoint-url", endpoint, "--data-dir", dataDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("gatehouse diff: %v", err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		t.Fatalf("gatehouse diff: exit %d: %s", code, stderr.String())
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// logLines returns the log lines whose message is msg.
func logLines(log, msg string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, ` msg="`+msg+`" `) {
			out = append(out, l)
		}
	}
	return out
}
