// Package e2e runs the whole daemon on loopback, on the embedded default address
// plan, and drives it with real clients: a DNS client, net/http over TLS that
// verifies the chain against the daemon's CA, and the gatehouse binary itself.
//
// The default plan listens on port 443 of loopback addresses, so these tests need
// root (or CAP_NET_BIND_SERVICE); they skip, saying so, without it.
package e2e
