package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"gatehouse/internal/daemon"
	"gatehouse/internal/store"
)

// compactCmd rewrites the store file without its free pages: bbolt never
// returns the space of deleted resources to the file system. It runs offline
// and refuses while a daemon holds the data directory.
func compactCmd(out io.Writer) *cobra.Command {
	dir := daemon.Defaults().DataDir
	cmd := &cobra.Command{
		Use:   "compact --data-dir DIR",
		Short: "Shrink the store file of a stopped gatehouse",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			before, after, err := store.CompactBolt(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "compacted %s: %d → %d bytes\n", dir, before, after)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", dir, "directory of the store (gatehouse.db)")
	return cmd
}
