package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/daemon"
	"gatehouse/internal/stack"
	"gatehouse/internal/store"
)

// ExitError asks main for an exit status other than 1: diff exits 1 when it
// finds differences and 2 when it could not compare, as diff(1) does.
type ExitError struct {
	Code int
	Err  error // printed when set
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func diffCmd(out io.Writer) *cobra.Command {
	var file, endpoint, dataDir string
	cmd := &cobra.Command{
		Use:   "diff -f FILE",
		Short: "Show how the running state differs from a stack file (exit 1 when it does)",
		Long: "diff asks the running daemon over its AWS API listener (--endpoint-url, signed with\n" +
			"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, default test/test); when no daemon answers there,\n" +
			"it reads the store in --data-dir. Lines starting with - are as it runs, + as the file says.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			changes, from, err := diff(cmd.Context(), file, endpoint, dataDir)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if len(changes) == 0 {
				return nil
			}
			fmt.Fprintf(out, "--- running (%s)\n+++ %s\n", from, file)
			for _, c := range changes {
				fmt.Fprintln(out, strings.TrimSpace(c.Resource+" "+c.Field))
				fmt.Fprintf(out, "- %s\n+ %s\n", c.Old, c.New)
			}
			return &ExitError{Code: 1}
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "file", "f", "", "stack file")
	fl.StringVar(&endpoint, "endpoint-url", "http://127.0.0.1:4566", "the running daemon's AWS API (serve --aws-listen)")
	fl.StringVar(&dataDir, "data-dir", daemon.Defaults().DataDir, "the store to read when no daemon answers")
	cmd.MarkFlagRequired("file")
	return cmd
}

// diff plans file against the running daemon or, when none answers at
// endpoint, against the store in dataDir. It says which it asked.
func diff(ctx context.Context, file, endpoint, dataDir string) ([]stack.Change, string, error) {
	f, err := readStack(file) // a bad file is named here, whoever would plan it
	if err != nil {
		return nil, "", err
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	changes, err := diffDaemon(ctx, endpoint, body)
	var dial *net.OpError
	if !errors.As(err, &dial) || dial.Op != "dial" {
		return changes, "daemon at " + endpoint, err
	}
	// No daemon: then nobody holds the store's lock, unless a daemon serves
	// without the API (serve --aws-listen ""), which OpenBolt reports.
	if _, statErr := os.Stat(filepath.Join(dataDir, "gatehouse.db")); statErr != nil {
		return nil, "", fmt.Errorf("no daemon answers at %s (%v) and %s holds no store", endpoint, err, dataDir)
	}
	st, err := store.OpenBolt(dataDir)
	if err != nil {
		return nil, "", fmt.Errorf("no daemon answers at %s, and the store: %w", endpoint, err)
	}
	defer st.Close()
	changes, err = stack.Plan(ctx, stack.Services{Store: st, Env: daemon.Defaults().Env}, f)
	return changes, "store " + dataDir, err
}

// diffDaemon asks the daemon's admin route, signed as the AWS CLI signs.
func diffDaemon(ctx context.Context, endpoint string, file []byte) ([]stack.Change, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+awsapi.AdminDiffPath, bytes.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("--endpoint-url: %w", err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	creds := aws.Credentials{AccessKeyID: envOr("AWS_ACCESS_KEY_ID", "test"), SecretAccessKey: envOr("AWS_SECRET_ACCESS_KEY", "test"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	region := envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", daemon.Defaults().Env.Region))
	sum := sha256.Sum256(file)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), awsapi.AdminSigningName, region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("daemon at %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		json.Unmarshal(b, &e)
		return nil, fmt.Errorf("daemon at %s: %s %s: %s", endpoint, resp.Status, resp.Header.Get("x-amzn-ErrorType"), e.Message)
	}
	var out struct{ Changes []stack.Change }
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("daemon at %s: %w", endpoint, err)
	}
	return out.Changes, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
