package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the dsclone binary as separate processes, as a user would:
// two of them on one state file, and a run interrupted by a signal.

var (
	cliBinaryOnce sync.Once
	cliBinaryPath string
	cliBinaryErr  error
)

// cliBinary builds dsclone once for the tests of this package.
func cliBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the dsclone binary; skipped with -short")
	}
	cliBinaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dsclone-cli-")
		if err != nil {
			cliBinaryErr = err
			return
		}
		cliBinaryPath = filepath.Join(dir, "dsclone")
		out, err := exec.Command("go", "build", "-o", cliBinaryPath, ".").CombinedOutput()
		if err != nil {
			cliBinaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliBinaryErr != nil {
		t.Fatal(cliBinaryErr)
	}
	return cliBinaryPath
}

// cliSim is `dsclone sim` running as a child process.
type cliSim struct {
	BaseURL     string `json:"base_url"`
	AuthURL     string `json:"auth_url"`
	OrgID       string `json:"org_id"`
	AccessToken string `json:"access_token"`
}

func startCLISim(t *testing.T, bin, manifestPath string, args ...string) cliSim {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sim", "--addr", "127.0.0.1:0", "--manifest", manifestPath}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the simulator's first line: %v", err)
	}
	var sp cliSim
	if err := json.Unmarshal([]byte(line), &sp); err != nil {
		t.Fatalf("simulator's first line %q: %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return sp
}

func (sp cliSim) clonePosts(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(sp.AuthURL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		ClonePosts int `json:"clone_posts"`
		Duplicates int `json:"duplicates"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	if stats.Duplicates != 0 {
		t.Errorf("simulator counted %d duplicates", stats.Duplicates)
	}
	return stats.ClonePosts
}

// runProcess prepares `dsclone run` against the simulator process.
func (sp cliSim) runProcess(bin, manifestPath string, stderr io.Writer, extra ...string) *exec.Cmd {
	args := append([]string{"run", "--base-url", sp.BaseURL, "--auth-url", sp.AuthURL, "--org", sp.OrgID,
		"--poll-interval", "50ms", "--log-format", "json", manifestPath}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DOCUSIGN_ACCESS_TOKEN="+sp.AccessToken)
	cmd.Stderr = stderr
	return cmd
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSecondProcessOnTheSameStateExitsFour(t *testing.T) {
	bin := cliBinary(t)
	path := copySample(t, "manifest.csv")
	sp := startCLISim(t, bin, path, "--clone-time", "400ms", "--hourly-window", "10s")

	var firstErr syncBuffer
	first := sp.runProcess(bin, path, &firstErr)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first run to submit", 20*time.Second, func() bool {
		return strings.Contains(firstErr.String(), `"to":"in_flight"`)
	})

	var secondErr syncBuffer
	second := sp.runProcess(bin, path, &secondErr)
	start := time.Now()
	err := second.Run()
	if code := exitCode(err); code != exitLocked {
		t.Fatalf("second run exit %d, want %d\n%s", code, exitLocked, secondErr.String())
	}
	// The lock is waited for one second; the rest is starting a process,
	// which a loaded CI machine may stretch, so the bound here is looser.
	took := time.Since(start)
	t.Logf("second run gave up after %s", took.Round(time.Millisecond))
	if took > 4*time.Second {
		t.Errorf("second run took %s to give up, want about 1s", took)
	}
	if msg := secondErr.String(); !strings.Contains(msg, fmt.Sprint(first.Process.Pid)) {
		t.Errorf("second run should name the holder's pid %d:\n%s", first.Process.Pid, msg)
	}

	if err := first.Wait(); exitCode(err) != exitOK {
		t.Fatalf("first run exit %d, want 0\n%s", exitCode(err), firstErr.String())
	}
	if !strings.Contains(firstErr.String(), "16 completed") {
		t.Errorf("first run did not complete every row:\n%s", firstErr.String())
	}
}

func TestInterruptStopsSubmittingAndResumes(t *testing.T) {
	bin := cliBinary(t)
	path := copySample(t, "manifest.csv")
	sp := startCLISim(t, bin, path, "--clone-time", "600ms", "--hourly-window", "10s")

	var stderr syncBuffer
	run := sp.runProcess(bin, path, &stderr)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first clone in flight", 20*time.Second, func() bool {
		return strings.Contains(stderr.String(), `"to":"in_flight"`)
	})
	if err := run.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	postsAtSignal := sp.clonePosts(t)

	err := run.Wait()
	if code := exitCode(err); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr.String())
	}
	// A lane that had already committed its intent when the signal came may
	// still send that one POST; no lane starts another.
	lanes := 4
	if got := sp.clonePosts(t); got > postsAtSignal+lanes {
		t.Errorf("%d POSTs after the signal (at the signal: %d)", got-postsAtSignal, postsAtSignal)
	}
	if !strings.Contains(stderr.String(), "run the same command") {
		t.Errorf("no resume hint:\n%s", stderr.String())
	}

	var again syncBuffer
	if err := sp.runProcess(bin, path, &again).Run(); exitCode(err) != exitOK {
		t.Fatalf("resumed run exit %d\n%s", exitCode(err), again.String())
	}
	posts := sp.clonePosts(t)
	if err := sp.runProcess(bin, path, io.Discard).Run(); exitCode(err) != exitOK {
		t.Fatalf("third run exit %d", exitCode(err))
	}
	if got := sp.clonePosts(t); got != posts {
		t.Errorf("a run over a finished state sent %d POSTs, want none", got-posts)
	}
}

func TestSimulateRunTwiceSendsNoSecondPost(t *testing.T) {
	path := copySample(t, "manifest.xlsx")
	for i, wantPosts := range []string{`"clone_posts":16`, `"clone_posts":0`} {
		code, stdout, stderr := runCLI(t, "run", "--simulate", "--sim-clone-time", "100ms", "--log-format", "json", path)
		if code != exitOK || stdout != "" {
			t.Fatalf("run %d: exit %d, stdout %q\n%s", i+1, code, stdout, stderr)
		}
		if !strings.Contains(stderr, wantPosts) {
			t.Errorf("run %d: want %s in the simulator's log line:\n%s", i+1, wantPosts, stderr)
		}
	}
}
