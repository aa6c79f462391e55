package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSnapshotRoundTrip(t *testing.T) {
	path := statePath(t)
	run := Run{ID: "r1", OrgID: "org"}
	jobs := []Job{newJob("b", 1, InFlight), newJob("a", 0, Completed)}

	for range 2 { // the second write replaces the first
		if err := WriteSnapshot(path, run, jobs); err != nil {
			t.Fatalf("WriteSnapshot: %v", err)
		}
	}

	info, err := os.Stat(SnapshotPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("snapshot mode = %v, want 0600", got)
	}
	if SnapshotPath(path) != path+".snapshot.json" {
		t.Errorf("SnapshotPath = %q", SnapshotPath(path))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d files after two snapshots, want 1 (no temp left)", len(entries))
	}

	snap, err := ReadSnapshot(path)
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if snap.Run.ID != "r1" || len(snap.Jobs) != 2 || snap.Jobs[0].Key != "a" {
		t.Errorf("snapshot = %+v, want run r1 and jobs a, b", snap)
	}
	if time.Since(snap.WrittenAt) < 0 || snap.WrittenAt.IsZero() {
		t.Errorf("WrittenAt = %v", snap.WrittenAt)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr error
		want    func(t *testing.T, l Loaded)
	}{
		{
			name:    "missing file",
			prepare: func(t *testing.T, path string) {},
			wantErr: ErrNoRun,
		},
		{
			name: "unlocked file",
			prepare: func(t *testing.T, path string) {
				s := openStore(t, path)
				if err := s.PutRun(Run{ID: "r1"}); err != nil {
					t.Fatal(err)
				}
				addJobs(t, s, newJob("b", 1, Queued), newJob("a", 0, Failed))
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			},
			want: func(t *testing.T, l Loaded) {
				if l.FromSnapshot || l.Run.ID != "r1" || len(l.Jobs) != 2 || l.Jobs[0].Key != "a" {
					t.Errorf("Load = %+v", l)
				}
			},
		},
		{
			name: "locked, with a snapshot",
			prepare: func(t *testing.T, path string) {
				s := openStore(t, path)
				addJobs(t, s, newJob("a", 0, Queued))
				if err := WriteSnapshot(path, Run{ID: "snap"}, []Job{newJob("a", 0, InFlight)}); err != nil {
					t.Fatal(err)
				}
			},
			want: func(t *testing.T, l Loaded) {
				if !l.FromSnapshot || l.Run.ID != "snap" || l.Holder == nil || l.SnapshotAge < 0 {
					t.Errorf("Load = %+v, want the snapshot", l)
				}
				if len(l.Jobs) != 1 || l.Jobs[0].State != InFlight {
					t.Errorf("Load jobs = %+v", l.Jobs)
				}
			},
		},
		{
			name: "locked, no snapshot yet",
			prepare: func(t *testing.T, path string) {
				openStore(t, path)
			},
			wantErr: ErrLocked,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := statePath(t)
			tt.prepare(t, path)

			l, err := Load(path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("Load error %q does not name the path", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.want(t, l)
		})
	}
}
