package reports

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/store"
)

// testHeaders are the headers of the test manifest, with an extra column
// that reports must carry through.
var testHeaders = []string{
	"Source Account ID", "Target Account Name", "Admin First Name", "Admin Last Name",
	"Admin Email", "Country", "Cost centre",
}

var t0 = time.Date(2026, 3, 4, 1, 2, 3, 0, time.UTC)

// jobFor builds the job of manifest row i (from 0) in the state its index
// picks: completed, failed, needs review, in flight, queued, in turn.
func jobFor(i int) store.Job {
	values := []string{
		fmt.Sprintf("00000000-0000-0000-0000-%012d", i%7),
		fmt.Sprintf("Customer %d", i), "Ada", "Lovelace",
		fmt.Sprintf("admin%d@example.com", i), "US", fmt.Sprintf("CC-%d", i),
	}
	row := manifest.Row{
		Line: i + 2, SourceAccountID: values[0], TargetAccountName: values[1],
		AdminFirstName: values[2], AdminLastName: values[3], AdminEmail: values[4],
		CountryCode: values[5], Values: values,
	}
	j := store.Job{
		Key: row.Key(), Row: row, Order: i, Lane: fmt.Sprintf("lane-%d", i%7),
		InManifest: true, AssetGroupID: fmt.Sprintf("ag-%d", i%7),
		UpdatedAt: t0.Add(time.Hour),
	}

	start := t0.Add(time.Duration(i) * time.Minute)
	switch i % 5 {
	case 0:
		j.State, j.DocusignStatus, j.WorkID = store.Completed, "Completed", fmt.Sprintf("w-%d", i)
		j.NewAccountID, j.Attempts = fmt.Sprintf("acct-%d", i), 1
		j.SubmittedAt, j.FinishedAt = start, start.Add(4*time.Minute+12*time.Second)
	case 1:
		j.State, j.DocusignStatus, j.WorkID = store.Failed, "PermanentFailure", fmt.Sprintf("w-%d", i)
		j.Attempts, j.LastError = 10, "clone failed"
		j.SubmittedAt, j.FinishedAt = start, start.Add(9*time.Minute)
	case 2:
		j.State, j.LastError = store.NeedsReview, "clone account: connection reset"
	case 3:
		j.State, j.DocusignStatus, j.WorkID = store.InFlight, "Processing", fmt.Sprintf("w-%d", i)
		j.SubmittedAt = start
	default:
		j.State = store.Queued
	}
	return j
}

// testInput builds a run of n rows through a real state file, shuffled so
// that reports must sort them, with one row removed from the manifest.
func testInput(t *testing.T, n int) Input {
	t.Helper()

	jobs := make([]store.Job, n)
	for i := range jobs {
		jobs[i] = jobFor(i)
	}
	if n > 3 {
		jobs[3].InManifest = false
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })

	run := store.Run{
		ID: "run-1", ManifestPath: "/data/customers.xlsx", ManifestFormat: "xlsx",
		Headers: testHeaders, OrgID: "org-1", Env: "demo", LaneKey: "asset-group",
		LaneWidth: 1, StartedAt: t0, UpdatedAt: t0.Add(time.Hour),
		ResumeCommand: "dsclone run /data/customers.xlsx",
	}
	return Input{Run: run, Jobs: storeRoundTrip(t, run, jobs), Now: t0.Add(2 * time.Hour)}
}

// storeRoundTrip writes the run and jobs to a state file in a temporary
// directory and loads them back as the report command does.
func storeRoundTrip(t *testing.T, run store.Run, jobs []store.Job) []store.Job {
	t.Helper()

	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if err := s.PutRun(run); err != nil {
		t.Fatalf("put run: %v", err)
	}
	if err := s.AddJobs(jobs); err != nil {
		t.Fatalf("add jobs: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	loaded, err := store.Load(path)
	if err != nil {
		t.Fatalf("load store: %v", err)
	}
	// Give them back in a scrambled order: reports must sort by Order.
	out := loaded.Jobs
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}
