package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dsclone/dsclone/store"
)

// jsonReport is the JSON twin of the workbook.
type jsonReport struct {
	RunID           string         `json:"run_id"`
	Manifest        string         `json:"manifest"`
	OrgID           string         `json:"org_id"`
	Env             string         `json:"env"`
	Status          string         `json:"status"` // finished, still running, interrupted
	StartedAt       time.Time      `json:"started_at,omitzero"`
	FinishedAt      time.Time      `json:"finished_at,omitzero"`
	LastActivityAt  time.Time      `json:"last_activity_at,omitzero"`
	ReportAt        time.Time      `json:"report_at"`
	Verdict         string         `json:"verdict"`
	Counts          map[string]int `json:"counts"`
	NextSteps       []string       `json:"next_steps"`
	ResumeCommand   string         `json:"resume_command"`
	Lanes           []jsonLane     `json:"lanes"`
	Headers         []string       `json:"headers"`
	Rows            []jsonRow      `json:"rows"`
	CompletedAdvice string         `json:"completed_advice"`
}

// jsonLane is one lane of the JSON report.
type jsonLane struct {
	Lane         string    `json:"lane"`
	Rows         int       `json:"rows"`
	Completed    int       `json:"completed"`
	Failed       int       `json:"failed"`
	Other        int       `json:"other"`
	CloneSeconds float64   `json:"clone_seconds"`
	FirstStart   time.Time `json:"first_start,omitzero"`
	LastFinish   time.Time `json:"last_finish,omitzero"`
}

// jsonRow is one job of the JSON report.
type jsonRow struct {
	Line            int         `json:"line"`
	InManifest      bool        `json:"in_manifest"`
	Values          []string    `json:"values"`
	Outcome         string      `json:"outcome"`
	State           store.State `json:"state"`
	Lane            string      `json:"lane"`
	NewAccountID    string      `json:"new_account_id,omitempty"`
	DocusignStatus  string      `json:"docusign_status,omitempty"`
	Attempts        int         `json:"attempts"`
	WorkID          string      `json:"work_id,omitempty"`
	AssetGroupID    string      `json:"asset_group_id,omitempty"`
	SubmittedAt     time.Time   `json:"submitted_at,omitzero"`
	FinishedAt      time.Time   `json:"finished_at,omitzero"`
	DurationSeconds float64     `json:"duration_seconds,omitempty"`
	Error           string      `json:"error,omitempty"`
	Hint            string      `json:"hint"`
}

// WriteJSON writes the report as one JSON object: the run, its verdict,
// counts by outcome, next steps, lanes and every row in manifest order,
// removed rows last. Values are written as they are.
func WriteJSON(w io.Writer, in Input) error {
	s := summarize(in)
	rep := jsonReport{
		RunID: in.Run.ID, Manifest: in.Run.ManifestPath, OrgID: in.Run.OrgID,
		Env: in.Run.Env, Status: s.status, StartedAt: in.Run.StartedAt.UTC(),
		FinishedAt: in.Run.FinishedAt.UTC(), LastActivityAt: s.endedAt.UTC(),
		ReportAt: in.Now.UTC(), Verdict: s.verdict(), Counts: map[string]int{},
		NextSteps: s.nextSteps(), ResumeCommand: s.resumeCommand(),
		Headers: in.Run.Headers, CompletedAdvice: CompletedChecklist,
		Lanes: make([]jsonLane, 0, len(s.lanes)), Rows: make([]jsonRow, 0, len(s.jobs)),
	}
	if rep.Headers == nil {
		rep.Headers = []string{}
	}
	for _, o := range outcomes {
		rep.Counts[o] = s.counts[o]
	}

	for _, l := range s.lanes {
		rep.Lanes = append(rep.Lanes, jsonLane{
			Lane: l.Key, Rows: l.Rows, Completed: l.Completed, Failed: l.Failed,
			Other: l.Other, CloneSeconds: l.CloneTime.Seconds(),
			FirstStart: l.FirstStart.UTC(), LastFinish: l.LastFinish.UTC(),
		})
	}
	for _, j := range s.jobs {
		rep.Rows = append(rep.Rows, jsonRowOf(j))
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// jsonRowOf is a job as the JSON report shows it.
func jsonRowOf(j store.Job) jsonRow {
	values := j.Row.Values
	if values == nil {
		values = []string{}
	}
	return jsonRow{
		Line: j.Row.Line, InManifest: j.InManifest, Values: values, Outcome: Outcome(j),
		State: j.State, Lane: j.Lane, NewAccountID: j.NewAccountID,
		DocusignStatus: j.DocusignStatus, Attempts: j.Attempts, WorkID: j.WorkID,
		AssetGroupID: j.AssetGroupID, SubmittedAt: j.SubmittedAt.UTC(),
		FinishedAt: j.FinishedAt.UTC(), DurationSeconds: jobDuration(j).Seconds(),
		Error: j.LastError, Hint: Hint(j),
	}
}
