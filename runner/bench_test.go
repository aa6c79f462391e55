package runner_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/runner"
	"github.com/dsclone/dsclone/simulator"
	"github.com/dsclone/dsclone/store"
)

// ampleLimit is a rate limit that never binds.
const ampleLimit = 1_000_000

// benchScenario is one throughput run against the embedded simulator.
type benchScenario struct {
	name   string
	counts []int // rows per asset group

	cloneTime, spread time.Duration

	// The simulator's limits; zero means ample. The client's budget is told
	// the windows, as the headers carry only the limits.
	hourlyLimit, burstLimit   int
	hourlyWindow, burstWindow time.Duration
}

// BenchmarkThroughput runs each scenario once and prints one line of
// key=value pairs: how close the runner comes to what no scheduler could
// beat, and what it spent in calls.
func BenchmarkThroughput(b *testing.B) {
	const clone, spread = 400 * time.Millisecond, 80 * time.Millisecond
	scenarios := []benchScenario{
		// Many lanes, ample budget: the longest lane is the limit. Clones of
		// a second keep the fixed costs of a step (an fsync, a loopback
		// round trip) near the share they have against real clones of
		// minutes; at 400 ms they would weigh five times more.
		{name: "lanes", counts: even(1000, 50), cloneTime: time.Second, spread: 200 * time.Millisecond},
		// Many short lanes with a budget that binds: the POSTs alone need
		// several times longer than a lane's clones.
		{name: "budget", counts: even(900, 300), cloneTime: clone, spread: spread,
			burstLimit: 40, burstWindow: time.Second},
		// One asset group holds a third of the rows: its lane is the limit
		// and, once the others are done, the only clone in flight.
		{name: "skewed", counts: skewed(300, 50), cloneTime: 300 * time.Millisecond,
			spread: 60 * time.Millisecond},
	}
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			var line string
			for range b.N {
				line = sc.run(b)
			}
			fmt.Println(line)
		})
	}
}

// even spreads n rows over groups asset groups.
func even(n, groups int) []int {
	counts := make([]int, groups)
	for i := range n {
		counts[i%groups]++
	}
	return counts
}

// skewed puts a third of n rows in one asset group and spreads the rest
// over the other groups-1.
func skewed(n, groups int) []int {
	counts := even(n-n/3, groups-1)
	return append([]int{n / 3}, counts...)
}

// benchRows makes counts[g] rows in asset group g, interleaved the way a
// manifest sorted by customer would mix the groups.
func benchRows(counts []int) []manifest.Row {
	var out []manifest.Row
	left := append([]int(nil), counts...)
	for i := 0; len(out) < sum(counts); i++ {
		g := i % len(counts)
		if left[g] == 0 {
			continue
		}
		left[g]--
		n := len(out)
		out = append(out, manifest.Row{
			Line:              n + 2,
			SourceAccountID:   guid(1, g),
			TargetAccountName: fmt.Sprintf("Customer %05d", n),
			AdminFirstName:    "Ada",
			AdminLastName:     "Admin",
			AdminEmail:        fmt.Sprintf("admin%d@example.com", g),
			CountryCode:       "US",
			AssetGroupID:      guid(2, g),
		})
	}
	return out
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// benchOptions scale the runner's defaults down with the clone time, the
// way the simulator's durations are scaled down from minutes.
func benchOptions() runner.Options {
	return runner.Options{
		PollInterval:    time.Second,
		MinPollInterval: 5 * time.Millisecond,
		// 15 minutes scaled like the clone time: a list then holds about as
		// many old clones as it would in a real run.
		ListMargin:    2 * time.Second,
		GraceWindow:   2 * time.Second,
		Backoff:       50 * time.Millisecond,
		SnapshotEvery: time.Second,
	}
}

// simOptions are the simulator's options for the scenario.
func (sc benchScenario) simOptions(rs []manifest.Row) simulator.Options {
	sources := make([]simulator.Source, len(rs))
	for i, r := range rs {
		sources[i] = simulator.Source{AccountID: r.SourceAccountID, AssetGroupID: r.AssetGroupID,
			AdminEmail: r.AdminEmail}
	}
	o := simulator.Options{
		Org:          simulator.OrgFromSources(sources),
		CloneTime:    sc.cloneTime,
		CloneSpread:  sc.spread,
		Seed:         11,
		HourlyLimit:  sc.hourlyLimit,
		HourlyWindow: sc.hourlyWindow,
		BurstLimit:   sc.burstLimit,
		BurstWindow:  sc.burstWindow,
	}
	if o.HourlyLimit == 0 {
		o.HourlyLimit = ampleLimit
	}
	if o.BurstLimit == 0 {
		o.BurstLimit = ampleLimit
	}
	return o
}

// run prepares a fresh simulator, client and state file, runs the manifest
// to the end, checks that nothing was cloned twice, and returns the line.
func (sc benchScenario) run(b *testing.B) string {
	b.StopTimer()
	rs := benchRows(sc.counts)
	simOpts := sc.simOptions(rs)
	sim, err := simulator.New(simOpts)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()

	client := newClient(b, sim, docusign.NewBudgetWindows(sc.hourlyWindow, sc.burstWindow))
	st, err := store.Open(filepath.Join(b.TempDir(), "state.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()

	opts := benchOptions()
	m := &manifest.Manifest{Path: "bench.csv", Format: "csv", Rows: rs}
	if _, _, err := runner.Prepare(st, m, store.Run{OrgID: sim.Credentials().OrgID}, opts); err != nil {
		b.Fatalf("prepare: %v", err)
	}
	r, err := runner.New(st, client, opts)
	if err != nil {
		b.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.StartTimer()
	start := time.Now()
	res, err := r.Run(ctx, nil)
	actual := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatalf("run: %v", err)
	}

	stats := sim.Stats()
	if res.Counts[store.Completed] != len(rs) || stats.Duplicates != 0 ||
		stats.MaxActivePerAssetGroup > 1 {
		b.Fatalf("counts %v, duplicates %d, max active per group %d: want every row "+
			"completed once, one at a time", res.Counts, stats.Duplicates, stats.MaxActivePerAssetGroup)
	}
	return sc.line(stats, actual)
}

// adminEndpoints are the Admin API calls, as the simulator counts them.
var adminEndpoints = []string{
	simulator.EndpointClonePost, simulator.EndpointCloneGet, simulator.EndpointCloneList,
	simulator.EndpointAccounts, simulator.EndpointOrganizations,
}

// line sums the run up as key=value pairs.
func (sc benchScenario) line(stats simulator.Stats, actual time.Duration) string {
	jobs := sum(sc.counts)
	longest, serial := 0.0, 0.0
	for _, s := range stats.BusySecondsByAssetGroup {
		longest = math.Max(longest, s)
		serial += s
	}
	calls := 0
	for _, e := range adminEndpoints {
		calls += stats.RequestsByEndpoint[e]
	}

	lower := math.Max(longest, sc.budgetBound())
	return fmt.Sprintf("scenario=%s jobs=%d lanes=%d lower_bound_s=%.1f actual_s=%.1f "+
		"efficiency=%.2f calls_per_clone=%.2f rate_limited=%d serial_s=%.1f",
		sc.name, jobs, len(sc.counts), lower, actual.Seconds(), lower/actual.Seconds(),
		float64(calls)/float64(jobs), stats.RateLimited, serial)
}

// budgetBound is the least time the rate budget needs for the calls no
// scheduler can avoid: the two setup lists (lanes and existing clones), one
// POST per row, and one list per row of the longest lane, since each of its
// clones must be seen complete before the next is sent. The limits are fixed
// windows, used at 90%: the last POST goes out no earlier than the start of
// the window its call falls in, and the final list comes a clone later.
func (sc benchScenario) budgetBound() float64 {
	maxRows := 0
	for _, c := range sc.counts {
		maxRows = max(maxRows, c)
	}
	beforeLast := 2 + sum(sc.counts) + maxRows - 1 // every call before the final list

	bound := 0.0
	for _, lim := range []struct {
		limit  int
		window time.Duration
	}{{sc.hourlyLimit, sc.hourlyWindow}, {sc.burstLimit, sc.burstWindow}} {
		if lim.limit == 0 {
			continue
		}
		perWindow := max(int(float64(lim.limit)*0.9), 1)
		windows := (beforeLast + perWindow - 1) / perWindow
		bound = math.Max(bound, float64(windows-1)*lim.window.Seconds())
	}
	return bound + (sc.cloneTime - sc.spread).Seconds()
}
