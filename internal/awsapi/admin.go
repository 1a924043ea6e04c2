package awsapi

import (
	"context"
	"net/http"

	"gatehouse/internal/model"
)

// gatehouse's own route on the AWS API listener, for its CLI (gatehouse diff).
// A running daemon holds the store's file lock, so a second process cannot
// read the store; it asks the daemon instead. The requests are SigV4-signed
// with the signing name AdminSigningName and verified like every AWS call:
// the same keys open the same doors.
const (
	AdminSigningName = "gatehouse"
	// AdminDiffPath takes a stack file (YAML) as the body and answers
	// {"changes": [...]}: how the running state differs from the file.
	AdminDiffPath = "/_gatehouse/diff"
)

// Admin returns gatehouse's own service; plan computes the changes of a
// stack file in the daemon.
func Admin(plan func(ctx context.Context, file []byte) (any, error)) *Service {
	mux := NewMux()
	mux.Handle("POST "+AdminDiffPath, func(r *http.Request) (int, any, error) {
		changes, err := plan(r.Context(), Body(r))
		if err != nil {
			// The file is what fails to plan (syntax, references): the
			// caller's to fix, and the message tells what.
			return 0, nil, model.BadRequest("BadRequestException", "%s", err)
		}
		return http.StatusOK, map[string]any{"changes": changes}, nil
	})
	return &Service{Name: AdminSigningName, Protocol: RestJSON, BadInput: "BadRequestException",
		PathPrefixes: []string{"/_gatehouse/"}, Handler: mux}
}
