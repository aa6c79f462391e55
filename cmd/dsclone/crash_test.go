package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dsclone/dsclone/reports"
	"github.com/dsclone/dsclone/store"
)

// Environment of the crash test: DSCLONE_TORTURE=long runs the long version
// (make torture); DSCLONE_TORTURE_SEED replays a seed.
const (
	tortureEnv     = "DSCLONE_TORTURE"
	tortureSeedEnv = "DSCLONE_TORTURE_SEED"
)

// crashConfig sizes one crash test.
type crashConfig struct {
	name       string
	rows       int
	groups     int
	kills      int           // SIGKILLs to deliver before letting the run converge
	randomMax  time.Duration // longest delay of a random kill
	pointMax   int           // largest N of a crash point
	callLimit  int           // Admin API calls the simulator allows per 5s window
	runTimeout time.Duration // a single dsclone run taking longer is a hang
}

var crashConfigs = map[string]crashConfig{
	"short": {name: "short", rows: 60, groups: 10, kills: 25, randomMax: 600 * time.Millisecond,
		pointMax: 2, callLimit: 100, runTimeout: 90 * time.Second},
	"long": {name: "long", rows: 500, groups: 50, kills: 200, randomMax: 1500 * time.Millisecond,
		pointMax: 10, callLimit: 100, runTimeout: 5 * time.Minute},
}

// simFaultArgs are the faults and limits the simulator runs with: answers
// lost after the clone was created, connections reset, 5xx and HTML gateway
// pages, injected 429s, clones that fail and recover, a listing that lags
// behind the POSTs, and a rate limit (a short "hourly" window, answered with
// 400 HOURLY_APIINVOCATION_LIMIT_EXCEEDED) that the test's own noise on the
// account makes dsclone overrun now and then.
// The simulator lets two clones run per asset group, so that only dsclone's
// own lane discipline keeps the most active at once to one.
var simFaultArgs = []string{
	"--clone-time", "300ms", "--clone-spread", "100ms",
	"--fault", "lost-answer=0.1", "--fault", "reset=0.05", "--fault", "500=0.05",
	"--fault", "502-html=0.03", "--fault", "429=0.03", "--fault", "processing-error=0.1",
	"--listing-lag", "500ms",
	"--hourly-window", "5s", "--burst-limit", "100000", "--limit-status", "429",
	"--lane-width", "2",
}

// crashTally counts what the crash loop did.
type crashTally struct {
	runs, kills int
	byKind      map[string]int // kills by random, writing or crash point name
	writingRuns int            // runs that tried to die while the workbook was written
	resubmits   int            // runs with --resubmit-unknown
	// pace scales the kill delays and crash point counts, so that the kills
	// owed are spread over the work rather than spent after it.
	pace     float64
	reviewed map[string]bool
}

// TestCrashNeverClonesTwiceNorLosesARow kills dsclone with SIGKILL again and
// again, at random moments and at each crash point, against a simulator that
// loses answers, resets connections and rate-limits, then runs it until every
// row is final. No row may be cloned twice, none may be lost, and every row
// must end completed with the one clone the simulator holds for it.
func TestCrashNeverClonesTwiceNorLosesARow(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: starts and SIGKILLs dsclone many times; skipped under -short")
	}
	cfg := crashConfigs["short"]
	if os.Getenv(tortureEnv) == "long" {
		cfg = crashConfigs["long"]
	}
	seed := crashSeed(t)
	say(t, "crash test %s: rows=%d groups=%d kills=%d seed=%d (replay: %s=%d)",
		cfg.name, cfg.rows, cfg.groups, cfg.kills, seed, tortureSeedEnv, seed)

	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc4a54))
	dir := t.TempDir()
	bin := crashBinary(t)
	manifestPath, rows := writeCrashManifest(t, dir, rng, cfg.rows, cfg.groups)
	sim := startSim(t, bin, append([]string{"--manifest", manifestPath,
		"--seed", strconv.FormatInt(seed, 10), "--hourly-limit", strconv.Itoa(cfg.callLimit)},
		simFaultArgs...)...)
	d := &dscloneRunner{
		bin: bin, manifest: manifestPath, sim: sim, timeout: cfg.runTimeout,
		state: filepath.Join(dir, "crash.dsclone.db"), out: filepath.Join(dir, "crash.results.xlsx"),
		logPath: filepath.Join(dir, "runs.log"),
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of the dsclone log %s:\n%s", d.logPath, tail(d.logPath, 30))
		}
	})

	stopNoise := sim.startNoise(2500*time.Millisecond, 30)
	tally := crashLoop(t, d, cfg, rng, rows)
	stopNoise()
	jobs, trs := readState(t, d.state)

	// One more run finds nothing to do and sends no POST.
	before := sim.stats(t).ClonePosts
	if out := d.run(t, killPlan{kind: planNone}); out.code != exitOK {
		t.Fatalf("final run exited %d, want 0", out.code)
	}
	if after := sim.stats(t).ClonePosts; after != before {
		t.Errorf("final run on a finished state sent %d POSTs, want none", after-before)
	}

	// A lost state file creates no duplicate: every clone is adopted.
	fresh := *d
	fresh.state, fresh.out = filepath.Join(dir, "fresh.dsclone.db"), filepath.Join(dir, "fresh.xlsx")
	if out := fresh.run(t, killPlan{kind: planNone}); out.code != exitOK {
		t.Fatalf("run with a new state file exited %d, want 0", out.code)
	}
	if after := sim.stats(t).ClonePosts; after != before {
		t.Errorf("run with a new state file sent %d POSTs, want none: it must adopt", after-before)
	}

	stats := sim.stats(t)
	lost := checkEveryRow(t, sim, rows, jobs)
	checkWorkbook(t, d.out, len(rows))
	if stats.Duplicates != 0 {
		t.Errorf("simulator counted %d duplicated rows, want 0", stats.Duplicates)
	}
	if stats.ClonesAccepted != len(rows) {
		t.Errorf("simulator accepted %d clones for %d rows", stats.ClonesAccepted, len(rows))
	}
	if stats.MaxActivePerAssetGroup > 1 {
		t.Errorf("max active clones in one asset group = %d, want at most the lane width 1",
			stats.MaxActivePerAssetGroup)
	}

	counts := store.CountJobs(jobs)
	say(t, "kills=%d duplicates=%d lost=%d unknown_recovered=%d needs_review=%d seed=%d",
		tally.kills, stats.Duplicates, lost, unknownRecovered(jobs, trs), counts[store.NeedsReview],
		seed)
	say(t, "detail: runs=%d kills_by=%v writing_runs=%d reviewed_absent=%d resubmit_runs=%d "+
		"requests=%d clone_posts=%d clones_accepted=%d rate_limited=%d faults=%v max_active=%d "+
		"pace=%.2f took=%s",
		tally.runs, tally.byKind, tally.writingRuns, len(tally.reviewed), tally.resubmits,
		stats.Requests, stats.ClonePosts, stats.ClonesAccepted, stats.RateLimited, stats.FaultsInjected,
		stats.MaxActivePerAssetGroup, tally.pace, time.Since(start).Round(time.Second))
}

// crashLoop runs dsclone until it has been killed cfg.kills times, at least
// once at every crash point and once while writing the workbook, and every
// row has completed. Rows that need review are first checked to have no
// clone in the simulator, then submitted again with --resubmit-unknown.
func crashLoop(t *testing.T, d *dscloneRunner, cfg crashConfig, rng *rand.Rand,
	rows []crashRow) crashTally {
	t.Helper()
	tally := crashTally{byKind: map[string]int{}, reviewed: map[string]bool{}, pace: 1}
	maxRuns := 3*cfg.kills + 60

	for {
		var jobs []store.Job
		if _, err := os.Stat(d.state); err == nil {
			jobs, _ = readState(t, d.state)
		}
		completed := store.CountJobs(jobs)[store.Completed]
		done := len(jobs) == len(rows) && completed == len(rows)
		endKills := tally.byKind["report"] > 0 && tally.writingRuns >= 2
		if done && tally.kills >= cfg.kills && endKills {
			return tally
		}
		if tally.runs >= maxRuns {
			t.Fatalf("no convergence after %d runs (%d kills): counts %v", tally.runs, tally.kills,
				store.CountJobs(jobs))
		}

		var extra []string
		if review := needReview(jobs); len(review) > 0 {
			checkNeverListed(t, d.sim, review)
			for _, j := range review {
				tally.reviewed[j.Key] = true
			}
			extra = append(extra, "--resubmit-unknown")
			tally.resubmits++
		}

		plan := nextPlan(rng, cfg, done, tally.kills >= cfg.kills, tally)
		if plan.kind == planWriting {
			tally.writingRuns++
		}
		out := d.run(t, plan, extra...)
		tally.runs++
		if out.killed {
			tally.adjustPace(t, d, len(rows)-completed, cfg.kills-tally.kills, completed)
		}
		switch {
		case out.killed:
			tally.kills++
			kind := plan.kind
			if plan.kind == planCrashpoint {
				kind = plan.point
			}
			tally.byKind[kind]++
		case out.code != exitOK && out.code != exitIncomplete:
			t.Fatalf("dsclone run (%s) exited %d; log:\n%s", plan, out.code, tail(d.logPath, 30))
		}
	}
}

// adjustPace slows the kills down when the last run, killed, completed much
// less than its share of the open rows, and speeds them up when it completed
// much more.
func (c *crashTally) adjustPace(t *testing.T, d *dscloneRunner, open, owed, before int) {
	t.Helper()
	if owed <= 0 || open <= 0 {
		return
	}
	jobs, _ := readState(t, d.state)
	progress := float64(store.CountJobs(jobs)[store.Completed] - before)
	share := float64(open) / float64(owed)
	switch {
	case progress > 1.5*share:
		c.pace = max(c.pace*0.6, 0.05)
	case progress < 0.5*share:
		c.pace = min(c.pace*1.15, 4)
	}
}

// nextPlan picks how the next run dies. While rows are open and kills are
// owed: at random or at a crash point. Once every row is final: before or
// while the workbook is written. Once the kills are paid: not at all.
func nextPlan(rng *rand.Rand, cfg crashConfig, done, paid bool, tally crashTally) killPlan {
	random := func() killPlan {
		limit := int64(float64(cfg.randomMax) * tally.pace)
		return killPlan{kind: planRandom, after: time.Duration(rng.Int64N(limit))}
	}
	point := func(name string, n int) killPlan {
		n = max(int(float64(n)*tally.pace), 1)
		return killPlan{kind: planCrashpoint, point: name, n: 1 + rng.IntN(n)}
	}

	switch {
	case done && tally.byKind["report"] == 0:
		return point("report", 1)
	case done && tally.writingRuns < 2:
		return killPlan{kind: planWriting}
	case done && !paid:
		if rng.IntN(2) == 0 {
			return point("report", 1)
		}
		return killPlan{kind: planWriting}
	case paid:
		return killPlan{kind: planNone}
	}

	// The first runs die at each crash point of the work once, for sure.
	for _, name := range []string{"intent", "answer", "poll"} {
		if tally.byKind[name] == 0 && tally.runs < 6 {
			return point(name, 2)
		}
	}
	switch r := rng.IntN(20); {
	case r < 8:
		return random()
	case r < 12:
		return point("intent", cfg.pointMax)
	case r < 16:
		return point("answer", cfg.pointMax)
	default:
		return point("poll", 3*cfg.pointMax)
	}
}

// needReview returns the manifest's jobs that need review.
func needReview(jobs []store.Job) []store.Job {
	var out []store.Job
	for _, j := range jobs {
		if j.InManifest && j.State == store.NeedsReview {
			out = append(out, j)
		}
	}
	return out
}

// checkNeverListed checks that the simulator holds no clone for any job that
// needs review: dsclone may only give up looking when the clone truly does
// not exist.
func checkNeverListed(t *testing.T, sim *crashSim, review []store.Job) {
	t.Helper()
	byTriple := clonesByTriple(sim.clones(t))
	for _, j := range review {
		r := crashRow{source: j.Row.SourceAccountID, name: j.Row.TargetAccountName,
			email: j.Row.AdminEmail}
		if cs := byTriple[r.triple()]; len(cs) > 0 {
			t.Errorf("row %d needs review, but the simulator lists its clone %s (created %s, "+
				"intent %s, unknown since %s)", j.Row.Line, cs[0].WorkID, cs[0].CreatedDate,
				j.IntentAt, j.UnknownSince)
		}
	}
}

// checkEveryRow checks that every manifest row has exactly one job, completed,
// holding the work id and new account of the one clone the simulator has for
// it. It returns the number of rows lost: without a job, not completed, or
// not matching their clone.
func checkEveryRow(t *testing.T, sim *crashSim, rows []crashRow, jobs []store.Job) int {
	t.Helper()
	byTriple := clonesByTriple(sim.clones(t))
	byRow := make(map[string][]store.Job)
	for _, j := range jobs {
		r := crashRow{source: j.Row.SourceAccountID, name: j.Row.TargetAccountName,
			email: j.Row.AdminEmail}
		byRow[r.triple()] = append(byRow[r.triple()], j)
	}
	if len(jobs) != len(rows) {
		t.Errorf("state file holds %d jobs for %d manifest rows", len(jobs), len(rows))
	}

	lost := 0
	for i, r := range rows {
		js, cs := byRow[r.triple()], byTriple[r.triple()]
		var problem string
		switch {
		case len(js) != 1:
			problem = fmt.Sprintf("%d jobs", len(js))
		case len(cs) != 1:
			problem = fmt.Sprintf("%d clones in the simulator", len(cs))
		case js[0].State != store.Completed || !js[0].InManifest:
			problem = fmt.Sprintf("state %s, in manifest %v", js[0].State, js[0].InManifest)
		case !strings.EqualFold(js[0].WorkID, cs[0].WorkID):
			problem = fmt.Sprintf("work id %s, the simulator's clone is %s", js[0].WorkID, cs[0].WorkID)
		case js[0].NewAccountID == "" || !strings.EqualFold(js[0].NewAccountID, cs[0].TargetAccountID):
			problem = fmt.Sprintf("new account %q, the simulator's is %q", js[0].NewAccountID,
				cs[0].TargetAccountID)
		}
		if problem != "" {
			lost++
			t.Errorf("manifest row %d (%s): %s", i+2, r.name, problem)
		}
	}
	return lost
}

// checkWorkbook checks that the results workbook opens and that its Results
// sheet has a header and one completed row per manifest row.
func checkWorkbook(t *testing.T, path string, rows int) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open results workbook: %v", err)
	}
	defer f.Close()
	got, err := f.GetRows(reports.SheetResults)
	if err != nil {
		t.Fatalf("read sheet %s: %v", reports.SheetResults, err)
	}
	if len(got) != rows+1 {
		t.Fatalf("sheet %s has %d rows, want a header and %d rows", reports.SheetResults, len(got), rows)
	}
	col := slices.Index(got[0], "Outcome")
	if col < 0 {
		t.Fatalf("sheet %s has no Outcome column: %v", reports.SheetResults, got[0])
	}
	for i, row := range got[1:] {
		if col >= len(row) || row[col] != reports.OutcomeCompleted {
			t.Errorf("sheet %s row %d: outcome not %s: %v", reports.SheetResults, i+2,
				reports.OutcomeCompleted, row)
		}
	}
}

// unknownRecovered counts the jobs that went unknown, were found in the
// organization's clone list and ended completed.
func unknownRecovered(jobs []store.Job, trs []store.Transition) int {
	found := map[string]bool{}
	for _, tr := range trs {
		if tr.From == store.Unknown && tr.To == store.InFlight {
			found[tr.Key] = true
		}
	}
	n := 0
	for _, j := range jobs {
		if found[j.Key] && j.State == store.Completed {
			n++
		}
	}
	return n
}

// crashSeed is the seed of this test: DSCLONE_TORTURE_SEED, or drawn.
func crashSeed(t *testing.T) int64 {
	t.Helper()
	v := os.Getenv(tortureSeedEnv)
	if v == "" {
		return time.Now().UnixNano() % 1_000_000_000
	}
	seed, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: want an integer", tortureSeedEnv, v)
	}
	return seed
}

// say logs a line and, with -v, prints it to stdout too, so that make
// torture shows it as it happens.
func say(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	if testing.Verbose() {
		fmt.Printf(format+"\n", args...)
	}
}
