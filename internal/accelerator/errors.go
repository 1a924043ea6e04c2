package accelerator

import "gatehouse/internal/model"

// Error codes (awsJson1.1; Global Accelerator answers every client error with HTTP 400).
const (
	codeAcceleratorNotFound      = "AcceleratorNotFoundException"
	codeAcceleratorNotDisabled   = "AcceleratorNotDisabledException"
	codeAssociatedListener       = "AssociatedListenerFoundException"
	codeAssociatedEndpointGroup  = "AssociatedEndpointGroupFoundException"
	codeListenerNotFound         = "ListenerNotFoundException"
	codeEndpointGroupNotFound    = "EndpointGroupNotFoundException"
	codeEndpointGroupExists      = "EndpointGroupAlreadyExistsException"
	codeEndpointNotFound         = "EndpointNotFoundException"
	codeInvalidArgument          = "InvalidArgumentException"
	codeInvalidPortRange         = "InvalidPortRangeException"
	codeLimitExceeded            = "LimitExceededException"
	codeInvalidNextToken         = "InvalidNextTokenException"
	limitExceededMessage         = "Processing your request would cause you to exceed an Global Accelerator limit."
	invalidPortRangeMessage      = "The port numbers that you specified are not valid numbers or are not unique for this accelerator."
	endpointGroupExistsMessage   = "The endpoint group that you specified already exists."
	acceleratorNotFoundMessage   = "The accelerator that you specified doesn't exist."
	listenerNotFoundMessage      = "The listener that you specified doesn't exist."
	endpointGroupNotFoundMessage = "The endpoint group that you specified doesn't exist."
	endpointNotFoundMessage      = "The endpoint that you specified doesn't exist."
	invalidNextTokenMessage      = "There isn't another item to return."
)

// Where no real Global Accelerator response text could be found, the message is
// the exception's documentation text from the service model (botocore
// globalaccelerator service-2.json) and is marked "model text" below. Texts
// observed from real responses are marked "observed" with their source.

func errAcceleratorNotFound() error {
	return model.BadRequest(codeAcceleratorNotFound, acceleratorNotFoundMessage) // model text
}

func errListenerNotFound() error {
	return model.BadRequest(codeListenerNotFound, listenerNotFoundMessage) // model text
}

func errEndpointGroupNotFound() error {
	return model.BadRequest(codeEndpointGroupNotFound, endpointGroupNotFoundMessage) // model text
}

func errLimit() *model.Error {
	return model.BadRequest(codeLimitExceeded, limitExceededMessage) // model text
}

func invalidArgument(format string, args ...any) *model.Error {
	return model.BadRequest(codeInvalidArgument, format, args...)
}

// Field limits of the service model (botocore globalaccelerator
// 2018-08-08): every GenericString (names, ARNs, idempotency tokens, regions,
// endpoint ids, flow log bucket and prefix, paging tokens) has at most 255
// characters; a resource ARN in the tagging calls at most 1011; UntagResource
// takes at most 200 keys. Tag keys and values have AWS's common limits
// (model.MaxTagKeyLen, model.MaxTagValueLen).
const (
	maxGenericString = 255
	maxResourceARN   = 1011
	maxUntagKeys     = 200
)

// checkLength is Coral's check of one string member, refused before the
// service looks at it. UNVERIFIED: that Global Accelerator answers Coral's
// text as InvalidArgumentException (the model names no ValidationException;
// the wire layer reports missing members with the same code).
func checkLength(field, value string, min, max int) error {
	if e := model.Length(codeInvalidArgument, field, value, min, max); e != nil {
		return e
	}
	return nil
}

// CheckIdempotencyToken applies the model's limit to an idempotency token,
// which CreateListener and CreateEndpointGroup accept but do not keep.
func CheckIdempotencyToken(token string) error {
	return checkLength("idempotencyToken", token, 0, maxGenericString)
}

// arnFields names the request member an ARN of each kind arrives in.
var arnFields = map[model.Kind]string{
	model.KindAccelerator:   "acceleratorArn",
	model.KindGAListener:    "listenerArn",
	model.KindEndpointGroup: "endpointGroupArn",
}

func checkARN(kind model.Kind, arn string) error {
	return checkLength(arnFields[kind], arn, 0, maxGenericString)
}
