package route53_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/awsapi/awsapitest"
	r53 "gatehouse/internal/awsapi/route53"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
	"gatehouse/internal/store"
)

// FuzzRequest feeds arbitrary bodies and query strings to every Route 53 route
// that decodes one, through the whole endpoint (signature check included), and
// requires an answer that is not a 500 and, if an error, Route 53's envelope.
func FuzzRequest(f *testing.F) {
	st := store.NewMem()
	f.Cleanup(func() { st.Close() })
	ns := nameserver.New(nameserver.Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: model.DefaultEnv})
	z, _, err := ns.CreateHostedZone(context.Background(), "example.test", "fuzz", "")
	if err != nil {
		f.Fatal(err)
	}
	endpoint, _ := awsapitest.Start(f, r53.New(ns))
	zone := "/2013-04-01/hostedzone/" + z.ID
	routes := []struct{ method, path string }{
		{"POST", "/2013-04-01/hostedzone"},
		{"POST", zone + "/rrset"},
		{"GET", zone + "/rrset"},
		{"GET", "/2013-04-01/hostedzone"},
		{"GET", "/2013-04-01/hostedzonesbyname"},
		{"POST", zone},
		{"POST", "/2013-04-01/tags/hostedzone/" + z.ID},
		{"POST", "/2013-04-01/tags/hostedzone"},
	}

	f.Add(uint8(0), "", xmlBody("CreateHostedZoneRequest", "<Name>a.test</Name><CallerReference>r</CallerReference><HostedZoneConfig><Comment>c</Comment></HostedZoneConfig>"))
	f.Add(uint8(1), "", xmlBody("ChangeResourceRecordSetsRequest", "<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>"+
		"<Name>www.example.test</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>\"v\"</Value></ResourceRecord></ResourceRecords>"+
		"</ResourceRecordSet></Change></Changes></ChangeBatch>"))
	f.Add(uint8(1), "", xmlBody("ChangeResourceRecordSetsRequest", "<ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet>"+
		"<Name>api.example.test</Name><Type>A</Type><AliasTarget><HostedZoneId>Z2BJ6XQ5FK7U4H</HostedZoneId><DNSName>a1.awsglobalaccelerator.com</DNSName>"+
		"<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change></Changes></ChangeBatch>"))
	f.Add(uint8(2), "name=www.example.test&type=TXT&maxitems=1", "")
	f.Add(uint8(3), "marker=Z&maxitems=2", "")
	f.Add(uint8(4), "dnsname=example.test&hostedzoneid="+z.ID, "")
	f.Add(uint8(5), "", xmlBody("UpdateHostedZoneCommentRequest", "<Comment>x</Comment>"))
	f.Add(uint8(6), "", xmlBody("ChangeTagsForResourceRequest", "<AddTags><Tag><Key>k</Key><Value>v</Value></Tag></AddTags><RemoveTagKeys><Key>j</Key></RemoveTagKeys>"))
	f.Add(uint8(7), "", xmlBody("ListTagsForResourcesRequest", "<ResourceIds><ResourceId>"+z.ID+"</ResourceId></ResourceIds>"))
	f.Add(uint8(1), "", "<a><b></a>")

	f.Fuzz(func(t *testing.T, route uint8, query, body string) {
		r := routes[int(route)%len(routes)]
		req, err := http.NewRequest(r.method, endpoint+r.path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = wireQuery(query)
		status, _, answer := awsapitest.Send(t, req, "route53")
		if status >= 500 {
			t.Fatalf("%s %s?%s %q: %d %s", r.method, r.path, query, body, status, answer)
		}
		if status >= 300 {
			var e errorResponse
			if err := xml.Unmarshal(answer, &e); err != nil || e.Code == "" || e.Message == "" {
				t.Fatalf("%s %s?%s %q: error body %q is not Route 53's envelope", r.method, r.path, query, body, answer)
			}
		} else if status != http.StatusOK && status != http.StatusCreated {
			t.Fatalf("%s %s: status %d", r.method, r.path, status)
		}
	})
}

// wireQuery escapes the bytes a request line cannot carry (spaces, control
// characters), which net/http would refuse to send or the server to parse.
func wireQuery(q string) string {
	var b strings.Builder
	for _, c := range []byte(q) {
		if c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
