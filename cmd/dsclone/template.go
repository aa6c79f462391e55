package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/manifest"
)

func newTemplateCmd(a *app) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "template -o FILE.xlsx",
		Short: "Write an empty manifest workbook with dropdowns and notes",
		Long: `template writes a manifest workbook to fill in: the header row with a note on
each column, dropdowns for country_code, region and admin_locale, a Lists sheet
with their values and an Instructions sheet with an example row.`,
		Example: `  dsclone template -o customers.xlsx`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("give the file to write with -o FILE.xlsx")
			}
			return writeTemplate(a, out, force)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "workbook to write (.xlsx)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the file if it exists")
	return cmd
}

func writeTemplate(a *app, path string, force bool) error {
	if _, err := os.Stat(path); err == nil {
		if !force {
			return usageErrorf("%q already exists: choose another name or add --force to replace it", path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("replace %q: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %q: %w", path, err)
	}

	if err := manifest.WriteTemplate(path); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s: fill in one row per account on the %q sheet, then run: dsclone validate %s\n",
		path, manifest.TemplateSheet, path)
	return nil
}
