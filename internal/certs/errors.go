package certs

import "gatehouse/internal/model"

// ACM answers every error with HTTP 400 (awsJson1.1); the code tells them apart.
const (
	codeValidation       = "ValidationException"
	codeInvalidParameter = "InvalidParameterException"
	codeInvalidArn       = "InvalidArnException"
	codeNotFound         = "ResourceNotFoundException"
	codeInUse            = "ResourceInUseException"
	codeInvalidTag       = "InvalidTagException"
	codeTooManyTags      = "TooManyTagsException"
	codeLimitExceeded    = "LimitExceededException"
)

// notFound is ACM's answer for an unknown certificate, in AWS's words (as
// DescribeCertificate answers, quoted in public error reports).
func (s *Service) notFound(arn string) *model.Error {
	return model.BadRequest(codeNotFound, "Could not find certificate %s in account %s.", arn, s.env.Account)
}

// missing is AWS's validation message for a required member that is absent
// (model.Violation quotes a value, and there is none to quote).
func missing(field string) *model.Error {
	return model.BadRequest(codeValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

// sizeViolation is AWS's validation message for a list or blob member that
// breaks a size constraint: AWS names the member without echoing its value.
func sizeViolation(field, constraint string) *model.Error {
	return model.BadRequest(codeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}
