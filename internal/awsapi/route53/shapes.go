package route53

import (
	"encoding/xml"
	"maps"
	"slices"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
)

// The wire shapes of the Route 53 API (restXml), named as in the service model.
// Requests are decoded without regard to the namespace; responses carry it.

const xmlns = "https://route53.amazonaws.com/doc/2013-04-01/"

// Requests.

type createHostedZoneRequest struct {
	XMLName          xml.Name          `xml:"CreateHostedZoneRequest"`
	Name             string            `xml:"Name" required:"true"`
	CallerReference  string            `xml:"CallerReference" required:"true"`
	HostedZoneConfig *hostedZoneConfig `xml:"HostedZoneConfig"`
	VPC              *struct{}         `xml:"VPC"`
	DelegationSetID  string            `xml:"DelegationSetId"`
}

type updateHostedZoneCommentRequest struct {
	XMLName xml.Name `xml:"UpdateHostedZoneCommentRequest"`
	Comment string   `xml:"Comment"`
}

type changeResourceRecordSetsRequest struct {
	XMLName     xml.Name `xml:"ChangeResourceRecordSetsRequest"`
	ChangeBatch *struct {
		Comment string   `xml:"Comment"`
		Changes []change `xml:"Changes>Change"`
	} `xml:"ChangeBatch" required:"true"`
}

type change struct {
	Action            string             `xml:"Action" required:"true"`
	ResourceRecordSet *resourceRecordSet `xml:"ResourceRecordSet" required:"true"`
}

type changeTagsForResourceRequest struct {
	XMLName       xml.Name `xml:"ChangeTagsForResourceRequest"`
	AddTags       []tag    `xml:"AddTags>Tag"`
	RemoveTagKeys []string `xml:"RemoveTagKeys>Key"`
}

type listTagsForResourcesRequest struct {
	XMLName     xml.Name `xml:"ListTagsForResourcesRequest"`
	ResourceIDs []string `xml:"ResourceIds>ResourceId"`
}

// Shapes in both directions.

type hostedZoneConfig struct {
	Comment     string `xml:"Comment,omitempty"`
	PrivateZone bool   `xml:"PrivateZone"`
}

// resourceRecordSet is a record set. On input, the members of routing policies
// other than simple are decoded only to refuse them: the nameserver answers
// every name with one record set per type.
type resourceRecordSet struct {
	Name                    string           `xml:"Name" required:"true"`
	Type                    string           `xml:"Type" required:"true"`
	SetIdentifier           string           `xml:"SetIdentifier,omitempty"`
	TTL                     *int64           `xml:"TTL,omitempty"`
	ResourceRecords         *resourceRecords `xml:"ResourceRecords,omitempty"`
	AliasTarget             *aliasTarget     `xml:"AliasTarget,omitempty"`
	HealthCheckID           string           `xml:"HealthCheckId,omitempty"`
	TrafficPolicyInstanceID string           `xml:"TrafficPolicyInstanceId,omitempty"`
}

// resourceRecords is a list that is absent, not empty, when it has no items
// (encoding/xml writes the parent of an "a>b,omitempty" field regardless).
type resourceRecords struct {
	Items []resourceRecord `xml:"ResourceRecord"`
}

type resourceRecord struct {
	Value string `xml:"Value"`
}

type aliasTarget struct {
	HostedZoneID         string `xml:"HostedZoneId"`
	DNSName              string `xml:"DNSName"`
	EvaluateTargetHealth *bool  `xml:"EvaluateTargetHealth" required:"true"`
}

type tags struct {
	Items []tag `xml:"Tag"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Responses.

type hostedZone struct {
	ID                     string           `xml:"Id"`
	Name                   string           `xml:"Name"`
	CallerReference        string           `xml:"CallerReference"`
	Config                 hostedZoneConfig `xml:"Config"`
	ResourceRecordSetCount int64            `xml:"ResourceRecordSetCount"`
}

type changeInfo struct {
	ID          string `xml:"Id"`
	Status      string `xml:"Status"`
	SubmittedAt string `xml:"SubmittedAt"`
}

type delegationSet struct {
	NameServers []string `xml:"NameServers>NameServer"`
}

type createHostedZoneResponse struct {
	XMLName       xml.Name      `xml:"https://route53.amazonaws.com/doc/2013-04-01/ CreateHostedZoneResponse"`
	HostedZone    hostedZone    `xml:"HostedZone"`
	ChangeInfo    changeInfo    `xml:"ChangeInfo"`
	DelegationSet delegationSet `xml:"DelegationSet"`
}

type getHostedZoneResponse struct {
	XMLName       xml.Name      `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneResponse"`
	HostedZone    hostedZone    `xml:"HostedZone"`
	DelegationSet delegationSet `xml:"DelegationSet"`
}

type updateHostedZoneCommentResponse struct {
	XMLName    xml.Name   `xml:"https://route53.amazonaws.com/doc/2013-04-01/ UpdateHostedZoneCommentResponse"`
	HostedZone hostedZone `xml:"HostedZone"`
}

type listHostedZonesResponse struct {
	XMLName     xml.Name     `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesResponse"`
	HostedZones []hostedZone `xml:"HostedZones>HostedZone"`
	Marker      string       `xml:"Marker"`
	IsTruncated bool         `xml:"IsTruncated"`
	NextMarker  string       `xml:"NextMarker,omitempty"`
	MaxItems    string       `xml:"MaxItems"`
}

type listHostedZonesByNameResponse struct {
	XMLName          xml.Name     `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesByNameResponse"`
	HostedZones      []hostedZone `xml:"HostedZones>HostedZone"`
	DNSName          string       `xml:"DNSName,omitempty"`
	HostedZoneID     string       `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool         `xml:"IsTruncated"`
	NextDNSName      string       `xml:"NextDNSName,omitempty"`
	NextHostedZoneID string       `xml:"NextHostedZoneId,omitempty"`
	MaxItems         string       `xml:"MaxItems"`
}

type getHostedZoneCountResponse struct {
	XMLName         xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneCountResponse"`
	HostedZoneCount int      `xml:"HostedZoneCount"`
}

type deleteHostedZoneResponse struct {
	XMLName    xml.Name   `xml:"https://route53.amazonaws.com/doc/2013-04-01/ DeleteHostedZoneResponse"`
	ChangeInfo changeInfo `xml:"ChangeInfo"`
}

type changeResourceRecordSetsResponse struct {
	XMLName    xml.Name   `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ChangeResourceRecordSetsResponse"`
	ChangeInfo changeInfo `xml:"ChangeInfo"`
}

type getChangeResponse struct {
	XMLName    xml.Name   `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetChangeResponse"`
	ChangeInfo changeInfo `xml:"ChangeInfo"`
}

type listResourceRecordSetsResponse struct {
	XMLName            xml.Name            `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListResourceRecordSetsResponse"`
	ResourceRecordSets []resourceRecordSet `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated        bool                `xml:"IsTruncated"`
	NextRecordName     string              `xml:"NextRecordName,omitempty"`
	NextRecordType     string              `xml:"NextRecordType,omitempty"`
	MaxItems           string              `xml:"MaxItems"`
}

type changeTagsForResourceResponse struct {
	XMLName xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ChangeTagsForResourceResponse"`
}

type resourceTagSet struct {
	ResourceType string `xml:"ResourceType"`
	ResourceID   string `xml:"ResourceId"`
	Tags         *tags  `xml:"Tags,omitempty"`
}

type listTagsForResourceResponse struct {
	XMLName        xml.Name       `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListTagsForResourceResponse"`
	ResourceTagSet resourceTagSet `xml:"ResourceTagSet"`
}

type listTagsForResourcesResponse struct {
	XMLName         xml.Name         `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListTagsForResourcesResponse"`
	ResourceTagSets []resourceTagSet `xml:"ResourceTagSets>ResourceTagSet"`
}

// Conversions. IDs go out with their "/hostedzone/" and "/change/" prefixes,
// as Route 53 writes them.

func zoneOut(z *model.HostedZone, sets int64) hostedZone {
	return hostedZone{
		ID:                     "/hostedzone/" + z.ID,
		Name:                   z.Name,
		CallerReference:        z.CallerReference,
		Config:                 hostedZoneConfig{Comment: z.Comment, PrivateZone: z.PrivateZone},
		ResourceRecordSetCount: sets,
	}
}

func changeOut(c *nameserver.ChangeInfo) changeInfo {
	return changeInfo{ID: "/change/" + c.ID, Status: c.Status, SubmittedAt: awsapi.Timestamp(c.SubmittedAt)}
}

func setOut(rs *model.RecordSet) resourceRecordSet {
	out := resourceRecordSet{Name: rs.Name, Type: rs.Type}
	if rs.Alias != nil {
		out.AliasTarget = &aliasTarget{
			HostedZoneID:         rs.Alias.HostedZoneID,
			DNSName:              rs.Alias.DNSName,
			EvaluateTargetHealth: &rs.Alias.EvaluateTargetHealth,
		}
		return out
	}
	out.TTL = &rs.TTL
	out.ResourceRecords = &resourceRecords{}
	for _, v := range rs.Records {
		out.ResourceRecords.Items = append(out.ResourceRecords.Items, resourceRecord{Value: v})
	}
	return out
}

// setIn is the record set a change names. The TTL of an alias is not
// dropped: the nameserver refuses an alias with one, as Route 53 does.
func setIn(in *resourceRecordSet) model.RecordSet {
	rs := model.RecordSet{Name: in.Name, Type: in.Type}
	if in.TTL != nil {
		rs.TTL = *in.TTL
	}
	if in.ResourceRecords != nil {
		for _, r := range in.ResourceRecords.Items {
			rs.Records = append(rs.Records, r.Value)
		}
	}
	if a := in.AliasTarget; a != nil {
		rs.Alias = &model.AliasTarget{HostedZoneID: a.HostedZoneID, DNSName: a.DNSName, EvaluateTargetHealth: *a.EvaluateTargetHealth}
	}
	return rs
}

// tagsOut lists tags by key, so that listings are stable; nil if there are none.
func tagsOut(m map[string]string) *tags {
	if len(m) == 0 {
		return nil
	}
	out := &tags{Items: make([]tag, 0, len(m))}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Items = append(out.Items, tag{Key: k, Value: m[k]})
	}
	return out
}

// pageMax is the MaxItems a listing reports: the request's, else the default.
func pageMax(requested string, def int) string {
	if requested != "" {
		return requested
	}
	return strconv.Itoa(def)
}
