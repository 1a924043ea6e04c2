// Command gatehouse serves private APIs on static IP addresses. See README.md.
package main

import (
	"fmt"
	"os"

	"gatehouse/internal/cli"
)

func main() {
	if err := cli.Main(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		os.Exit(1)
	}
}
