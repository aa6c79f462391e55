package runner

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/store"
)

// Diff says how a manifest compares with the jobs a state file already holds.
type Diff struct {
	// New is set when the state file held no run.
	New       bool
	Added     int
	Unchanged int
	// Removed counts recorded rows no longer in the manifest: they are left
	// alone and reported.
	Removed int
	// Requeued counts failed or needs-review rows queued again on request.
	Requeued int
}

// String is the one-line summary a run prints when it resumes.
func (d Diff) String() string {
	if d.New {
		return fmt.Sprintf("new run: %d rows", d.Added)
	}
	parts := []string{fmt.Sprintf("%d rows already recorded", d.Unchanged)}
	if d.Added > 0 {
		parts = append(parts, fmt.Sprintf("%d new rows added", d.Added))
	}
	if d.Removed > 0 {
		parts = append(parts, fmt.Sprintf("%d recorded rows no longer in the manifest (left alone)", d.Removed))
	}
	if d.Requeued > 0 {
		parts = append(parts, fmt.Sprintf("%d rows queued again", d.Requeued))
	}
	return "resuming: " + strings.Join(parts, ", ")
}

// Prepare records the manifest in the state file: the run, a queued job for
// every new row, the current row data for rows already recorded (their state
// kept), and rows no longer in the manifest marked as such. With RetryFailed
// or ResubmitUnknown it queues those rows again. run carries the fields the
// caller knows (manifest, org, env, resume command); the run id and start
// time of an existing run are kept.
func Prepare(st *store.Store, m *manifest.Manifest, run store.Run, opts Options) (store.Run, Diff, error) {
	opts = opts.withDefaults()
	now := opts.Now().UTC()

	prev, found, err := st.Run()
	if err != nil {
		return store.Run{}, Diff{}, err
	}
	if found && !sameTarget(prev, run) {
		return store.Run{}, Diff{}, fmt.Errorf("%w: state file %q holds a run against organization %s (%s), "+
			"not %s (%s); give this run its own --state file", ErrOtherTarget, st.Path(),
			prev.OrgID, prev.Env, run.OrgID, run.Env)
	}
	run = mergeRun(prev, found, run, m, opts, now)
	if err := st.PutRun(run); err != nil {
		return store.Run{}, Diff{}, err
	}

	jobs, err := st.Jobs()
	if err != nil {
		return store.Run{}, Diff{}, err
	}
	records, diff := syncJobs(jobs, m.Rows, now)
	diff.New = !found
	if err := st.AddJobs(records); err != nil {
		return store.Run{}, Diff{}, err
	}

	requeued, err := requeue(st, records, opts)
	if err != nil {
		return store.Run{}, Diff{}, err
	}
	diff.Requeued = requeued
	return run, diff, nil
}

// ErrOtherTarget is returned by Prepare when the state file holds a run
// against another organization or environment: its jobs say nothing of this
// one, and resuming it would report clones that do not exist here.
var ErrOtherTarget = errors.New("state file belongs to another organization or environment")

// sameTarget reports whether run aims at the organization and environment
// the recorded run did. A recorded run without an organization matches any.
func sameTarget(prev, run store.Run) bool {
	if prev.OrgID == "" {
		return true
	}
	return strings.EqualFold(prev.OrgID, run.OrgID) && prev.Env == run.Env
}

// mergeRun keeps the identity of an existing run and takes the rest from the
// caller and the manifest.
func mergeRun(prev store.Run, found bool, run store.Run, m *manifest.Manifest, opts Options, now time.Time) store.Run {
	if found {
		run.ID = prev.ID
		run.StartedAt = prev.StartedAt
		run.Sessions = prev.Sessions
	} else {
		run.ID = newRunID(now)
		run.StartedAt = now
	}
	run.Sessions++
	run.UpdatedAt = now
	run.FinishedAt = time.Time{}
	run.ManifestSHA256 = m.SHA256
	run.ManifestFormat = m.Format
	run.Headers = m.Headers
	run.LaneKey = opts.LaneKey
	run.LaneWidth = opts.LaneWidth
	return run
}

// syncJobs returns the job records to write: every recorded job with its
// manifest data refreshed or marked removed, and a queued job per new row.
func syncJobs(recorded []store.Job, rows []manifest.Row, now time.Time) ([]store.Job, Diff) {
	var diff Diff
	byKey := make(map[string]store.Job, len(recorded))
	for _, j := range recorded {
		byKey[j.Key] = j
	}

	out := make([]store.Job, 0, len(rows)+len(recorded))
	seen := make(map[string]bool, len(rows))
	for i, row := range rows {
		key := row.Key()
		seen[key] = true
		j, ok := byKey[key]
		if ok {
			diff.Unchanged++
		} else {
			diff.Added++
			j = store.Job{Key: key, State: store.Queued, UpdatedAt: now}
		}
		j.Row = row
		j.Order = i
		j.InManifest = true
		out = append(out, j)
	}

	for _, j := range recorded {
		if seen[j.Key] {
			continue
		}
		if j.InManifest {
			j.InManifest = false
			j.Order = len(rows) + j.Order
		}
		diff.Removed++
		out = append(out, j)
	}
	return out, diff
}

// requeue moves failed and needs-review rows back to queued when asked.
func requeue(st *store.Store, jobs []store.Job, opts Options) (int, error) {
	var changes []store.Change
	for _, j := range jobs {
		if !j.InManifest {
			continue
		}
		retry := opts.RetryFailed && j.State == store.Failed
		resubmit := opts.ResubmitUnknown && j.State == store.NeedsReview
		if !retry && !resubmit {
			continue
		}
		note := "retry failed"
		if resubmit {
			note = "resubmit after review"
		}
		changes = append(changes, store.Change{Key: j.Key, To: store.Queued, Note: note, Mutate: clearOutcome})
	}
	if len(changes) == 0 {
		return 0, nil
	}
	if _, err := st.Apply(changes...); err != nil {
		return 0, fmt.Errorf("queue rows again: %w", err)
	}
	return len(changes), nil
}

// clearOutcome forgets the previous clone of a job that is queued again.
func clearOutcome(j *store.Job) {
	j.WorkID = ""
	j.DocusignStatus = ""
	j.Attempts = 0
	j.NewAccountID = ""
	j.FinishedAt = time.Time{}
	j.UnknownSince = time.Time{}
	j.ListChecks = 0
	j.LastError = ""
	j.Hint = ""
	j.Adopted = false
}

func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}
