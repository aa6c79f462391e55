package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/store"
)

// listMargin widens the clone list's since date, for clock skew between this
// machine and Docusign.
const listMargin = 15 * time.Minute

// fallbackAfter is the number of consecutive polls a work id may be missing
// from the list before it is fetched on its own.
const fallbackAfter = 2

// poll follows every clone in flight and reconciles every unknown submission
// with one list call per round, until nothing is left to wait for. Rounds are
// spaced from the start of the previous one, so that the time a list call
// takes does not stretch the interval.
func (r *Runner) poll(ctx context.Context) error {
	last := time.Now()
	for {
		if r.finished() {
			return nil
		}
		if !r.sleepPoll(ctx, last) {
			return nil
		}
		last = time.Now()
		if err := r.pollOnce(ctx); err != nil {
			return err
		}
	}
}

// finished reports whether the poller may stop: no clone in flight or
// unknown, and either no queued work or the run is stopping. A stopping run
// also ends when its drain deadline passes.
func (r *Runner) finished() bool {
	stopping := r.stopping.Load()
	if stopping && r.opts.Now().UnixNano() > r.drainDeadline.Load() {
		return true
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lanes {
		if len(l.active) > 0 || (!stopping && len(l.queue) > 0) {
			return false
		}
	}
	return true
}

// sleepPoll waits for the next poll round after the one that started at
// last; false when the run is cancelled. With nothing in flight it naps one
// short interval and returns, so that the caller looks again without a call
// (pollOnce lists nothing then).
func (r *Runner) sleepPoll(ctx context.Context, last time.Time) bool {
	for {
		wait, watching := r.nextPoll(last)
		if watching && wait <= 0 {
			return true
		}
		if !watching {
			wait = r.opts.MinPollInterval
		}

		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
			if !watching {
				return true
			}
		case <-r.wakePoller:
			t.Stop()
		}
	}
}

// nextPoll returns how long to wait before the round after the one that
// started at last, and whether any clone is watched at all. The round comes
// one interval after the last one, but not before the earliest clone in
// flight may have finished: polling a clone that cannot be done yet spends
// a call for nothing. Unknown submissions are listed at the plain interval.
func (r *Runner) nextPoll(last time.Time) (time.Duration, bool) {
	now := time.Now()
	due, watching := r.earliestDue(now)
	if !watching {
		return 0, false
	}
	next := last.Add(r.interval())
	if due.After(next) {
		next = due
	}
	if latest := last.Add(r.opts.PollInterval); next.After(latest) {
		next = latest
	}
	// The rate budget may ask for longer, to leave calls to submissions.
	if floor := last.Add(r.budgetInterval()); floor.After(next) {
		next = floor
	}
	return next.Sub(now), true
}

// earliestDue returns the time the first clone in flight may finish (now
// when an unknown submission waits to be reconciled, or when too few clones
// have finished to tell), and whether any clone is watched. A clone may
// finish once it has run as long as the quickest tenth of those seen.
func (r *Runner) earliestDue(now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()

	quick := quantile(r.durations, 0.1)
	var due time.Time
	watching := false
	for _, l := range r.lanes {
		for key := range l.active {
			watching = true
			j := r.jobs[key]
			if j.State != store.InFlight || quick <= 0 || j.SubmittedAt.IsZero() {
				return now, true
			}
			at := j.SubmittedAt.Add(quick)
			if due.IsZero() || at.Before(due) {
				due = at
			}
		}
	}
	return due, watching
}

// interval adapts the polling interval to how long clones take: a twentieth
// of the typical clone, between MinPollInterval and PollInterval. Until a
// clone has finished, the oldest clone in flight stands for the typical one:
// each has run at least that long, so the interval starts short and grows.
func (r *Runner) interval() time.Duration {
	r.mu.Lock()
	typical := median(r.durations)
	if typical == 0 {
		typical = r.oldestInFlightLocked()
	}
	r.mu.Unlock()

	iv := r.opts.PollInterval
	if typical > 0 && typical/20 < iv {
		iv = typical / 20
	}
	return max(iv, r.opts.MinPollInterval)
}

// oldestInFlightLocked returns how long the oldest clone in flight has run.
func (r *Runner) oldestInFlightLocked() time.Duration {
	var oldest time.Duration
	now := r.opts.Now()
	for _, l := range r.lanes {
		for key := range l.active {
			if j := r.jobs[key]; j.State == store.InFlight && !j.SubmittedAt.IsZero() {
				oldest = max(oldest, now.Sub(j.SubmittedAt))
			}
		}
	}
	return oldest
}

// budgetInterval is the least interval that keeps polling within pollShare
// of the calls the rate budget has left until its hourly reset, so that on a
// budget that binds, polls leave the calls to submissions. Zero when the
// API has no budget or its reset is not known yet.
func (r *Runner) budgetInterval() time.Duration {
	b, ok := r.api.(interface{ Budget() *docusign.Budget })
	if !ok || b.Budget() == nil {
		return 0
	}
	st := b.Budget().Stats()
	until := time.Until(st.Reset)
	if st.Reset.IsZero() || until <= 0 {
		return 0
	}
	// The budget keeps a tenth of the limit in reserve.
	left := st.HourlyRemaining - st.HourlyLimit/10
	if left <= 0 {
		return until
	}
	return time.Duration(float64(until) / (pollShare * float64(left)))
}

// pollShare is the part of the calls left in the hourly window that polling
// may use.
const pollShare = 0.25

func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }

// quantile returns the q-quantile of ds, 0 when ds is empty.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[int(float64(len(s)-1)*q)]
}

// watched is what one poll round looks at.
type watched struct {
	inFlight []store.Job
	unknown  []store.Job
	since    time.Time
}

// watchList returns the jobs a poll round looks at and the since date of its
// list call: early enough for the oldest of them, widened by ListMargin for a
// clone in flight (its work id is known, and a clone the list misses is
// fetched on its own) and by the full listMargin for an unknown submission
// (only the list can find it).
func (r *Runner) watchList() watched {
	r.mu.Lock()
	defer r.mu.Unlock()

	var w watched
	for _, l := range r.lanes {
		for key := range l.active {
			j := *r.jobs[key]
			var from time.Time
			switch j.State {
			case store.InFlight:
				w.inFlight = append(w.inFlight, j)
				from = j.SubmittedAt.Add(-r.opts.ListMargin)
			case store.Unknown:
				w.unknown = append(w.unknown, j)
				from = j.IntentAt.Add(-listMargin)
			default:
				continue
			}
			if w.since.IsZero() || from.Before(w.since) {
				w.since = from
			}
		}
	}
	return w
}

// pollOnce lists the organization's clones once and applies what it says to
// every watched job.
func (r *Runner) pollOnce(ctx context.Context) error {
	w := r.watchList()
	if len(w.inFlight) == 0 && len(w.unknown) == 0 {
		return nil
	}

	clones, err := r.api.ListClones(ctx, w.since)
	if err != nil {
		return r.pollFailed(ctx, err)
	}
	r.crashpoint("poll")
	byWork := make(map[string]docusign.Clone, len(clones))
	for _, c := range clones {
		byWork[strings.ToLower(c.WorkID)] = c
	}

	var changes []store.Change
	var lost []store.Job
	for _, j := range w.inFlight {
		c, ok := byWork[strings.ToLower(j.WorkID)]
		if !ok {
			if r.markMissing(j.Key) {
				lost = append(lost, j)
			}
			continue
		}
		r.clearMissing(j.Key)
		if ch, changed := r.progressChange(j, c); changed {
			changes = append(changes, ch)
		}
	}
	changes = append(changes, r.reconcile(w.unknown, clones)...)
	changes = append(changes, r.fetchLost(ctx, lost)...)

	// Lanes whose clone is done may start their next one at once: its intent
	// then shares a commit with these changes instead of waiting for it. A
	// crash in between loses nothing: the finished clone is still in flight in
	// the state file and the next start polls it again.
	r.release(changes)
	updated, err := r.apply(changes...)
	if err != nil {
		return err
	}
	r.recordDurations(updated)
	return nil
}

// pollFailed decides whether a failed poll ends the run: only when retrying
// cannot help.
func (r *Runner) pollFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if docusign.ClassOf(err) == docusign.ClassAuth {
		r.abort(fmt.Errorf("poll clones: %w", err))
		return nil
	}
	r.log.Warn().Err(err).Msg("poll clones failed; trying again at the next interval")
	return nil
}

func (r *Runner) markMissing(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.missing[key]++
	return r.missing[key] >= fallbackAfter
}

func (r *Runner) clearMissing(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.missing, key)
}

// fetchLost gets, one by one, clones in flight that the list no longer shows.
// A work id Docusign does not know any more makes its job unknown, to be
// looked for by its row.
func (r *Runner) fetchLost(ctx context.Context, lost []store.Job) []store.Change {
	var changes []store.Change
	for _, j := range lost {
		c, err := r.api.GetClone(ctx, j.AssetGroupID, j.WorkID)
		switch {
		case err == nil:
			r.clearMissing(j.Key)
			if ch, changed := r.progressChange(j, c); changed {
				changes = append(changes, ch)
			}
		case docusign.ClassOf(err) == docusign.ClassNotFound:
			r.clearMissing(j.Key)
			now := r.opts.Now().UTC()
			msg := err.Error()
			changes = append(changes, store.Change{Key: j.Key, To: store.Unknown, Note: "work id not found",
				Mutate: func(j *store.Job) {
					// Forget the id Docusign does not know, so that the
					// listing may find the row's clone again.
					j.WorkID = ""
					j.LastError = msg
					j.UnknownSince = now
					j.ListChecks = 0
				}})
		default:
			r.log.Warn().Err(err).Str("job", j.Key).Str("work_id", j.WorkID).Msg("get clone failed")
		}
	}
	return changes
}

// progressChange turns a clone record into the change of its job, and
// reports whether anything changed.
func (r *Runner) progressChange(j store.Job, c docusign.Clone) (store.Change, bool) {
	to := store.InFlight
	switch {
	case c.Status.Completed():
		to = store.Completed
	case c.Status.Failed():
		to = store.Failed
	}

	same := to == j.State && c.RawStatus == j.DocusignStatus && c.Attempts == j.Attempts
	if same {
		return store.Change{}, false
	}
	now := r.opts.Now().UTC()
	return store.Change{Key: j.Key, To: to, Mutate: func(j *store.Job) {
		setWork(j, c)
		if to == store.InFlight {
			return
		}
		j.FinishedAt = now
		if to == store.Completed {
			j.LastError = ""
		}
		if to == store.Failed {
			j.LastError = failureMessage(c)
			j.Hint = failureHint(c)
		}
	}}, true
}

// reconcile looks for the clones of unknown submissions in the list: a clone
// of the same row created after the intent is adopted; a submission not found
// in two listings across the grace window needs review.
func (r *Runner) reconcile(unknown []store.Job, clones []docusign.Clone) []store.Change {
	if len(unknown) == 0 {
		return nil
	}
	taken := r.workIDsInUse()

	var changes []store.Change
	now := r.opts.Now().UTC()
	for _, j := range unknown {
		best := bestByKey(clones, j.IntentAt.Add(-listMargin), func(c docusign.Clone) bool {
			return !taken[strings.ToLower(c.WorkID)]
		})
		if c, ok := best[j.Key]; ok {
			taken[strings.ToLower(c.WorkID)] = true
			changes = append(changes, store.Change{
				Key: j.Key, To: store.InFlight, Note: "found in the organization's clone list",
				Mutate: func(j *store.Job) {
					j.SubmittedAt = j.IntentAt
					j.LastError = ""
					setWork(j, c)
				}})
			continue
		}

		checks := j.ListChecks + 1
		if checks >= 2 && now.Sub(j.UnknownSince) >= r.opts.GraceWindow {
			changes = append(changes, store.Change{
				Key: j.Key, To: store.NeedsReview, Note: "not found after the grace window",
				Mutate: func(j *store.Job) {
					j.ListChecks = checks
					j.Hint = needsReviewHint
				}})
			continue
		}
		changes = append(changes, store.Change{
			Key: j.Key, To: store.Unknown,
			Mutate: func(j *store.Job) { j.ListChecks = checks },
		})
	}
	return changes
}

// workIDsInUse returns the work ids that jobs of this run already hold.
func (r *Runner) workIDsInUse() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()

	ids := make(map[string]bool)
	for _, j := range r.jobs {
		if j.WorkID != "" {
			ids[strings.ToLower(j.WorkID)] = true
		}
	}
	return ids
}

// release frees the lane slots of jobs that the changes make final.
func (r *Runner) release(changes []store.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()

	for _, c := range changes {
		if !c.To.Final() {
			continue
		}
		j := r.jobs[c.Key]
		l := r.lanes[j.Lane]
		if l == nil || !l.active[c.Key] {
			continue
		}
		delete(l.active, c.Key)
		delete(r.missing, c.Key)
		signal(l.wake)
	}
}

// keptDurations is how many recent clone durations pace polling: enough for
// steady quantiles, few enough to sort at every round and to follow a
// change of pace.
const keptDurations = 200

// recordDurations remembers how long the latest completed clones took.
func (r *Runner) recordDurations(updated []store.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()

	for _, j := range updated {
		if j.State == store.Completed && !j.SubmittedAt.IsZero() && !j.Adopted {
			r.durations = append(r.durations, j.FinishedAt.Sub(j.SubmittedAt))
		}
	}
	if extra := len(r.durations) - keptDurations; extra > 0 {
		r.durations = append(r.durations[:0], r.durations[extra:]...)
	}
}

// bestByKey picks, for each row key, the newest clone created at or after
// since that keep accepts, preferring a completed one.
func bestByKey(
	clones []docusign.Clone, since time.Time, keep func(docusign.Clone) bool,
) map[string]docusign.Clone {
	best := make(map[string]docusign.Clone)
	for _, c := range clones {
		if !keep(c) || (!since.IsZero() && !c.CreatedDate.IsZero() && c.CreatedDate.Before(since)) {
			continue
		}
		key := manifest.MatchKey(c.SourceAccountID, c.TargetName, c.AdminEmail)
		prev, ok := best[key]
		if !ok || better(c, prev) {
			best[key] = c
		}
	}
	return best
}

func better(c, prev docusign.Clone) bool {
	if c.Status.Completed() != prev.Status.Completed() {
		return c.Status.Completed()
	}
	return c.CreatedDate.After(prev.CreatedDate)
}

// setWork copies what a clone record says into its job.
func setWork(j *store.Job, c docusign.Clone) {
	if c.WorkID != "" {
		j.WorkID = c.WorkID
	}
	if c.AssetGroupID != "" {
		j.AssetGroupID = c.AssetGroupID
	}
	j.DocusignStatus = c.RawStatus
	if j.DocusignStatus == "" {
		j.DocusignStatus = c.Status.String()
	}
	j.Attempts = c.Attempts
	if c.TargetAccountID != "" {
		j.NewAccountID = c.TargetAccountID
	}
	if c.Status.Retrying() {
		j.LastError = failureMessage(c)
	}
}
