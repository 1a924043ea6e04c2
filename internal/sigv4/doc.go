// Package sigv4 is the server side of AWS Signature Version 4, shared by the
// AWS API (awsapi, every service on 127.0.0.1:4566) and the gateway's
// AWS_IAM authorization (execute-api), which may not import awsapi.
//
// It holds what SigV4 itself defines ("Create a signed AWS API request" in
// the AWS General Reference): reading the Authorization header and the
// credential scope, rebuilding the canonical request and the string to
// sign, deriving the signing key and comparing signatures. What differs
// between the two callers stays with them: which region and service the
// scope must name, the allowed clock skew, presigned URLs (awsapi only)
// and how a refusal is answered on the wire.
//
// A caller verifies a request in four steps:
//  1. ParseHeader (or ParseScope for a presigned URL) reads the signature;
//     a *ParseError carries AWS's IncompleteSignature text;
//  2. the caller checks the scope, looks the key up and checks the clock;
//  3. CanonicalRequest and StringToSign rebuild what the client signed;
//  4. Sign computes the signature, and Equal compares it in constant time.
//
// Nothing here keeps state: every function is safe for concurrent use.
package sigv4
