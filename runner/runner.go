// Package runner drives every manifest row to a final state: it plans lanes,
// submits clones one lane slot at a time, polls them in batches, reconciles
// submissions whose answer was lost, and checkpoints each step in the store.
package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/store"
)

// API is what the runner needs from Docusign. *docusign.Client satisfies it.
type API interface {
	CloneAccount(ctx context.Context, req docusign.CloneRequest) (docusign.Clone, error)
	GetClone(ctx context.Context, assetGroupID, workID string) (docusign.Clone, error)
	ListClones(ctx context.Context, since time.Time) ([]docusign.Clone, error)
	ListAssetGroupAccounts(ctx context.Context, compliantOnly bool) ([]docusign.AssetGroupAccount, error)
}

// Lane keys.
const (
	LaneByAssetGroup    = "asset-group"
	LaneBySourceAccount = "source-account"
)

// Options tune a run. The zero value of a field means its default.
type Options struct {
	// LaneKey groups rows into lanes: LaneByAssetGroup (default) or
	// LaneBySourceAccount.
	LaneKey string
	// LaneWidth is the number of clones a lane keeps in flight (default 1).
	LaneWidth int
	// MaxLanes caps the lanes submitting at once (default 0: no cap).
	MaxLanes int

	// PollInterval is the longest wait between two polls (default 15s),
	// unless the rate budget asks for more. Polls come sooner while clones
	// are due: a twentieth of the typical clone apart.
	PollInterval time.Duration
	// MinPollInterval is the shortest (default 1s).
	MinPollInterval time.Duration

	// ListMargin widens the since date of the poll's list call for clones in
	// flight, against clock skew between this machine and Docusign (default
	// 15m). A wider margin lists more old clones in every poll.
	ListMargin time.Duration

	// GraceWindow is how long a submission whose answer was lost is looked for
	// in the organization's clone list before it needs review (default 5m). It
	// is listed at least twice across the window.
	GraceWindow time.Duration
	// DrainTimeout bounds how long a stopping run keeps polling the clones in
	// flight (default 10m).
	DrainTimeout time.Duration
	// Backoff is the wait before a lane tries again after a busy or unsent
	// submission (default PollInterval).
	Backoff time.Duration

	// RetryFailed re-queues failed rows; ResubmitUnknown re-queues rows that
	// need review, once the organization's list shows no clone for them.
	RetryFailed     bool
	ResubmitUnknown bool

	// SnapshotEvery is how often the jobs are published beside the state file
	// for status and report from another terminal (default 3s).
	SnapshotEvery time.Duration
	// CheckpointEvery is how often OnCheckpoint is called (default 5m).
	CheckpointEvery time.Duration
	// OnCheckpoint receives the run and its jobs every CheckpointEvery, for
	// the results workbook. Its error is logged, never fatal.
	OnCheckpoint func(store.Run, []store.Job) error

	// OnEvent receives every change of a job, for progress displays. It is
	// called synchronously and must not block.
	OnEvent func(Event)

	// Crashpoint, when set, is called at the moments where a crash is most
	// dangerous: "intent" (intent committed, POST not sent), "answer" (POST
	// answered, answer not recorded) and "poll" (clones listed, nothing
	// recorded). Crash tests use it to kill the process there.
	Crashpoint func(name string)

	// Logger receives structured logs; silent by default.
	Logger zerolog.Logger

	// Now replaces time.Now in tests.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.LaneKey == "" {
		o.LaneKey = LaneByAssetGroup
	}
	if o.LaneWidth <= 0 {
		o.LaneWidth = 1
	}
	def(&o.PollInterval, 15*time.Second)
	def(&o.MinPollInterval, time.Second)
	if o.MinPollInterval > o.PollInterval {
		o.MinPollInterval = o.PollInterval
	}
	def(&o.ListMargin, listMargin)
	def(&o.GraceWindow, 5*time.Minute)
	def(&o.DrainTimeout, 10*time.Minute)
	def(&o.Backoff, o.PollInterval)
	def(&o.SnapshotEvery, 3*time.Second)
	def(&o.CheckpointEvery, 5*time.Minute)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func (o Options) validate() error {
	if o.LaneKey != LaneByAssetGroup && o.LaneKey != LaneBySourceAccount {
		return fmt.Errorf("lane key %q: use %s or %s", o.LaneKey, LaneByAssetGroup, LaneBySourceAccount)
	}
	return nil
}

// Event tells a progress display that a job changed.
type Event struct {
	Job store.Job
	// From is the state before the change; equal to Job.State for an update.
	From store.State
}

// Result is how a run ended.
type Result struct {
	// Counts counts the manifest's rows by state; rows no longer in the
	// manifest are left out.
	Counts store.Counts
	// Interrupted is set when the run was stopped before every row was final.
	Interrupted bool
	Duration    time.Duration
}

// Incomplete reports whether some rows failed or need review.
func (r Result) Incomplete() bool {
	return r.Counts[store.Failed] > 0 || r.Counts[store.NeedsReview] > 0
}
