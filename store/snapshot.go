package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrNoRun matches, with errors.Is, the error of Load for a state file that
// does not exist.
var ErrNoRun = errors.New("no run found")

// loadLockTimeout is how long Load waits for a running dsclone before reading
// its snapshot instead.
const loadLockTimeout = 300 * time.Millisecond

// Snapshot is what a running dsclone publishes beside its state file so that
// status and report can read its jobs while the file is locked.
type Snapshot struct {
	Run       Run       `json:"run"`
	Jobs      []Job     `json:"jobs"`
	WrittenAt time.Time `json:"written_at"`
}

// SnapshotPath returns where the snapshot of statePath lives:
// "<statePath>.snapshot.json".
func SnapshotPath(statePath string) string { return statePath + ".snapshot.json" }

// WriteSnapshot replaces the snapshot of statePath with run and jobs,
// atomically (temporary file, fsync, rename) and with mode 0600.
func WriteSnapshot(statePath string, run Run, jobs []Job) error {
	snap := Snapshot{Run: run, Jobs: jobs, WrittenAt: time.Now().UTC()}
	if snap.Jobs == nil {
		snap.Jobs = []Job{}
	}

	raw, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot of %q: %w", statePath, err)
	}
	if err := writeFileAtomic(SnapshotPath(statePath), raw); err != nil {
		return fmt.Errorf("write snapshot of %q: %w", statePath, err)
	}
	return nil
}

// ReadSnapshot reads the snapshot of statePath, its jobs sorted by Order.
func ReadSnapshot(statePath string) (Snapshot, error) {
	path := SnapshotPath(statePath)
	raw, err := os.ReadFile(path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read snapshot %q: %w", path, err)
	}

	var snap Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return Snapshot{}, fmt.Errorf("decode snapshot %q: %w", path, err)
	}
	SortJobs(snap.Jobs)
	return snap, nil
}

// Loaded is a state file's content as Load read it.
type Loaded struct {
	Run  Run
	Jobs []Job
	// FromSnapshot is true when the file was locked by a running dsclone and
	// its snapshot was read instead; SnapshotAge says how old it was and
	// Holder who holds the file.
	FromSnapshot bool
	SnapshotAge  time.Duration
	Holder       *LockedError
}

// Load reads the run and jobs of the state file at path, for commands that
// only look. It opens the file read-only; when another process holds it, it
// reads the snapshot that process publishes. A missing file is an error
// matching ErrNoRun; a locked file without a snapshot is the *LockedError.
func Load(path string) (Loaded, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return Loaded{}, fmt.Errorf("%w at %q: start one with `dsclone run MANIFEST`, "+
			"or give the state file with --state", ErrNoRun, path)
	}

	s, err := Open(path, Options{ReadOnly: true, LockTimeout: loadLockTimeout})
	var locked *LockedError
	if errors.As(err, &locked) {
		return loadSnapshot(path, locked)
	}
	if err != nil {
		return Loaded{}, err
	}
	defer s.Close()

	run, _, err := s.Run()
	if err != nil {
		return Loaded{}, err
	}
	jobs, err := s.Jobs()
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Run: run, Jobs: jobs}, nil
}

// loadSnapshot is Load for a state file that another process holds.
func loadSnapshot(path string, locked *LockedError) (Loaded, error) {
	snap, err := ReadSnapshot(path)
	if errors.Is(err, os.ErrNotExist) {
		return Loaded{}, fmt.Errorf("%w; it has published no snapshot yet, try again in a "+
			"few seconds", locked)
	}
	if err != nil {
		return Loaded{}, fmt.Errorf("%w; %w", locked, err)
	}

	return Loaded{
		Run:          snap.Run,
		Jobs:         snap.Jobs,
		FromSnapshot: true,
		SnapshotAge:  max(time.Since(snap.WrittenAt), 0),
		Holder:       locked,
	}, nil
}
