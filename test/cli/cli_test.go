package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestWalkthroughAWSCLI(t *testing.T) {
	if raceEnabled {
		t.Skip("the binary under test is not built with -race; the plain run covers it")
	}
	if os.Geteuid() != 0 {
		t.Skip("the data plane binds port 443 on loopback addresses: run as root")
	}
	for _, tool := range []string{"aws", "dig", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; .ci/run installs what this test needs", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "gatehouse")
	build := exec.Command("go", "build", "-o", bin, "gatehouse/cmd/gatehouse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "walkthrough.sh", bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("walkthrough.sh: %v", err)
	}
}
