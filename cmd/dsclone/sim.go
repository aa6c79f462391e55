package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/simulator"
)

// simFlags are the flags of `dsclone sim`.
type simFlags struct {
	addr         string
	faults       []string
	orgFile      string
	manifestFile string
	opts         simulator.Options
}

// simInfo is the first line `dsclone sim` prints: how to reach it.
type simInfo struct {
	BaseURL        string `json:"base_url"`
	AuthURL        string `json:"auth_url"`
	OrgID          string `json:"org_id"`
	AccessToken    string `json:"access_token"`
	IntegrationKey string `json:"integration_key"`
	UserID         string `json:"user_id"`
	PrivateKeyFile string `json:"private_key_file"`
}

func newSimCmd(a *app) *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the Docusign simulator on loopback",
		Long: `sim serves a fake of Docusign's Admin API cloning endpoints and its OAuth
server until interrupted. Its first line on stdout is one JSON object with
base_url, auth_url, org_id, access_token, integration_key, user_id and
private_key_file: point dsclone at it with --base-url and --auth-url.
GET /_sim/stats answers what it saw.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			return runSim(cmd, a, f.addr, opts)
		},
	}

	fl := cmd.Flags()
	o := &f.opts
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8089",
		"where to listen, HOST:PORT (port 0 picks a free one)")
	fl.DurationVar(&o.CloneTime, "clone-time", 150*time.Second, "mean clone duration")
	fl.DurationVar(&o.CloneSpread, "clone-spread", 0, "spread of the clone duration, +/- uniform")
	fl.StringVar(&o.LaneKey, "lane-key", simulator.LaneAssetGroup,
		"what one active clone blocks: asset-group or source-account")
	fl.IntVar(&o.LaneWidth, "lane-width", 1, "active clones allowed per lane key")
	fl.IntVar(&o.BusyStatus, "busy-status", 400, "HTTP status of the \"max active clones\" rejection")
	fl.StringArrayVar(&f.faults, "fault", nil, "inject a fault, NAME=RATE (repeatable); NAME one of "+
		strings.Join(simulator.FaultNames, ", "))
	fl.DurationVar(&o.ListingLag, "listing-lag", 0, "how long a new clone stays out of the list call")
	fl.IntVar(&o.HourlyLimit, "hourly-limit", 3000, "calls allowed per hourly window")
	fl.DurationVar(&o.HourlyWindow, "hourly-window", time.Hour, "length of the hourly window")
	fl.IntVar(&o.BurstLimit, "burst-limit", 500, "calls allowed per burst window")
	fl.DurationVar(&o.BurstWindow, "burst-window", 30*time.Second, "length of the burst window")
	fl.IntVar(&o.LimitStatus, "limit-status", 400, "HTTP status of rate limit errors (400 or 429)")
	fl.Int64Var(&o.Seed, "seed", 0, "seed of every random choice, for repeatable runs")
	fl.StringVar(&f.orgFile, "org", "",
		"organization JSON file (default: a small built-in organization)")
	fl.StringVar(&f.manifestFile, "manifest", "",
		"learn the organization from a manifest's source accounts and admins")
	return cmd
}

// options turns the flags into simulator options.
func (f *simFlags) options() (simulator.Options, error) {
	opts := f.opts

	faults, err := parseFaults(f.faults)
	if err != nil {
		return opts, err
	}
	opts.Faults = faults

	switch {
	case f.orgFile != "" && f.manifestFile != "":
		return opts, usageErrorf("--org and --manifest: give one of them")
	case f.orgFile != "":
		org, err := simulator.LoadOrg(f.orgFile)
		if err != nil {
			return opts, usageErrorf("--org: %w", err)
		}
		opts.Org = org
	case f.manifestFile != "":
		org, err := orgFromManifest(f.manifestFile)
		if err != nil {
			return opts, err
		}
		opts.Org = org
	}
	return opts, nil
}

// orgFromManifest learns the organization from a manifest's rows.
func orgFromManifest(path string) (simulator.Org, error) {
	m, err := manifest.Read(path, manifest.ReadOptions{})
	if err != nil {
		return simulator.Org{}, withCode(exitInvalid, fmt.Errorf("--manifest: %w", err))
	}

	org := orgFromRows(m.Rows)
	if len(org.Accounts) == 0 {
		return simulator.Org{}, withCode(exitInvalid,
			fmt.Errorf("--manifest %q: no row has a source account id that is a GUID", path))
	}
	return org, nil
}

// parseFaults reads the --fault NAME=RATE values.
func parseFaults(values []string) (map[string]float64, error) {
	faults := map[string]float64{}
	valid := strings.Join(simulator.FaultNames, ", ")
	for _, v := range values {
		name, rateText, ok := strings.Cut(v, "=")
		rate, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
		if !ok || err != nil {
			return nil, usageErrorf("--fault %q: want NAME=RATE with RATE between 0 and 1, NAME one of %s",
				v, valid)
		}
		faults[strings.TrimSpace(name)] = rate
	}
	if err := simulator.ValidateFaults(faults); err != nil {
		return nil, usageErrorf("--fault: %w", err)
	}
	return faults, nil
}

// runSim starts the simulator, prints how to reach it and serves until
// SIGINT or SIGTERM.
func runSim(cmd *cobra.Command, a *app, addr string, opts simulator.Options) error {
	srv, err := simulator.New(opts)
	if err != nil {
		return usageErrorf("%w", err)
	}

	dir, err := os.MkdirTemp("", "dsclone-sim-")
	if err != nil {
		return fmt.Errorf("create simulator key directory: %w", err)
	}
	defer os.RemoveAll(dir)

	creds := srv.Credentials()
	keyFile := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyFile, creds.PrivateKeyPEM, 0o600); err != nil {
		return fmt.Errorf("write simulator private key %q: %w", keyFile, err)
	}

	if err := srv.Start(addr); err != nil {
		return usageErrorf("start simulator: %w", err)
	}
	defer srv.Close()

	info := simInfo{
		BaseURL: srv.BaseURL(), AuthURL: srv.AuthURL(), OrgID: creds.OrgID,
		AccessToken: creds.AccessToken, IntegrationKey: creds.IntegrationKey,
		UserID: creds.UserID, PrivateKeyFile: keyFile,
	}
	line, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("encode simulator address: %w", err)
	}
	fmt.Fprintln(a.stdout, string(line))
	a.log.Info().Str("base_url", info.BaseURL).Str("org_id", info.OrgID).
		Int("accounts", len(srv.Org().Accounts)).Msg("simulator serving; Ctrl-C stops it")

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()

	st := srv.Stats()
	a.log.Info().Int("requests", st.Requests).Int("clones_accepted", st.ClonesAccepted).
		Int("rejected_busy", st.RejectedBusy).Int("duplicates", st.Duplicates).Msg("simulator stopped")
	return nil
}
