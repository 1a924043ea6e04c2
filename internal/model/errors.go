package model

import (
	"fmt"
	"net/http"
)

// Error is an operation failure as AWS reports it: the service's error code, its
// message text and the HTTP status the service answers with. Operations return
// *Error for every failure a caller can cause; anything else is an internal error.
type Error struct {
	Status  int    // HTTP status code, e.g. 404
	Code    string // AWS error code, e.g. "NotFoundException"
	Message string // AWS message text
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound, BadRequest and Conflict build the three errors every service needs,
// with the service-specific code the caller passes.
func NotFound(code, format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, code, format, args...)
}

// BadRequest is a validation failure (HTTP 400).
func BadRequest(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// Conflict is a uniqueness or state conflict (HTTP 409).
func Conflict(code, format string, args ...any) *Error {
	return Errorf(http.StatusConflict, code, format, args...)
}
