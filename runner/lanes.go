package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/store"
)

// adoptLookback is how far back the organization's clone list is searched for
// clones that already exist before the first submission of a run.
const adoptLookback = 366 * 24 * time.Hour

// assignLanes looks up every queued row's source account in the organization:
// the asset group it belongs to gives the row's lane, and a source account
// that is missing or not compliant fails the row before anything is sent.
func (r *Runner) assignLanes(ctx context.Context) error {
	queued := r.keysIn(store.Queued)
	if len(queued) == 0 {
		return nil
	}

	// Only compliant accounts can be cloned; asking for them alone also
	// spares reading a compliance flag the API may leave out.
	accounts, err := r.api.ListAssetGroupAccounts(ctx, true)
	if err != nil {
		return fmt.Errorf("list the organization's asset group accounts: %w", err)
	}
	byID := make(map[string]docusign.AssetGroupAccount, len(accounts))
	for _, a := range accounts {
		byID[strings.ToLower(a.AccountID)] = a
	}

	var changes []store.Change
	for _, key := range queued {
		j := r.job(key)
		changes = append(changes, r.laneChange(j, byID))
	}
	_, err = r.apply(changes...)
	return err
}

// laneChange sets a queued job's asset group and lane, or fails it when its
// source account cannot be cloned.
func (r *Runner) laneChange(j store.Job, byID map[string]docusign.AssetGroupAccount) store.Change {
	group, laneKey, problem := resolveSource(j.Row, byID, r.opts.LaneKey)
	if problem != nil {
		return failChange(j.Key, problem.Message, problem.Hint, r.opts.Now().UTC())
	}
	return store.Change{Key: j.Key, To: store.Queued, Mutate: func(j *store.Job) {
		j.AssetGroupID = group
		j.Lane = laneKey
	}}
}

func failChange(key, msg, hint string, now time.Time) store.Change {
	return store.Change{Key: key, To: store.Failed, Note: msg, Mutate: func(j *store.Job) {
		j.LastError = msg
		j.Hint = hint
		j.FinishedAt = now
	}}
}

// adoptExisting looks, before the first submission, for clones that already
// exist in the organization for queued rows (same source account, target name
// and admin email) and adopts them instead of cloning again. Even a lost state
// file then creates no duplicate.
func (r *Runner) adoptExisting(ctx context.Context) error {
	queued := r.keysIn(store.Queued)
	if len(queued) == 0 {
		return nil
	}

	clones, err := r.api.ListClones(ctx, r.opts.Now().Add(-adoptLookback))
	if err != nil {
		return fmt.Errorf("list the organization's clones before submitting: %w", err)
	}
	best := bestByKey(clones, time.Time{}, func(c docusign.Clone) bool { return !c.Status.Failed() })

	var changes []store.Change
	for _, key := range queued {
		c, ok := best[key]
		if !ok {
			continue
		}
		changes = append(changes, store.Change{Key: key, To: store.InFlight, Note: "adopted an existing clone",
			Mutate: func(j *store.Job) {
				j.Adopted = true
				j.SubmittedAt = c.CreatedDate
				setWork(j, c)
			}})
		// A clone already done is recorded so at once: polling it would
		// stretch every list call back to its creation date.
		if c.Status.Completed() {
			j := r.job(key)
			j.State = store.InFlight
			if done, changed := r.progressChange(j, c); changed {
				changes = append(changes, done)
			}
		}
	}
	_, err = r.apply(changes...)
	return err
}

// runLane submits the lane's queued jobs, keeping at most LaneWidth in flight,
// until its queue is empty and its clones are done, or the run stops.
func (r *Runner) runLane(ctx context.Context, l *lane) error {
	for {
		key, wait := r.nextInLane(l)
		switch {
		case key == "" && !wait:
			return nil
		case r.stopping.Load():
			return nil
		case wait:
			if !r.sleep(ctx, l.wake, r.opts.PollInterval) {
				return nil
			}
			continue
		}

		out, err := r.submit(ctx, key)
		if err != nil {
			return err
		}
		r.settle(l, key, out)
		if out == outcomeRetry && !r.sleep(ctx, l.wake, r.opts.Backoff) {
			return nil
		}
	}
}

// nextInLane returns the next job to submit, or wait=true when the lane is
// full, or neither when the lane has nothing left to do.
func (r *Runner) nextInLane(l *lane) (key string, wait bool) {
	r.mu.Lock()
	defer r.mu.Unlock()

	if len(l.queue) == 0 {
		return "", len(l.active) > 0
	}
	if len(l.active) >= r.opts.LaneWidth {
		return "", true
	}
	return l.queue[0], false
}

// settle moves a submitted job out of the lane's queue.
func (r *Runner) settle(l *lane, key string, out outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()

	switch out {
	case outcomeSent:
		l.queue = l.queue[1:]
		l.active[key] = true
	case outcomeFinal:
		l.queue = l.queue[1:]
	}
}

// sleep waits for d, a wake-up, or the end of the run; false means stop.
func (r *Runner) sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return !r.stopping.Load()
}

type outcome int

const (
	outcomeSent  outcome = iota // in flight, or unknown and being reconciled
	outcomeFinal                // failed for its own data
	outcomeRetry                // not sent or refused for now: try again later
)

// submit records the intent, sends the POST and records what came back. The
// intent is committed (and fsynced) before the POST, so a crash in between
// leaves the job submitting, which the next start treats as unknown.
func (r *Runner) submit(ctx context.Context, key string) (outcome, error) {
	j := r.job(key)
	now := r.opts.Now().UTC()
	_, err := r.apply(store.Change{Key: key, To: store.Submitting, Mutate: func(j *store.Job) {
		j.IntentAt = now
		j.Submissions++
		j.LastError = ""
	}})
	if err != nil {
		return outcomeRetry, err
	}

	r.crashpoint("intent")
	clone, postErr := r.api.CloneAccount(ctx, cloneRequest(j))
	r.crashpoint("answer")
	if postErr == nil {
		err := r.recordAccepted(key, clone)
		if err != nil {
			// The next start finds the clone by its row; say which it is.
			r.log.Error().Err(err).Int("row", j.Row.Line).Str("job", key).Str("work_id", clone.WorkID).
				Msg("clone accepted but not recorded")
		}
		return outcomeSent, err
	}
	return r.recordRefused(ctx, key, postErr)
}

// recordAccepted stores the work id of an accepted clone.
func (r *Runner) recordAccepted(key string, c docusign.Clone) error {
	now := r.opts.Now().UTC()
	_, err := r.apply(store.Change{Key: key, To: store.InFlight, Mutate: func(j *store.Job) {
		j.SubmittedAt = now
		setWork(j, c)
	}})
	return err
}

// recordRefused decides what a failed POST means for its job.
func (r *Runner) recordRefused(ctx context.Context, key string, postErr error) (outcome, error) {
	msg := postErr.Error()
	class := docusign.ClassOf(postErr)
	unknown := errors.Is(postErr, docusign.ErrOutcomeUnknown)

	switch {
	case errors.Is(postErr, docusign.ErrNotSent) && !unknown:
		return outcomeRetry, r.withdraw(key, "not sent: "+msg)
	case !unknown && class == docusign.ClassLaneBusy:
		return outcomeRetry, r.withdraw(key, "lane busy")
	case !unknown && class == docusign.ClassRateLimited:
		return outcomeRetry, r.withdraw(key, "rate limited")
	case !unknown && class == docusign.ClassAuth:
		if err := r.withdraw(key, "authorization refused"); err != nil {
			return outcomeRetry, err
		}
		r.abort(fmt.Errorf("submit row %d: %w", r.job(key).Row.Line, postErr))
		return outcomeRetry, nil
	case !unknown && (class == docusign.ClassRejected || class == docusign.ClassNotFound):
		_, err := r.apply(store.Change{Key: key, To: store.Failed, Note: "rejected", Mutate: func(j *store.Job) {
			j.LastError = msg
			j.Hint = rejectionHint(postErr)
			j.FinishedAt = r.opts.Now().UTC()
		}})
		return outcomeFinal, err
	}

	// Anything else may have reached Docusign: never send it again blindly.
	if ctx.Err() != nil {
		msg = "interrupted while submitting: " + msg
	}
	now := r.opts.Now().UTC()
	_, err := r.apply(store.Change{Key: key, To: store.Unknown, Note: "outcome unknown",
		Mutate: func(j *store.Job) {
			j.LastError = msg
			j.UnknownSince = now
			j.ListChecks = 0
		}})
	signal(r.wakePoller)
	return outcomeSent, err
}

func (r *Runner) crashpoint(name string) {
	if r.opts.Crashpoint != nil {
		r.opts.Crashpoint(name)
	}
}

// withdraw returns a job whose POST certainly created nothing to the queue.
func (r *Runner) withdraw(key, note string) error {
	_, err := r.apply(store.Change{Key: key, To: store.Queued, Note: note})
	return err
}

func cloneRequest(j store.Job) docusign.CloneRequest {
	return docusign.CloneRequest{
		SourceAccountID: j.Row.SourceAccountID,
		TargetName:      j.Row.TargetAccountName,
		CountryCode:     j.Row.CountryCode,
		Region:          j.Row.Region,
		Admin: docusign.Admin{
			FirstName: j.Row.AdminFirstName,
			LastName:  j.Row.AdminLastName,
			Email:     j.Row.AdminEmail,
			Locale:    j.Row.AdminLocale,
		},
	}
}

// job returns a copy of the job with key.
func (r *Runner) job(key string) store.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return *r.jobs[key]
}

// keysIn returns the keys of the manifest's jobs in state s.
func (r *Runner) keysIn(s store.State) []string {
	r.mu.Lock()
	defer r.mu.Unlock()

	var keys []string
	for k, j := range r.jobs {
		if j.State == s && j.InManifest {
			keys = append(keys, k)
		}
	}
	return keys
}
