package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/store"
)

// statusJob returns a job on manifest line line in the given state.
func statusJob(key string, line int, state store.State) store.Job {
	return store.Job{
		Key:        key,
		Order:      line,
		Lane:       "lane-" + key,
		State:      state,
		InManifest: true,
		Row:        manifest.Row{Line: line, TargetAccountName: "Target " + key},
	}
}

// writeStatusFixture records a run of three jobs (completed, failed, in
// flight) in a new state file and returns its path.
func writeStatusFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.csv.dsclone.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	run := store.Run{ID: "run-42", ManifestPath: "m.csv", OrgID: "org-1", Env: "demo",
		StartedAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	if err := s.PutRun(run); err != nil {
		t.Fatal(err)
	}

	done := statusJob("done", 2, store.Completed)
	done.NewAccountID, done.WorkID, done.DocusignStatus = "acct-9", "w-1", "Completed"
	bad := statusJob("bad", 3, store.Failed)
	bad.LastError, bad.Attempts, bad.DocusignStatus = "Invalid\tadmin email", 2, "PermanentFailure"
	busy := statusJob("busy", 4, store.InFlight)
	busy.WorkID = "w-3"
	if err := s.AddJobs([]store.Job{busy, bad, done}); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCLI executes dsclone in-process and returns its exit code and streams.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestStatusJSON(t *testing.T) {
	path := writeStatusFixture(t)

	code, stdout, stderr := runCLI(t, "status", "--state", path, "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}

	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if keys := slices.Sorted(mapKeys(got)); !slices.Equal(keys, []string{"counts", "jobs", "run_id"}) {
		t.Errorf("top-level keys = %v", keys)
	}
	if string(got["run_id"]) != `"run-42"` {
		t.Errorf("run_id = %s", got["run_id"])
	}

	wantCounts := `{"queued":0,"submitting":0,"in_flight":1,"unknown":0,"completed":1,"failed":1,` +
		`"needs_review":0}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, got["counts"]); err != nil {
		t.Fatal(err)
	}
	if compact.String() != wantCounts {
		t.Errorf("counts = %s, want %s", compact.String(), wantCounts)
	}

	var jobs []map[string]any
	if err := json.Unmarshal(got["jobs"], &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want 3", len(jobs))
	}
	wantJobKeys := []string{"attempts", "docusign_status", "key", "lane", "last_error",
		"new_account_id", "row", "state", "target_account_name", "work_id"}
	for _, j := range jobs {
		if keys := slices.Sorted(mapKeys(j)); !slices.Equal(keys, wantJobKeys) {
			t.Errorf("job keys = %v, want %v", keys, wantJobKeys)
		}
	}
	first := jobs[0]
	if first["row"] != 2.0 || first["key"] != "done" || first["new_account_id"] != "acct-9" ||
		first["state"] != "completed" {
		t.Errorf("first job = %v, want row 2 (jobs in manifest order)", first)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestStatusText(t *testing.T) {
	path := writeStatusFixture(t)
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{
			name: "not completed",
			args: []string{"status", "--state", path},
			want: []string{"run-42", "m.csv", "org-1", "demo", "2025-03-0",
				"in_flight 1  unknown 0  completed 1  failed 1", "total 3",
				"ROW", "Target bad", "Invalid admin email", "PermanentFailure", "Target busy"},
			notWant: []string{"Target done"},
		},
		{
			name: "all",
			args: []string{"status", "--state", path, "--all"},
			want: []string{"Target bad", "Target busy", "Target done"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestStatusFromSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv.dsclone.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	jobs := []store.Job{statusJob("a", 2, store.InFlight)}
	if err := store.WriteSnapshot(path, store.Run{ID: "snap-run"}, jobs); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "status", "--state", path, "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, `"snap-run"`) {
		t.Errorf("stdout does not show the snapshot's run:\n%s", stdout)
	}
	for _, w := range []string{"snapshot", "ago", "pid"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "missing state file", args: []string{"status", filepath.Join(dir, "m.csv")},
			wantCode: exitUsage, want: "no run found"},
		{name: "no manifest nor state", args: []string{"status"},
			wantCode: exitUsage, want: "--state"},
		{name: "two arguments", args: []string{"status", "a", "b"},
			wantCode: exitUsage, want: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}
