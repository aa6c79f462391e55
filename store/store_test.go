package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dsclone/dsclone/manifest"
)

// statePath returns a state file path in a fresh temporary folder.
func statePath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "m.csv.dsclone.db")
}

// openStore opens a read-write store at path, closed when the test ends.
func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newJob returns a job for manifest line order+1 in the given state.
func newJob(key string, order int, state State) Job {
	return Job{
		Key:   key,
		Order: order,
		Lane:  "ag-" + key,
		State: state,
		Row: manifest.Row{
			Line:              order + 2,
			SourceAccountID:   "src-" + key,
			TargetAccountName: "Target " + key,
			AdminEmail:        key + "@example.com",
			Values:            []string{"src-" + key, "Target " + key},
		},
		InManifest: true,
	}
}

// addJobs records jobs in s, failing the test on error.
func addJobs(t *testing.T, s *Store, jobs ...Job) {
	t.Helper()
	if err := s.AddJobs(jobs); err != nil {
		t.Fatalf("AddJobs: %v", err)
	}
}

// mustJob returns the job with key, failing the test when it is missing.
func mustJob(t *testing.T, s *Store, key string) Job {
	t.Helper()
	j, ok, err := s.Job(key)
	if err != nil || !ok {
		t.Fatalf("Job(%q) = %v, %v", key, ok, err)
	}
	return j
}

func TestOpenCreatesFileWithMode0600(t *testing.T) {
	path := statePath(t)
	s := openStore(t, path)

	for _, p := range []string{path, LockPath(path)} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %q: %v", p, err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %q = %v, want 0600", p, got)
		}
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check on a new file: %v", err)
	}
}

func TestOpenInitialisesEmptyFile(t *testing.T) {
	path := statePath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	if _, ok, err := s.Run(); ok || err != nil {
		t.Errorf("Run() on an empty file = %v, %v; want false, nil", ok, err)
	}
	jobs, err := s.Jobs()
	if err != nil || len(jobs) != 0 {
		t.Errorf("Jobs() on an empty file = %v, %v; want none", jobs, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
		wantIs  error
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				writeRaw(t, path, bucketMeta, keySchema, []byte("99"))
			},
			want:   "schema 99",
			wantIs: ErrNewerSchema,
		},
		{
			name: "unreadable schema",
			prepare: func(t *testing.T, path string) {
				writeRaw(t, path, bucketMeta, keySchema, []byte("one"))
			},
			want: `bad value "one"`,
		},
		{
			name: "not a state file",
			prepare: func(t *testing.T, path string) {
				data := []byte(strings.Repeat("source_account_id,target_account_name\n", 200))
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "open state file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := statePath(t)
			tt.prepare(t, path)

			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					_ = s.Close()
					t.Fatalf("Open(ReadOnly=%v) succeeded, want an error", ro)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Open(ReadOnly=%v) error %q does not contain %q", ro, err, tt.want)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("Open(ReadOnly=%v) error %q is not %v", ro, err, tt.wantIs)
				}
			}
		})
	}
}

// writeRaw puts key=value in bucket of a bbolt file, bypassing the store.
func writeRaw(t *testing.T, path string, bucket, key, value []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put(key, value)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunRoundTripAndReopen(t *testing.T) {
	path := statePath(t)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}

	want := Run{
		ID:           "run-1",
		ManifestPath: "m.csv",
		Headers:      []string{"a", "b"},
		OrgID:        "org",
		Env:          "demo",
		StartedAt:    time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Sessions:     1,
	}
	if err := s.PutRun(want); err != nil {
		t.Fatalf("PutRun: %v", err)
	}
	addJobs(t, s, newJob("b", 1, Queued), newJob("a", 0, Queued))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock sidecar still there after Close: %v", err)
	}

	s = openStore(t, path)
	got, ok, err := s.Run()
	if err != nil || !ok {
		t.Fatalf("Run() after reopen = %v, %v", ok, err)
	}
	if got.ID != want.ID || !got.StartedAt.Equal(want.StartedAt) || len(got.Headers) != 2 {
		t.Errorf("Run() = %+v, want %+v", got, want)
	}
	jobs, err := s.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Key != "a" || jobs[1].Key != "b" {
		t.Errorf("Jobs() = %v, want a then b (by Order)", keys(jobs))
	}
}

func keys(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Key)
	}
	return out
}

func TestAddJobs(t *testing.T) {
	tests := []struct {
		name    string
		jobs    []Job
		wantErr string
	}{
		{name: "valid", jobs: []Job{newJob("a", 0, Queued), newJob("b", 1, Failed)}},
		{name: "empty key", jobs: []Job{newJob("a", 0, Queued), newJob("", 1, Queued)},
			wantErr: "empty key"},
		{name: "unknown state", jobs: []Job{newJob("a", 0, Queued), newJob("b", 1, "done")},
			wantErr: `unknown state "done"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, statePath(t))

			err := s.AddJobs(tt.jobs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AddJobs error = %v, want %q", err, tt.wantErr)
				}
				if jobs, _ := s.Jobs(); len(jobs) != 0 {
					t.Errorf("AddJobs failed but wrote %v", keys(jobs))
				}
				return
			}
			if err != nil {
				t.Fatalf("AddJobs: %v", err)
			}
			if jobs, _ := s.Jobs(); len(jobs) != len(tt.jobs) {
				t.Errorf("Jobs() = %v, want %d jobs", keys(jobs), len(tt.jobs))
			}
			if log, _ := s.Transitions(""); len(log) != 0 {
				t.Errorf("AddJobs logged %d transitions, want none", len(log))
			}
		})
	}
}

func TestAddJobsOverwrites(t *testing.T) {
	s := openStore(t, statePath(t))
	addJobs(t, s, newJob("a", 0, Queued))

	j := newJob("a", 5, Failed)
	j.LastError = "source account not found"
	addJobs(t, s, j)

	got := mustJob(t, s, "a")
	if got.State != Failed || got.Order != 5 || got.LastError != j.LastError {
		t.Errorf("job after overwrite = %+v", got)
	}
	if _, ok, err := s.Job("missing"); ok || err != nil {
		t.Errorf("Job(missing) = %v, %v; want false, nil", ok, err)
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	path := statePath(t)
	s := openStore(t, path)
	addJobs(t, s, newJob("a", 0, Queued))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	defer ro.Close()
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open wrote a lock sidecar")
	}
	if err := ro.PutRun(Run{ID: "x"}); err == nil {
		t.Error("PutRun on a read-only store succeeded")
	}
	if _, err := ro.Apply(Change{Key: "a", To: Submitting}); err == nil {
		t.Error("Apply on a read-only store succeeded")
	}
	if got := mustJob(t, ro, "a"); got.State != Queued {
		t.Errorf("state = %s, want queued", got.State)
	}
}

func TestCountJobs(t *testing.T) {
	c := CountJobs([]Job{newJob("a", 0, Queued), newJob("b", 1, Queued), newJob("c", 2, Failed)})

	for _, s := range States {
		if _, ok := c[s]; !ok {
			t.Errorf("CountJobs has no key %q", s)
		}
	}
	if c[Queued] != 2 || c[Failed] != 1 || c[Completed] != 0 || c.Total() != 3 {
		t.Errorf("CountJobs = %v", c)
	}

	raw, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"queued":2,"submitting":0,"in_flight":0,"unknown":0,"completed":0,"failed":1,` +
		`"needs_review":0}`
	if string(raw) != want {
		t.Errorf("Counts JSON = %s, want %s", raw, want)
	}
}
