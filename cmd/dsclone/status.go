package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/store"
)

// statusFlags are the flags of `dsclone status`.
type statusFlags struct {
	state string
	json  bool
	all   bool
}

func newStatusCmd(a *app) *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status [MANIFEST]",
		Short: "Show what the state file says, without calling the API",
		Long: `status prints the run a state file holds: counts by state, then every job
that has not completed (--all: every job). It reads the state file only and
never calls Docusign. While a run holds the file, it reads the snapshot that
run publishes beside it and says how old it is.

The state file is MANIFEST.dsclone.db, or the one given with --state.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runStatus(a, optionalArg(args), f)
		},
	}

	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "state file (default MANIFEST.dsclone.db)")
	fl.BoolVar(&f.json, "json", false, "print JSON for machines")
	fl.BoolVar(&f.all, "all", false, "list every job, completed ones too")
	return cmd
}

// runStatus loads the state file and prints it.
func runStatus(a *app, manifestArg string, f statusFlags) error {
	path, err := statePath(manifestArg, f.state)
	if err != nil {
		return err
	}

	loaded, err := loadState(a, path)
	if err != nil {
		return err
	}
	if f.json {
		return writeStatusJSON(a.stdout, loaded)
	}
	return writeStatusText(a.stdout, loaded, f.all)
}

// loadState reads a state file for status and report: while a run holds the
// file, from the snapshot that run publishes, saying so on stderr.
func loadState(a *app, path string) (store.Loaded, error) {
	loaded, err := store.Load(path)
	switch {
	case errors.Is(err, store.ErrNoRun):
		return loaded, withCode(exitUsage, err)
	case errors.Is(err, store.ErrLocked):
		return loaded, withCode(exitLocked, err)
	case err != nil:
		return loaded, err
	}

	if loaded.FromSnapshot {
		fmt.Fprintf(a.stderr, "dsclone: %s; reading the snapshot it wrote %s ago\n",
			holderText(loaded.Holder), loaded.SnapshotAge.Round(time.Second))
	}
	return loaded, nil
}

// optionalArg returns the first argument, or "" when there is none.
func optionalArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// holderText says who holds the state file.
func holderText(h *store.LockedError) string {
	if h == nil || h.PID == 0 {
		return "the state file is in use by another process"
	}
	return fmt.Sprintf("the state file is in use by dsclone pid %d on host %s since %s",
		h.PID, h.Host, h.Started.Local().Format(time.DateTime))
}

// statusJSON is the shape of `dsclone status --json`.
type statusJSON struct {
	RunID  string          `json:"run_id"`
	Counts store.Counts    `json:"counts"`
	Jobs   []statusJobJSON `json:"jobs"`
}

// statusJobJSON is one job in `dsclone status --json`.
type statusJobJSON struct {
	Row               int    `json:"row"`
	Key               string `json:"key"`
	TargetAccountName string `json:"target_account_name"`
	Lane              string `json:"lane"`
	State             string `json:"state"`
	WorkID            string `json:"work_id"`
	DocusignStatus    string `json:"docusign_status"`
	Attempts          int    `json:"attempts"`
	NewAccountID      string `json:"new_account_id"`
	LastError         string `json:"last_error"`
}

// writeStatusJSON prints every job as one JSON document.
func writeStatusJSON(w io.Writer, l store.Loaded) error {
	out := statusJSON{
		RunID:  l.Run.ID,
		Counts: store.CountJobs(l.Jobs),
		Jobs:   make([]statusJobJSON, 0, len(l.Jobs)),
	}
	for _, j := range l.Jobs {
		out.Jobs = append(out.Jobs, statusJobJSON{
			Row:               j.Row.Line,
			Key:               j.Key,
			TargetAccountName: j.Row.TargetAccountName,
			Lane:              j.Lane,
			State:             string(j.State),
			WorkID:            j.WorkID,
			DocusignStatus:    j.DocusignStatus,
			Attempts:          j.Attempts,
			NewAccountID:      j.NewAccountID,
			LastError:         j.LastError,
		})
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeStatusText prints the run, the counts and a table of the jobs that
// have not completed, or of every job when all is set.
func writeStatusText(w io.Writer, l store.Loaded, all bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	r := l.Run
	fmt.Fprintf(tw, "run\t%s\n", orDash(r.ID))
	fmt.Fprintf(tw, "manifest\t%s\n", orDash(r.ManifestPath))
	fmt.Fprintf(tw, "org\t%s\n", orDash(r.OrgID))
	fmt.Fprintf(tw, "env\t%s\n", orDash(r.Env))
	fmt.Fprintf(tw, "started\t%s\n", timeText(r.StartedAt))
	fmt.Fprintf(tw, "updated\t%s\n", timeText(lastUpdate(l)))
	if !r.FinishedAt.IsZero() {
		fmt.Fprintf(tw, "finished\t%s\n", timeText(r.FinishedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	counts := store.CountJobs(l.Jobs)
	var parts []string
	for _, s := range store.States {
		parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
	}
	fmt.Fprintf(w, "\n%s  total %d\n\n", strings.Join(parts, "  "), len(l.Jobs))

	return writeJobTable(w, l.Jobs, all)
}

// writeJobTable prints one line per job to show.
func writeJobTable(w io.Writer, jobs []store.Job, all bool) error {
	var shown []store.Job
	for _, j := range jobs {
		if all || j.State != store.Completed {
			shown = append(shown, j)
		}
	}
	switch {
	case len(jobs) == 0:
		_, err := fmt.Fprintln(w, "no jobs recorded")
		return err
	case len(shown) == 0:
		_, err := fmt.Fprintln(w, "every job completed (--all lists them)")
		return err
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tTARGET\tLANE\tSTATE\tDOCUSIGN STATUS\tATTEMPTS\tLAST ERROR")
	for _, j := range shown {
		state := string(j.State)
		if !j.InManifest {
			state += " (not in manifest)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", j.Row.Line,
			clip(j.Row.TargetAccountName, 40), orDash(j.Lane), state,
			orDash(j.DocusignStatus), j.Attempts, clip(j.LastError, 100))
	}
	return tw.Flush()
}

// lastUpdate is when the run last changed: the run's own time, or the latest
// job update when that is later.
func lastUpdate(l store.Loaded) time.Time {
	latest := l.Run.UpdatedAt
	for _, j := range l.Jobs {
		if j.UpdatedAt.After(latest) {
			latest = j.UpdatedAt
		}
	}
	return latest
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip puts s on one line, without tabs, and cuts it to n characters.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return orDash(s)
}
