package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/simulator"
)

// simulateFlags are the flags of --simulate: run against an embedded
// simulator that knows every source account of the manifest.
type simulateFlags struct {
	enabled   bool
	cloneTime time.Duration
	seed      int64
}

func (f *simulateFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.enabled, "simulate", false, "run against an embedded Docusign simulator that knows the manifest's accounts (no credentials needed)")
	fs.DurationVar(&f.cloneTime, "sim-clone-time", 2*time.Second, "with --simulate: how long a simulated clone takes")
	fs.Int64Var(&f.seed, "sim-seed", 1, "with --simulate: seed of the simulator's random choices")
}

// start serves an embedded simulator learned from the manifest's rows and
// points api at it. The returned func stops it.
func (f *simulateFlags) start(rows []manifest.Row, api *apiFlags) (*simulator.Server, func(), error) {
	srv, err := simulator.New(simulator.Options{
		CloneTime:    f.cloneTime,
		CloneSpread:  f.cloneTime / 5,
		HourlyWindow: f.hourlyWindow(),
		Seed:         f.seed,
		Org:          orgFromRows(rows),
	})
	if err != nil {
		return nil, nil, usageErrorf("--simulate: %w", err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("start the embedded simulator: %w", err)
	}

	creds := srv.Credentials()
	api.baseURL = srv.BaseURL()
	api.authURL = srv.AuthURL()
	api.orgID = creds.OrgID
	api.accessToken = creds.AccessToken
	return srv, func() { _ = srv.Close() }, nil
}

// suffix marks the default state and results files of a simulated run
// (MANIFEST.simulated.dsclone.db), so that a rehearsal never shares them
// with a real run.
func (f *simulateFlags) suffix() string {
	if f.enabled {
		return ".simulated"
	}
	return ""
}

// orgFromRows is the organization a simulator learns from manifest rows:
// every source account compliant, every admin an organization admin. No rows
// give an empty organization, for which the simulator serves its own.
func orgFromRows(rows []manifest.Row) simulator.Org {
	sources := make([]simulator.Source, 0, len(rows))
	for _, r := range rows {
		sources = append(sources, simulator.Source{
			AccountID: r.SourceAccountID, AssetGroupID: r.AssetGroupID, AdminEmail: r.AdminEmail,
		})
	}
	return simulator.OrgFromSources(sources)
}

// realCloneTime is how long a real clone takes, as Docusign's guide says.
const realCloneTime = 150 * time.Second

// hourlyWindow scales the hour of Docusign's hourly rate limit as the clone
// time is scaled, so that a rehearsal meets the budget a real run would: no
// less, and no more.
func (f *simulateFlags) hourlyWindow() time.Duration {
	scaled := time.Duration(float64(time.Hour) * float64(f.cloneTime) / float64(realCloneTime))
	return min(max(scaled, 10*time.Second), time.Hour)
}

// pollInterval is the polling interval that suits the simulated clone time.
func (f *simulateFlags) pollInterval() time.Duration {
	return max(f.cloneTime/10, 50*time.Millisecond)
}

// connect serves the embedded simulator when --simulate asks for it and
// points api at it, then connects. closeAll closes the client's trace file
// and stops the simulator; sim is nil without --simulate.
func (f *simulateFlags) connect(
	ctx context.Context, a *app, api *apiFlags, rows []manifest.Row,
) (client *docusign.Client, sim *simulator.Server, closeAll func(), err error) {
	stopSim := func() {}
	if f.enabled {
		if sim, stopSim, err = f.start(rows, api); err != nil {
			return nil, nil, nil, err
		}
		a.log.Info().Msg("running against the embedded simulator: no real account is created")
	}

	client, closeClient, err := api.connect(ctx, a)
	if err != nil {
		stopSim()
		return nil, nil, nil, err
	}
	closeAll = func() {
		if err := closeClient(); err != nil {
			a.log.Warn().Err(err).Msg("close the --trace-http file")
		}
		stopSim()
	}
	return client, sim, closeAll, nil
}

// logSimStats tells what the embedded simulator saw, so that a rehearsal
// shows, for instance, that a resumed run sent no POST.
func logSimStats(a *app, sim *simulator.Server) {
	st := sim.Stats()
	a.log.Info().Int("clone_posts", st.ClonePosts).Int("clones_accepted", st.ClonesAccepted).
		Int("duplicates", st.Duplicates).Int("rate_limited", st.RateLimited).
		Int("requests", st.Requests).Msg("embedded simulator")
}
