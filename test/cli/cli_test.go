package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	// The binary under test is built from these sources: depending on them
	// keeps go test's cache from answering for a binary that changed.
	_ "gatehouse/internal/cli"
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
	// Read here, not by bash, so that go test's cache sees the script too.
	script, err := os.ReadFile("walkthrough.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", string(script), "walkthrough.sh", bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("walkthrough.sh: %v", err)
	}
}
