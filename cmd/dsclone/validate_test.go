package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsclone/dsclone/manifest"
)

func TestValidateCommand(t *testing.T) {
	valid := copySample(t, "manifest.csv")
	invalid := copySample(t, "invalid.csv")

	tests := []struct {
		name      string
		args      []string
		want      int
		stdoutHas []string
	}{
		{name: "valid manifest", args: []string{"validate", "--env", "demo", valid}, want: exitOK,
			stdoutHas: []string{"16 rows", "0 errors", "valid"}},
		{name: "invalid manifest lists each problem with row and column", args: []string{"validate", invalid},
			want: exitInvalid, stdoutHas: []string{"ROW", "COLUMN", "country_code", `"USA"`, "12 errors"}},
		{name: "missing file", args: []string{"validate", filepath.Join(t.TempDir(), "none.csv")}, want: exitUsage},
		{name: "bad environment", args: []string{"validate", "--env", "staging", valid}, want: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, stdout, stderr)
			}
			for _, s := range tt.stdoutHas {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	code, stdout, _ := runCLI(t, "validate", "--json", copySample(t, "invalid.csv"))
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	var rep struct {
		Rows     int                `json:"rows"`
		Errors   int                `json:"errors"`
		Problems []manifest.Problem `json:"problems"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if rep.Errors == 0 || len(rep.Problems) < rep.Errors {
		t.Fatalf("report = %+v", rep)
	}
	for _, p := range rep.Problems {
		if p.Line < 2 || p.Column == "" || p.Message == "" {
			t.Errorf("problem without row, column or message: %+v", p)
		}
	}
}

func TestTemplateCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customers.xlsx")
	if code, _, stderr := runCLI(t, "template", "-o", path); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := manifest.Read(path, manifest.ReadOptions{})
	if err != nil {
		t.Fatalf("the template is not a readable manifest: %v", err)
	}
	if len(m.Rows) != 0 || len(m.Headers) < len(manifest.RequiredColumns) {
		t.Errorf("template: %d rows, headers %v", len(m.Rows), m.Headers)
	}

	before, _ := os.ReadFile(path)
	code, _, stderr := runCLI(t, "template", "-o", path)
	after, _ := os.ReadFile(path)
	if code != exitUsage || !strings.Contains(stderr, "--force") || string(before) != string(after) {
		t.Errorf("overwriting without --force: exit %d, stderr %q, file changed %v", code, stderr, string(before) != string(after))
	}
	if code, _, stderr := runCLI(t, "template", "-o", path, "--force"); code != exitOK {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
}
