package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsclone/dsclone/manifest"
	"github.com/dsclone/dsclone/runner"
	"github.com/dsclone/dsclone/simulator"
	"github.com/dsclone/dsclone/store"
)

func TestRunFlagsParseIntoOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    runner.Options
		wantErr string
	}{
		{
			name: "defaults",
			want: runner.Options{LaneKey: "asset-group", LaneWidth: 1, PollInterval: 15 * time.Second,
				GraceWindow: 5 * time.Minute, DrainTimeout: 10 * time.Minute},
		},
		{
			name: "every knob",
			args: []string{"--lane-key", "source-account", "--lane-width", "2", "--max-lanes", "5",
				"--poll-interval", "3s", "--grace-window", "1m", "--drain-timeout", "30s",
				"--retry-failed", "--resubmit-unknown"},
			want: runner.Options{LaneKey: "source-account", LaneWidth: 2, MaxLanes: 5, PollInterval: 3 * time.Second,
				GraceWindow: time.Minute, DrainTimeout: 30 * time.Second, RetryFailed: true, ResubmitUnknown: true},
		},
		{
			name: "simulate polls at the pace of the simulated clones",
			args: []string{"--simulate", "--sim-clone-time", "1s"},
			want: runner.Options{LaneKey: "asset-group", LaneWidth: 1, PollInterval: 100 * time.Millisecond,
				MinPollInterval: 25 * time.Millisecond, GraceWindow: 10 * time.Second, DrainTimeout: 10 * time.Minute},
		},
		{name: "unknown lane key", args: []string{"--lane-key", "country"}, wantErr: "--lane-key"},
		{name: "lane width zero", args: []string{"--lane-width", "0"}, wantErr: "--lane-width"},
		{name: "negative max lanes", args: []string{"--max-lanes", "-1"}, wantErr: "--max-lanes"},
		{name: "zero poll interval", args: []string{"--poll-interval", "0s"}, wantErr: "--poll-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runFlags{}
			cmd := newRunCmdWith(&app{}, f)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
			err := f.check()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || codeOf(err) != exitUsage {
					t.Fatalf("err = %v (code %d), want a usage error naming %s", err, codeOf(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.runnerOptions()
			if got.LaneKey != tt.want.LaneKey || got.LaneWidth != tt.want.LaneWidth || got.MaxLanes != tt.want.MaxLanes ||
				got.PollInterval != tt.want.PollInterval || got.MinPollInterval != tt.want.MinPollInterval ||
				got.GraceWindow != tt.want.GraceWindow || got.DrainTimeout != tt.want.DrainTimeout ||
				got.RetryFailed != tt.want.RetryFailed || got.ResubmitUnknown != tt.want.ResubmitUnknown {
				t.Errorf("options = %+v\nwant      %+v", got, tt.want)
			}
		})
	}
}

// copySample copies a sample manifest into a fresh folder, so that the state
// and results files land there.
func copySample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExitCodes(t *testing.T) {
	valid := copySample(t, "manifest.csv")
	invalid := copySample(t, "invalid.csv")
	locked := copySample(t, "manifest.csv")
	st, err := store.Open(locked+".simulated.dsclone.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	tests := []struct {
		name       string
		args       []string
		want       int
		stderrHas  string
		stdoutNone bool
	}{
		{name: "no such command", args: []string{"clone"}, want: exitUsage, stderrHas: "unknown command"},
		{name: "unknown flag", args: []string{"run", "--fast", valid}, want: exitUsage, stderrHas: "--fast"},
		{name: "missing argument", args: []string{"run"}, want: exitUsage, stderrHas: "arg"},
		{name: "missing manifest", args: []string{"run", "--simulate", "nope.csv"}, want: exitUsage, stderrHas: "nope.csv"},
		{name: "bad log level", args: []string{"version", "--log-level", "loud"}, want: exitUsage, stderrHas: "--log-level"},
		{name: "invalid manifest", args: []string{"run", "--simulate", invalid}, want: exitInvalid, stderrHas: "\"USA\" is an ISO 3166-1 alpha-3 code", stdoutNone: true},
		{name: "locked state file", args: []string{"run", "--simulate", locked}, want: exitLocked, stderrHas: "pid", stdoutNone: true},
		{name: "every row completed", args: []string{"run", "--simulate", "--sim-clone-time", "100ms", valid}, want: exitOK,
			stderrHas: "16 completed", stdoutNone: true},
		{name: "missing credentials", args: []string{"accounts", "--org", "x"}, want: exitUsage, stderrHas: "DOCUSIGN_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"DOCUSIGN_ACCESS_TOKEN", "DOCUSIGN_INTEGRATION_KEY", "DOCUSIGN_USER_ID", "DOCUSIGN_PRIVATE_KEY_FILE"} {
				t.Setenv(k, "")
			}
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, stderr)
			}
			if tt.stdoutNone && stdout != "" {
				t.Errorf("stdout should be empty, got:\n%s", stdout)
			}
		})
	}
}

func TestRunSomeRowsFailExitsOne(t *testing.T) {
	path := copySample(t, "manifest.csv")
	m, err := manifest.Read(path, manifest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The organization knows every source account but the first row's.
	var sources []simulator.Source
	for _, r := range m.Rows[1:] {
		sources = append(sources, simulator.Source{AccountID: r.SourceAccountID, AssetGroupID: r.AssetGroupID, AdminEmail: r.AdminEmail})
	}
	if m.Rows[0].SourceAccountID == m.Rows[1].SourceAccountID {
		t.Skip("sample's first two rows share a source account")
	}
	sim, err := simulator.New(simulator.Options{CloneTime: 50 * time.Millisecond, Org: simulator.OrgFromSources(sources)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	creds := sim.Credentials()
	t.Setenv("DOCUSIGN_ACCESS_TOKEN", creds.AccessToken)

	code, stdout, stderr := runCLI(t, "run", "--base-url", sim.BaseURL(), "--auth-url", sim.AuthURL(),
		"--org", creds.OrgID, "--poll-interval", "20ms", path)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d\n%s", code, exitIncomplete, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "--retry-failed") {
		t.Errorf("want the next step on stderr and nothing on stdout; stdout=%q stderr=%s", stdout, stderr)
	}
	if strings.Contains(stderr, creds.AccessToken) {
		t.Error("the access token reached stderr")
	}

	// status --json prints only JSON on stdout.
	code, stdout, _ = runCLI(t, "status", "--json", path)
	var status struct {
		Counts map[string]int `json:"counts"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &status) != nil {
		t.Fatalf("status --json: exit %d, stdout %q", code, stdout)
	}
	if status.Counts["failed"] != 1 || status.Counts["completed"] != len(m.Rows)-1 {
		t.Errorf("counts = %v", status.Counts)
	}
}
