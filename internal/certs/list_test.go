package certs

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/paging"
	"gatehouse/internal/testutil"
)

// TestListCertificatesPages walks ListCertificates two at a time in both
// orders, deleting the certificates of each page before asking for the next:
// every certificate is listed once, none skipped.
func TestListCertificatesPages(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		order string
	}{
		{"oldest first", ""},
		{"newest first", sortOrderDescending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newOpsService(t)
			var want []string
			for i := range 5 {
				c := testutil.Must[*model.Certificate](t)(s.RequestCertificate(ctx, RequestInput{DomainName: fmt.Sprintf("c%d.example.test", i)}))
				want = append(want, c.ARN)
			}
			if tc.order == sortOrderDescending {
				slices.Reverse(want)
			}
			pageSize := 2
			in := ListInput{MaxItems: &pageSize}
			if tc.order != "" {
				in.SortBy, in.SortOrder = sortByCreatedAt, tc.order
			}
			var got []string
			for range len(want) + 1 {
				out := testutil.Must[*ListOutput](t)(s.ListCertificates(ctx, in))
				for _, c := range out.Certificates {
					got = append(got, c.ARN)
					if err := s.DeleteCertificate(ctx, c.ARN); err != nil {
						t.Fatal(err)
					}
				}
				if out.NextToken == "" {
					break
				}
				in.NextToken = out.NextToken
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed while deleting: got %v, want %v", got, want)
			}
		})
	}
}

// TestListCertificatesForeignToken: a NextToken ListCertificates did not
// issue is refused, even one that is valid base64.
func TestListCertificatesForeignToken(t *testing.T) {
	s, _ := newOpsService(t)
	for _, tc := range []struct{ name, token string }{
		{"not base64", "!!!"},
		{"base64 of no key", paging.Token("garbage")},
		{"a time without an ARN", paging.Token("2026-01-02T03:04:05.000000000Z")},
		{"an ARN of another service", paging.Token("2026-01-02T03:04:05.000000000Z arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/x/1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ListCertificates(context.Background(), ListInput{NextToken: tc.token})
			wantAWSError(t, err, "InvalidArgsException", "The NextToken "+model.Clip(tc.token)+" is not valid.")
		})
	}
}
