// Package store keeps a run's checkpoints in one bbolt file: the run, one
// record per job, and an append-only log of every state change.
package store

import (
	"time"

	"github.com/dsclone/dsclone/manifest"
)

// State is where a job is in its life.
type State string

// The job states. A job moves queued -> submitting -> in_flight -> completed or
// failed; a submission whose answer was lost goes unknown, then in_flight when
// the clone is found in the organization's list or needs_review when it is not.
const (
	Queued      State = "queued"
	Submitting  State = "submitting"
	InFlight    State = "in_flight"
	Unknown     State = "unknown"
	Completed   State = "completed"
	Failed      State = "failed"
	NeedsReview State = "needs_review"
)

// States lists every state in the order reports show them.
var States = []State{Queued, Submitting, InFlight, Unknown, Completed, Failed, NeedsReview}

// Final reports whether a job in this state needs no more work in this run.
func (s State) Final() bool {
	return s == Completed || s == Failed || s == NeedsReview
}

// Run describes the run a state file holds.
type Run struct {
	ID             string    `json:"id"`
	ManifestPath   string    `json:"manifest_path"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	ManifestFormat string    `json:"manifest_format"`
	Headers        []string  `json:"headers"`
	OrgID          string    `json:"org_id"`
	Env            string    `json:"env"`
	LaneKey        string    `json:"lane_key"`
	LaneWidth      int       `json:"lane_width"`
	StartedAt      time.Time `json:"started_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
	// Sessions counts the dsclone processes that have worked on this run.
	Sessions int `json:"sessions"`
	// ResumeCommand is the command line that resumes this run.
	ResumeCommand string `json:"resume_command"`
}

// Job is one manifest row and everything known about its clone.
type Job struct {
	Key   string       `json:"key"`
	Row   manifest.Row `json:"row"`
	Order int          `json:"order"` // position in the manifest, for reports
	Lane  string       `json:"lane"`
	State State        `json:"state"`
	// InManifest is false for a job whose row was removed from the manifest
	// after it was recorded; such jobs are left alone and reported.
	InManifest bool `json:"in_manifest"`

	AssetGroupID   string `json:"asset_group_id,omitempty"`
	WorkID         string `json:"work_id,omitempty"`
	DocusignStatus string `json:"docusign_status,omitempty"`
	Attempts       int    `json:"attempts,omitempty"`
	NewAccountID   string `json:"new_account_id,omitempty"`
	// Adopted is set when the clone was found in the organization rather than
	// submitted by this job's own POST.
	Adopted bool `json:"adopted,omitempty"`

	// IntentAt is when the last submission was committed, before its POST.
	IntentAt    time.Time `json:"intent_at,omitzero"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	// UnknownSince is when the job went unknown; ListChecks counts the
	// organization listings that have not shown its clone since.
	UnknownSince time.Time `json:"unknown_since,omitzero"`
	ListChecks   int       `json:"list_checks,omitempty"`
	// Submissions counts the POSTs sent for this job, in every run.
	Submissions int `json:"submissions,omitempty"`

	LastError string `json:"last_error,omitempty"`
	Hint      string `json:"hint,omitempty"`
}

// Transition is one entry of the append-only log.
type Transition struct {
	Seq  uint64    `json:"seq"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"`
	From State     `json:"from"`
	To   State     `json:"to"`
	Note string    `json:"note,omitempty"`
}
