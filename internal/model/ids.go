package model

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Kind names a resource type; it is the first segment of the resource's store key.
type Kind string

// The resource kinds. One store key prefix each.
const (
	KindHostedZone      Kind = "hostedzone"
	KindRecordSet       Kind = "recordset"
	KindCertificate     Kind = "certificate"
	KindVPC             Kind = "vpc"
	KindSubnet          Kind = "subnet"
	KindSecurityGroup   Kind = "securitygroup"
	KindVpcEndpoint     Kind = "vpcendpoint"
	KindNetworkIface    Kind = "eni"
	KindRestAPI         Kind = "restapi"
	KindDeployment      Kind = "deployment"
	KindStage           Kind = "stage"
	KindDomainName      Kind = "domainname"
	KindBasePathMapping Kind = "basepathmapping"
	KindLoadBalancer    Kind = "loadbalancer"
	KindListener        Kind = "listener"
	KindTargetGroup     Kind = "targetgroup"
	KindTargetHealth    Kind = "targethealth"
	KindAccelerator     Kind = "accelerator"
	KindGAListener      Kind = "galistener"
	KindEndpointGroup   Kind = "endpointgroup"
	// KindRule is a listener rule (id: its ARN, so that a listener's rules
	// share the key prefix of RulesPrefix), KindTarget a target registered
	// to a target group (id: TargetID): records of their own, so that a
	// create-rule or register-targets writes its own size, not its parent's.
	KindRule   Kind = "rule"
	KindTarget Kind = "target"
	// KindLBName and KindTGName are name index keys (id: the name, value: the
	// ARN), not resources: no snapshot map. A create puts its name's key
	// create-only in the same Txn as the resource, so two nodes cannot both
	// take one name.
	KindLBName Kind = "lbname"
	KindTGName Kind = "tgname"
	// KindStackApplied holds the last stack file serve -f applied (not a
	// resource: no snapshot map, services never read it).
	KindStackApplied Kind = "stackapplied"
	// KindCertificateAuthority holds the built-in CA and the certificates it
	// issues to gatehouse itself (not ACM resources: no snapshot map), so every
	// node sharing the store signs and serves with the same keys.
	KindCertificateAuthority Kind = "certificateauthority"

	// A REST API's tree, one record per thing API Gateway addresses, each
	// keyed under its API's id ("<apiID>/…") so that one prefix delete per
	// kind removes an API's children: resources ("<apiID>/<resourceID>"),
	// methods and integrations ("<apiID>/<resourceID>/<HTTPMethod>"), method
	// and integration responses ("<apiID>/<resourceID>/<HTTPMethod>/<status>"),
	// gateway responses ("<apiID>/<type>") and the parts of a deployment's
	// frozen copy ("<apiID>/<deploymentID>/<n>", see Deployment).
	KindResource            Kind = "resource"
	KindMethod              Kind = "method"
	KindIntegration         Kind = "integration"
	KindMethodResponse      Kind = "methodresponse"
	KindIntegrationResponse Kind = "integrationresponse"
	KindGatewayResponse     Kind = "gatewayresponse"
	KindDeploymentPart      Kind = "deploymentpart"
	// Models ("<apiID>/<name>") and request validators ("<apiID>/<id>").
	KindModel            Kind = "model"
	KindRequestValidator Kind = "requestvalidator"
	// KindPathPart is an index key, not a resource (no snapshot map): one per
	// (API, parent resource, path part) — "<apiID>/<parentID>/<part>", every
	// variable part under "{" — put create-only with the resource, so that
	// siblings' path parts stay unique, and only one is a variable, across
	// nodes. Its value names the resource that holds the part.
	KindPathPart Kind = "pathpart"

	// API Gateway's account-level metering (apikeys.go): API keys (id: the
	// key's id), usage plans (id: the plan's), a key in a plan
	// ("<planID>/<keyID>") and a key's usage on a day
	// ("<planID>/<keyID>/<YYYY-MM-DD>"). KindAPIKeyValue is an index key (id:
	// the key's value; no snapshot map), put create-only with the key.
	KindAPIKey       Kind = "apikey"
	KindAPIKeyValue  Kind = "apikeyvalue"
	KindUsagePlan    Kind = "usageplan"
	KindUsagePlanKey Kind = "usageplankey"
	KindUsage        Kind = "usage"
)

// Key is the store key of a resource: "<kind>/<id>". IDs may contain '/'.
func Key(k Kind, id string) string { return string(k) + "/" + id }

// Prefix is the store key prefix that lists every resource of a kind.
func Prefix(k Kind) string { return string(k) + "/" }

// SplitKey splits a store key into kind and id.
func SplitKey(key string) (Kind, string) {
	k, id, _ := strings.Cut(key, "/")
	return Kind(k), id
}

// Env is where resources live: every ARN and DNS name is built from it.
type Env struct {
	Region  string // e.g. "us-west-2"
	Account string // 12 digits, e.g. "000000000000"
}

// DefaultEnv is the embedded default's region and account.
var DefaultEnv = Env{Region: "us-west-2", Account: "000000000000"}

// RandomHex returns n random lowercase hex digits.
func RandomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)[:n]
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RandomID returns n random characters of lowercase letters and digits, the
// alphabet of API Gateway IDs (rest API "a1b2c3d4e5", resource, deployment).
func RandomID(n int) string { return randomFrom(lowerAlnum, n) }

// RandomUpperID returns n random uppercase letters and digits (Route 53 IDs).
func RandomUpperID(n int) string { return randomFrom(upperAlnum, n) }

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// UUID returns a random version 4 UUID, the form of ACM and Global Accelerator IDs.
func UUID() string {
	h := RandomHex(32)
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	s := string(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
