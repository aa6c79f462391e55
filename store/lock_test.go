package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdEnv names the variable that turns the test binary into a process that
// opens a state file, writes to it and holds it until killed.
const holdEnv = "DSCLONE_STORE_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		os.Exit(hold(path))
	}
	os.Exit(m.Run())
}

// hold is the child process: it records a run and moves job "a" to in_flight,
// publishes a snapshot, says "ready" and waits, never closing the store.
func hold(path string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	s, err := Open(path, Options{})
	if err != nil {
		return fail(err)
	}
	run := Run{ID: "held", StartedAt: time.Now().UTC()}
	if err := s.PutRun(run); err != nil {
		return fail(err)
	}
	if err := s.AddJobs([]Job{newJob("a", 0, Queued), newJob("b", 1, Queued)}); err != nil {
		return fail(err)
	}
	if _, err := s.Apply(Change{Key: "a", To: Submitting}); err != nil {
		return fail(err)
	}
	setWorkID := func(j *Job) { j.WorkID = "w-1" }
	if _, err := s.Apply(Change{Key: "a", To: InFlight, Mutate: setWorkID}); err != nil {
		return fail(err)
	}
	jobs, err := s.Jobs()
	if err != nil {
		return fail(err)
	}
	if err := WriteSnapshot(path, run, jobs); err != nil {
		return fail(err)
	}

	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes away
	return 0
}

// startHolder runs the test binary as a process holding path and waits until
// it has written. The process is killed when the test ends.
func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start holder: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder said %q, %v", line, err)
	}
	return cmd
}

// wantLocked checks that err is a *LockedError naming the process pid.
func wantLocked(t *testing.T, err error, path string, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("error = %v, want a *LockedError", err)
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("errors.Is(%v, ErrLocked) = false", err)
	}

	host, _ := os.Hostname()
	if le.Path != path || le.PID != pid || le.Host != host || le.Started.IsZero() {
		t.Errorf("LockedError = %+v, want path %q, pid %d, host %q, a start time",
			le, path, pid, host)
	}
	for _, want := range []string{path, "pid " + strconv.Itoa(pid), host} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %q", err, want)
		}
	}
}

func TestLockInProcess(t *testing.T) {
	path := statePath(t)
	first, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}

	for _, ro := range []bool{false, true} {
		_, err = Open(path, Options{LockTimeout: 50 * time.Millisecond, ReadOnly: ro})
		wantLocked(t, err, path, os.Getpid())
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := openStore(t, path)
	if err := second.Check(); err != nil {
		t.Errorf("Check after Close and reopen: %v", err)
	}
}

func TestLockWithoutSidecar(t *testing.T) {
	path := statePath(t)
	s := openStore(t, path)
	addJobs(t, s, newJob("a", 0, Queued))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	reader, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	_, err = Open(path, Options{LockTimeout: 50 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.PID != 0 {
		t.Fatalf("Open while a reader holds the file = %v, want a LockedError without pid", err)
	}
	if !strings.Contains(err.Error(), "another process") {
		t.Errorf("message %q does not say the file is held", err)
	}
}

// TestCrashKeepsCommittedWrites holds a file in another process, checks that
// it is locked and readable through the snapshot, kills the process with
// SIGKILL and checks that every committed write survived.
func TestCrashKeepsCommittedWrites(t *testing.T) {
	path := statePath(t)
	holder := startHolder(t, path)
	pid := holder.Process.Pid

	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	wantLocked(t, err, path, pid)

	loaded, err := Load(path)
	if err != nil {
		t.Fatalf("Load while held: %v", err)
	}
	if !loaded.FromSnapshot || loaded.Holder == nil || loaded.Holder.PID != pid {
		t.Errorf("Load while held = %+v, want the snapshot and the holder", loaded)
	}
	if loaded.Run.ID != "held" || len(loaded.Jobs) != 2 || loaded.Jobs[0].WorkID != "w-1" {
		t.Errorf("snapshot = %+v", loaded)
	}

	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()

	s := openStore(t, path)
	if err := s.Check(); err != nil {
		t.Errorf("Check after SIGKILL: %v", err)
	}
	a := mustJob(t, s, "a")
	if a.State != InFlight || a.WorkID != "w-1" {
		t.Errorf("job a after SIGKILL = %+v, want in_flight with work id w-1", a)
	}
	if log, _ := s.Transitions("a"); len(log) != 2 {
		t.Errorf("job a has %d transitions after SIGKILL, want 2", len(log))
	}
	if run, ok, _ := s.Run(); !ok || run.ID != "held" {
		t.Errorf("run after SIGKILL = %+v, %v", run, ok)
	}

	// The stale sidecar of the killed process now names this one.
	_, err = Open(path, Options{LockTimeout: 50 * time.Millisecond})
	wantLocked(t, err, path, os.Getpid())
}
