package balancer

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Redirect placeholders: a redirect part left out keeps the request's own.
var redirectDefaults = model.Redirect{Protocol: "#{protocol}", Port: "#{port}", Host: "#{host}", Path: "/#{path}", Query: "#{query}"}

var fixedStatusRE = regexp.MustCompile(`^(2|4|5)\d\d$`)

// checkActions validates a listener's default actions or a rule's actions
// (field names them in messages) and fills in defaults. gatehouse serves one
// terminal action per listener or rule: forward (to a group in the load
// balancer's VPC), fixed-response or redirect.
func (s *Service) checkActions(ctx context.Context, vpcID, field string, acts []model.Action) error {
	if len(acts) == 0 {
		return notNull(field)
	}
	if len(acts) > 1 {
		return model.BadRequest(codeInvalidAction, "gatehouse serves exactly one action per listener or rule: forward, fixed-response or redirect") // gatehouse's own text
	}
	a := &acts[0]
	if a.Order == 0 {
		a.Order = 1
	}
	if err := model.Range(codeValidation, field+".1.member.order", a.Order, 1, 50000); err != nil {
		return err
	}
	switch actionKind(a.Type) {
	case actionForward:
		a.FixedResponse, a.Redirect = nil, nil
		if a.TargetGroupARN == "" {
			return validationError("A target group ARN must be specified") // UNVERIFIED: AWS's text
		}
		tg, _, err := store.LoadOr[model.TargetGroup](ctx, s.d.Store, model.Key(model.KindTargetGroup, a.TargetGroupARN), func() error {
			return model.BadRequest(codeTGNotFound, "Target group '%s' not found", model.Clip(a.TargetGroupARN))
		})
		if err != nil {
			return err
		}
		if tg.VpcID != vpcID {
			return model.BadRequest(codeInvalidConfig, "The target group '%s' is not in the same VPC as the load balancer", tg.ARN) // UNVERIFIED: AWS's text
		}
	case actionFixedResponse:
		a.TargetGroupARN, a.Redirect = "", nil
		f := a.FixedResponse
		if f == nil {
			return validationError("A fixed response configuration must be specified for the 'fixed-response' action type") // UNVERIFIED: AWS's text
		}
		if !fixedStatusRE.MatchString(f.StatusCode) {
			return model.Violation(codeValidation, field+".1.member.fixedResponseConfig.statusCode", f.StatusCode,
				`Member must satisfy regular expression pattern: ^(2|4|5)\d\d$`)
		}
		if err := model.Length(codeValidation, field+".1.member.fixedResponseConfig.contentType", f.ContentType, 0, 32); err != nil {
			return err
		}
		switch f.ContentType {
		case "", "text/plain", "text/css", "text/html", "application/javascript", "application/json":
		default:
			return model.BadRequest(codeInvalidAction, "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'")
		}
		if len(f.MessageBody) > maxFixedBody {
			return validationError("1 validation error detected: Value at '%s.1.member.fixedResponseConfig.messageBody' failed to satisfy constraint: Member must have length less than or equal to 1024", field)
		}
	case actionRedirect:
		a.TargetGroupARN, a.FixedResponse = "", nil
		if a.Redirect == nil {
			return validationError("A redirect configuration must be specified for the 'redirect' action type") // UNVERIFIED: AWS's text
		}
		return checkRedirect(a.Redirect, field)
	case "authenticate-oidc", "authenticate-cognito", "jwt-validation":
		return model.BadRequest(codeInvalidAction, "Action type '%s' is not supported", model.Clip(a.Type)) // gatehouse's own text
	default:
		return model.Enum(codeValidation, field+".1.member.type", a.Type, []string{"forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation"})
	}
	return nil
}

// checkRedirect validates a redirect and fills in the parts left out.
func checkRedirect(r *model.Redirect, field string) error {
	if r.StatusCode != "HTTP_301" && r.StatusCode != "HTTP_302" {
		return model.Enum(codeValidation, field+".1.member.redirectConfig.statusCode", r.StatusCode, []string{"HTTP_301", "HTTP_302"})
	}
	if r.Protocol == "" && r.Port == "" && r.Host == "" && r.Path == "" && r.Query == "" {
		// UNVERIFIED: AWS's text for a redirect to the same URL.
		return model.BadRequest(codeInvalidAction, "The redirect must change at least one of the following components to avoid a redirect loop: protocol, port, hostname or path")
	}
	// Host, path and query are the model's (RedirectActionHost/Path/Query:
	// at most 128 characters; empty keeps the request's, "#{host}" etc.);
	// protocol and port have no length in the model: no documented limit;
	// bound: the same 128, far beyond "HTTPS" or "65535".
	for _, p := range []struct{ name, value string }{
		{"protocol", r.Protocol}, {"port", r.Port}, {"host", r.Host}, {"path", r.Path}, {"query", r.Query},
	} {
		if err := model.Length(codeValidation, field+".1.member.redirectConfig."+p.name, p.value, 0, 128); err != nil {
			return err
		}
	}
	d := redirectDefaults
	if r.Protocol == "" {
		r.Protocol = d.Protocol
	}
	if r.Port == "" {
		r.Port = d.Port
	}
	if r.Host == "" {
		r.Host = d.Host
	}
	if r.Path == "" {
		r.Path = d.Path
	}
	if r.Query == "" {
		r.Query = d.Query
	}
	switch r.Protocol {
	case "HTTP", "HTTPS", d.Protocol:
	default:
		return validationError("Redirect protocol '%s' must be one of 'HTTP', 'HTTPS' or '#{protocol}'", r.Protocol) // UNVERIFIED: AWS's text
	}
	if r.Port != d.Port {
		if n, err := strconv.Atoi(r.Port); err != nil || n < 1 || n > 65535 {
			return validationError("Redirect port '%s' must be a number between 1 and 65535 or '#{port}'", r.Port) // UNVERIFIED: AWS's text
		}
	}
	if !strings.HasPrefix(r.Path, "/") {
		return validationError("Redirect path '%s' must start with a '/'", r.Path) // UNVERIFIED: AWS's text
	}
	return nil
}

func sameAction(a, b model.Action) bool {
	return a.Type == b.Type && a.Order == b.Order && a.TargetGroupARN == b.TargetGroupARN &&
		samePtr(a.FixedResponse, b.FixedResponse) && samePtr(a.Redirect, b.Redirect)
}

func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
