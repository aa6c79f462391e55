package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/manifest"
)

type validateFlags struct {
	manifestFlags
	env  string
	json bool
}

// validateReport is the --json output of dsclone validate.
type validateReport struct {
	Rows        int                `json:"rows"`
	AssetGroups int                `json:"asset_groups"`
	Errors      int                `json:"errors"`
	Warnings    int                `json:"warnings"`
	Problems    []manifest.Problem `json:"problems"`
}

func newValidateCmd(a *app) *cobra.Command {
	f := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate MANIFEST",
		Short: "Check every row of a manifest and list each problem with its row and column",
		Long: `validate reads a CSV or XLSX manifest and checks every row, without calling
Docusign. It lists every problem at once with the row number and column header
as the spreadsheet shows them, then a summary line. It exits 3 when any problem
is an error; warnings alone exit 0.`,
		Example: `  dsclone validate customers.xlsx
  dsclone validate --sheet "Wave 2" --env demo customers.xlsx
  dsclone validate --json customers.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(a, args[0])
		},
	}
	f.manifestFlags.register(cmd.Flags())
	cmd.Flags().StringVar(&f.env, "env", manifest.EnvProduction,
		"environment the accounts are for: demo or production (demo warns about placement outside NA)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the result as one JSON object")
	return cmd
}

func (f *validateFlags) run(a *app, path string) error {
	if f.env != manifest.EnvDemo && f.env != manifest.EnvProduction {
		return usageErrorf("--env %q: use demo or production", f.env)
	}

	m, err := readManifest(path, f.sheet)
	if err != nil {
		return err
	}

	problems := manifest.Validate(m, manifest.ValidateOptions{Env: f.env})
	rep := summarize(m, problems)
	if f.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write validation result: %w", err)
		}
	} else if err := printProblems(a.stdout, rep); err != nil {
		return fmt.Errorf("write validation result: %w", err)
	}

	if rep.Errors > 0 {
		return withCode(exitInvalid, nil)
	}
	return nil
}

// summarize counts the rows, asset groups (the asset group id, or the source
// account when it is empty) and problems.
func summarize(m *manifest.Manifest, problems []manifest.Problem) validateReport {
	groups := map[string]bool{}
	for _, r := range m.Rows {
		g := strings.ToLower(r.AssetGroupID)
		if g == "" {
			g = "source:" + strings.ToLower(r.SourceAccountID)
		}
		groups[g] = true
	}

	rep := validateReport{Rows: len(m.Rows), AssetGroups: len(groups), Problems: problems}
	if rep.Problems == nil {
		rep.Problems = []manifest.Problem{}
	}
	for _, p := range problems {
		if p.Severity == manifest.SeverityError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	return rep
}

// printProblems writes the problems as an aligned table, then the summary.
func printProblems(w io.Writer, rep validateReport) error {
	if len(rep.Problems) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROW\tCOLUMN\tSEVERITY\tMESSAGE")
		for _, p := range rep.Problems {
			row := "-"
			if p.Line > 0 {
				row = strconv.Itoa(p.Line)
			}
			col := p.Column
			if col == "" {
				col = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row, col, p.Severity, p.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}

	verdict := "valid"
	if rep.Errors > 0 {
		verdict = "invalid: fix the errors above; nothing can be submitted until then"
	}
	_, err := fmt.Fprintf(w, "%s, %s, %s, %s: %s\n",
		plural(rep.Rows, "row"), plural(rep.AssetGroups, "asset group"),
		plural(rep.Errors, "error"), plural(rep.Warnings, "warning"), verdict)
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
