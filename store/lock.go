package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked matches, with errors.Is, the error of opening a state file that
// another process holds.
var ErrLocked = errors.New("state file locked by another process")

// LockedError says which process holds a state file. PID is zero and Host
// empty when the holder did not leave its identity (a reader, or a process
// caught between taking the lock and writing its sidecar).
type LockedError struct {
	Path    string
	PID     int
	Host    string
	Started time.Time
}

// Error names the holder and what to do about it.
func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("state file %q is locked by another process: "+
			"wait for it to finish, or use another --state file", e.Path)
	}
	return fmt.Sprintf("state file %q is locked by dsclone pid %d on host %s, running since %s: "+
		"wait for it to finish or stop it, or use another --state file",
		e.Path, e.PID, e.Host, e.Started.Local().Format(time.DateTime))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// holder is the content of the lock sidecar.
type holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// LockPath returns the sidecar where the process holding statePath records
// its identity: "<statePath>.lock".
func LockPath(statePath string) string { return statePath + ".lock" }

// writeHolder records this process as the holder of statePath's lock. A stale
// sidecar left by a killed process is replaced.
func writeHolder(statePath string) error {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}

	h := holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC()}
	raw, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode lock sidecar of %q: %w", statePath, err)
	}
	if err := writeFileAtomic(LockPath(statePath), raw); err != nil {
		return fmt.Errorf("write lock sidecar of %q: %w", statePath, err)
	}
	return nil
}

// lockedError builds the error for a state file held by another process,
// naming the holder when its sidecar can be read.
func lockedError(statePath string) *LockedError {
	e := &LockedError{Path: statePath}

	raw, err := os.ReadFile(LockPath(statePath))
	if err != nil {
		return e
	}
	var h holder
	if json.Unmarshal(raw, &h) != nil {
		return e
	}
	e.PID, e.Host, e.Started = h.PID, h.Host, h.Started
	return e
}

// writeFileAtomic replaces path with data, mode 0600: it writes a temporary
// file in the same folder, syncs it and renames it over path, so that a
// reader sees the old content or the new, never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()

	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}

	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the platform allows it. A
// failure is ignored: the file itself was synced, only its name may be lost.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
