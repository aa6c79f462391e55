package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/reports"
	"github.com/dsclone/dsclone/runner"
	"github.com/dsclone/dsclone/store"
)

// runFlags are the options of `dsclone run`.
type runFlags struct {
	manifestFlags
	api      apiFlags
	simulate simulateFlags

	lanes           laneFlags
	state           string
	out             string
	maxLanes        int
	pollInterval    time.Duration
	graceWindow     time.Duration
	drainTimeout    time.Duration
	retryFailed     bool
	resubmitUnknown bool
}

func newRunCmd(a *app) *cobra.Command {
	return newRunCmdWith(a, &runFlags{})
}

// newRunCmdWith builds the command around f, so that tests can check how
// flags are parsed without running anything.
func newRunCmdWith(a *app, f *runFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run MANIFEST",
		Short: "Clone every row of a manifest, or resume the run its state file holds",
		Long: `run validates the manifest, then clones every row through the Admin API: one
clone at a time per asset group, many asset groups at once, inside Docusign's
rate limit. Every step is checkpointed in the state file (MANIFEST.dsclone.db by
default), so running the same command again after a crash or Ctrl-C resumes
without creating an account twice. The results workbook (MANIFEST.results.xlsx
by default) is written at the end, on interrupt and every few minutes.

The first Ctrl-C stops new submissions and waits for the clones in flight (up to
--drain-timeout); the second stops at once.

` + exitCodesHelp,
		Example: `  # rehearse without credentials, against the embedded simulator
  dsclone run --simulate customers.xlsx

  # against Docusign's developer environment
  export DOCUSIGN_INTEGRATION_KEY=... DOCUSIGN_USER_ID=... DOCUSIGN_PRIVATE_KEY_FILE=key.pem
  dsclone run --env demo --org 6f1c... customers.xlsx

  # submit failed rows again after fixing them
  dsclone run --retry-failed customers.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return runRun(cmd.Context(), a, f, args[0], os.Args)
		},
	}

	fs := cmd.Flags()
	f.manifestFlags.register(fs)
	f.api.register(fs)
	f.simulate.register(fs)
	fs.StringVar(&f.state, "state", "", "state file (default MANIFEST.dsclone.db)")
	fs.StringVar(&f.out, "out", "", "results workbook (default MANIFEST.results.xlsx)")
	f.lanes.register(fs)
	fs.IntVar(&f.maxLanes, "max-lanes", 0, "lanes submitting at once (0: no limit; the rate budget is the real limit)")
	fs.DurationVar(&f.pollInterval, "poll-interval", 15*time.Second,
		"base polling interval (the runner may poll less often to stay inside the rate budget)")
	fs.DurationVar(&f.graceWindow, "grace-window", 5*time.Minute,
		"how long a submission whose answer was lost is looked for before it needs review")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", 10*time.Minute, "after Ctrl-C, how long to keep polling the clones in flight")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "queue failed rows again")
	fs.BoolVar(&f.resubmitUnknown, "resubmit-unknown", false,
		"queue rows that need review again (each is first looked for in the organization)")
	return cmd
}

// check validates the flags before anything is opened.
func (f *runFlags) check() error {
	if err := f.lanes.check(); err != nil {
		return err
	}
	if f.maxLanes < 0 {
		return usageErrorf("--max-lanes %d: must be 0 (no limit) or more", f.maxLanes)
	}
	if f.pollInterval <= 0 {
		return usageErrorf("--poll-interval %s: must be positive", f.pollInterval)
	}
	return nil
}

// envName is the environment a run records: the embedded simulator is one
// of its own, so that its state is never taken for a real one.
func (f *runFlags) envName() string {
	if f.simulate.enabled {
		return "simulator"
	}
	return f.api.envName()
}

// runnerOptions turns the flags into runner options.
func (f *runFlags) runnerOptions() runner.Options {
	opts := runner.Options{
		LaneKey:         f.lanes.key,
		LaneWidth:       f.lanes.width,
		MaxLanes:        f.maxLanes,
		PollInterval:    f.pollInterval,
		GraceWindow:     f.graceWindow,
		DrainTimeout:    f.drainTimeout,
		RetryFailed:     f.retryFailed,
		ResubmitUnknown: f.resubmitUnknown,
	}
	if f.simulate.enabled {
		opts.PollInterval = min(f.pollInterval, f.simulate.pollInterval())
		opts.MinPollInterval = f.simulate.pollInterval() / 4
		opts.GraceWindow = min(f.graceWindow, 10*f.simulate.cloneTime)
	}
	return opts
}

// runRun is `dsclone run`: validate, open the state, connect, prepare, run,
// report.
func runRun(ctx context.Context, a *app, f *runFlags, manifestPath string, argv []string) error {
	m, err := f.load(a, manifestPath, f.api.envName())
	if err != nil {
		return err
	}

	statePath, err := statePath(manifestPath+f.simulate.suffix(), f.state)
	if err != nil {
		return err
	}
	st, err := openState(statePath)
	if err != nil {
		return err
	}
	defer st.Close()

	client, sim, closeAll, err := f.simulate.connect(ctx, a, &f.api, m.Rows)
	if err != nil {
		return err
	}
	defer closeAll()
	if sim != nil {
		defer logSimStats(a, sim)
	}

	opts := f.runnerOptions()
	outPath := resultsPath(manifestPath+f.simulate.suffix(), statePath, f.out)
	run, diff, err := runner.Prepare(st, m, store.Run{
		ManifestPath:  absPath(manifestPath),
		OrgID:         client.OrgID(),
		Env:           f.envName(),
		ResumeCommand: resumeCommand(argv),
	}, opts)
	if errors.Is(err, runner.ErrOtherTarget) {
		return withCode(exitUsage, err)
	}
	if err != nil {
		return err
	}
	a.log.Info().Str("run_id", run.ID).Str("state", statePath).Msg(diff.String())

	return drive(ctx, a, st, client, opts, outPath)
}

// drive runs the prepared run with signal handling, progress and reports.
func drive(
	ctx context.Context, a *app, st *store.Store, api runner.API, opts runner.Options, outPath string,
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	watchSignals(ctx, a, stop, cancel)

	jobs, err := st.Jobs()
	if err != nil {
		return err
	}
	crash, err := crashpointFromEnv()
	if err != nil {
		return err
	}
	opts.Crashpoint = crash
	prog := newProgress(a, jobs)
	opts.OnEvent = prog.event
	opts.Logger = prog.logger(a.log)
	opts.OnCheckpoint = func(run store.Run, jobs []store.Job) error {
		if crash != nil {
			crash("report")
		}
		return reports.Write(outPath, reports.XLSX, reports.Input{Run: run, Jobs: jobs, Now: time.Now()})
	}

	r, err := runner.New(st, api, opts)
	if err != nil {
		return usageErrorf("%w", err)
	}
	res, runErr := r.Run(ctx, stop)
	prog.stop()

	run, jobs := r.Snapshot()
	if werr := opts.OnCheckpoint(run, jobs); werr != nil {
		a.log.Error().Err(werr).Str("path", outPath).Msg("write results workbook")
	}
	printSummary(a, run, res, outPath)

	switch {
	case runErr != nil && !errors.Is(runErr, context.Canceled):
		return runErr
	case res.Interrupted:
		return withCode(exitInterrupted, nil)
	case res.Incomplete():
		return withCode(exitIncomplete, nil)
	}
	return nil
}

// watchSignals closes stop on the first SIGINT or SIGTERM and cancels on the
// second.
func watchSignals(ctx context.Context, a *app, stop chan struct{}, cancel context.CancelFunc) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(ch)
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		a.log.Warn().Msg("interrupted: finishing the clones in flight; press Ctrl-C again to stop at once")
		close(stop)
		select {
		case <-ch:
			a.log.Warn().Msg("stopping now; run the same command again to resume")
			cancel()
		case <-ctx.Done():
		}
	}()
}

// printSummary tells the user how the run ended and what to do next.
func printSummary(a *app, run store.Run, res runner.Result, outPath string) {
	c := res.Counts
	fmt.Fprintf(a.stderr, "\n%d completed, %d failed, %d need review, %d not finished, in %s\n",
		c[store.Completed], c[store.Failed], c[store.NeedsReview],
		c[store.Queued]+c[store.Submitting]+c[store.InFlight]+c[store.Unknown], res.Duration.Round(time.Second))
	fmt.Fprintf(a.stderr, "results: %s\n", outPath)

	switch {
	case res.Interrupted:
		fmt.Fprintf(a.stderr, "next: run the same command to resume:\n  %s\n", run.ResumeCommand)
	case c[store.Failed] > 0:
		fmt.Fprintf(a.stderr, "next: see the Failed sheet; fix the rows, then:\n  %s --retry-failed\n", run.ResumeCommand)
	case c[store.NeedsReview] > 0:
		fmt.Fprintf(a.stderr, "next: check the rows that need review in Docusign, then:\n  %s --resubmit-unknown\n", run.ResumeCommand)
	}
}

// openState opens the state file, turning a lock held by another dsclone
// into exit code 4.
func openState(path string) (*store.Store, error) {
	st, err := store.Open(path, store.Options{LockTimeout: time.Second})
	var locked *store.LockedError
	if errors.As(err, &locked) {
		return nil, withCode(exitLocked, err)
	}
	return st, err
}

// resumeCommand is the command line that resumes this run, without the
// flags that only apply once.
func resumeCommand(argv []string) string {
	parts := []string{"dsclone"}
	for _, arg := range argv[1:] {
		if arg == "--retry-failed" || arg == "--resubmit-unknown" {
			continue
		}
		parts = append(parts, shellQuote(arg))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
