package gateway

import (
	"slices"
	"strconv"
	"sync"

	"gatehouse/internal/model"
)

// freshDeployments hands the API a CreateDeployment on this node just froze
// to the compiler that will serve it, so that the node that deployed does not
// decode again the parts it has just encoded: decoding 290 resources' JSON is
// most of what compiling a new deployment costs. Keyed by the parts' hash,
// which the deployment's header names: a header with that hash has parts
// holding exactly this API, so serving it is serving the parts. Other nodes,
// and this one after a restart, decode the parts as before.
//
// The API handed over is never written again: createDeployment built it for
// the deployment alone, and the compiler only reads what it serves.
type freshDeployments struct {
	mu     sync.Mutex
	byHash map[string]*model.RestAPI
	order  []string // oldest first, to drop beyond maxFreshDeployments
}

// maxFreshDeployments bounds what waits for the compiler: an attempt whose
// header was never written (it lost a race) leaves its API here until newer
// ones push it out.
const maxFreshDeployments = 8

// put offers the API whose parts hash to hash.
func (f *freshDeployments) put(hash string, api *model.RestAPI) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byHash == nil {
		f.byHash = map[string]*model.RestAPI{}
	}
	if _, ok := f.byHash[hash]; !ok {
		f.order = append(f.order, hash)
	}
	f.byHash[hash] = api
	for len(f.order) > maxFreshDeployments {
		delete(f.byHash, f.order[0])
		f.order = f.order[1:]
	}
}

// take returns the API offered for hash, if any, and forgets it: from then
// on the compiler keeps it with the deployment.
func (f *freshDeployments) take(hash string) *model.RestAPI {
	if f == nil || hash == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	api := f.byHash[hash]
	if api != nil {
		delete(f.byHash, hash)
		f.order = slices.DeleteFunc(f.order, func(h string) bool { return h == hash })
	}
	return api
}

// partsStored reports whether every part of dep is in parts (by
// "<deploymentID>/<n>"): a deployment serves once they all are.
func partsStored(dep *model.Deployment, parts map[string][]byte) bool {
	for n := range dep.Parts {
		if _, ok := parts[dep.ID+"/"+strconv.Itoa(n)]; !ok {
			return false
		}
	}
	return true
}
