package e2e

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/gatehouse once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gatehouse")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/gatehouse").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running `gatehouse serve`.
type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	ips    []string
}

var summaryLine = regexp.MustCompile(`^` + regexp.QuoteMeta(domain) + ` → (.+)$`)

// serve starts the binary and waits until it says it serves, or exits.
func serve(t *testing.T, bin string, args ...string) (*proc, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // never leak a daemon holding the test addresses
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(waitLimit)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				err := cmd.Wait()
				return nil, &exitError{err: err, stderr: p.stderr.String()}
			}
			if m := summaryLine.FindStringSubmatch(line); m != nil {
				p.ips = strings.Split(m[1], ", ")
				slices.Sort(p.ips)
			}
			if strings.HasPrefix(line, "gatehouse serving") {
				go func() {
					for range lines {
					}
				}()
				return p, nil
			}
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("gatehouse serve did not come up; stderr:\n%s", p.stderr)
		}
	}
}

type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string { return e.err.Error() + ": " + e.stderr }

// stop sends SIGINT, as Ctrl-C does, and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("gatehouse serve exit after SIGINT: %v\n%s", err, p.stderr)
	}
}

// lastLine is the error line a failed serve printed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestServeRestartKeepsStackAndReportsErrors(t *testing.T) {
	needRoot(t)
	bin := buildBinary(t)
	dataDir := t.TempDir()
	dnsAddr := freeAddr(t)
	args := []string{"--data-dir", dataDir, "--dns-listen", dnsAddr, "-f", exampleFile, "--log-level", "warn",
		"--vpc-cidr", "127.33.0.0/16", "--static-ip-pools", "127.79.1.0/24,127.79.2.0/24", "--aws-listen", freeAddr(t)}

	p, err := serve(t, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ips) != 2 {
		t.Fatalf("serve printed static IPs %v, want two", p.ips)
	}
	if got := resolve(t, dnsAddr, domain); !slices.Equal(got, p.ips) {
		t.Fatalf("dig: got %v, want %v", got, p.ips)
	}
	if code, _, _ := get(t, client(t, dataDir, p.ips[0], ""), "/"); code != 200 {
		t.Fatalf("GET / via %s: got %d, want 200", p.ips[0], code)
	}
	ca, _ := os.ReadFile(filepath.Join(dataDir, "ca.pem"))
	p.stop(t)

	t.Run("restart serves the same stack, IPs and CA", func(t *testing.T) {
		p2, err := serve(t, bin, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer p2.stop(t)
		if !slices.Equal(p2.ips, p.ips) {
			t.Fatalf("static IPs after restart: got %v, want %v", p2.ips, p.ips)
		}
		if ca2, _ := os.ReadFile(filepath.Join(dataDir, "ca.pem")); !bytes.Equal(ca, ca2) {
			t.Fatal("ca.pem changed across restart")
		}
		for _, ip := range p.ips {
			if code, _, body := get(t, client(t, dataDir, ip, ""), "/"); code != 200 || body != "" {
				t.Fatalf("GET / via %s after restart: got %d %q", ip, code, body)
			}
		}
	})

	t.Run("a static IP's port already in use", func(t *testing.T) {
		hold, err := net.Listen("tcp", net.JoinHostPort(p.ips[0], "443"))
		if err != nil {
			t.Fatal(err)
		}
		started, err := serve(t, bin, args...)
		hold.Close()
		if err == nil {
			started.stop(t)
			t.Fatal("serve started with the accelerator's port taken")
		}
		line := lastLine(err.(*exitError).stderr)
		if !strings.Contains(line, p.ips[0]+":443") || !strings.Contains(line, "address already in use") {
			t.Fatalf("error line %q: want it to name %s:443 and 'address already in use'", line, p.ips[0])
		}
		// Nothing applied was lost: with the port free again, the same stack serves.
		p3, err := serve(t, bin, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer p3.stop(t)
		if !slices.Equal(p3.ips, p.ips) {
			t.Fatalf("static IPs after the failed start: got %v, want %v", p3.ips, p.ips)
		}
	})

	t.Run("malformed stack file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("zones:\n  - name: example.test\n    colour: red\n"), 0o644)
		_, err := serve(t, bin, "--data-dir", dataDir, "--dns-listen", dnsAddr, "-f", bad)
		if err == nil {
			t.Fatal("serve accepted a malformed file")
		}
		line := lastLine(err.(*exitError).stderr)
		if !strings.Contains(line, "line 3") || !strings.Contains(line, "colour") {
			t.Fatalf("error line %q: want it to name line 3 and the field", line)
		}
	})

	t.Run("unknown reference", func(t *testing.T) {
		src, _ := os.ReadFile(exampleFile)
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, bytes.Replace(src, []byte("stage: prod}]"), []byte("stage: prodd}]"), 1), 0o644)
		_, err := serve(t, bin, "--data-dir", dataDir, "--dns-listen", dnsAddr, "-f", bad)
		if err == nil {
			t.Fatal("serve accepted a mapping to a missing stage")
		}
		line := lastLine(err.(*exitError).stderr)
		if !strings.Contains(line, `mappings[0].stage`) || !strings.Contains(line, `no stage "prodd"`) {
			t.Fatalf("error line %q: want it to name the mapping's stage", line)
		}
	})
}
