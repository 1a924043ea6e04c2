package apigateway

import "net/http"

// updateUsage is UpdateUsage: a replace of "/remaining" sets what is left of
// the key's quota this period; the answer is GetUsage's shape for today.
func (h *handler) updateUsage(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	u, err := h.gw.UpdateUsage(r.Context(), r.PathValue("usageplanId"), r.PathValue("keyId"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, usageOut(u), nil
}
