package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
)

// Plan is what a run would do, checked read-only against the organization.
type Plan struct {
	Lanes []PlanLane
	// Problems are rows that would fail before anything is sent.
	Problems []PlanProblem
	// Existing are rows whose clone already exists: a run adopts them.
	Existing []PlanExisting
	// Estimate is the expected duration: the busiest lane's clones, one
	// after another.
	Estimate time.Duration
	// Serial is what a one-at-a-time loop over the rows would take.
	Serial time.Duration
}

// PlanLane is one lane of a plan.
type PlanLane struct {
	Key          string
	AssetGroupID string
	Rows         []int // manifest row numbers, in order
	Estimate     time.Duration
}

// PlanProblem is a row that cannot be cloned as it stands.
type PlanProblem struct {
	Line    int
	Message string
	Hint    string
}

// PlanExisting is a row whose clone already exists in the organization.
type PlanExisting struct {
	Line   int
	WorkID string
	Status string
}

// MakePlan groups rows into lanes and checks, with read-only calls, that every
// source account can be cloned and which rows already have their clone.
// cloneTime is the expected duration of one clone.
func MakePlan(
	ctx context.Context, api API, rows []manifest.Row, opts Options, cloneTime time.Duration,
) (Plan, error) {
	opts = opts.withDefaults()
	accounts, err := api.ListAssetGroupAccounts(ctx, true)
	if err != nil {
		return Plan{}, fmt.Errorf("list the organization's asset group accounts: %w", err)
	}
	byID := make(map[string]docusign.AssetGroupAccount, len(accounts))
	for _, a := range accounts {
		byID[strings.ToLower(a.AccountID)] = a
	}
	clones, err := api.ListClones(ctx, opts.Now().Add(-adoptLookback))
	if err != nil {
		return Plan{}, fmt.Errorf("list the organization's clones: %w", err)
	}
	existing := bestByKey(clones, time.Time{}, func(c docusign.Clone) bool { return !c.Status.Failed() })

	var p Plan
	lanes := map[string]*PlanLane{}
	for _, row := range rows {
		if c, ok := existing[row.Key()]; ok {
			p.Existing = append(p.Existing, PlanExisting{Line: row.Line, WorkID: c.WorkID, Status: c.Status.String()})
			continue
		}
		group, key, problem := resolveSource(row, byID, opts.LaneKey)
		if problem != nil {
			p.Problems = append(p.Problems, *problem)
			continue
		}
		l, ok := lanes[key]
		if !ok {
			l = &PlanLane{Key: key, AssetGroupID: group}
			lanes[key] = l
		}
		l.Rows = append(l.Rows, row.Line)
		p.Serial += cloneTime
	}

	for _, l := range lanes {
		slots := (len(l.Rows) + opts.LaneWidth - 1) / opts.LaneWidth
		l.Estimate = time.Duration(slots) * cloneTime
		p.Estimate = max(p.Estimate, l.Estimate)
		p.Lanes = append(p.Lanes, *l)
	}
	sort.Slice(p.Lanes, func(a, b int) bool {
		if len(p.Lanes[a].Rows) != len(p.Lanes[b].Rows) {
			return len(p.Lanes[a].Rows) > len(p.Lanes[b].Rows)
		}
		return p.Lanes[a].Key < p.Lanes[b].Key
	})
	return p, nil
}

// resolveSource finds a row's asset group and lane key from the
// organization's accounts, or says why its source account cannot be cloned.
func resolveSource(
	row manifest.Row, byID map[string]docusign.AssetGroupAccount, laneKey string,
) (group, key string, problem *PlanProblem) {
	src := strings.ToLower(row.SourceAccountID)
	acct, ok := byID[src]
	switch {
	case !ok:
		return "", "", &PlanProblem{Line: row.Line,
			Message: "source account " + row.SourceAccountID +
				" is not a compliant asset group account of the organization",
			Hint: "check source_account_id against `dsclone accounts`; " +
				"the account must belong to an asset group of this organization"}
	case !acct.Compliant:
		return "", "", &PlanProblem{Line: row.Line,
			Message: "source account " + row.SourceAccountID + " is not compliant",
			Hint:    "only compliant asset group accounts can be cloned; see `dsclone accounts`"}
	}

	group = acct.AssetGroupID
	if group == "" {
		group = row.AssetGroupID
	}
	if laneKey == LaneBySourceAccount {
		return group, src, nil
	}
	return group, group, nil
}
