// Package route53 is the Route 53 API (restXml) of gatehouse's AWS-compatible
// endpoint: it maps each REST route onto an operation of the nameserver, which
// holds Route 53's semantics (validation, error codes and messages), so that
// the stack file and this API obey the same rules. This package only decodes
// the XML bodies and query parameters, and shapes the outputs as Route 53
// writes them (IDs with their "/hostedzone/" and "/change/" prefixes, ISO 8601
// timestamps, MaxItems as a string).
//
// Batch faults of ChangeResourceRecordSets are answered in the ordinary
// <ErrorResponse> envelope with code InvalidChangeBatch, as Route 53 does today;
// its older <InvalidChangeBatch><Messages> document is not used, because the
// AWS CLI (botocore) cannot read it.
package route53

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
)

// New returns the Route 53 API over the nameserver's operations.
func New(svc *nameserver.Service) *awsapi.Service {
	a := &api{svc: svc}
	m := awsapi.NewMux()
	const p = "/2013-04-01"
	m.Handle("POST "+p+"/hostedzone", a.createHostedZone)
	m.Handle("GET "+p+"/hostedzone", a.listHostedZones)
	m.Handle("GET "+p+"/hostedzonesbyname", a.listHostedZonesByName)
	m.Handle("GET "+p+"/hostedzonecount", a.getHostedZoneCount)
	m.Handle("GET "+p+"/hostedzone/{Id}", a.getHostedZone)
	m.Handle("POST "+p+"/hostedzone/{Id}", a.updateHostedZoneComment)
	m.Handle("DELETE "+p+"/hostedzone/{Id}", a.deleteHostedZone)
	// The service model's URI ends in "/rrset/" (botocore sends it so); the
	// Go SDK's in "/rrset".
	m.Handle("POST "+p+"/hostedzone/{Id}/rrset", a.changeResourceRecordSets)
	m.Handle("POST "+p+"/hostedzone/{Id}/rrset/{$}", a.changeResourceRecordSets)
	m.Handle("GET "+p+"/hostedzone/{Id}/rrset", a.listResourceRecordSets)
	m.Handle("GET "+p+"/change/{Id}", a.getChange)
	m.Handle("POST "+p+"/tags/{ResourceType}/{ResourceId}", a.changeTagsForResource)
	m.Handle("GET "+p+"/tags/{ResourceType}/{ResourceId}", a.listTagsForResource)
	m.Handle("POST "+p+"/tags/{ResourceType}", a.listTagsForResources)
	return &awsapi.Service{
		Name: "route53",
		// A global service: clients sign for us-east-1.
		SigningRegions: []string{"us-east-1"},
		Protocol:       awsapi.RestXML,
		BadInput:       "InvalidInput",
		PathPrefixes:   []string{p + "/"},
		XMLNamespace:   xmlns,
		Handler:        m,
	}
}

type api struct{ svc *nameserver.Service }

func (a *api) createHostedZone(r *http.Request) (int, any, error) {
	var in createHostedZoneRequest
	if err := awsapi.DecodeXML(awsapi.Body(r), &in); err != nil {
		return 0, nil, err
	}
	config := hostedZoneConfig{}
	if in.HostedZoneConfig != nil {
		config = *in.HostedZoneConfig
	}
	switch {
	case in.VPC != nil || config.PrivateZone:
		// Not Route 53's answer: it would create a private zone, which gatehouse
		// does not have (its nameserver answers every client alike).
		return 0, nil, model.BadRequest("InvalidInput", "gatehouse supports public hosted zones only")
	case in.DelegationSetID != "":
		return 0, nil, noSuchDelegationSet()
	}
	z, change, err := a.svc.CreateHostedZone(r.Context(), in.Name, in.CallerReference, config.Comment)
	if err != nil {
		return 0, nil, err
	}
	out, err := a.zones(r.Context(), z)
	if err != nil {
		return 0, nil, err
	}
	awsapi.SetHeader(r, "Location", location(r, "/2013-04-01/hostedzone/"+z.ID))
	return http.StatusCreated, createHostedZoneResponse{
		HostedZone:    out[0],
		ChangeInfo:    changeOut(change),
		DelegationSet: delegationSet{NameServers: z.NameServers},
	}, nil
}

func (a *api) getHostedZone(r *http.Request) (int, any, error) {
	z, err := a.svc.GetHostedZone(r.Context(), r.PathValue("Id"))
	if err != nil {
		return 0, nil, err
	}
	out, err := a.zones(r.Context(), z)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, getHostedZoneResponse{HostedZone: out[0], DelegationSet: delegationSet{NameServers: z.NameServers}}, nil
}

func (a *api) updateHostedZoneComment(r *http.Request) (int, any, error) {
	var in updateHostedZoneCommentRequest
	if err := awsapi.DecodeXML(awsapi.Body(r), &in); err != nil {
		return 0, nil, err
	}
	z, err := a.svc.UpdateHostedZoneComment(r.Context(), r.PathValue("Id"), in.Comment)
	if err != nil {
		return 0, nil, err
	}
	out, err := a.zones(r.Context(), z)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, updateHostedZoneCommentResponse{HostedZone: out[0]}, nil
}

func (a *api) deleteHostedZone(r *http.Request) (int, any, error) {
	change, err := a.svc.DeleteHostedZone(r.Context(), r.PathValue("Id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, deleteHostedZoneResponse{ChangeInfo: changeOut(change)}, nil
}

func (a *api) listHostedZones(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	n, err := maxItems(q)
	if err != nil {
		return 0, nil, err
	}
	t := q.Get("hostedzonetype")
	switch {
	case q.Get("delegationsetid") != "":
		return 0, nil, noSuchDelegationSet()
	case t != "" && t != "PrivateHostedZone":
		return 0, nil, model.Enum("InvalidInput", "hostedZoneType", t, []string{"PrivateHostedZone"})
	}
	marker := q.Get("marker")
	var zones []*model.HostedZone
	var next string
	if t == "" { // gatehouse has public zones only
		if zones, next, err = a.svc.ListHostedZonesPage(r.Context(), marker, n); err != nil {
			return 0, nil, err
		}
	}
	out, err := a.zones(r.Context(), zones...)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, listHostedZonesResponse{
		HostedZones: out,
		Marker:      marker,
		IsTruncated: next != "",
		NextMarker:  next,
		MaxItems:    pageMax(q.Get("maxitems"), nameserver.MaxZonesPage),
	}, nil
}

func (a *api) listHostedZonesByName(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	n, err := maxItems(q)
	if err != nil {
		return 0, nil, err
	}
	name, id := q.Get("dnsname"), q.Get("hostedzoneid")
	zones, nextName, nextID, err := a.svc.ListHostedZonesByName(r.Context(), name, id, n)
	if err != nil {
		return 0, nil, err
	}
	out, err := a.zones(r.Context(), zones...)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, listHostedZonesByNameResponse{
		HostedZones:      out,
		DNSName:          name,
		HostedZoneID:     id,
		IsTruncated:      nextID != "",
		NextDNSName:      nextName,
		NextHostedZoneID: nextID,
		MaxItems:         pageMax(q.Get("maxitems"), nameserver.MaxZonesPage),
	}, nil
}

func (a *api) getHostedZoneCount(r *http.Request) (int, any, error) {
	zones, err := a.svc.ListHostedZones(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, getHostedZoneCountResponse{HostedZoneCount: len(zones)}, nil
}

func (a *api) changeResourceRecordSets(r *http.Request) (int, any, error) {
	var in changeResourceRecordSetsRequest
	if err := awsapi.DecodeXML(awsapi.Body(r), &in); err != nil {
		return 0, nil, err
	}
	// The batch's comment is not kept (gatehouse reports no change details), so
	// only the wire checks it: ResourceDescription, at most 256 characters.
	if err := model.Length("InvalidInput", "changeBatch.comment", in.ChangeBatch.Comment, 0, maxComment); err != nil {
		return 0, nil, err
	}
	changes := make([]nameserver.Change, len(in.ChangeBatch.Changes))
	for i, c := range in.ChangeBatch.Changes {
		rs := c.ResourceRecordSet
		switch {
		case rs.HealthCheckID != "":
			return 0, nil, nameserver.NoSuchHealthCheck(rs.HealthCheckID)
		case rs.SetIdentifier != "" || rs.TrafficPolicyInstanceID != "":
			// Not Route 53's answer: every routing policy but simple needs a
			// SetIdentifier, and gatehouse answers one record set per name and type.
			return 0, nil, model.BadRequest("InvalidInput", "gatehouse supports simple routing only: SetIdentifier and TrafficPolicyInstanceId are not supported")
		}
		changes[i] = nameserver.Change{Action: c.Action, Set: setIn(rs)}
	}
	change, err := a.svc.ChangeRecordSets(r.Context(), r.PathValue("Id"), changes)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, changeResourceRecordSetsResponse{ChangeInfo: changeOut(change)}, nil
}

func (a *api) listResourceRecordSets(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	n, err := maxItems(q)
	if err != nil {
		return 0, nil, err
	}
	sets, nextName, nextType, err := a.svc.ListRecordSetsPage(r.Context(), r.PathValue("Id"), q.Get("name"), q.Get("type"), n)
	if err != nil {
		return 0, nil, err
	}
	out := listResourceRecordSetsResponse{
		ResourceRecordSets: make([]resourceRecordSet, len(sets)),
		IsTruncated:        nextName != "",
		NextRecordName:     nextName,
		NextRecordType:     nextType,
		MaxItems:           pageMax(q.Get("maxitems"), nameserver.MaxSetsPage),
	}
	for i, rs := range sets {
		out.ResourceRecordSets[i] = setOut(rs)
	}
	return http.StatusOK, out, nil
}

func (a *api) getChange(r *http.Request) (int, any, error) {
	change, err := a.svc.GetChange(r.Context(), r.PathValue("Id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, getChangeResponse{ChangeInfo: changeOut(change)}, nil
}

func (a *api) changeTagsForResource(r *http.Request) (int, any, error) {
	var in changeTagsForResourceRequest
	if err := awsapi.DecodeXML(awsapi.Body(r), &in); err != nil {
		return 0, nil, err
	}
	add := make(map[string]string, len(in.AddTags))
	for _, t := range in.AddTags {
		add[t.Key] = t.Value
	}
	if err := a.svc.ChangeTags(r.Context(), r.PathValue("ResourceType"), r.PathValue("ResourceId"), add, in.RemoveTagKeys); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, changeTagsForResourceResponse{}, nil
}

func (a *api) listTagsForResource(r *http.Request) (int, any, error) {
	set, err := a.tagSet(r.Context(), r.PathValue("ResourceType"), r.PathValue("ResourceId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, listTagsForResourceResponse{ResourceTagSet: set}, nil
}

// maxTagResources is the most resource IDs ListTagsForResources takes and
// maxComment the longest comment (ResourceDescription), both from the API model.
const (
	maxTagResources = 10
	maxComment      = 256
)

func (a *api) listTagsForResources(r *http.Request) (int, any, error) {
	var in listTagsForResourcesRequest
	if err := awsapi.DecodeXML(awsapi.Body(r), &in); err != nil {
		return 0, nil, err
	}
	switch {
	case len(in.ResourceIDs) == 0:
		return 0, nil, &awsapi.InputError{Missing: []string{"ResourceIds"}}
	case len(in.ResourceIDs) > maxTagResources:
		return 0, nil, model.BadRequest("InvalidInput", "1 validation error detected: Value at 'resourceIds' failed to satisfy constraint: Member must have length less than or equal to %d", maxTagResources) // UNVERIFIED wording
	}
	out := listTagsForResourcesResponse{}
	for _, id := range in.ResourceIDs {
		set, err := a.tagSet(r.Context(), r.PathValue("ResourceType"), id)
		if err != nil {
			return 0, nil, err
		}
		out.ResourceTagSets = append(out.ResourceTagSets, set)
	}
	return http.StatusOK, out, nil
}

func (a *api) tagSet(ctx context.Context, typ, id string) (resourceTagSet, error) {
	tags, err := a.svc.ListTags(ctx, typ, id)
	if err != nil {
		return resourceTagSet{}, err
	}
	return resourceTagSet{ResourceType: typ, ResourceID: id, Tags: tagsOut(tags)}, nil
}

// zones shapes hosted zones with their record set counts.
func (a *api) zones(ctx context.Context, zones ...*model.HostedZone) ([]hostedZone, error) {
	counts, err := a.svc.RecordSetCounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]hostedZone, len(zones))
	for i, z := range zones {
		out[i] = zoneOut(z, counts[z.ID])
	}
	return out, nil
}

// noSuchDelegationSet answers any delegation set ID: gatehouse has no reusable
// delegation sets. UNVERIFIED wording (the API reference's description).
func noSuchDelegationSet() error {
	return model.BadRequest("NoSuchDelegationSet", "A reusable delegation set with the specified ID does not exist.")
}

// maxItems reads the maxitems parameter (0 when absent). Route 53 takes it as
// a string; one that is not a positive number is refused.
func maxItems(q url.Values) (int, error) {
	v := q.Get("maxitems")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		// UNVERIFIED wording.
		return 0, model.Violation("InvalidInput", "maxItems", v, "Member must be a positive integer")
	}
	return n, nil
}

// location is the absolute URL of a created resource, on the endpoint the
// client called (Route 53 names its own).
func location(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: path}).String()
}
