package runner_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/runner"
	"github.com/dsclone/dsclone/simulator"
	"github.com/dsclone/dsclone/store"
)

// env is a simulator, a client talking to it over loopback, and a state file.
type env struct {
	sim    *simulator.Server
	client *docusign.Client
	st     *store.Store
	m      *manifest.Manifest
}

func guid(kind, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n)
}

// rows makes n valid rows spread over groups asset groups.
func rows(n, groups int) []manifest.Row {
	out := make([]manifest.Row, n)
	for i := range out {
		g := i % groups
		out[i] = manifest.Row{
			Line:              i + 2,
			SourceAccountID:   guid(1, g),
			TargetAccountName: fmt.Sprintf("Customer %04d", i),
			AdminFirstName:    "Ada",
			AdminLastName:     "Admin",
			AdminEmail:        fmt.Sprintf("admin%d@example.com", g),
			CountryCode:       "US",
			AssetGroupID:      guid(2, g),
		}
	}
	return out
}

func newEnv(t *testing.T, rs []manifest.Row, opts simulator.Options) *env {
	t.Helper()
	sources := make([]simulator.Source, len(rs))
	for i, r := range rs {
		sources[i] = simulator.Source{AccountID: r.SourceAccountID, AssetGroupID: r.AssetGroupID, AdminEmail: r.AdminEmail}
	}
	opts.Org = simulator.OrgFromSources(sources)
	if opts.CloneTime == 0 {
		opts.CloneTime = 60 * time.Millisecond
	}
	opts.Seed = 7
	if opts.HourlyLimit == 0 {
		opts.HourlyLimit = 1_000_000
	}
	if opts.BurstLimit == 0 {
		opts.BurstLimit = 1_000_000
	}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })

	e := &env{sim: sim, m: &manifest.Manifest{Path: "test.csv", Format: "csv", Rows: rs}}
	e.client = newClient(t, sim, nil)
	e.st = openStore(t, filepath.Join(t.TempDir(), "state.db"))
	return e
}

// newClient returns a client of sim with short retry delays; budget may be nil.
func newClient(tb testing.TB, sim *simulator.Server, budget *docusign.Budget) *docusign.Client {
	tb.Helper()
	creds := sim.Credentials()
	c, err := docusign.New(docusign.Config{
		BaseURL:     sim.BaseURL(),
		AuthURL:     sim.AuthURL(),
		OrgID:       creds.OrgID,
		AccessToken: docusign.Secret(creds.AccessToken),
		Timeout:     5 * time.Second,
		BaseDelay:   5 * time.Millisecond,
		MaxDelay:    500 * time.Millisecond,
		Budget:      budget,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fastOptions() runner.Options {
	return runner.Options{
		PollInterval:    20 * time.Millisecond,
		MinPollInterval: 5 * time.Millisecond,
		GraceWindow:     300 * time.Millisecond,
		Backoff:         10 * time.Millisecond,
		SnapshotEvery:   50 * time.Millisecond,
	}
}

// run prepares and runs the manifest once, to the end.
func (e *env) run(t *testing.T, opts runner.Options) runner.Result {
	t.Helper()
	res, err := e.runWith(t, opts, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func (e *env) runWith(t *testing.T, opts runner.Options, stop chan struct{}) (runner.Result, error) {
	t.Helper()
	if _, _, err := runner.Prepare(e.st, e.m, store.Run{OrgID: e.sim.Credentials().OrgID}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r, err := runner.New(e.st, e.client, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return r.Run(ctx, stop)
}

func (e *env) jobs(t *testing.T) []store.Job {
	t.Helper()
	jobs, err := e.st.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func (e *env) requireNoDuplicates(t *testing.T, width int) {
	t.Helper()
	s := e.sim.Stats()
	if s.Duplicates != 0 {
		t.Errorf("duplicates = %d, want 0", s.Duplicates)
	}
	if s.MaxActivePerAssetGroup > width {
		t.Errorf("max active per asset group = %d, want at most %d", s.MaxActivePerAssetGroup, width)
	}
}

func TestRunCompletesEveryRowAndResumesWithoutPosting(t *testing.T) {
	e := newEnv(t, rows(500, 20), simulator.Options{CloneTime: 30 * time.Millisecond})

	res := e.run(t, fastOptions())
	if res.Counts[store.Completed] != 500 || res.Interrupted {
		t.Fatalf("counts = %v interrupted=%v, want 500 completed", res.Counts, res.Interrupted)
	}
	e.requireNoDuplicates(t, 1)
	for _, j := range e.jobs(t) {
		if j.NewAccountID == "" || j.WorkID == "" || j.Lane != j.Row.AssetGroupID {
			t.Fatalf("job row %d: new account %q work %q lane %q", j.Row.Line, j.NewAccountID, j.WorkID, j.Lane)
		}
	}

	posts := e.sim.Stats().ClonePosts
	res = e.run(t, fastOptions())
	if got := e.sim.Stats().ClonePosts; got != posts {
		t.Errorf("second run sent %d POSTs, want none", got-posts)
	}
	if res.Counts[store.Completed] != 500 {
		t.Errorf("second run counts = %v", res.Counts)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults map[string]float64
		opts   func(*simulator.Options)
		want   func(t *testing.T, c store.Counts)
	}{
		{
			name:   "lost answers are reconciled, never re-sent",
			faults: map[string]float64{simulator.FaultLostAnswer: 0.3},
			want:   allCompleted,
		},
		{
			name:   "resets, gateway pages and server errors",
			faults: map[string]float64{simulator.FaultReset: 0.1, simulator.Fault502HTML: 0.1, simulator.Fault500: 0.1},
			want:   completedOrReview,
		},
		{
			name:   "docusign's own retries are followed",
			faults: map[string]float64{simulator.FaultProcessingError: 0.5},
			want:   allCompleted,
		},
		{
			name:   "permanent failures fail their rows",
			faults: map[string]float64{simulator.FaultPermanentFailure: 1},
			want: func(t *testing.T, c store.Counts) {
				if c[store.Failed] != 40 {
					t.Errorf("counts = %v, want 40 failed", c)
				}
			},
		},
		{
			name: "rate limits wait, never fail",
			opts: func(o *simulator.Options) { o.HourlyLimit = 30; o.HourlyWindow = time.Second; o.LimitStatus = 429 },
			want: allCompleted,
		},
		{
			name: "listing lag is covered by the single GET",
			opts: func(o *simulator.Options) { o.ListingLag = time.Hour },
			want: allCompleted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := simulator.Options{Faults: tt.faults}
			if tt.opts != nil {
				tt.opts(&o)
			}
			e := newEnv(t, rows(40, 8), o)
			res := e.run(t, fastOptions())
			tt.want(t, res.Counts)
			e.requireNoDuplicates(t, 1)
			for _, j := range e.jobs(t) {
				if j.State == store.Failed && j.Hint == "" {
					t.Errorf("failed row %d has no hint", j.Row.Line)
				}
			}
		})
	}
}

func allCompleted(t *testing.T, c store.Counts) {
	t.Helper()
	if c[store.Completed] != c.Total() {
		t.Errorf("counts = %v, want all completed", c)
	}
}

func completedOrReview(t *testing.T, c store.Counts) {
	t.Helper()
	if c[store.Completed]+c[store.NeedsReview] != c.Total() {
		t.Errorf("counts = %v, want completed or needs_review", c)
	}
}

func TestLaneBusyWaitsInsteadOfFailing(t *testing.T) {
	e := newEnv(t, rows(20, 2), simulator.Options{})
	opts := fastOptions()
	opts.LaneWidth = 3 // wider than the simulator allows: every extra POST is refused busy

	res := e.run(t, opts)
	allCompleted(t, res.Counts)
	if e.sim.Stats().RejectedBusy == 0 {
		t.Error("expected busy rejections")
	}
	e.requireNoDuplicates(t, 1)
}

func TestRowsTheOrganizationRefuses(t *testing.T) {
	rs := rows(4, 2)
	e := newEnv(t, rs, simulator.Options{})
	e.m.Rows[1].SourceAccountID = guid(9, 9) // not in the organization
	e.m.Rows[2].AdminEmail = "stranger@example.com"

	res := e.run(t, fastOptions())
	if res.Counts[store.Failed] != 2 || res.Counts[store.Completed] != 2 {
		t.Fatalf("counts = %v, want 2 completed and 2 failed", res.Counts)
	}
	for _, j := range e.jobs(t) {
		if j.State == store.Failed && (j.LastError == "" || j.Hint == "") {
			t.Errorf("row %d failed without error or hint: %+v", j.Row.Line, j)
		}
	}
}

func TestCrashBetweenIntentAndAnswer(t *testing.T) {
	tests := []struct {
		name     string
		created  bool // whether the POST reached Docusign before the crash
		resubmit bool
		want     store.State
	}{
		{name: "clone created: adopted", created: true, want: store.Completed},
		{name: "clone never created: needs review", created: false, want: store.NeedsReview},
		{name: "needs review, resubmitted on request", created: false, resubmit: true, want: store.Completed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, rows(1, 1), simulator.Options{})
			opts := fastOptions()
			if _, _, err := runner.Prepare(e.st, e.m, store.Run{}, opts); err != nil {
				t.Fatal(err)
			}
			key := e.m.Rows[0].Key()
			if _, err := e.st.Apply(store.Change{Key: key, To: store.Submitting, Mutate: func(j *store.Job) {
				j.IntentAt = time.Now().UTC()
				j.Lane = e.m.Rows[0].AssetGroupID
			}}); err != nil {
				t.Fatal(err)
			}
			if tt.created {
				req := docusign.CloneRequest{SourceAccountID: e.m.Rows[0].SourceAccountID, TargetName: e.m.Rows[0].TargetAccountName,
					CountryCode: "US", Admin: docusign.Admin{FirstName: "Ada", LastName: "Admin", Email: e.m.Rows[0].AdminEmail}}
				if _, err := e.client.CloneAccount(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}

			res := e.run(t, opts)
			if tt.resubmit {
				opts.ResubmitUnknown = true
				res = e.run(t, opts)
			}
			jobs := e.jobs(t)
			if jobs[0].State != tt.want {
				t.Fatalf("state = %s, want %s (counts %v)", jobs[0].State, tt.want, res.Counts)
			}
			e.requireNoDuplicates(t, 1)
			wantPosts := 0
			if tt.created {
				wantPosts = 1
			}
			if tt.resubmit {
				wantPosts = 1
			}
			if got := e.sim.Stats().ClonePosts; got != wantPosts {
				t.Errorf("POSTs = %d, want %d", got, wantPosts)
			}
		})
	}
}

func TestStopDrainsAndResumes(t *testing.T) {
	e := newEnv(t, rows(30, 3), simulator.Options{CloneTime: 100 * time.Millisecond})
	opts := fastOptions()

	stop := make(chan struct{})
	var once sync.Once
	var postsAtStop int
	opts.OnEvent = func(ev runner.Event) {
		if ev.Job.State == store.InFlight {
			once.Do(func() {
				postsAtStop = e.sim.Stats().ClonePosts
				close(stop)
			})
		}
	}
	res, err := e.runWith(t, opts, stop)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("want an interrupted run")
	}
	if got := e.sim.Stats().ClonePosts; got > postsAtStop+2 {
		t.Errorf("POSTs after stop: %d (at stop %d)", got, postsAtStop)
	}
	if res.Counts[store.InFlight]+res.Counts[store.Submitting] != 0 {
		t.Errorf("clones left in flight after draining: %v", res.Counts)
	}

	res = e.run(t, fastOptions())
	allCompleted(t, res.Counts)
	e.requireNoDuplicates(t, 1)
}

func TestRetryFailed(t *testing.T) {
	e := newEnv(t, rows(6, 2), simulator.Options{})
	e.m.Rows[3].SourceAccountID = guid(9, 9)
	res := e.run(t, fastOptions())
	if res.Counts[store.Failed] != 1 {
		t.Fatalf("counts = %v, want one failed", res.Counts)
	}

	e.m.Rows[3].SourceAccountID = guid(1, 1)
	e.m.Rows[3].AdminEmail = "admin1@example.com"
	opts := fastOptions()
	opts.RetryFailed = true
	res = e.run(t, opts)
	// The fixed row has a new key: it is added, and the old one is left alone.
	if res.Counts[store.Completed] != 6 {
		t.Fatalf("counts = %v, want 6 completed", res.Counts)
	}
}

func TestLostStateFileAdoptsExistingClones(t *testing.T) {
	e := newEnv(t, rows(12, 4), simulator.Options{})
	e.run(t, fastOptions())
	posts := e.sim.Stats().ClonePosts

	e.st = openStore(t, filepath.Join(t.TempDir(), "new-state.db"))
	res := e.run(t, fastOptions())
	allCompleted(t, res.Counts)
	if got := e.sim.Stats().ClonePosts; got != posts {
		t.Errorf("run with a new state file sent %d POSTs, want none", got-posts)
	}
	for _, j := range e.jobs(t) {
		if !j.Adopted {
			t.Errorf("row %d not adopted", j.Row.Line)
		}
	}
}

func TestPrepareRefusesAnotherOrganization(t *testing.T) {
	e := newEnv(t, rows(2, 1), simulator.Options{})
	if _, _, err := runner.Prepare(e.st, e.m, store.Run{OrgID: "org-a", Env: "demo"}, fastOptions()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		run  store.Run
		ok   bool
	}{
		{name: "same organization and environment", run: store.Run{OrgID: "ORG-A", Env: "demo"}, ok: true},
		{name: "other organization", run: store.Run{OrgID: "org-b", Env: "demo"}},
		{name: "other environment", run: store.Run{OrgID: "org-a", Env: "production"}},
		{name: "the simulator", run: store.Run{OrgID: "org-a", Env: "simulator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runner.Prepare(e.st, e.m, tt.run, fastOptions())
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, runner.ErrOtherTarget)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestRefusedTokenStopsSubmittingWithoutCuttingPosts(t *testing.T) {
	e := newEnv(t, rows(24, 4), simulator.Options{CloneTime: 100 * time.Millisecond})
	opts := fastOptions()
	var once sync.Once
	opts.OnEvent = func(ev runner.Event) {
		if ev.Job.State == store.Completed {
			once.Do(e.sim.ExpireTokens)
		}
	}

	res, err := e.runWith(t, opts, nil)
	if docusign.ClassOf(err) != docusign.ClassAuth {
		t.Fatalf("err = %v, want an auth error", err)
	}
	if !res.Interrupted {
		t.Error("want the run reported as not finished")
	}
	c := countStates(e.jobs(t))
	if c[store.Unknown]+c[store.NeedsReview]+c[store.Submitting] != 0 {
		t.Errorf("counts = %v: no POST should have been cut or left unanswered", c)
	}
	e.requireNoDuplicates(t, 1)
}

func countStates(jobs []store.Job) store.Counts { return store.CountJobs(jobs) }

func TestWiderLanesBySourceAccount(t *testing.T) {
	e := newEnv(t, rows(40, 4), simulator.Options{
		LaneKey: simulator.LaneSourceAccount, LaneWidth: 2, Faults: map[string]float64{simulator.FaultLostAnswer: 0.2},
	})
	opts := fastOptions()
	opts.LaneKey = runner.LaneBySourceAccount
	opts.LaneWidth = 2

	res := e.run(t, opts)
	allCompleted(t, res.Counts)
	e.requireNoDuplicates(t, 2)
	if got := e.sim.Stats().MaxActivePerAssetGroup; got != 2 {
		t.Errorf("max active per asset group = %d, want the lanes used at their width of 2", got)
	}
	for _, j := range e.jobs(t) {
		if j.Lane != strings.ToLower(j.Row.SourceAccountID) {
			t.Fatalf("row %d in lane %q, want its source account", j.Row.Line, j.Lane)
		}
	}
}
