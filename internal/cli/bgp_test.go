package cli

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"gatehouse/internal/daemon"
)

func TestBGPFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantBGP  bool
		wantPeer int
		wantErr  string
	}{
		{name: "off by default", args: nil},
		{name: "one peer", args: []string{"--bgp-asn", "65001", "--bgp-router-id", "10.0.0.11", "--bgp-peer", "65000@10.0.0.1"}, wantBGP: true, wantPeer: 1},
		{name: "two peers, hold time 3s", args: []string{"--bgp-asn", "65001", "--bgp-router-id", "10.0.0.11", "--bgp-peer", "65000@10.0.0.1", "--bgp-peer", "65000@10.0.0.2:1179", "--bgp-hold-time", "3s"}, wantBGP: true, wantPeer: 2},
		{name: "peer without ASN", args: []string{"--bgp-peer", "65000@10.0.0.1"}, wantErr: "need --bgp-asn"},
		{name: "no router id", args: []string{"--bgp-asn", "65001", "--bgp-peer", "65000@10.0.0.1"}, wantErr: "--bgp-router-id"},
		{name: "no peer", args: []string{"--bgp-asn", "65001", "--bgp-router-id", "10.0.0.11"}, wantErr: "at least one peer"},
		{name: "hold time below BGP's minimum", args: []string{"--bgp-asn", "65001", "--bgp-router-id", "10.0.0.11", "--bgp-peer", "65000@10.0.0.1", "--bgp-hold-time", "1s"}, wantErr: "hold time"},
		{name: "bad peer", args: []string{"--bgp-peer", "10.0.0.1"}, wantErr: "ASN@IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f bgpFlags
			fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			f.register(fl)
			cfg := daemon.Defaults()
			err := fl.Parse(tt.args)
			if err == nil {
				err = f.apply(&cfg)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.BGP != nil; got != tt.wantBGP {
				t.Fatalf("BGP on: got %v, want %v", got, tt.wantBGP)
			}
			if cfg.BGP != nil && len(cfg.BGP.Peers) != tt.wantPeer {
				t.Errorf("peers: got %v, want %d", cfg.BGP.Peers, tt.wantPeer)
			}
			if cfg.DrainTimeout != daemon.DefaultDrainTimeout {
				t.Errorf("drain timeout: got %s, want %s", cfg.DrainTimeout, daemon.DefaultDrainTimeout)
			}
		})
	}
}
