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

// missing is AWS's validation message for a required member that is absent.
func missing(field string) *model.Error { return model.Null(codeValidation, field) }

// sizeViolation is AWS's validation message for a list or blob member that
// breaks a size constraint: AWS names the member without echoing its value.
func sizeViolation(field, constraint string) *model.Error {
	return model.BadRequest(codeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}
