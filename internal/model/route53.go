package model

import "time"

// HostedZone is a Route 53 hosted zone. The nameserver is authoritative for it.
type HostedZone struct {
	ID              string // "Z0123456789ABCDEFGHIJ", without the "/hostedzone/" prefix
	Name            string // fully qualified, lowercase, trailing dot: "example.test."
	CallerReference string
	Comment         string
	PrivateZone     bool
	NameServers     []string // the NS record's values, fully qualified
	CreatedAt       time.Time
	Tags            map[string]string `json:",omitempty"`
}

// RecordSet is one Route 53 resource record set: every record of one name and type.
// Its store id is RecordSetID(ZoneID, Name, Type).
type RecordSet struct {
	ZoneID  string
	Name    string // fully qualified, lowercase, trailing dot
	Type    string // A, AAAA, CNAME, TXT, NS, SOA, MX, …
	TTL     int64
	Records []string     `json:",omitempty"` // values in presentation format: "192.0.2.1", "\"text\"", "target.example."
	Alias   *AliasTarget `json:",omitempty"`
}

// AliasTarget points a record at another resource; the nameserver answers with that
// resource's current addresses (an accelerator's static IPs, a load balancer's nodes,
// or another record set in the same zone).
type AliasTarget struct {
	HostedZoneID         string
	DNSName              string // fully qualified, lowercase, trailing dot
	EvaluateTargetHealth bool
}

// RecordSetID is the store id of a record set.
func RecordSetID(zoneID, name, typ string) string { return zoneID + "/" + name + "/" + typ }

// Canonical hosted zone IDs that alias targets name. Global Accelerator's is fixed
// (Route 53 API reference, AliasTarget); an ALB's is its region's ELB zone.
const (
	AcceleratorHostedZoneID = "Z2BJ6XQ5FK7U4H"
	// ELBHostedZoneUSWest2 is the canonical hosted zone of ALBs in us-west-2.
	ELBHostedZoneUSWest2 = "Z1H1FL5HABSF5"
)

// KindCallerReference marks a CallerReference as used (key "callerref/<reference>",
// value the hosted zone id). Route 53 never accepts a CallerReference twice, not
// even after its zone is deleted, so the marker outlives the zone. Snapshots do not
// carry it: only the nameserver's operations read it.
const KindCallerReference Kind = "callerref"
