package awsapi

import (
	"io"
	"net/http"

	"gatehouse/internal/model"
)

// readLargeBody goes on reading a body that passed maxBody, up to the bound
// the request's service allows it (Service.BodyLimit), and answers the
// request when the body is over its bound or stops arriving: ok is false
// then. head is what was read so far (maxBody+1 bytes).
func (s *Server) readLargeBody(w http.ResponseWriter, r *http.Request, raw io.Reader, head []byte) (body []byte, ok bool) {
	svc := from(r.Context()).svc
	limit, tooLarge := maxBody, error(nil)
	if svc.BodyLimit != nil {
		if l, e := svc.BodyLimit(r); l > maxBody {
			limit, tooLarge = l, e
		}
	}
	body = head
	if limit > maxBody {
		rest, err := io.ReadAll(io.LimitReader(raw, int64(limit+1-len(head))))
		if err != nil {
			return nil, false // the client went away or timed out mid-body
		}
		body = append(head, rest...)
	}
	if len(body) <= limit {
		return body, true
	}
	if tooLarge == nil {
		tooLarge = model.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body must be at most %d bytes", limit)
	}
	writeError(w, r, tooLarge)
	return nil, false
}
