package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/reports"
)

// reportFlags are the flags of `dsclone report`.
type reportFlags struct {
	state  string
	out    string
	format string
}

func newReportCmd(a *app) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [MANIFEST]",
		Short: "Write the results workbook from the state file",
		Long: `report (re)writes the results of the run a state file holds: an XLSX workbook
with a Summary, every row with its outcome and a hint (Results), and the rows
to fix in the manifest's own columns (Failed); or CSV or JSON twins of the
Results sheet. It reads the state file only and never calls Docusign. While a
run holds the file, it reads the snapshot that run publishes beside it and
says how old it is.

The state file is MANIFEST.dsclone.db, or the one given with --state. The
results go beside the manifest as MANIFEST.results.xlsx (.csv, .json), or to
--out. The path written is printed on stdout.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runReport(a, optionalArg(args), f)
		},
	}

	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "state file (default MANIFEST.dsclone.db)")
	fl.StringVar(&f.out, "out", "", "results file (default MANIFEST.results.xlsx beside the manifest)")
	fl.StringVar(&f.format, "format", "", "xlsx, csv or json (default from the --out extension, else xlsx)")
	return cmd
}

// runReport loads the state file and writes the results.
func runReport(a *app, manifestArg string, f reportFlags) error {
	format, err := reportFormat(f.format, f.out)
	if err != nil {
		return err
	}
	state, err := statePath(manifestArg, f.state)
	if err != nil {
		return err
	}
	out := reportPath(manifestArg, state, f.out, format)

	loaded, err := loadState(a, state)
	if err != nil {
		return err
	}

	in := reports.Input{Run: loaded.Run, Jobs: loaded.Jobs, Now: time.Now()}
	if err := reports.Write(out, format, in); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, out)
	return nil
}

// reportFormat picks the format: --format when given, else the extension of
// --out, else xlsx.
func reportFormat(flag, out string) (reports.Format, error) {
	if flag == "" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".csv":
			return reports.CSV, nil
		case ".json":
			return reports.JSON, nil
		}
		return reports.XLSX, nil
	}

	format, err := reports.ParseFormat(strings.ToLower(flag))
	if err != nil {
		return "", usageErrorf("--format: %v", err)
	}
	return format, nil
}

// reportPath is where the report goes: --out when given, else the default
// results path with the format's extension.
func reportPath(manifestArg, state, out string, format reports.Format) string {
	path := resultsPath(manifestArg, state, out)
	if out != "" {
		return path
	}
	return strings.TrimSuffix(path, ".xlsx") + "." + string(format)
}
