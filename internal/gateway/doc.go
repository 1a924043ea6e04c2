// Package gateway is the private REST API data plane (API Gateway behind an
// execute-api interface endpoint) and API Gateway's control operations.
//
// Role: the network service accepts TCP connections on an interface endpoint's
// addresses and hands each to ServeConn with the endpoint's id. The gateway
// terminates TLS and answers HTTP exactly as a private REST API does: status
// codes, bodies and x-amzn-ErrorType of API Gateway's own errors included.
//
// Data path, one function per step:
//
//  0. Service.ServeConn: TLS 1.2+ (Service.certificate: the custom domain's
//     certificate by SNI, else Deps.DefaultCert), then one http.Server fed by a
//     channel listener; the endpoint id rides under the TLS layer
//     (endpointConn) into every request via ConnContext.
//  1. table.findStage: Host → custom domain (longest whole-segment base path
//     mapping, base path stripped) or {api}[-{vpce}].execute-api.{region}.amazonaws.com
//     or the x-apigw-api-id header → API + stage. Anything else → 403 Forbidden.
//  2. table.resolve: the stage's deployment must be PRIVATE and list the
//     endpoint → else 403 Forbidden.
//  3. node.match / node.method: resource in the deployment's frozen tree
//     (literal > {param} > {proxy+}), then the method (explicit > ANY) →
//     else 403 Missing Authentication Token.
//  4. table.resolve: the deployment's resource policy (package policy, compiled
//     once per table) for execute-api:Invoke on the request's ARN → else 403
//     AccessDeniedException. An AWS_IAM method's policy waits for 4a.
//     4a. Service.authorizeIAM (iam.go), AWS_IAM methods: SigV4 for
//     execute-api with the daemon's keys → else 403; the caller fills
//     $context.identity and is the policy's principal.
//     4b. Service.admit (throttle.go): API key and usage plan (403
//     Forbidden), the plan's throttle and quota, stage and account
//     throttles (429). API keys and usage plans are apikeys.go and
//     usageplans.go; the quota's offset and UpdateUsage usage.go.
//     4c. Service.validateRequest (validate.go): request validators and
//     models (400), the detail as API Gateway words it in
//     validationerrors.go.
//  5. Service.serveMock / serveHTTPProxy / serveHTTP: the integration
//     (Service.invoke runs steps 1–5 in order).
//  6. respond: integration response by selection pattern, its header
//     parameters and response template. For MOCK and HTTP, mapping.go runs
//     around the integration: request template by Content-Type with the
//     passthrough behaviours (requestPayload), parameter mappings, the MOCK's
//     statusCode, response template by Accept, $context overrides. Templates
//     (package vtl), patterns, mappings and the method response check are
//     compiled with the table (compile.go), so a request only fills in its
//     own values ($context: contextVar, shared with gateway responses).
//  7. Service.refuse: every step returns a *refusal (the failure, whether the
//     API's gateway responses apply, what to log) or nil; refuse is the one
//     place a refusal is logged and answered (writeFailure: API Gateway's own
//     errors, with the API's gateway response overrides). HTTP_PROXY's
//     failures reach it from the reverse proxy's ErrorHandler.
//
// Control operations, one file per resource (restapis.go, resources.go,
// methods.go — methods, integrations and their responses —, deployments.go,
// stages.go, domains.go — custom domain names and base path mappings —,
// gatewayresponses.go, tags.go), validate and write spec to the store with
// AWS's error codes and messages (errors.go); Update operations' patches are
// in patch.go (the tree's and domains' own Update operations next to their
// Put: resources.go, methods.go, domains.go), the bounds of every stored
// field and the quotas in limits.go, the store helpers they share in ops.go.
// OpenAPI definitions (openapi.go: ImportRestApi and PutRestApi, which build
// the tree's records from one; openapiexport.go: GetExport, a stage's
// deployment written as one; openapimodels.go: their models and request
// validators) are bounded in size and shape before decoding.
//
// Records (tree.go): an API is stored as AWS addresses it — the API's own
// record, and one record per resource, method, integration, method response,
// integration response and gateway response, keyed under the API's id — so
// that an edit writes one small record, never the API's tree (a record in
// the old shape, the tree inside, is migrated by the first operation on its
// API). A deployment is a small header and its frozen copy, the tree as
// gzip-compressed JSON cut into parts of at most 512 KiB (parts.go); it
// serves once the header and every part are in the snapshot. Rules spanning
// records (a
// deployment is not deleted while a stage names it, a stage or API not while a
// base path mapping does, nothing is created under a deleted API or domain, an
// empty base path is a domain's only mapping) hold across nodes: each is one
// store.Txn conditioned on the records the decision read (ops.go): a child
// is created only while its parent record is as read, a parent's deletion
// takes its children by prefix deletes in the same Txn, a path part index
// key per (parent, part) keeps siblings unique. Compile (compile.go) turns every
// snapshot into an immutable table (table.go) that the hot path (route.go,
// serve.go, failure.go) loads once per request; it keeps the stages whose
// stage and deployment records did not change, so a change costs what it
// touches, not every API's tree. A stage compiled again keeps the routes of
// the methods its new deployment did not change (reuse.go), and the node
// whose CreateDeployment froze a deployment serves that API without decoding
// its parts (fresh.go).
//
// Concurrency: Run owns two goroutines — the table follower (live.Table.Run)
// and the http.Server — and stops and waits for both when its context ends.
// The http.Server owns one goroutine per connection. Requests in flight finish
// on the table they started with.
package gateway
