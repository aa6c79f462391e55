package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
)

// accountsFlags are the flags of dsclone accounts.
type accountsFlags struct {
	api      apiFlags
	simulate simulateFlags
	manifest string
	jsonOut  bool
}

func newAccountsCmd(a *app) *cobra.Command {
	var f accountsFlags
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the organization's compliant asset group accounts (the clone sources)",
		Long: `accounts lists the compliant asset group accounts of the organization: the
accounts that can be cloned, with the asset group each belongs to. Use their ids
as source_account_id (and asset_group_id) in the manifest.`,
		Example: `  dsclone accounts --org 6f1b2d3c-...
  dsclone accounts --json > sources.json
  dsclone accounts --simulate --manifest samples/manifest.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAccounts(cmd, a, &f)
		},
	}
	fs := cmd.Flags()
	f.api.register(fs)
	f.simulate.register(fs)
	fs.StringVar(&f.manifest, "manifest", "", "with --simulate: learn the simulated organization from this manifest")
	fs.BoolVar(&f.jsonOut, "json", false, "print JSON instead of a table")
	return cmd
}

// runAccounts lists the accounts on stdout.
func runAccounts(cmd *cobra.Command, a *app, f *accountsFlags) error {
	ctx := cmd.Context()
	rows, err := f.simulatedRows()
	if err != nil {
		return err
	}
	client, _, closeAll, err := f.simulate.connect(ctx, a, &f.api, rows)
	if err != nil {
		return err
	}
	defer closeAll()

	accounts, err := client.ListAssetGroupAccounts(ctx, true)
	if err != nil {
		return fmt.Errorf("list the asset group accounts of organization %s: %w", client.OrgID(), err)
	}

	if f.jsonOut {
		return printAccountsJSON(a, accounts)
	}
	if len(accounts) == 0 {
		fmt.Fprintf(a.stderr, "organization %s has no compliant asset group account\n", client.OrgID())
		return nil
	}
	return printAccountsTable(a, accounts)
}

// printAccountsJSON prints the accounts as a JSON array.
func printAccountsJSON(a *app, accounts []docusign.AssetGroupAccount) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if accounts == nil {
		accounts = []docusign.AssetGroupAccount{}
	}
	if err := enc.Encode(accounts); err != nil {
		return fmt.Errorf("write accounts: %w", err)
	}
	return nil
}

// printAccountsTable prints one aligned row per account.
func printAccountsTable(a *app, accounts []docusign.AssetGroupAccount) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT ID\tACCOUNT NAME\tASSET GROUP ID\tASSET GROUP NAME")
	for _, acc := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", acc.AccountID, acc.AccountName, acc.AssetGroupID, acc.AssetGroupName)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write accounts: %w", err)
	}
	return nil
}

// simulatedRows reads --manifest, whose source accounts the embedded
// simulator then knows; without it the simulator serves a small built-in
// organization.
func (f *accountsFlags) simulatedRows() ([]manifest.Row, error) {
	if !f.simulate.enabled || f.manifest == "" {
		return nil, nil
	}
	m, err := manifest.Read(f.manifest, manifest.ReadOptions{})
	if err != nil {
		return nil, usageErrorf("--manifest: %w", err)
	}
	return m.Rows, nil
}
