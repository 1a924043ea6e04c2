package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// LastApplied is the stack file serve -f last applied successfully, as
// kubectl apply keeps its last-applied configuration: the three-way choice
// between the file, the file before and the running state needs the file before.
type LastApplied struct {
	Source    string          // the path serve was given, for the log
	SHA256    string          // of Content
	Content   json.RawMessage // the parsed file, canonical (Canonical)
	AppliedAt time.Time
}

// lastAppliedKey is the one record: a daemon serves one stack file.
var lastAppliedKey = model.Key(model.KindStackApplied, "stack")

// Canonical is the parsed file as JSON with sorted map keys, and its sha256:
// comments, key order and YAML spelling do not make a file "changed".
func Canonical(f *File) ([]byte, string, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, "", fmt.Errorf("canonical stack file: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}

// LoadLastApplied returns the last applied stack, or nil when none was.
func LoadLastApplied(ctx context.Context, st store.Store) (*LastApplied, error) {
	last, _, err := store.Load[LastApplied](ctx, st, lastAppliedKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last applied stack: %w", err)
	}
	return last, nil
}

// Options say how ApplyFile treats a file that did not change.
type Options struct {
	Source  string // the file's path, for the log
	Reapply bool   // apply every resource, as if nothing had been applied before
}

// ApplyFile is what serve -f does at start. The file is compared with the one
// applied last:
//   - the same (by Canonical's sha256): nothing is applied, so what was changed
//     through the AWS API since stays;
//   - changed (or the first): only resources whose definition changed in the
//     file, or that are missing, are written; a resource the file still
//     defines as before is left as it runs;
//   - Reapply: every resource is made to match the file (the old behaviour).
//
// Every change is logged ("stack change"), and what still differs afterwards
// is logged as drift ("stack drift"), not fixed. It returns the drift.
func ApplyFile(ctx context.Context, s Services, f *File, opt Options) ([]Change, error) {
	content, sum, err := Canonical(f)
	if err != nil {
		return nil, err
	}
	last, err := LoadLastApplied(ctx, s.Store)
	if err != nil {
		return nil, err
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	log := s.Log
	if last != nil && last.SHA256 == sum && !opt.Reapply {
		log.Info(fmt.Sprintf("stack %s unchanged since the last apply (sha256 %s): not re-applied; changes made through the API are kept", opt.Source, sum[:12]))
	} else {
		var keep map[string]bool
		if last != nil && !opt.Reapply {
			var before File
			if err := json.Unmarshal(last.Content, &before); err != nil {
				return nil, fmt.Errorf("last applied stack: %w", err)
			}
			keep = unchangedResources(&before, f)
		}
		changes, err := run(ctx, s, f, keep, false)
		if err != nil {
			return nil, err
		}
		log.Info(fmt.Sprintf("stack %s applied (sha256 %s)", opt.Source, sum[:12]), "changes", len(changes), "unchanged_resources_kept", len(keep))
		rec := LastApplied{Source: opt.Source, SHA256: sum, Content: content, AppliedAt: time.Now().UTC()}
		if _, err := store.Save(ctx, s.Store, lastAppliedKey, rec, store.Any); err != nil {
			return nil, fmt.Errorf("record the applied stack: %w", err)
		}
	}
	drift, err := Plan(ctx, s, f)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	for _, c := range drift {
		log.Warn("stack drift", "resource", c.Resource, "field", c.Field, "running", c.Old, "file", c.New)
	}
	if len(drift) > 0 {
		log.Warn(fmt.Sprintf("stack %s: %d differences between the running state and the file kept (changed through the API); `gatehouse diff -f` lists them, `serve --reapply` reverts them", opt.Source, len(drift)))
	}
	return drift, nil
}

// unchangedResources returns the resources (kind/name) whose definition is
// the same in both files.
func unchangedResources(before, after *File) map[string]bool {
	old, cur := definitions(before), definitions(after)
	keep := map[string]bool{}
	for res, def := range cur {
		if prev, ok := old[res]; ok && prev == def {
			keep[res] = true
		}
	}
	return keep
}

// definitions maps each resource of f (kind/name, as Change names them) to
// its definition as JSON.
func definitions(f *File) map[string]string {
	defs := map[string]string{}
	addAll(defs, f.Zones, func(v Zone) string { return "zone/" + v.Name })
	addAll(defs, f.Certificates, func(v Certificate) string { return "certificate/" + v.Name })
	addAll(defs, f.SecurityGroups, func(v SecurityGroup) string { return "securityGroup/" + v.Name })
	addAll(defs, f.VpcEndpoints, func(v VpcEndpoint) string { return "vpcEndpoint/" + v.Name })
	addAll(defs, f.APIs, func(v API) string { return "api/" + v.Name })
	addAll(defs, f.DomainNames, func(v DomainName) string { return "domainName/" + v.Name })
	addAll(defs, f.TargetGroups, func(v TargetGroup) string { return "targetGroup/" + v.Name })
	addAll(defs, f.LoadBalancers, func(v LoadBalancer) string { return "loadBalancer/" + v.Name })
	addAll(defs, f.Accelerators, func(v Accelerator) string { return "accelerator/" + v.Name })
	addAll(defs, f.Records, recordResource)
	addAll(defs, f.APIKeys, func(v APIKey) string { return "apiKey/" + v.Name })
	addAll(defs, f.UsagePlans, func(v UsagePlan) string { return "usagePlan/" + v.Name })
	return defs
}

// addAll adds the definition of each of one kind's items under its resource
// name.
func addAll[T any](defs map[string]string, items []T, resource func(T) string) {
	for _, v := range items {
		b, _ := json.Marshal(v) // a File marshals: Canonical did
		defs[resource(v)] = string(b)
	}
}
