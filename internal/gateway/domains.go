package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// CreateDomainNameInput is CreateDomainName's request.
type CreateDomainNameInput struct {
	DomainName             string
	CertificateARN         string                       // EDGE
	RegionalCertificateARN string                       // REGIONAL
	SecurityPolicy         string                       // TLS_1_0 or TLS_1_2 (default)
	EndpointConfiguration  *model.EndpointConfiguration // nil: EDGE
	Tags                   map[string]string
}

// regionalHostedZones are API Gateway's regional hosted zone ids, the alias
// target zone of a regional custom domain.
var regionalHostedZones = map[string]string{
	"us-east-1":    "Z1UJRXOUMOOFQ8",
	"us-east-2":    "ZOJJZC49E0EPZ",
	"us-west-1":    "Z2MUQ32089INYE",
	"us-west-2":    "Z2OJLYMUO9EFXC",
	"eu-west-1":    "ZLY8HYME6SFDD",
	"eu-central-1": "Z1U9ULNL0V5AJ3",
}

var domainRe = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)

// CreateDomainName registers a custom domain with an issued certificate.
func (s *Service) CreateDomainName(ctx context.Context, in CreateDomainNameInput) (*model.DomainName, error) {
	name := model.DomainKey(in.DomainName)
	if name == "" {
		return nil, badRequest("No Domain Name specified") // as moto; UNVERIFIED
	}
	if len(name) > maxDomainNameLen || !domainRe.MatchString(name) {
		return nil, badRequest("Invalid domain name: " + model.Clip(in.DomainName)) // UNVERIFIED text
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ec := model.EndpointConfiguration{Types: []string{"EDGE"}}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		ec = model.EndpointConfiguration{Types: in.EndpointConfiguration.Types}
	}
	if len(ec.Types) != 1 || (ec.Types[0] != "EDGE" && ec.Types[0] != "REGIONAL") {
		// UNVERIFIED text. (Private custom domains, Nov 2024, are not modelled.)
		return nil, badRequest("Invalid endpoint configuration for a domain name: " + model.Clip(strings.Join(ec.Types, ",")))
	}
	sp := cmp.Or(in.SecurityPolicy, "TLS_1_2")
	if sp != "TLS_1_0" && sp != "TLS_1_2" {
		return nil, badRequest("Invalid security policy: " + model.Clip(sp)) // UNVERIFIED text
	}
	arn := in.CertificateARN
	if ec.Types[0] == "REGIONAL" {
		arn = in.RegionalCertificateARN
	}
	if arn == "" {
		// UNVERIFIED text.
		return nil, badRequest("A certificate was not provided for the " + ec.Types[0] + " domain name")
	}
	if err := checkLen("certificate ARN", arn, maxCertificateARNLen); err != nil {
		return nil, err
	}
	cert, _, err := store.LoadOr[model.Certificate](ctx, s.d.Store, model.Key(model.KindCertificate, arn), func() error {
		// Modelled on AWS's "Certificate … in account … not yet issued"; UNVERIFIED.
		return badRequest(fmt.Sprintf("Certificate %s in account %s not found", arn, s.env.Account))
	})
	if err != nil {
		return nil, err
	}
	if cert.Status != model.CertIssued {
		return nil, badRequest(fmt.Sprintf("Certificate %s in account %s not yet issued", arn, s.env.Account))
	}
	all, err := s.GetDomainNames(ctx)
	if err != nil {
		return nil, err
	}
	if len(all) >= maxDomains {
		return nil, limit(msgTooManyDomains)
	}
	d := &model.DomainName{
		Name:                  name,
		EndpointConfiguration: ec,
		SecurityPolicy:        sp,
		DomainNameStatus:      "AVAILABLE",
		CreatedDate:           time.Now().UTC().Truncate(time.Second),
		Tags:                  in.Tags,
	}
	if ec.Types[0] == "REGIONAL" {
		d.RegionalCertificateARN = arn
		d.RegionalDomainName = "d-" + model.RandomID(10) + ".execute-api." + s.env.Region + ".amazonaws.com"
		d.RegionalHostedZoneID = regionalHostedZones[s.env.Region]
	} else {
		d.CertificateARN = arn
	}
	_, err = store.Save(ctx, s.d.Store, model.Key(model.KindDomainName, name), d, 0)
	if errors.Is(err, store.ErrConflict) {
		// AWS answers BadRequestException here, not ConflictException (users'
		// reports of real CreateDomainName errors).
		return nil, badRequest(msgDomainExists)
	}
	if err != nil {
		return nil, fmt.Errorf("save domain name %s: %w", name, err)
	}
	return d, nil
}

// GetDomainName returns one custom domain.
func (s *Service) GetDomainName(ctx context.Context, name string) (*model.DomainName, error) {
	name = model.DomainKey(name)
	d, _, err := store.LoadOr[model.DomainName](ctx, s.d.Store, model.Key(model.KindDomainName, name), answer(notFound(msgNoDomain)))
	return d, err
}

// GetDomainNames returns every custom domain by name.
func (s *Service) GetDomainNames(ctx context.Context) ([]*model.DomainName, error) {
	return store.LoadAll[model.DomainName](ctx, s.d.Store, model.Prefix(model.KindDomainName))
}

// DeleteDomainName deletes a custom domain and its base path mappings.
func (s *Service) DeleteDomainName(ctx context.Context, name string) error {
	d, err := s.GetDomainName(ctx, name)
	if err != nil {
		return err
	}
	if err := s.deleteAll(ctx, model.Key(model.KindBasePathMapping, d.Name+"/")); err != nil {
		return err
	}
	return s.deleteOr(ctx, model.Key(model.KindDomainName, d.Name), answer(notFound(msgNoDomain)))
}

// ---- Base path mappings ----

var basePathRe = regexp.MustCompile(`^[a-zA-Z0-9$\-_.+!*'()/]{1,300}$`)

func normBasePath(p string) string {
	if p == model.NoBasePath {
		return ""
	}
	return strings.Trim(p, "/")
}

// CreateBasePathMapping maps domain + basePath ("" or "(none)": none) to an API
// stage (stage "" or "(none)": callers name the stage in the path).
func (s *Service) CreateBasePathMapping(ctx context.Context, domain, basePath, apiID, stage string) (*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	m := &model.BasePathMapping{DomainName: d.Name, BasePath: basePath, RestAPIID: apiID, Stage: stage, ID: model.RandomID(6)}
	if err := s.checkMapping(ctx, d, m, nil); err != nil {
		return nil, err
	}
	if err := s.saveMapping(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkMapping normalises m (base path, "(none)" stage) and checks it as
// CreateBasePathMapping must: a valid base path, an existing API and stage,
// and no clash with the domain's other mappings (except old, which m replaces).
func (s *Service) checkMapping(ctx context.Context, d *model.DomainName, m, old *model.BasePathMapping) error {
	raw := m.BasePath
	m.BasePath = normBasePath(raw)
	if bp := m.BasePath; bp != "" {
		if len(bp) > maxBasePathLen || !basePathRe.MatchString(bp) || strings.Contains(bp, "//") {
			return badRequest("Invalid base path: " + model.Clip(raw)) // UNVERIFIED text
		}
		// Multi-level base paths need a REGIONAL domain with TLS 1.2 (§A9); AWS
		// offers them through API Gateway V2's API mappings.
		if strings.Contains(bp, "/") && (d.SecurityPolicy != "TLS_1_2" || !slices.Contains(d.EndpointConfiguration.Types, "REGIONAL")) {
			return badRequest(msgMultiLevelV1)
		}
	}
	if m.Stage == model.NoBasePath {
		m.Stage = ""
	}
	// Ids and names longer than any that exists name nothing: refused before
	// they become store keys.
	if len(m.RestAPIID) > maxShortLen {
		return badRequest(msgMappingNoAPI)
	}
	if m.Stage != "" && validStageName(m.Stage) != nil {
		return badRequest(msgNoStageMapping)
	}
	if _, _, err := store.LoadOr[model.RestAPI](ctx, s.d.Store, model.Key(model.KindRestAPI, m.RestAPIID), answer(badRequest(msgMappingNoAPI))); err != nil {
		return err
	}
	if m.Stage != "" {
		if _, _, err := store.LoadOr[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, m.RestAPIID+"/"+m.Stage), answer(badRequest(msgNoStageMapping))); err != nil {
			return err
		}
	}
	existing, err := s.GetBasePathMappings(ctx, d.Name)
	if err != nil {
		return err
	}
	for _, e := range existing {
		if old != nil && e.BasePath == old.BasePath {
			continue
		}
		if e.BasePath == m.BasePath {
			return conflict(msgBasePathExists)
		}
		if e.BasePath == "" || m.BasePath == "" {
			return conflict(msgOnlyOneEmpty)
		}
	}
	return nil
}

// saveMapping stores a new mapping; its base path must be free.
func (s *Service) saveMapping(ctx context.Context, m *model.BasePathMapping) error {
	_, err := store.Save(ctx, s.d.Store, model.Key(model.KindBasePathMapping, model.MappingID(m.DomainName, m.BasePath)), m, 0)
	if errors.Is(err, store.ErrConflict) {
		return conflict(msgBasePathExists)
	}
	if err != nil {
		return fmt.Errorf("save base path mapping: %w", err)
	}
	return nil
}

// GetBasePathMapping returns one mapping ("(none)" or "" for the empty base path).
func (s *Service) GetBasePathMapping(ctx context.Context, domain, basePath string) (*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	m, _, err := store.LoadOr[model.BasePathMapping](ctx, s.d.Store, model.Key(model.KindBasePathMapping, model.MappingID(d.Name, normBasePath(basePath))), answer(notFound(msgNoMapping)))
	return m, err
}

// GetBasePathMappings returns a domain's mappings.
func (s *Service) GetBasePathMappings(ctx context.Context, domain string) ([]*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	return store.LoadAll[model.BasePathMapping](ctx, s.d.Store, model.Key(model.KindBasePathMapping, d.Name+"/"))
}

// GetAPIMapping returns the mapping with the apigatewayv2 id mappingID: API
// mappings and base path mappings are one record.
func (s *Service) GetAPIMapping(ctx context.Context, domain, mappingID string) (*model.BasePathMapping, error) {
	all, err := s.GetBasePathMappings(ctx, domain)
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.ID == mappingID {
			return m, nil
		}
	}
	// UNVERIFIED text: apigatewayv2's answer for an unknown mapping id.
	return nil, notFound("Invalid API mapping identifier specified " + mappingID)
}

// DeleteBasePathMapping deletes one mapping.
func (s *Service) DeleteBasePathMapping(ctx context.Context, domain, basePath string) error {
	m, err := s.GetBasePathMapping(ctx, domain, basePath)
	if err != nil {
		return err
	}
	return s.deleteOr(ctx, model.Key(model.KindBasePathMapping, model.MappingID(m.DomainName, m.BasePath)), answer(notFound(msgNoMapping)))
}
