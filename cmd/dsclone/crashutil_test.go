package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/simulator"
	"github.com/dsclone/dsclone/store"
)

// crashBinEnv names a prebuilt dsclone binary for the crash test to drive
// instead of building one; a deliberately broken build proves the test bites.
const crashBinEnv = "DSCLONE_CRASH_BIN"

// crashBinary returns the dsclone binary the crash test drives: the one
// crashBinEnv names, or the one built for this package's process tests.
func crashBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(crashBinEnv); bin != "" {
		return bin
	}
	return cliBinary(t)
}

// crashRow is one row of a generated manifest.
type crashRow struct {
	source, group, name, first, last, email string
}

// triple is what identifies a clone in the simulator: the row's source
// account, target name and admin email.
func (r crashRow) triple() string {
	return strings.ToLower(r.source) + "\x00" + r.name + "\x00" + strings.ToLower(r.email)
}

// writeCrashManifest writes a CSV manifest of n rows over groups asset
// groups, two source accounts per group, with GUIDs drawn from rng.
func writeCrashManifest(t *testing.T, dir string, rng *rand.Rand, n, groups int) (
	string, []crashRow) {
	t.Helper()
	groupIDs := make([]string, groups)
	sources := make([][2]string, groups)
	for g := range groups {
		groupIDs[g] = drawGUID(rng)
		sources[g] = [2]string{drawGUID(rng), drawGUID(rng)}
	}

	rows := make([]crashRow, n)
	for i := range n {
		g := i % groups
		rows[i] = crashRow{
			source: sources[g][i/groups%2],
			group:  groupIDs[g],
			name:   fmt.Sprintf("Crash Customer %04d", i+1),
			first:  "Admin",
			last:   fmt.Sprintf("Number%d", i+1),
			email:  fmt.Sprintf("admin%d@crash%d.example.com", i+1, g),
		}
	}

	path := filepath.Join(dir, "crash.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create manifest: %v", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"source_account_id", "target_account_name", "admin_first_name",
		"admin_last_name", "admin_email", "country_code", "asset_group_id"})
	for _, r := range rows {
		_ = w.Write([]string{r.source, r.name, r.first, r.last, r.email, "US", r.group})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		t.Fatalf("write manifest %q: %v", path, err)
	}
	return path, rows
}

func drawGUID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// crashSim is a `dsclone sim` child process and how to reach it.
type crashSim struct {
	simInfo
	cmd *exec.Cmd
}

// startSim starts `dsclone sim` with args, reads the line that says how to
// reach it, and kills it when the test ends.
func startSim(t *testing.T, bin string, args ...string) *crashSim {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dsclone sim: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()

	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("dsclone sim printed nothing in 30s")
	}
	sim := &crashSim{cmd: cmd}
	if err := json.Unmarshal([]byte(line), &sim.simInfo); err != nil || sim.BaseURL == "" {
		t.Fatalf("dsclone sim first line %q: %v", line, err)
	}
	return sim
}

// stats reads the simulator's counters.
func (s *crashSim) stats(t *testing.T) simulator.Stats {
	t.Helper()
	resp, err := http.Get(s.AuthURL + "/_sim/stats")
	if err != nil {
		t.Fatalf("get simulator stats: %v", err)
	}
	defer resp.Body.Close()
	var st simulator.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode simulator stats: %v", err)
	}
	return st
}

// clones lists every clone the simulator holds, through the real client so
// that faults and rate limits are retried.
func (s *crashSim) clones(t *testing.T) []docusign.Clone {
	t.Helper()
	client, err := docusign.New(docusign.Config{
		BaseURL: s.BaseURL, AuthURL: s.AuthURL, OrgID: s.OrgID,
		AccessToken: docusign.Secret(s.AccessToken), MaxAttempts: 20,
	})
	if err != nil {
		t.Fatalf("client for the simulator: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clones, err := client.ListClones(ctx, time.Time{})
	if err != nil {
		t.Fatalf("list the simulator's clones: %v", err)
	}
	return clones
}

// clonesByTriple groups clones by source account, target name and admin
// email, as the simulator counts duplicates.
func clonesByTriple(clones []docusign.Clone) map[string][]docusign.Clone {
	out := make(map[string][]docusign.Clone)
	for _, c := range clones {
		k := strings.ToLower(c.SourceAccountID) + "\x00" + c.TargetName + "\x00" +
			strings.ToLower(c.AdminEmail)
		out[k] = append(out[k], c)
	}
	return out
}

// killPlan says how one dsclone run is to die.
type killPlan struct {
	kind  string        // see the plan kinds below
	point string        // crash point, for planCrashpoint
	n     int           // the crash point's count
	after time.Duration // for planRandom
}

// Plan kinds.
const (
	planNone       = "none"       // run to the end
	planRandom     = "random"     // SIGKILL after a delay
	planCrashpoint = "crashpoint" // DSCLONE_CRASHPOINT=point:n
	planWriting    = "writing"    // SIGKILL while the results workbook is written
)

func (p killPlan) String() string {
	switch p.kind {
	case planRandom:
		return fmt.Sprintf("random kill after %s", p.after)
	case planCrashpoint:
		return fmt.Sprintf("crash point %s:%d", p.point, p.n)
	}
	return p.kind
}

// runOutcome is how one dsclone run ended.
type runOutcome struct {
	code   int  // exit code, -1 when killed
	killed bool // ended by SIGKILL
	took   time.Duration
}

// dscloneRunner starts `dsclone run` against one simulator and state file.
type dscloneRunner struct {
	bin, manifest, state, out, logPath string
	sim                                *crashSim
	timeout                            time.Duration // a run taking longer hangs
}

// run runs dsclone once with extra flags, killing it as plan says.
func (d *dscloneRunner) run(t *testing.T, plan killPlan, extra ...string) runOutcome {
	t.Helper()
	args := []string{"run", d.manifest,
		"--base-url", d.sim.BaseURL, "--auth-url", d.sim.AuthURL, "--org", d.sim.OrgID,
		"--state", d.state, "--out", d.out,
		"--poll-interval", "50ms", "--grace-window", "3s", "--log-format", "json"}
	args = append(args, extra...)

	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== %s %s\n", plan, strings.Join(extra, " "))

	cmd := exec.Command(d.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), docusign.EnvAccessToken+"="+d.sim.AccessToken,
		docusign.EnvIntegrationKey+"=", docusign.EnvUserID+"=", docusign.EnvPrivateKeyFile+"=",
		docusign.EnvOrgID+"=", crashEnv+"=")
	if plan.kind == planCrashpoint {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s:%d", crashEnv, plan.point, plan.n))
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dsclone run: %v", err)
	}
	done := make(chan struct{})
	defer close(done)
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	switch plan.kind {
	case planRandom:
		timer := time.AfterFunc(plan.after, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
	case planWriting:
		go killWhileWriting(cmd.Process, d.out, done)
	}
	hang := time.AfterFunc(d.timeout, func() { _ = cmd.Process.Kill() })
	defer hang.Stop()

	err = cmd.Wait()
	took := time.Since(start)
	if took >= d.timeout {
		t.Fatalf("dsclone run (%s) still running after %s; log %s:\n%s", plan, d.timeout,
			d.logPath, tail(d.logPath, 40))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return runOutcome{code: 0, took: took}
	case errors.As(err, &exit):
		ws, _ := exit.Sys().(syscall.WaitStatus)
		if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return runOutcome{code: -1, killed: true, took: took}
		}
		return runOutcome{code: exit.ExitCode(), took: took}
	}
	t.Fatalf("wait for dsclone run: %v", err)
	return runOutcome{}
}

// killWhileWriting kills p as soon as the temporary file of the results
// workbook appears beside out, until done.
func killWhileWriting(p *os.Process, out string, done <-chan struct{}) {
	pattern := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	for {
		select {
		case <-done:
			return
		default:
		}
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			_ = p.Kill()
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// readState opens the state file read-only and returns its jobs and the
// transitions of every job.
func readState(t *testing.T, path string) ([]store.Job, []store.Transition) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open state file: %v", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("state file fails its consistency check: %v", err)
	}
	jobs, err := st.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	trs, err := st.Transitions("")
	if err != nil {
		t.Fatal(err)
	}
	return jobs, trs
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startNoise has someone else use the account: every interval it sends a
// burst of calls to the simulator's organizations endpoint with the same
// token, so that dsclone meets rate limits its own budget did not cause. The
// returned func stops it.
func (s *crashSim) startNoise(interval time.Duration, burst int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			for range burst {
				s.call("/v2/organizations")
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// call sends one GET to the Admin API and forgets the answer.
func (s *crashSim) call(path string) {
	req, err := http.NewRequest(http.MethodGet, s.BaseURL+path, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+s.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
