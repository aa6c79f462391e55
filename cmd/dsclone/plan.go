package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/runner"
)

// planFlags are the options of `dsclone plan`.
type planFlags struct {
	manifestFlags
	api       apiFlags
	simulate  simulateFlags
	lanes     laneFlags
	cloneTime time.Duration
}

func newPlanCmd(a *app) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan MANIFEST",
		Short: "Show the lanes, their order and an estimate; check the rows read-only against the API",
		Long: `plan groups the manifest's rows into lanes (one clone at a time per asset group),
estimates how long the run takes, and checks with read-only calls that every
source account exists and is compliant, resolves missing asset groups, and lists
rows whose clone already exists (a run adopts them instead of cloning again).
Nothing is submitted and no state file is written.

` + exitCodesHelp,
		Example: `  dsclone plan --simulate samples/manifest.xlsx
  dsclone plan --env demo --org 6f1c... customers.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.Context(), a, &f, args[0])
		},
	}
	fs := cmd.Flags()
	f.manifestFlags.register(fs)
	f.api.register(fs)
	f.simulate.register(fs)
	f.lanes.register(fs)
	fs.DurationVar(&f.cloneTime, "clone-time", 150*time.Second, "expected duration of one clone, for the estimate (with --simulate: --sim-clone-time)")
	return cmd
}

func runPlan(ctx context.Context, a *app, f *planFlags, manifestPath string) error {
	if err := f.lanes.check(); err != nil {
		return err
	}
	m, err := f.load(a, manifestPath, f.api.envName())
	if err != nil {
		return err
	}
	client, _, closeAll, err := f.simulate.connect(ctx, a, &f.api, m.Rows)
	if err != nil {
		return err
	}
	defer closeAll()

	cloneTime := f.cloneTime
	if f.simulate.enabled {
		cloneTime = f.simulate.cloneTime
	}
	opts := runner.Options{LaneKey: f.lanes.key, LaneWidth: f.lanes.width}
	p, err := runner.MakePlan(ctx, client, m.Rows, opts, cloneTime)
	if err != nil {
		return err
	}
	printPlan(a, p, len(m.Rows))
	if len(p.Problems) > 0 {
		return withCode(exitIncomplete, nil)
	}
	return nil
}

func printPlan(a *app, p runner.Plan, rows int) {
	w := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LANE\tROWS\tESTIMATE\tMANIFEST ROWS")
	for _, l := range p.Lanes {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", l.Key, len(l.Rows), l.Estimate.Round(time.Second), rowList(l.Rows))
	}
	w.Flush()

	if len(p.Existing) > 0 {
		fmt.Fprintf(a.stdout, "\nAlready cloned (a run adopts these, it does not clone them again):\n")
		for _, e := range p.Existing {
			fmt.Fprintf(a.stdout, "  row %d: work id %s, %s\n", e.Line, e.WorkID, e.Status)
		}
	}
	if len(p.Problems) > 0 {
		fmt.Fprintf(a.stdout, "\nRows that would fail:\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(a.stdout, "  row %d: %s (%s)\n", pr.Line, pr.Message, pr.Hint)
		}
	}
	fmt.Fprintf(a.stdout, "\n%d rows, %d lanes, %d already cloned, %d problems; estimated %s (one at a time: %s)\n",
		rows, len(p.Lanes), len(p.Existing), len(p.Problems), p.Estimate.Round(time.Second), p.Serial.Round(time.Second))
}

// rowList prints row numbers compactly, the first few then a count.
func rowList(rows []int) string {
	const show = 8
	s := ""
	for i, r := range rows {
		if i == show {
			return s + fmt.Sprintf(" … (+%d)", len(rows)-show)
		}
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(r)
	}
	return s
}
