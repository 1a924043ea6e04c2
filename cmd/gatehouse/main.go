// Command gatehouse serves private APIs on static IP addresses. See README.md.
package main

import (
	"errors"
	"fmt"
	"os"

	"gatehouse/internal/cli"
)

func main() {
	if err := cli.Main(os.Args[1:], os.Stdout); err != nil {
		var exit *cli.ExitError
		if errors.As(err, &exit) && exit.Err == nil {
			os.Exit(exit.Code) // the command said all it had to (diff: differences found)
		}
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		if exit != nil {
			os.Exit(exit.Code)
		}
		os.Exit(1)
	}
}
