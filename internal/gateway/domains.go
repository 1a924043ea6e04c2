package gateway

import (
	"cmp"
	"context"
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

// msgNoCertificate is AWS's answer to a domain name without a certificate for
// its endpoint type (terraform-provider-aws#3276, for EDGE).
func msgNoCertificate(endpointType string) string {
	return "A certificate was not provided for the endpoint type " + endpointType + "."
}

// msgCertificateMissing is AWS's answer to a certificate ARN it cannot find
// (aws-cdk#3612, quoted by CloudFormation after its "Invalid request provided: ").
const msgCertificateMissing = "The provided certificate does not exist."

var domainRe = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)

// CreateDomainName registers a custom domain with an issued certificate.
func (s *Service) CreateDomainName(ctx context.Context, in CreateDomainNameInput) (*model.DomainName, error) {
	name := model.DomainKey(in.DomainName)
	if name == "" {
		return nil, badRequest("No Domain Name specified") // moto's text (InvalidDomainName), written against AWS
	}
	if len(name) > maxDomainNameLen || !domainRe.MatchString(name) {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return nil, badRequest("Invalid domain name: " + model.Clip(in.DomainName))
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ec := model.EndpointConfiguration{Types: []string{"EDGE"}}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		ec = model.EndpointConfiguration{Types: in.EndpointConfiguration.Types}
	}
	if len(ec.Types) != 1 || (ec.Types[0] != "EDGE" && ec.Types[0] != "REGIONAL") {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		// (Private custom domains, Nov 2024, are not modelled.)
		return nil, badRequest("Invalid endpoint configuration for a domain name: " + model.Clip(strings.Join(ec.Types, ",")))
	}
	sp := cmp.Or(in.SecurityPolicy, "TLS_1_2")
	if sp != "TLS_1_0" && sp != "TLS_1_2" {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return nil, badRequest("Invalid security policy: " + model.Clip(sp))
	}
	arn := in.CertificateARN
	if ec.Types[0] == "REGIONAL" {
		arn = in.RegionalCertificateARN
	}
	if arn == "" {
		return nil, badRequest(msgNoCertificate(ec.Types[0]))
	}
	if err := checkLen("certificate ARN", arn, maxCertificateARNLen); err != nil {
		return nil, err
	}
	certKey := model.Key(model.KindCertificate, arn)
	key := model.Key(model.KindDomainName, name)
	domainsPrefix := model.Prefix(model.KindDomainName)
	for {
		cert, certRev, err := store.LoadOr[model.Certificate](ctx, s.d.Store, certKey, func() error {
			return badRequest(msgCertificateMissing)
		})
		if err != nil {
			return nil, err
		}
		if cert.Status != model.CertIssued {
			return nil, badRequest(fmt.Sprintf("Certificate %s in account %s not yet issued", arn, s.env.Account))
		}
		_, keys, listRev, err := loadAllAt[model.DomainName](ctx, s.d.Store, domainsPrefix)
		if err != nil {
			return nil, err
		}
		if len(keys) >= maxDomains {
			return nil, limit(msgTooManyDomains)
		}
		if slices.Contains(keys, key) {
			// AWS answers BadRequestException here, not ConflictException (users'
			// reports of real CreateDomainName errors).
			return nil, badRequest(msgDomainExists)
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
		put, err := store.SaveOp(key, d)
		if err != nil {
			return nil, err
		}
		// The certificate as read: the certificate service's DeleteCertificate
		// refuses while a domain uses it, and conditions its delete on no
		// domain having appeared; this is the other half. The domains as
		// listed: the quota holds and the name is free.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(certKey, certRev), store.NoneAfter(domainsPrefix, listRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("save domain name %s: %w", name, err)
		}
		if ok {
			return d, nil
		}
	}
}

// GetDomainName returns one custom domain.
func (s *Service) GetDomainName(ctx context.Context, name string) (*model.DomainName, error) {
	d, _, _, err := s.loadDomain(ctx, name)
	return d, err
}

// loadDomain returns a custom domain with its key and ModRev, for the
// conditions of a write that needs the domain to stay as read.
func (s *Service) loadDomain(ctx context.Context, name string) (d *model.DomainName, key string, rev int64, err error) {
	key = model.Key(model.KindDomainName, model.DomainKey(name))
	d, rev, err = store.LoadOr[model.DomainName](ctx, s.d.Store, key, answer(notFound(msgNoDomain)))
	return d, key, rev, err
}

// GetDomainNames returns every custom domain by name.
func (s *Service) GetDomainNames(ctx context.Context) ([]*model.DomainName, error) {
	return store.LoadAll[model.DomainName](ctx, s.d.Store, model.Prefix(model.KindDomainName))
}

// DeleteDomainName deletes a custom domain and its base path mappings.
func (s *Service) DeleteDomainName(ctx context.Context, name string) error {
	for {
		d, key, rev, err := s.loadDomain(ctx, name)
		if err != nil {
			return err
		}
		mappingsPrefix := model.Key(model.KindBasePathMapping, d.Name+"/")
		_, mappings, listRev, err := loadAllAt[model.BasePathMapping](ctx, s.d.Store, mappingsPrefix)
		if err != nil {
			return err
		}
		// Domain and mappings go in one step when they fit in one Txn; else
		// the domain goes first and its mappings after: no mapping can be
		// created meanwhile, as a mapping's creation is conditioned on its
		// domain.
		conds := []store.Cond{store.KeyIs(key, rev)}
		ops := []store.Op{store.Del(key)}
		whole := len(mappings) < store.MaxTxnOps
		if whole {
			conds = append(conds, store.NoneAfter(mappingsPrefix, listRev))
			for _, k := range mappings {
				ops = append(ops, store.Del(k))
			}
		}
		ok, err := s.commit(ctx, conds, ops...)
		if err != nil {
			return fmt.Errorf("delete domain name %s: %w", d.Name, err)
		}
		if !ok {
			continue
		}
		if whole {
			return nil
		}
		return s.deleteAll(ctx, mappingsPrefix)
	}
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
	for {
		d, domainKey, domainRev, err := s.loadDomain(ctx, domain)
		if err != nil {
			return nil, err
		}
		m := &model.BasePathMapping{DomainName: d.Name, BasePath: basePath, RestAPIID: apiID, Stage: stage, ID: model.RandomID(6)}
		conds, err := s.checkMapping(ctx, d, m, nil)
		if err != nil {
			return nil, err
		}
		key := model.Key(model.KindBasePathMapping, model.MappingID(m.DomainName, m.BasePath))
		put, err := store.SaveOp(key, m)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, append(conds, store.KeyIs(domainKey, domainRev), store.KeyIs(key, 0)), put)
		if err != nil {
			return nil, fmt.Errorf("save base path mapping: %w", err)
		}
		if ok {
			return m, nil
		}
	}
}

// checkMapping normalises m (base path, "(none)" stage) and checks it as
// CreateBasePathMapping must: a valid base path, an existing API and stage,
// and no clash with the domain's other mappings (except old, which m replaces).
// It returns the conditions under which that holds, for the write of m: the
// API and the stage as read (DeleteRestAPI and DeleteStage refuse while a
// mapping names them) and no mapping of the domain changed since its listing.
func (s *Service) checkMapping(ctx context.Context, d *model.DomainName, m, old *model.BasePathMapping) ([]store.Cond, error) {
	raw := m.BasePath
	m.BasePath = normBasePath(raw)
	if bp := m.BasePath; bp != "" {
		if len(bp) > maxBasePathLen || !basePathRe.MatchString(bp) || strings.Contains(bp, "//") {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
			return nil, badRequest("Invalid base path: " + model.Clip(raw))
		}
		// Multi-level base paths need a REGIONAL domain with TLS 1.2 (§A9); AWS
		// offers them through API Gateway V2's API mappings.
		if strings.Contains(bp, "/") && (d.SecurityPolicy != "TLS_1_2" || !slices.Contains(d.EndpointConfiguration.Types, "REGIONAL")) {
			return nil, badRequest(msgMultiLevelV1)
		}
	}
	if m.Stage == model.NoBasePath {
		m.Stage = ""
	}
	// Ids and names longer than any that exists name nothing: refused before
	// they become store keys.
	if len(m.RestAPIID) > maxShortLen {
		return nil, badRequest(msgMappingNoAPI)
	}
	if m.Stage != "" && validStageName(m.Stage) != nil {
		return nil, badRequest(msgNoStageMapping)
	}
	apiKey := model.Key(model.KindRestAPI, m.RestAPIID)
	_, apiRev, err := store.LoadOr[model.RestAPI](ctx, s.d.Store, apiKey, answer(badRequest(msgMappingNoAPI)))
	if err != nil {
		return nil, err
	}
	conds := []store.Cond{store.KeyIs(apiKey, apiRev)}
	if m.Stage != "" {
		stageKey := model.Key(model.KindStage, m.RestAPIID+"/"+m.Stage)
		_, stageRev, err := store.LoadOr[model.Stage](ctx, s.d.Store, stageKey, answer(badRequest(msgNoStageMapping)))
		if err != nil {
			return nil, err
		}
		conds = append(conds, store.KeyIs(stageKey, stageRev))
	}
	mappingsPrefix := model.Key(model.KindBasePathMapping, d.Name+"/")
	existing, _, listRev, err := loadAllAt[model.BasePathMapping](ctx, s.d.Store, mappingsPrefix)
	if err != nil {
		return nil, err
	}
	conds = append(conds, store.NoneAfter(mappingsPrefix, listRev))
	for _, e := range existing {
		if old != nil && e.BasePath == old.BasePath {
			continue
		}
		if e.BasePath == m.BasePath {
			return nil, conflict(msgBasePathExists)
		}
		if e.BasePath == "" || m.BasePath == "" {
			return nil, conflict(msgOnlyOneEmpty)
		}
	}
	return conds, nil
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
	// apigatewayv2's answer for an unknown mapping id, after its "Invalid
	// domain name identifier specified". Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
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

// domainPaths are UpdateDomainName's patch paths that gatehouse stores.
const domainPaths = "/certificateArn, /regionalCertificateArn, /securityPolicy, /endpointConfiguration/types/{type}"

// PatchDomainName is UpdateDomainName: the certificate, the security policy
// or the endpoint type (EDGE ⇄ REGIONAL, which takes the certificate of the
// new type). The result is checked as CreateDomainName checks a new domain,
// and written conditioned on the domain and its certificate as read (the
// certificate service refuses to delete a certificate a domain uses).
func (s *Service) PatchDomainName(ctx context.Context, name string, ops []PatchOperation) (*model.DomainName, error) {
	if err := checkPatch(ops); err != nil {
		return nil, err
	}
	for {
		d, key, rev, err := s.loadDomain(ctx, name)
		if err != nil {
			return nil, err
		}
		ec := &d.EndpointConfiguration
		for _, op := range ops {
			var err error
			switch p := op.Path; {
			case p == "/certificateArn":
				err = patchString(op, &d.CertificateARN)
			case p == "/regionalCertificateArn":
				err = patchString(op, &d.RegionalCertificateARN)
			case p == "/securityPolicy":
				if err = opIn(op, "replace"); err == nil {
					d.SecurityPolicy, err = patchEnum(op, "TLS_1_0", "TLS_1_2")
				}
			case strings.HasPrefix(p, "/endpointConfiguration/types/"):
				// AWS names the type by its current value (…/types/EDGE); index 0 works too.
				if err = opIn(op, "replace"); err != nil {
					break
				}
				t := strings.TrimPrefix(p, "/endpointConfiguration/types/")
				if t != "0" && !slices.Contains(ec.Types, t) {
					return nil, badPatchPath(op, domainPaths)
				}
				ec.Types = []string{op.Value}
			default:
				return nil, badPatchPath(op, domainPaths)
			}
			if err != nil {
				return nil, err
			}
		}
		if len(ec.Types) != 1 || (ec.Types[0] != "EDGE" && ec.Types[0] != "REGIONAL") {
			// As CreateDomainName's. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
			return nil, badRequest("Invalid endpoint configuration for a domain name: " + model.Clip(strings.Join(ec.Types, ",")))
		}
		arn := d.CertificateARN
		if ec.Types[0] == "REGIONAL" {
			arn = d.RegionalCertificateARN
			if d.RegionalDomainName == "" {
				d.RegionalDomainName = "d-" + model.RandomID(10) + ".execute-api." + s.env.Region + ".amazonaws.com"
				d.RegionalHostedZoneID = regionalHostedZones[s.env.Region]
			}
		} else {
			// An edge domain has no regional name; its certificate is the edge one.
			d.RegionalDomainName, d.RegionalHostedZoneID, d.RegionalCertificateARN = "", "", ""
		}
		if ec.Types[0] == "REGIONAL" {
			d.CertificateARN = ""
		}
		if arn == "" {
			return nil, badRequest(msgNoCertificate(ec.Types[0]))
		}
		if err := checkLen("certificate ARN", arn, maxCertificateARNLen); err != nil {
			return nil, err
		}
		certKey := model.Key(model.KindCertificate, arn)
		cert, certRev, err := store.LoadOr[model.Certificate](ctx, s.d.Store, certKey, func() error {
			return badRequest(msgCertificateMissing)
		})
		if err != nil {
			return nil, err
		}
		if cert.Status != model.CertIssued {
			return nil, badRequest(fmt.Sprintf("Certificate %s in account %s not yet issued", arn, s.env.Account))
		}
		put, err := store.SaveOp(key, d)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.KeyIs(certKey, certRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update domain name %s: %w", d.Name, err)
		}
		if ok {
			return d, nil
		}
	}
}

// UpdateAPIMapping is apigatewayv2's UpdateApiMapping: the mapping named by
// its v2 id gets a new API, stage or key (nil: unchanged), checked and
// written as UpdateBasePathMapping does.
func (s *Service) UpdateAPIMapping(ctx context.Context, domain, mappingID string, apiID, key, stage *string) (*model.BasePathMapping, error) {
	m, err := s.GetAPIMapping(ctx, domain, mappingID)
	if err != nil {
		return nil, err
	}
	var ops []PatchOperation
	if apiID != nil {
		ops = append(ops, PatchOperation{Op: "replace", Path: "/restapiId", Value: *apiID})
	}
	if stage != nil {
		ops = append(ops, PatchOperation{Op: "replace", Path: "/stage", Value: *stage})
	}
	if key != nil {
		ops = append(ops, PatchOperation{Op: "replace", Path: "/basePath", Value: *key})
	}
	return s.PatchBasePathMapping(ctx, m.DomainName, m.BasePath, ops)
}
