package runner

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/dsclone/dsclone/store"
)

// Runner drives the jobs of one state file to their final states.
type Runner struct {
	st   *store.Store
	api  API
	opts Options
	log  zerolog.Logger

	mu        sync.Mutex
	run       store.Run
	jobs      map[string]*store.Job
	lanes     map[string]*lane
	missing   map[string]int // consecutive polls an in-flight work id was absent
	durations []time.Duration

	stopping      atomic.Bool
	drainDeadline atomic.Int64 // unix nanoseconds; set before stopping
	drainCancel   context.CancelFunc
	fatal         error // the error that stopped the run early, under mu
	wakePoller    chan struct{}
}

// lane is the queue and the in-flight set of one asset group (or source
// account). Only the lane's goroutine takes from queue; the poller removes
// from active.
type lane struct {
	key    string
	queue  []string
	active map[string]bool
	wake   chan struct{}
}

// New returns a runner for the run that Prepare recorded in st.
func New(st *store.Store, api API, opts Options) (*Runner, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Runner{
		st:         st,
		api:        api,
		opts:       opts,
		log:        opts.Logger,
		jobs:       make(map[string]*store.Job),
		lanes:      make(map[string]*lane),
		missing:    make(map[string]int),
		wakePoller: make(chan struct{}, 1),
	}, nil
}

// Run works until every job in the manifest is final, stop is closed, or ctx
// is cancelled. Closing stop stops new submissions and keeps polling the
// clones in flight until they are final or DrainTimeout passes; cancelling
// ctx stops at once. Every step is checkpointed, so a later Run resumes.
func (r *Runner) Run(ctx context.Context, stop <-chan struct{}) (Result, error) {
	start := r.opts.Now()
	if err := r.load(); err != nil {
		return Result{}, err
	}
	if err := r.recoverSubmitting(); err != nil {
		return Result{}, err
	}
	if err := r.assignLanes(ctx); err != nil {
		return r.finish(start, err)
	}
	if err := r.adoptExisting(ctx); err != nil {
		return r.finish(start, err)
	}
	r.buildLanes()

	err := r.work(ctx, stop)
	return r.finish(start, err)
}

// work runs the lanes, the poller and the snapshot writer until done.
func (r *Runner) work(ctx context.Context, stop <-chan struct{}) error {
	g, gctx := errgroup.WithContext(ctx)
	done := make(chan struct{})

	// Polls and submissions end with ctx, or at the drain deadline of a stop.
	dctx, dcancel := context.WithCancel(gctx)
	defer dcancel()
	r.drainCancel = dcancel

	g.Go(func() error { return r.watchStop(gctx, stop, done) })
	g.Go(func() error { return r.publish(gctx, done) })
	g.Go(func() error {
		defer close(done)
		return r.poll(dctx)
	})

	limit := make(chan struct{}, max(r.opts.MaxLanes, 1))
	for _, l := range r.sortedLanes() {
		g.Go(func() error {
			if r.opts.MaxLanes > 0 {
				select {
				case limit <- struct{}{}:
					defer func() { <-limit }()
				case <-gctx.Done():
					return nil
				}
			}
			return r.runLane(dctx, l)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

// watchStop turns the first close of stop into a graceful drain.
func (r *Runner) watchStop(ctx context.Context, stop <-chan struct{}, done <-chan struct{}) error {
	select {
	case <-stop:
	case <-ctx.Done():
		return nil
	case <-done:
		return nil
	}
	r.log.Info().Dur("drain_timeout", r.opts.DrainTimeout).
		Msg("stopping: no new submissions, draining clones in flight")
	r.halt(r.opts.Now().Add(r.opts.DrainTimeout))
	time.AfterFunc(r.opts.DrainTimeout, r.drainCancel)
	return nil
}

// abort stops the run early because of err, which Run then returns: no new
// submission, no more polling, but a POST already under way is let finish,
// so that its answer is recorded.
func (r *Runner) abort(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.log.Error().Err(err).Msg("stopping: no new submissions")
	r.halt(r.opts.Now())
}

// halt stops new submissions and lets the poller go on until deadline at the
// latest. The deadline is stored before the flag, which the poller reads
// first.
func (r *Runner) halt(deadline time.Time) {
	r.mu.Lock()
	if !r.stopping.Load() || deadline.UnixNano() < r.drainDeadline.Load() {
		r.drainDeadline.Store(deadline.UnixNano())
	}
	r.stopping.Store(true)
	for _, l := range r.lanes {
		signal(l.wake)
	}
	r.mu.Unlock()
	signal(r.wakePoller)
}

// publish writes the snapshot every SnapshotEvery and calls OnCheckpoint
// every CheckpointEvery, until the poller is done.
func (r *Runner) publish(ctx context.Context, done <-chan struct{}) error {
	snap := time.NewTicker(r.opts.SnapshotEvery)
	defer snap.Stop()
	check := time.NewTicker(r.opts.CheckpointEvery)
	defer check.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-snap.C:
			r.writeSnapshot()
		case <-check.C:
			r.checkpoint()
		}
	}
}

func (r *Runner) writeSnapshot() {
	run, jobs := r.Snapshot()
	if err := store.WriteSnapshot(r.st.Path(), run, jobs); err != nil {
		r.log.Warn().Err(err).Msg("write snapshot")
	}
}

func (r *Runner) checkpoint() {
	if r.opts.OnCheckpoint == nil {
		return
	}
	run, jobs := r.Snapshot()
	if err := r.opts.OnCheckpoint(run, jobs); err != nil {
		r.log.Warn().Err(err).Msg("write checkpoint report")
	}
}

// Snapshot returns the run and a copy of its jobs in manifest order.
func (r *Runner) Snapshot() (store.Run, []store.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()

	jobs := make([]store.Job, 0, len(r.jobs))
	for _, j := range r.jobs {
		jobs = append(jobs, *j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Order < jobs[b].Order })
	return r.run, jobs
}

// finish records the end of the session and sums up the jobs.
func (r *Runner) finish(start time.Time, err error) (Result, error) {
	run, jobs := r.Snapshot()
	var rows []store.Job
	for _, j := range jobs {
		if j.InManifest {
			rows = append(rows, j)
		}
	}
	res := Result{Counts: store.CountJobs(rows), Duration: r.opts.Now().Sub(start)}
	for _, j := range rows {
		if !j.State.Final() {
			res.Interrupted = true
		}
	}

	now := r.opts.Now().UTC()
	run.UpdatedAt = now
	if !res.Interrupted && err == nil {
		run.FinishedAt = now
	}
	r.mu.Lock()
	r.run = run
	r.mu.Unlock()
	if perr := r.st.PutRun(run); perr != nil && err == nil {
		err = perr
	}
	if serr := store.WriteSnapshot(r.st.Path(), run, jobs); serr != nil {
		r.log.Warn().Err(serr).Msg("write snapshot")
	}
	return res, err
}

// load reads the run and its jobs from the store into memory.
func (r *Runner) load() error {
	run, found, err := r.st.Run()
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("state file %q holds no run: prepare it first", r.st.Path())
	}
	jobs, err := r.st.Jobs()
	if err != nil {
		return err
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.run = run
	for i := range jobs {
		j := jobs[i]
		r.jobs[j.Key] = &j
	}
	return nil
}

// apply writes changes to the store, then to memory, and reports them.
func (r *Runner) apply(changes ...store.Change) ([]store.Job, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	r.mu.Lock()
	from := make([]store.State, len(changes))
	for i, c := range changes {
		if j, ok := r.jobs[c.Key]; ok {
			from[i] = j.State
		}
	}
	r.mu.Unlock()

	updated, err := r.st.Apply(changes...)
	if err != nil {
		return nil, err
	}

	r.mu.Lock()
	for i := range updated {
		j := updated[i]
		r.jobs[j.Key] = &j
	}
	r.mu.Unlock()

	for i, j := range updated {
		r.logChange(from[i], j, changes[i].Note)
		if r.opts.OnEvent != nil {
			r.opts.OnEvent(Event{Job: j, From: from[i]})
		}
	}
	return updated, nil
}

func (r *Runner) logChange(from store.State, j store.Job, note string) {
	if from == j.State {
		return
	}
	ev := r.log.Info()
	if j.State == store.Failed || j.State == store.NeedsReview || j.State == store.Unknown {
		ev = r.log.Warn()
	}
	ev = ev.Int("row", j.Row.Line).Str("job", j.Key).Str("lane", j.Lane).
		Str("from", string(from)).Str("to", string(j.State))
	if j.WorkID != "" {
		ev = ev.Str("work_id", j.WorkID)
	}
	if j.DocusignStatus != "" {
		ev = ev.Str("docusign_status", j.DocusignStatus)
	}
	if note != "" {
		ev = ev.Str("note", note)
	}
	if j.LastError != "" && (j.State == store.Failed || j.State == store.Unknown || j.State == store.NeedsReview) {
		ev = ev.Str("error", j.LastError)
	}
	ev.Msg("job " + string(j.State))
}

// recoverSubmitting treats every job caught between its intent and its
// answer as unknown: its POST may have been sent.
func (r *Runner) recoverSubmitting() error {
	now := r.opts.Now().UTC()
	var changes []store.Change
	r.mu.Lock()
	for _, j := range r.jobs {
		if j.State == store.Submitting {
			changes = append(changes, store.Change{
				Key: j.Key, To: store.Unknown, Note: "found submitting at start: the answer was never recorded",
				Mutate: func(j *store.Job) { j.UnknownSince = now; j.ListChecks = 0 },
			})
		}
	}
	r.mu.Unlock()
	_, err := r.apply(changes...)
	return err
}

// buildLanes puts every queued job in its lane's queue, in manifest order,
// and every job in flight or unknown in its lane's active set.
func (r *Runner) buildLanes() {
	r.mu.Lock()
	defer r.mu.Unlock()

	jobs := make([]*store.Job, 0, len(r.jobs))
	for _, j := range r.jobs {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Order < jobs[b].Order })

	for _, j := range jobs {
		if !j.InManifest && j.State == store.Queued {
			continue
		}
		l := r.laneFor(j.Lane)
		switch j.State {
		case store.Queued:
			l.queue = append(l.queue, j.Key)
		case store.InFlight, store.Unknown:
			l.active[j.Key] = true
		}
	}
}

func (r *Runner) laneFor(key string) *lane {
	l, ok := r.lanes[key]
	if !ok {
		l = &lane{key: key, active: make(map[string]bool), wake: make(chan struct{}, 1)}
		r.lanes[key] = l
	}
	return l
}

// sortedLanes returns the lanes with queued work, the longest queue first,
// so that the busiest asset group starts at once.
func (r *Runner) sortedLanes() []*lane {
	r.mu.Lock()
	defer r.mu.Unlock()

	var out []*lane
	for _, l := range r.lanes {
		if len(l.queue) > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if len(out[a].queue) != len(out[b].queue) {
			return len(out[a].queue) > len(out[b].queue)
		}
		return out[a].key < out[b].key
	})
	return out
}

// signal wakes whoever waits on ch without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
