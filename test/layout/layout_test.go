package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
}

var services = []string{"accelerator", "balancer", "certs", "gateway", "nameserver", "network"}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "gatehouse/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; the layout test is not looking at the project", len(pkgs))
	}
	return pkgs
}

// service returns the service a package belongs to ("gateway" for
// gatehouse/internal/gateway/policy), or "".
func service(path string) string {
	rest, ok := strings.CutPrefix(path, "gatehouse/internal/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rest, "/")
	for _, s := range services {
		if s == top {
			return s
		}
	}
	return ""
}

// awsapiServices maps each AWS API subpackage to the one service it drives.
var awsapiServices = map[string]string{
	"apigateway": "gateway", "acm": "certs", "ec2": "network", "elbv2": "balancer",
	"globalaccelerator": "accelerator", "route53": "nameserver",
}

// wireOf reports whether path is an AWS API subpackage (not the core).
func wireOf(path string) bool {
	rest, ok := strings.CutPrefix(path, "gatehouse/internal/awsapi/")
	return ok && !strings.Contains(rest, "/")
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, "gatehouse/") {
				continue
			}
			switch {
			case p.ImportPath == "gatehouse/internal/model":
				t.Errorf("model imports %s: model imports nothing internal", imp)
			case service(p.ImportPath) != "" && service(imp) != "" && service(imp) != service(p.ImportPath):
				t.Errorf("%s imports %s: services never import each other (data flows through the snapshot)", p.ImportPath, imp)
			case service(p.ImportPath) != "" && strings.HasPrefix(imp, "gatehouse/internal/awsapi"):
				t.Errorf("%s imports %s: services never import the AWS API layer", p.ImportPath, imp)
			case wireOf(p.ImportPath) && service(imp) != "" && awsapiServices[strings.TrimPrefix(p.ImportPath, "gatehouse/internal/awsapi/")] != service(imp):
				t.Errorf("%s imports %s: an AWS API subpackage maps the wire onto its own service only", p.ImportPath, imp)
			case imp == "gatehouse/internal/daemon" && p.ImportPath != "gatehouse/internal/cli" && !strings.HasPrefix(p.ImportPath, "gatehouse/test/"):
				t.Errorf("%s imports daemon: only cli (and the end-to-end tests) may", p.ImportPath)
			}
		}
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}
