package accelerator

import (
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// sinkNode is a test node that reads everything it gets and, at EOF, answers
// "done" and closes; for round trips it echoes each read back.
func sinkNode(tb testing.TB, ip string, port int, echo bool) {
	tb.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if echo {
					io.Copy(c, c)
					return
				}
				io.Copy(io.Discard, c)
				c.Write([]byte("done"))
			}()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		<-done
	})
}

// benchFlow sets up an accelerator in front of a sink node on port and
// returns a client connection through it.
func benchFlow(b *testing.B, port int, echo bool) net.Conn {
	b.Helper()
	sinkNode(b, lb1IP, port, echo)
	f := newFixture(b, true)
	lb1 := f.putLB("lb1", true, lb1IP)
	off := false
	f.setup(port, "", model.EndpointInput{EndpointID: lb1, ClientIPPreservationEnabled: &off})
	return dialStatic(b, port)
}

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op: the process's CPU time per operation (test
// client, node and accelerator together), steadier than wall time on a
// machine others share.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFlowThroughput measures one flow's bulk throughput, client to
// endpoint, on loopback.
func BenchmarkFlowThroughput(b *testing.B) {
	c := benchFlow(b, 41020, false)
	chunk := make([]byte, 256<<10)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	cpu := cpuTime(b)
	for range b.N {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c) // the node closes once it has read everything
	reportCPU(b, cpu)
}

// BenchmarkFlowRoundTrip measures small request/response latency through a flow.
func BenchmarkFlowRoundTrip(b *testing.B) {
	c := benchFlow(b, 41021, true)
	msg := make([]byte, 512)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	cpu := cpuTime(b)
	defer reportCPU(b, cpu)
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProxyThroughput copies 64 KiB chunks from a client through the
// proxy to a load balancer node that discards them.
func BenchmarkProxyThroughput(b *testing.B) {
	c := benchFlow(b, 41090, false)
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if reply, err := io.ReadAll(c); err != nil || string(reply) != "done" {
		b.Fatalf("got %q, %v; want done", reply, err)
	}
}
