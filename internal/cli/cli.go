// Package cli holds gatehouse's subcommands and flags (cobra). Each command is a
// thin shell over the daemon and stack packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"gatehouse/internal/daemon"
	"gatehouse/internal/gcpace"
	"gatehouse/internal/stack"
)

// Main runs the command line and returns the error to print.
func Main(args []string, out io.Writer) error {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Private APIs on static IP addresses",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(out), validateCmd(out), diffCmd(out), versionCmd(out))
	root.AddCommand(compactCmd(out))
	root.SetArgs(args)
	root.SetOut(out)
	return root.Execute()
}

func serveCmd(out io.Writer) *cobra.Command {
	cfg := daemon.Defaults()
	var file, logLevel, keysFile string
	var reapply bool
	var bgpf bgpFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run every service and apply a stack file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keysFile != "" {
				keys, err := readKeys(keysFile)
				if err != nil {
					return err
				}
				cfg.AWSKeys = keys
			}
			if err := bgpf.apply(&cfg); err != nil {
				return err
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			var f *stack.File
			if file != "" {
				var err error
				if f, err = readStack(file); err != nil {
					return err
				}
			}
			// A small live heap and fast allocation would collect many
			// times a second: at most about four (gcpace; GOGC in the
			// environment overrides).
			gcpace.Start(4)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// A second signal ends the process at once, even while draining.
			context.AfterFunc(ctx, stop)
			return serve(ctx, cfg, f, stack.Options{Source: file, Reapply: reapply}, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the store and the certificate authority (ca.pem)")
	fl.StringVar(&cfg.AccessLogDir, "access-log-dir", cfg.AccessLogDir, "directory of API stages' access logs, one file per destination ARN (\"-\": standard output; default DATA-DIR/logs)")
	fl.StringVar(&cfg.DNSListen, "dns-listen", cfg.DNSListen, "address of the authoritative nameserver (UDP and TCP)")
	fl.StringVar(&cfg.VPCCIDR, "vpc-cidr", cfg.VPCCIDR, "the default VPC; subnets a, b, c are its 2nd, 3rd and 4th /24")
	fl.Var(prefixList{&cfg.Pools}, "static-ip-pools", "the two network zones' pools that accelerators' static IPs come from")
	fl.BoolVar(&cfg.Handoff, "handoff", cfg.Handoff, "pass traffic between hops this process serves in process (accelerator → load balancer → endpoint); false: a real socket at every hop, for ss and tcpdump")
	fl.Float64Var(&cfg.AccountThrottle.Rate, "account-throttle-rate", 0, "API Gateway's account-level throttle, requests per second over every private API (0: AWS's default, 10000); AWS raises it on request, so may you")
	fl.IntVar(&cfg.AccountThrottle.Burst, "account-throttle-burst", 0, "the account-level throttle's burst (0: AWS's default, 5000)")
	fl.StringVar(&cfg.MetricsAddr, "metrics-listen", "", "address to serve Prometheus /metrics and /debug/pprof on (off when empty)")
	fl.StringVar(&cfg.AWSListen, "aws-listen", cfg.AWSListen, "address of the AWS-compatible API (aws --endpoint-url http://ADDR); empty: off")
	fl.StringVar(&keysFile, "aws-keys-file", "", "file of 'ACCESS_KEY_ID SECRET_ACCESS_KEY' lines the API accepts (default: the pair test/test, loopback only)")
	fl.StringVarP(&file, "file", "f", "", "stack file to apply once the services run: only what changed in it since the last apply is written")
	fl.BoolVar(&reapply, "reapply", false, "with -f: make every resource match the file again, reverting changes made through the API")
	fl.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&cfg.StoreURL, "store", "", "the store: empty for the bbolt file in --data-dir, or etcd://host:2379[,host:2379…][/prefix] for an etcd cluster")
	fl.StringVar(&cfg.Etcd.CACert, "etcd-cacert", "", "with an etcd store: PEM file of the CA that signed the members' certificates (TLS)")
	fl.StringVar(&cfg.Etcd.Cert, "etcd-cert", "", "with an etcd store: PEM file of the client certificate (TLS; with --etcd-key)")
	fl.StringVar(&cfg.Etcd.Key, "etcd-key", "", "with an etcd store: PEM file of the client certificate's key")
	fl.StringVar(&cfg.Etcd.Username, "etcd-username", "", "with an etcd store: user for etcd's authentication")
	fl.StringVar(&cfg.Etcd.Password, "etcd-password", "", "with an etcd store: the user's password")
	fl.StringVar(&cfg.NodeName, "node-name", cfg.NodeName, "this node's name among the nodes sharing the store; two live nodes may not share one")
	fl.StringVar(&cfg.NodeAddress, "node-address", "", "the IP address other nodes and operators reach this node on, published in its membership record")
	fl.DurationVar(&cfg.NodeTTL, "node-ttl", cfg.NodeTTL, "with an etcd store: the lease of the node's membership and leadership (whole seconds); a dead node's lead passes on within it")
	bgpf.register(fl)
	return cmd
}

// readKeys reads access keys: one "ID SECRET" pair per line; blank lines and
// lines starting with # are skipped.
func readKeys(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want ACCESS_KEY_ID SECRET_ACCESS_KEY", path, i+1)
		}
		keys[f[0]] = f[1]
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys", path)
	}
	return keys, nil
}

func readStack(path string) (*stack.File, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := stack.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %s", path, oneLine(err))
	}
	return f, nil
}

// oneLine joins a multi-error into one line, as a terminal error should be.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func serve(ctx context.Context, cfg daemon.Config, f *stack.File, opt stack.Options, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := daemon.Open(ctx, cfg)
	if err != nil {
		return err
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		return err
	}
	if f != nil {
		if err := applyAndWait(ctx, d, f, opt); err != nil {
			cancel()
			<-done
			return errors.New(oneLine(err))
		}
		printSummary(ctx, out, cfg, d, f)
	}
	if cfg.AWSListen != "" {
		fmt.Fprintf(out, "AWS API: aws --endpoint-url http://%s ...\n", cfg.AWSListen)
	}
	fmt.Fprintf(out, "gatehouse serving (data %s, nameserver %s); Ctrl-C stops\n", cfg.DataDir, cfg.DNSListen)
	return <-done
}

func applyAndWait(ctx context.Context, d *daemon.Daemon, f *stack.File, opt stack.Options) error {
	svcs := d.Services()
	if _, err := stack.ApplyFile(ctx, svcs, f, opt); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return stack.WaitReady(ctx, svcs, f)
}

func printSummary(ctx context.Context, out io.Writer, cfg daemon.Config, d *daemon.Daemon, f *stack.File) {
	entries, err := stack.Entries(ctx, d.Store, f)
	if err != nil || len(entries) == 0 {
		return
	}
	host, port, _ := net.SplitHostPort(cfg.DNSListen)
	ca := filepath.Join(cfg.DataDir, "ca.pem")
	for _, e := range entries {
		fmt.Fprintf(out, "%s → %s\n", e.Name, strings.Join(e.IPs, ", "))
		fmt.Fprintf(out, "  dig @%s -p %s +short %s\n", host, port, e.Name)
		for _, ip := range e.IPs {
			fmt.Fprintf(out, "  curl --cacert %s --resolve %s:443:%s https://%s/\n", ca, e.Name, ip, e.Name)
		}
	}
}

func validateCmd(out io.Writer) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "validate -f FILE",
		Short: "Check a stack file without applying it",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, err := readStack(file); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: valid\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "stack file")
	cmd.MarkFlagRequired("file")
	return cmd
}

func versionCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintln(out, "gatehouse", v)
		},
	}
}

// prefixList is a comma-separated list of CIDR prefixes as a flag value.
type prefixList struct{ p *[]netip.Prefix }

func (l prefixList) String() string {
	if l.p == nil {
		return ""
	}
	var out []string
	for _, p := range *l.p {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

func (l prefixList) Set(v string) error {
	var ps []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	*l.p = ps
	return nil
}

func (prefixList) Type() string { return "cidrs" }
