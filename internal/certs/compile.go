package certs

import (
	"cmp"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

// compile turns a snapshot into the validation loop's table. Pure: no I/O.
func compile(snap *model.Snapshot) (*table, error) {
	t := &table{records: map[string][]string{}}
	for _, c := range snap.Certificates {
		if c.Status != model.CertPendingValidation || c.Type == model.CertImported {
			continue
		}
		t.pending = append(t.pending, c)
		for _, v := range c.Validations {
			t.records[model.DomainKey(v.ResourceRecord.Name)] = nil
		}
	}
	slices.SortFunc(t.pending, func(a, b *model.Certificate) int { return cmp.Compare(a.ARN, b.ARN) })
	if len(t.records) == 0 {
		return t, nil
	}
	for _, rs := range snap.RecordSets {
		name := model.DomainKey(rs.Name)
		vals, ok := t.records[name]
		if !ok {
			continue
		}
		vals = append(vals, rs.ZoneID+" "+rs.Type+" "+strings.Join(rs.Records, ","))
		if rs.Alias != nil {
			vals = append(vals, rs.ZoneID+" "+rs.Type+" alias "+rs.Alias.DNSName)
		}
		t.records[name] = vals
	}
	for name, vals := range t.records {
		slices.Sort(vals)
		t.records[name] = vals
	}
	return t, nil
}
