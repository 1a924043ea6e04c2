package stack

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

// Validate checks the file on its own: required fields, and that every name a
// resource references is defined in the file. It runs before anything is applied,
// so a file that fails it changes nothing. Each error names the resource and field.
func (f *File) Validate() error {
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	names := func(kind string, n int, name func(int) string) map[string]bool {
		seen := map[string]bool{}
		for i := range n {
			nm := name(i)
			where := fmt.Sprintf("%s[%d]", kind, i)
			switch {
			case nm == "":
				bad(where, "name is required")
			case seen[nm]:
				bad(where, "name %q is defined twice", nm)
			}
			seen[nm] = true
		}
		return seen
	}
	zones := names("zones", len(f.Zones), func(i int) string { return model.DomainKey(f.Zones[i].Name) })
	certs := names("certificates", len(f.Certificates), func(i int) string { return f.Certificates[i].Name })
	sgs := names("securityGroups", len(f.SecurityGroups), func(i int) string { return f.SecurityGroups[i].Name })
	vpces := names("vpcEndpoints", len(f.VpcEndpoints), func(i int) string { return f.VpcEndpoints[i].Name })
	apis := names("apis", len(f.APIs), func(i int) string { return f.APIs[i].Name })
	names("domainNames", len(f.DomainNames), func(i int) string { return f.DomainNames[i].Name })
	tgs := names("targetGroups", len(f.TargetGroups), func(i int) string { return f.TargetGroups[i].Name })
	lbs := names("loadBalancers", len(f.LoadBalancers), func(i int) string { return f.LoadBalancers[i].Name })
	accs := names("accelerators", len(f.Accelerators), func(i int) string { return f.Accelerators[i].Name })
	keys := names("apiKeys", len(f.APIKeys), func(i int) string { return f.APIKeys[i].Name })
	names("usagePlans", len(f.UsagePlans), func(i int) string { return f.UsagePlans[i].Name })

	ref := func(where, kind string, defined map[string]bool, name string) {
		if name == "" {
			bad(where, "a %s name is required", kind)
		} else if !defined[name] {
			bad(where, "unknown %s %q", kind, name)
		}
	}
	for i, c := range f.Certificates {
		w := fmt.Sprintf("certificates[%d] %q", i, c.Name)
		if c.Domain == "" {
			bad(w+".domain", "is required")
		}
		if c.Validation.Zone != "" {
			ref(w+".validation.zone", "zone", zones, model.DomainKey(c.Validation.Zone))
		}
	}
	for i, g := range f.SecurityGroups {
		for j, r := range g.Ingress {
			w := fmt.Sprintf("securityGroups[%d] %q.ingress[%d]", i, g.Name, j)
			switch {
			case r.CIDR != "" && r.SourceSecurityGroup != "":
				bad(w, "cidr and sourceSecurityGroup exclude each other: a rule has one source")
			case r.SourceSecurityGroup != "":
				ref(w+".sourceSecurityGroup", "security group", sgs, r.SourceSecurityGroup)
			}
		}
	}
	for i, v := range f.VpcEndpoints {
		w := fmt.Sprintf("vpcEndpoints[%d] %q", i, v.Name)
		if v.Service != "" && v.Service != "execute-api" && !strings.HasSuffix(v.Service, ".execute-api") {
			bad(w+".service", "only execute-api endpoints are offered, not %q", v.Service)
		}
		if len(v.Subnets) == 0 {
			bad(w+".subnets", "at least one subnet is required")
		}
		for j, sg := range v.SecurityGroups {
			ref(fmt.Sprintf("%s.securityGroups[%d]", w, j), "security group", sgs, sg)
		}
	}
	stages := map[string][]string{}
	for i, a := range f.APIs {
		w := fmt.Sprintf("apis[%d] %q", i, a.Name)
		for j, v := range a.VpcEndpoints {
			ref(fmt.Sprintf("%s.vpcEndpoints[%d]", w, j), "VPC endpoint", vpces, v)
		}
		for path, methods := range a.Resources {
			if !strings.HasPrefix(path, "/") {
				bad(fmt.Sprintf("%s.resources[%q]", w, path), "a resource path starts with /")
			}
			for verb, m := range methods {
				mw := fmt.Sprintf("%s.resources[%q].%s", w, path, verb)
				if !slices.Contains([]string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"}, verb) {
					bad(mw, "unknown HTTP method %q", verb)
				}
				if m.Integration.Type == "" {
					bad(mw+".integration.type", "is required (MOCK, HTTP_PROXY)")
				}
				badMethodModels(mw, a, m, bad) // apigwmodels.go
			}
		}
		for j, s := range a.Stages {
			if s.Name == "" {
				bad(fmt.Sprintf("%s.stages[%d]", w, j), "name is required")
			}
			badThrottle(fmt.Sprintf("%s.stages[%d].throttle", w, j), s.Throttle, bad)
			stages[a.Name] = append(stages[a.Name], s.Name)
		}
	}
	for i, d := range f.DomainNames {
		w := fmt.Sprintf("domainNames[%d] %q", i, d.Name)
		ref(w+".certificate", "certificate", certs, d.Certificate)
		for j, m := range d.Mappings {
			mw := fmt.Sprintf("%s.mappings[%d]", w, j)
			ref(mw+".api", "api", apis, m.API)
			if m.Stage != "" && apis[m.API] && !slices.Contains(stages[m.API], m.Stage) {
				bad(mw+".stage", "api %q has no stage %q", m.API, m.Stage)
			}
		}
	}
	for i, t := range f.TargetGroups {
		w := fmt.Sprintf("targetGroups[%d] %q", i, t.Name)
		if t.Targets.VpcEndpoint != "" {
			ref(w+".targets.vpcEndpoint", "VPC endpoint", vpces, t.Targets.VpcEndpoint)
		}
	}
	for i, lb := range f.LoadBalancers {
		w := fmt.Sprintf("loadBalancers[%d] %q", i, lb.Name)
		for j, sg := range lb.SecurityGroups {
			ref(fmt.Sprintf("%s.securityGroups[%d]", w, j), "security group", sgs, sg)
		}
		for j, l := range lb.Listeners {
			lw := fmt.Sprintf("%s.listeners[%d]", w, j)
			if l.Certificate != "" {
				ref(lw+".certificate", "certificate", certs, l.Certificate)
			}
			ref(lw+".forward", "target group", tgs, l.Forward)
		}
	}
	for i, a := range f.Accelerators {
		w := fmt.Sprintf("accelerators[%d] %q", i, a.Name)
		for j, l := range a.Listeners {
			lw := fmt.Sprintf("%s.listeners[%d]", w, j)
			if len(l.Ports) == 0 && len(l.PortRanges) == 0 {
				bad(lw+".ports", "at least one port is required")
			}
			for k, g := range l.EndpointGroups {
				for e, ep := range g.Endpoints {
					ref(fmt.Sprintf("%s.endpointGroups[%d].endpoints[%d].loadBalancer", lw, k, e), "load balancer", lbs, ep.LoadBalancer)
				}
			}
		}
	}
	for i, r := range f.Records {
		w := fmt.Sprintf("records[%d] %q", i, r.Name)
		ref(w+".zone", "zone", zones, model.DomainKey(r.Zone))
		if r.Alias != nil {
			switch {
			case r.Alias.Accelerator != "":
				ref(w+".alias.accelerator", "accelerator", accs, r.Alias.Accelerator)
			case r.Alias.LoadBalancer != "":
				ref(w+".alias.loadBalancer", "load balancer", lbs, r.Alias.LoadBalancer)
			default:
				bad(w+".alias", "names neither an accelerator nor a loadBalancer")
			}
		} else if len(r.Values) == 0 {
			bad(w, "needs values or an alias")
		}
	}
	for i, p := range f.UsagePlans {
		w := fmt.Sprintf("usagePlans[%d] %q", i, p.Name)
		seen := map[APIStage]bool{}
		for j, st := range p.APIStages {
			sw := fmt.Sprintf("%s.apiStages[%d]", w, j)
			ref(sw+".api", "api", apis, st.API)
			switch {
			case st.Stage == "":
				bad(sw+".stage", "is required")
			case apis[st.API] && !slices.Contains(stages[st.API], st.Stage):
				bad(sw+".stage", "api %q has no stage %q", st.API, st.Stage)
			case seen[st]:
				bad(sw, "api %q stage %q is named twice", st.API, st.Stage)
			}
			seen[st] = true
		}
		badThrottle(w+".throttle", p.Throttle, bad)
		if q := p.Quota; q != nil {
			if !slices.Contains([]string{"DAY", "WEEK", "MONTH"}, q.Period) {
				bad(w+".quota.period", "is DAY, WEEK or MONTH, not %q", q.Period)
			}
			if q.Limit < 0 {
				bad(w+".quota.limit", "must not be negative")
			}
		}
		for j, k := range p.APIKeys {
			ref(fmt.Sprintf("%s.apiKeys[%d]", w, j), "API key", keys, k)
		}
	}
	return errors.Join(errs...)
}

// badThrottle reports negative limits, which API Gateway refuses.
func badThrottle(where string, t *Throttle, bad func(where, format string, args ...any)) {
	if t != nil && (t.RateLimit < 0 || t.BurstLimit < 0) {
		bad(where, "rateLimit and burstLimit must not be negative")
	}
}
