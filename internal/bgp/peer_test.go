package bgp

import (
	"net/netip"
	"testing"
)

func TestParsePeer(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Peer
		wantErr bool
	}{
		{name: "address only", in: "65000@192.0.2.1", want: Peer{Address: netip.MustParseAddr("192.0.2.1"), ASN: 65000}},
		{name: "with port", in: "65000@192.0.2.1:1179", want: Peer{Address: netip.MustParseAddr("192.0.2.1"), ASN: 65000, Port: 1179}},
		{name: "four-byte ASN", in: "4200000000@10.0.0.1", want: Peer{Address: netip.MustParseAddr("10.0.0.1"), ASN: 4200000000}},
		{name: "IPv6 with port", in: "65000@[2001:db8::1]:179", want: Peer{Address: netip.MustParseAddr("2001:db8::1"), ASN: 65000, Port: 179}},
		{name: "no at sign", in: "192.0.2.1", wantErr: true},
		{name: "ASN zero", in: "0@192.0.2.1", wantErr: true},
		{name: "ASN too large", in: "4294967296@192.0.2.1", wantErr: true},
		{name: "not an address", in: "65000@router", wantErr: true},
		{name: "port zero", in: "65000@192.0.2.1:0", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePeer(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePeer(%q) error = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParsePeer(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParsePeer checks that whatever ParsePeer accepts is a usable peer and
// prints back to something it parses to the same peer.
func FuzzParsePeer(f *testing.F) {
	for _, s := range []string{"65000@192.0.2.1", "1@10.0.0.1:1179", "65000@[2001:db8::1]:179", "@", "x@y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeer(s)
		if err != nil {
			return
		}
		if p.ASN == 0 || !p.Address.IsValid() {
			t.Fatalf("ParsePeer(%q) = %+v: accepted a peer without ASN or address", s, p)
		}
		again, err := ParsePeer(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePeer(%q) = %+v, which prints as %q and parses to %+v, %v", s, p, p.String(), again, err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	peer := []Peer{{Address: netip.MustParseAddr("192.0.2.1"), ASN: 65000}}
	id := netip.MustParseAddr("192.0.2.2")
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "minimal", cfg: Config{LocalASN: 65001, RouterID: id, Peers: peer}},
		{name: "BGP's minimum hold time", cfg: Config{LocalASN: 65001, RouterID: id, Peers: peer, HoldTime: MinHoldTime}},
		{name: "no ASN", cfg: Config{RouterID: id, Peers: peer}, wantErr: true},
		{name: "no router id", cfg: Config{LocalASN: 65001, Peers: peer}, wantErr: true},
		{name: "IPv6 router id", cfg: Config{LocalASN: 65001, RouterID: netip.MustParseAddr("2001:db8::1"), Peers: peer}, wantErr: true},
		{name: "no peers", cfg: Config{LocalASN: 65001, RouterID: id}, wantErr: true},
		{name: "hold time below BGP's minimum", cfg: Config{LocalASN: 65001, RouterID: id, Peers: peer, HoldTime: 2 * MinHoldTime / 3}, wantErr: true},
		{name: "hold time not whole seconds", cfg: Config{LocalASN: 65001, RouterID: id, Peers: peer, HoldTime: MinHoldTime + MinHoldTime/10}, wantErr: true},
		{name: "listen port out of range", cfg: Config{LocalASN: 65001, RouterID: id, Peers: peer, ListenPort: 70000}, wantErr: true},
		{name: "peer twice", cfg: Config{LocalASN: 65001, RouterID: id, Peers: append(peer, peer...)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}
