package gateway

import (
	"maps"

	"gatehouse/internal/model"
)

// A new deployment of an API is usually the API of the last one with a few
// methods changed, and compiling a method (templates, patterns, mappings) is
// most of what compiling a stage costs once the deployment is decoded. So a
// stage compiled again keeps the routes of the methods that are as they were
// in what it served before: the same resource (id and path), a method equal
// field for field, and the same stage variables (substituted into URIs).
// Those are everything compileRoute reads; an input added to it must be
// added to routeIndex.route's test too, and a field added to the method's
// types to sameMethod.

// routeIndex is a stage's compiled routes by resource id and method; nil
// keeps none.
type routeIndex map[routeKey]*route

type routeKey struct{ resourceID, verb string }

// keptRoutes indexes prev's routes if they can serve vars: the stage
// variables are compiled into every route's URI.
func keptRoutes(prev *stageRoute, vars map[string]string) routeIndex {
	if prev == nil || prev.root == nil || !maps.Equal(prev.variables, vars) {
		return nil
	}
	idx := routeIndex{}
	prev.root.eachRoute(func(n *node, verb string, rt *route) { idx[routeKey{n.id, verb}] = rt })
	return idx
}

// route returns a copy of the kept route of r's method verb if m compiles
// to it, else nil. A copy, since the old table still serves the kept one and
// attachValidation writes the new table's validation into its routes.
func (idx routeIndex) route(r *model.Resource, verb string, m *model.Method) *route {
	old := idx[routeKey{r.ID, verb}]
	if old == nil || old.resourcePath != r.Path || !sameMethod(old.method, m) {
		return nil
	}
	rt := *old
	rt.validation = nil // attachValidation sets it from the new deployment's models
	return &rt
}

// sameMethod reports whether two methods are equal field for field,
// integration and responses included. Written out rather than
// reflect.DeepEqual, which costs more than compiling the route it would
// save; TestSameMethodComparesEveryField fails when a field is added to one
// of these types and not here.
func sameMethod(a, b *model.Method) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.HTTPMethod == b.HTTPMethod && a.AuthorizationType == b.AuthorizationType && a.APIKeyRequired == b.APIKeyRequired &&
		a.OperationName == b.OperationName && maps.Equal(a.RequestParameters, b.RequestParameters) &&
		a.RequestValidatorID == b.RequestValidatorID && maps.Equal(a.RequestModels, b.RequestModels) &&
		sameIntegration(a.Integration, b.Integration) && maps.EqualFunc(a.MethodResponses, b.MethodResponses, sameMethodResponse)
}

func sameIntegration(a, b *model.Integration) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.HTTPMethod == b.HTTPMethod && a.URI == b.URI &&
		maps.Equal(a.RequestTemplates, b.RequestTemplates) && maps.Equal(a.RequestParameters, b.RequestParameters) &&
		a.PassthroughBehavior == b.PassthroughBehavior && a.TimeoutInMillis == b.TimeoutInMillis &&
		a.CacheNamespace == b.CacheNamespace && a.ContentHandling == b.ContentHandling &&
		maps.EqualFunc(a.IntegrationResponses, b.IntegrationResponses, sameIntegrationResponse)
}

func sameMethodResponse(a, b *model.MethodResponse) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.StatusCode == b.StatusCode && maps.Equal(a.ResponseParameters, b.ResponseParameters) &&
		maps.Equal(a.ResponseModels, b.ResponseModels)
}

func sameIntegrationResponse(a, b *model.IntegrationResponse) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.StatusCode == b.StatusCode && a.SelectionPattern == b.SelectionPattern &&
		maps.Equal(a.ResponseParameters, b.ResponseParameters) && maps.Equal(a.ResponseTemplates, b.ResponseTemplates) &&
		a.ContentHandling == b.ContentHandling
}

// eachRoute calls fn for every method route in the tree under n.
func (n *node) eachRoute(fn func(n *node, verb string, rt *route)) {
	for verb, rt := range n.methods {
		fn(n, verb, rt)
	}
	for _, c := range n.literal {
		c.eachRoute(fn)
	}
	if n.param != nil {
		n.param.eachRoute(fn)
	}
	if n.greedy != nil {
		n.greedy.eachRoute(fn)
	}
}
