package awsapi

import (
	"net/url"
	"reflect"
	"testing"
)

type paging struct {
	Marker   string `query:"Marker"`
	PageSize *int   `query:"PageSize" required:"true"`
}

type pagedInput struct {
	paging
	Names []string `query:"Names"`
}

// An embedded structure's members decode and are checked as the outer one's,
// so services share their paging members.
func TestDecodeEmbedded(t *testing.T) {
	var in pagedInput
	err := DecodeQuery(url.Values{"Marker": {"m"}, "PageSize": {"5"}, "Names.member.1": {"a"}}, &in)
	if err != nil || in.Marker != "m" || in.PageSize == nil || *in.PageSize != 5 || !reflect.DeepEqual(in.Names, []string{"a"}) {
		t.Fatalf("got %+v, %v", in, err)
	}
	err = DecodeQuery(url.Values{"Marker": {"m"}}, &pagedInput{})
	if ie, ok := err.(*InputError); !ok || !reflect.DeepEqual(ie.Missing, []string{"PageSize"}) {
		t.Fatalf("missing PageSize: got %v", err)
	}
}
