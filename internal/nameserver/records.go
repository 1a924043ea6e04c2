package nameserver

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
)

// recordTypes is Route 53's RRType enum, in the order its validation message lists it.
var recordTypes = []string{"SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS", "TLSA", "SSHFP", "SVCB", "HTTPS"}

// changeActions is Route 53's ChangeAction enum.
var changeActions = []string{"CREATE", "DELETE", "UPSERT"}

// Limits Route 53 documents for record sets.
const (
	maxTTL         = 2147483647
	maxValueLength = 4000 // characters per value
	maxTXTString   = 255  // characters per TXT character-string
	maxChanges     = 1000 // changes per batch
	maxRecords     = 1000 // records in one batch, an UPSERT's counted twice
	// maxRDATA is the characters of all values in one batch, an UPSERT's
	// counted twice ("Quotas on ChangeResourceRecordSets requests").
	maxRDATA = 32000
	// maxRecordsPerSet is the values one record set holds (observed in
	// Route 53's answers; see plan).
	maxRecordsPerSet = 100
)

// fatal formats Route 53's message for a record value it cannot accept, e.g.
// "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is
// not a valid IPv4 address) encountered with '999.1.1.1”".
func fatal(problem, value string) string {
	return fmt.Sprintf("Invalid Resource Record: 'FATAL problem: %s encountered with '%s''", problem, value)
}

// checkValue returns Route 53's message for a value that is invalid for the type,
// or "". The A, AAAA and TXT wordings are Route 53's (observed); the others are our
// best match in the same form (UNVERIFIED: Route 53 documents no list).
func checkValue(typ, value string) string {
	if len(value) > maxValueLength {
		return fatal("ValueTooLong (Value is too long)", value[:64]+"...")
	}
	switch typ {
	case "A":
		if a, err := netip.ParseAddr(value); err != nil || !a.Is4() {
			return fatal("ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)", value)
		}
	case "AAAA":
		if a, err := netip.ParseAddr(value); err != nil || !a.Is6() || a.Zone() != "" {
			return fatal("AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)", value)
		}
	case "CNAME", "NS", "PTR":
		if msg := checkDomain(value); msg != "" {
			return msg
		}
	case "TXT", "SPF":
		strs, ok := characterStrings(value)
		if !ok {
			return fatal("InvalidCharacterString (Value should be enclosed in quotation marks)", value)
		}
		for _, s := range strs {
			if unescapedLen(s) > maxTXTString {
				return fatal("TXTRDATATooLong (Value is too long)", value)
			}
		}
	case "MX":
		f := strings.Fields(value)
		if len(f) != 2 {
			return fatal("MXRRDATANotTwoFields (MX record doesn't have 2 fields)", value)
		}
		if n, err := strconv.ParseUint(f[0], 10, 16); err != nil || n > 65535 {
			return fatal("MXRRDATAIllegalPriority (MX priority must be between 0 and 65535)", value)
		}
		if msg := checkDomain(f[1]); msg != "" {
			return msg
		}
	}
	// Every type, including the ones checked above: the value must parse the way
	// the nameserver will parse it.
	if _, err := parseRR("check.invalid.", 0, typ, value); err != nil {
		return fatal("InvalidRDATA (Value is not valid for the record type)", value)
	}
	return ""
}

func checkDomain(value string) string {
	v := strings.TrimSuffix(value, ".")
	if v == "" || strings.Contains(v, "..") || strings.HasPrefix(v, ".") {
		return fatal("DomainLabelEmpty (Domain label is empty)", value)
	}
	if strings.ContainsAny(value, " \t\"") {
		return fatal("DomainNameInvalid (Value is not a valid domain name)", value)
	}
	if _, ok := dns.IsDomainName(value); !ok {
		return fatal("DomainLabelTooLong (Domain label is too long)", value)
	}
	return ""
}

// characterStrings splits a TXT value into its quoted strings; ok is false when
// anything outside quotes is not blank, or a quote is not closed.
func characterStrings(value string) (strs []string, ok bool) {
	for i := 0; i < len(value); {
		switch c := value[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			j := i + 1
			for j < len(value) && value[j] != '"' {
				if value[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(value) {
				return nil, false
			}
			strs = append(strs, value[i+1:j])
			i = j + 1
		default:
			return nil, false
		}
	}
	return strs, len(strs) > 0
}

// unescapedLen is the length of a character-string once \X and \DDD are decoded.
func unescapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
				i += 3
			} else {
				i++
			}
		}
		n++
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// sameSet reports whether a DELETE names exactly the stored record set: Route 53
// deletes only when TTL, values and alias all match.
func sameSet(a, b *model.RecordSet) bool {
	if (a.Alias == nil) != (b.Alias == nil) {
		return false
	}
	if a.Alias != nil {
		return a.Alias.HostedZoneID == b.Alias.HostedZoneID &&
			canonical(a.Alias.DNSName) == canonical(b.Alias.DNSName) &&
			a.Alias.EvaluateTargetHealth == b.Alias.EvaluateTargetHealth
	}
	if a.TTL != b.TTL || len(a.Records) != len(b.Records) {
		return false
	}
	x, y := slices.Clone(a.Records), slices.Clone(b.Records)
	for i := range x {
		x[i], y[i] = normValue(x[i]), normValue(y[i])
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// normValue compares values the way DNS does: names without regard to case or
// the trailing dot. Only used for equality.
func normValue(v string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), ".")
}

// reversedName sorts names the way Route 53 lists them: by labels from the
// right ("www.example.com." sorts as "com.example.www").
func reversedName(name string) string {
	labels := dns.SplitDomainName(name)
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

func decodeSet(b []byte) (*model.RecordSet, error) {
	rs := new(model.RecordSet)
	if err := json.Unmarshal(b, rs); err != nil {
		return nil, err
	}
	return rs, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // model types always marshal
	}
	return b
}
