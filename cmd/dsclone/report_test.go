package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestReportCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     func(state, dir string) []string
		wantPath func(state, dir string) string
		wantText string // a part of the written file, for text formats
	}{
		{
			name:     "xlsx beside the state file",
			args:     func(state, _ string) []string { return []string{"report", "--state", state} },
			wantPath: func(state, _ string) string { return strings.TrimSuffix(state, ".dsclone.db") + ".results.xlsx" },
		},
		{
			name:     "csv with the format's extension",
			args:     func(state, _ string) []string { return []string{"report", "--state", state, "--format", "csv"} },
			wantPath: func(state, _ string) string { return strings.TrimSuffix(state, ".dsclone.db") + ".results.csv" },
			wantText: "acct-9",
		},
		{
			name: "json from the --out extension",
			args: func(state, dir string) []string {
				return []string{"report", "--state", state, "--out", filepath.Join(dir, "r.json")}
			},
			wantPath: func(_, dir string) string { return filepath.Join(dir, "r.json") },
			wantText: `"run_id": "run-42"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := writeStatusFixture(t)
			dir := t.TempDir()

			code, stdout, stderr := runCLI(t, tt.args(state, dir)...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want := tt.wantPath(state, dir)
			if strings.TrimSpace(stdout) != want {
				t.Fatalf("stdout = %q, want the path %q", stdout, want)
			}
			checkReportFile(t, want, tt.wantText)
		})
	}
}

// checkReportFile checks that the report exists and holds want, or opens as
// a workbook when want is empty.
func checkReportFile(t *testing.T, path, want string) {
	t.Helper()
	if want == "" {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatalf("open report %q: %v", path, err)
		}
		f.Close()
		return
	}

	raw, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(raw), want) {
		t.Fatalf("report %q (%v) lacks %q", path, err, want)
	}
}

func TestReportErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no state file", []string{"report", "--state", "/nonexistent/x.dsclone.db"}, exitUsage},
		{"no manifest nor state", []string{"report"}, exitUsage},
		{"unknown format", []string{"report", "--state", "x.db", "--format", "ods"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, stderr := runCLI(t, tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.want, stderr)
			}
		})
	}
}
