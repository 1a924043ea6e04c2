// Package acm maps AWS Certificate Manager's awsJson1.1 wire protocol
// (X-Amz-Target "CertificateManager.<Operation>") onto the certs service's
// operations. It only decodes inputs and shapes outputs as the ACM API model
// (botocore acm/2015-12-08) names them; validation, error codes and messages
// are the certs operations', so the stack file obeys the same rules.
package acm

import (
	"context"
	"maps"
	"slices"
	"time"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/certs"
	"gatehouse/internal/model"
)

// New returns ACM's wire mapping onto svc.
func New(svc *certs.Service) *awsapi.Service {
	a := &api{svc: svc}
	return &awsapi.Service{
		Name:         "acm",
		Protocol:     awsapi.JSON,
		BadInput:     "ValidationException",
		TargetPrefix: "CertificateManager",
		Handler: awsapi.JSONOps(map[string]awsapi.JSONOp{
			"RequestCertificate":        awsapi.JSONOf(a.requestCertificate),
			"DescribeCertificate":       awsapi.JSONOf(a.describeCertificate),
			"ListCertificates":          awsapi.JSONOf(a.listCertificates),
			"GetCertificate":            awsapi.JSONOf(a.getCertificate),
			"ImportCertificate":         awsapi.JSONOf(a.importCertificate),
			"DeleteCertificate":         awsapi.JSONOf(a.deleteCertificate),
			"AddTagsToCertificate":      awsapi.JSONOf(a.addTags),
			"RemoveTagsFromCertificate": awsapi.JSONOf(a.removeTags),
			"ListTagsForCertificate":    awsapi.JSONOf(a.listTags),
		}),
	}
}

type api struct{ svc *certs.Service }

// tag is ACM's Tag; Value is optional on the wire.
type tag struct {
	Key   string  `json:"Key" required:"true"`
	Value *string `json:"Value,omitempty"`
}

// tagMap turns a tag list into the map the operations take; a tag without a
// value has the empty value.
func tagMap(tags []tag) map[string]string {
	if tags == nil {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = ""
		if t.Value != nil {
			m[t.Key] = *t.Value
		}
	}
	return m
}

// arnInput is the input of every operation that names one certificate.
type arnInput struct {
	CertificateArn string `json:"CertificateArn" required:"true"`
}

type arnOutput struct {
	CertificateArn string `json:"CertificateArn"`
}

type requestCertificateInput struct {
	DomainName              string   `json:"DomainName" required:"true"`
	ValidationMethod        string   `json:"ValidationMethod"`
	SubjectAlternativeNames []string `json:"SubjectAlternativeNames"`
	IdempotencyToken        string   `json:"IdempotencyToken"`
	KeyAlgorithm            string   `json:"KeyAlgorithm"`
	Tags                    []tag    `json:"Tags"`
}

func (a *api) requestCertificate(ctx context.Context, in *requestCertificateInput) (any, error) {
	c, err := a.svc.RequestCertificate(ctx, certs.RequestInput{
		DomainName:              in.DomainName,
		SubjectAlternativeNames: in.SubjectAlternativeNames,
		ValidationMethod:        in.ValidationMethod,
		KeyAlgorithm:            in.KeyAlgorithm,
		IdempotencyToken:        in.IdempotencyToken,
		Tags:                    tagMap(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return arnOutput{c.ARN}, nil
}

// certificateDetail is ACM's CertificateDetail.
type certificateDetail struct {
	CertificateArn          string              `json:"CertificateArn"`
	DomainName              string              `json:"DomainName"`
	SubjectAlternativeNames []string            `json:"SubjectAlternativeNames"`
	DomainValidationOptions []domainValidation  `json:"DomainValidationOptions,omitempty"`
	Serial                  string              `json:"Serial,omitempty"`
	Subject                 string              `json:"Subject,omitempty"`
	Issuer                  string              `json:"Issuer,omitempty"`
	CreatedAt               *awsapi.Epoch       `json:"CreatedAt,omitempty"`
	IssuedAt                *awsapi.Epoch       `json:"IssuedAt,omitempty"`
	ImportedAt              *awsapi.Epoch       `json:"ImportedAt,omitempty"`
	Status                  string              `json:"Status"`
	NotBefore               *awsapi.Epoch       `json:"NotBefore,omitempty"`
	NotAfter                *awsapi.Epoch       `json:"NotAfter,omitempty"`
	KeyAlgorithm            string              `json:"KeyAlgorithm"`
	SignatureAlgorithm      string              `json:"SignatureAlgorithm,omitempty"`
	InUseBy                 []string            `json:"InUseBy"`
	Type                    string              `json:"Type"`
	KeyUsages               []keyUsage          `json:"KeyUsages"`
	ExtendedKeyUsages       []extendedKeyUsage  `json:"ExtendedKeyUsages"`
	RenewalEligibility      string              `json:"RenewalEligibility"`
	Options                 *certificateOptions `json:"Options,omitempty"`
}

type domainValidation struct {
	DomainName       string         `json:"DomainName"`
	ValidationDomain string         `json:"ValidationDomain"`
	ValidationStatus string         `json:"ValidationStatus"`
	ResourceRecord   resourceRecord `json:"ResourceRecord"`
	ValidationMethod string         `json:"ValidationMethod"`
}

type resourceRecord struct {
	Name  string `json:"Name"`
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

type keyUsage struct {
	Name string `json:"Name"`
}

type extendedKeyUsage struct {
	Name string `json:"Name"`
	OID  string `json:"OID"`
}

type certificateOptions struct {
	CertificateTransparencyLoggingPreference string `json:"CertificateTransparencyLoggingPreference"`
}

// transparencyLogged is ACM's default certificate transparency preference,
// the Options it reports for a certificate it issued.
const transparencyLogged = "ENABLED"

func (a *api) describeCertificate(ctx context.Context, in *arnInput) (any, error) {
	c, err := a.svc.DescribeCertificate(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	users, err := a.svc.Users(ctx, c.ARN)
	if err != nil {
		return nil, err
	}
	d := certs.DetailsOf(c)
	out := certificateDetail{
		CertificateArn:          c.ARN,
		DomainName:              c.DomainName,
		SubjectAlternativeNames: c.SubjectAlternativeNames,
		Serial:                  c.Serial,
		Subject:                 d.Subject,
		Issuer:                  d.Issuer,
		CreatedAt:               epoch(c.CreatedAt),
		IssuedAt:                epoch(c.IssuedAt),
		ImportedAt:              epoch(c.ImportedAt),
		Status:                  c.Status,
		NotBefore:               epoch(c.NotBefore),
		NotAfter:                epoch(c.NotAfter),
		KeyAlgorithm:            c.KeyAlgorithm,
		SignatureAlgorithm:      d.SignatureAlgorithm,
		InUseBy:                 nonNil(users),
		Type:                    c.Type,
		KeyUsages:               []keyUsage{},
		ExtendedKeyUsages:       []extendedKeyUsage{},
		RenewalEligibility:      certs.RenewalEligibility(c, len(users) > 0),
	}
	for _, u := range d.KeyUsages {
		out.KeyUsages = append(out.KeyUsages, keyUsage{u})
	}
	for _, u := range d.ExtendedKeyUsages {
		out.ExtendedKeyUsages = append(out.ExtendedKeyUsages, extendedKeyUsage{u.Name, u.OID})
	}
	// Imported certificates have no validation and no ACM options.
	if c.Type == model.CertAmazonIssued {
		out.Options = &certificateOptions{CertificateTransparencyLoggingPreference: transparencyLogged}
		for _, v := range c.Validations {
			out.DomainValidationOptions = append(out.DomainValidationOptions, domainValidation{
				DomainName:       v.DomainName,
				ValidationDomain: v.ValidationDomain,
				ValidationStatus: v.ValidationStatus,
				ResourceRecord:   resourceRecord(v.ResourceRecord),
				ValidationMethod: c.ValidationMethod,
			})
		}
	}
	return struct {
		Certificate certificateDetail `json:"Certificate"`
	}{out}, nil
}

// summary is ACM's CertificateSummary.
type summary struct {
	CertificateArn                       string        `json:"CertificateArn"`
	DomainName                           string        `json:"DomainName"`
	SubjectAlternativeNameSummaries      []string      `json:"SubjectAlternativeNameSummaries"`
	HasAdditionalSubjectAlternativeNames bool          `json:"HasAdditionalSubjectAlternativeNames"`
	Status                               string        `json:"Status"`
	Type                                 string        `json:"Type"`
	KeyAlgorithm                         string        `json:"KeyAlgorithm"`
	KeyUsages                            []string      `json:"KeyUsages"`
	ExtendedKeyUsages                    []string      `json:"ExtendedKeyUsages"`
	InUse                                bool          `json:"InUse"`
	Exported                             bool          `json:"Exported"`
	RenewalEligibility                   string        `json:"RenewalEligibility"`
	NotBefore                            *awsapi.Epoch `json:"NotBefore,omitempty"`
	NotAfter                             *awsapi.Epoch `json:"NotAfter,omitempty"`
	CreatedAt                            *awsapi.Epoch `json:"CreatedAt,omitempty"`
	IssuedAt                             *awsapi.Epoch `json:"IssuedAt,omitempty"`
	ImportedAt                           *awsapi.Epoch `json:"ImportedAt,omitempty"`
}

type listCertificatesInput struct {
	CertificateStatuses []string `json:"CertificateStatuses"`
	Includes            struct {
		KeyTypes         []string `json:"keyTypes"`
		KeyUsage         []string `json:"keyUsage"`
		ExtendedKeyUsage []string `json:"extendedKeyUsage"`
	} `json:"Includes"`
	MaxItems  *int   `json:"MaxItems"`
	NextToken string `json:"NextToken"`
	SortBy    string `json:"SortBy"`
	SortOrder string `json:"SortOrder"`
}

func (a *api) listCertificates(ctx context.Context, in *listCertificatesInput) (any, error) {
	page, err := a.svc.ListCertificates(ctx, certs.ListInput{
		Statuses:          in.CertificateStatuses,
		KeyTypes:          in.Includes.KeyTypes,
		KeyUsages:         in.Includes.KeyUsage,
		ExtendedKeyUsages: in.Includes.ExtendedKeyUsage,
		SortBy:            in.SortBy,
		SortOrder:         in.SortOrder,
		MaxItems:          in.MaxItems,
		NextToken:         in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		CertificateSummaryList []summary `json:"CertificateSummaryList"`
		NextToken              string    `json:"NextToken,omitempty"`
	}{CertificateSummaryList: []summary{}, NextToken: page.NextToken}
	for _, l := range page.Certificates {
		out.CertificateSummaryList = append(out.CertificateSummaryList, summary{
			CertificateArn:                  l.ARN,
			DomainName:                      l.DomainName,
			SubjectAlternativeNameSummaries: l.SubjectAlternativeNames,
			Status:                          l.Status,
			Type:                            l.Type,
			KeyAlgorithm:                    l.KeyAlgorithm,
			KeyUsages:                       nonNil(l.Details.KeyUsages),
			ExtendedKeyUsages:               nonNil(l.Details.ExtendedKeyUsageNames()),
			InUse:                           l.InUse,
			RenewalEligibility:              certs.RenewalEligibility(l.Certificate, l.InUse),
			NotBefore:                       epoch(l.NotBefore),
			NotAfter:                        epoch(l.NotAfter),
			CreatedAt:                       epoch(l.CreatedAt),
			IssuedAt:                        epoch(l.IssuedAt),
			ImportedAt:                      epoch(l.ImportedAt),
		})
	}
	return out, nil
}

func (a *api) getCertificate(ctx context.Context, in *arnInput) (any, error) {
	cert, chain, err := a.svc.GetCertificate(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	return struct {
		Certificate      string `json:"Certificate"`
		CertificateChain string `json:"CertificateChain,omitempty"`
	}{cert, chain}, nil
}

// importCertificateInput's blobs are base64 in JSON, which encoding/json
// decodes into []byte.
type importCertificateInput struct {
	CertificateArn   string `json:"CertificateArn"`
	Certificate      []byte `json:"Certificate" required:"true"`
	PrivateKey       []byte `json:"PrivateKey" required:"true"`
	CertificateChain []byte `json:"CertificateChain"`
	Tags             []tag  `json:"Tags"`
}

func (a *api) importCertificate(ctx context.Context, in *importCertificateInput) (any, error) {
	c, err := a.svc.ImportCertificate(ctx, in.Certificate, in.PrivateKey, in.CertificateChain, in.CertificateArn, tagMap(in.Tags))
	if err != nil {
		return nil, err
	}
	return arnOutput{c.ARN}, nil
}

func (a *api) deleteCertificate(ctx context.Context, in *arnInput) (any, error) {
	return nil, a.svc.DeleteCertificate(ctx, in.CertificateArn)
}

type tagsInput struct {
	CertificateArn string `json:"CertificateArn" required:"true"`
	Tags           []tag  `json:"Tags" required:"true"`
}

func (a *api) addTags(ctx context.Context, in *tagsInput) (any, error) {
	return nil, a.svc.AddTags(ctx, in.CertificateArn, tagMap(in.Tags))
}

func (a *api) removeTags(ctx context.Context, in *tagsInput) (any, error) {
	// A tag without a value removes the key whatever its value.
	tags := make(map[string]*string, len(in.Tags))
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	return nil, a.svc.RemoveTags(ctx, in.CertificateArn, tags)
}

func (a *api) listTags(ctx context.Context, in *arnInput) (any, error) {
	tags, err := a.svc.ListTags(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	out := struct {
		Tags []tag `json:"Tags"`
	}{Tags: []tag{}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		out.Tags = append(out.Tags, tag{Key: k, Value: &v})
	}
	return out, nil
}

// epoch is t as JSON protocols send it, or nil (omitted) for the zero time.
func epoch(t time.Time) *awsapi.Epoch {
	if t.IsZero() {
		return nil
	}
	e := awsapi.Epoch(t)
	return &e
}

// nonNil makes an absent list an empty one, as ACM sends lists it always has.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
