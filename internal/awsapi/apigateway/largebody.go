package apigateway

import (
	"net/http"
	"strings"

	"gatehouse/internal/gateway"
)

// definitionBodyLimit lets ImportRestApi (POST /restapis?mode=import) and
// PutRestApi (PUT /restapis/{id}) bodies grow to API Gateway's 6 MB
// definition limit; every other operation keeps the listener's bound.
func definitionBodyLimit(r *http.Request) (int, error) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/restapis")
	switch {
	case !ok:
	case r.Method == http.MethodPost && rest == "" && r.URL.Query().Get("mode") == "import",
		r.Method == http.MethodPut && len(rest) > 1 && !strings.Contains(rest[1:], "/"):
		return gateway.MaxDefinitionBytes, gateway.ErrDefinitionTooLarge()
	}
	return 0, nil
}
