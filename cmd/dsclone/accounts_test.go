package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/simulator"
)

func TestAccountsCommand(t *testing.T) {
	sim, err := simulator.New(simulator.Options{CloneTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	creds := sim.Credentials()
	hosts := []string{"--base-url", sim.BaseURL(), "--auth-url", sim.AuthURL()}

	tests := []struct {
		name       string
		args       []string
		token      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"table with the only org picked", append([]string{"accounts", "--log-format", "json"}, hosts...),
			creds.AccessToken, exitOK, "ACCOUNT ID", "using the user's only organization"},
		{"json", append([]string{"accounts", "--json", "--org", creds.OrgID}, hosts...),
			creds.AccessToken, exitOK, `"asset_group_id"`, ""},
		{"missing credential", append([]string{"accounts"}, hosts...),
			"", exitUsage, "", docusign.EnvIntegrationKey},
		{"unknown org", append([]string{"accounts", "--org", "not-an-org"}, hosts...),
			creds.AccessToken, exitIncomplete, "", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, env := range []string{docusign.EnvIntegrationKey, docusign.EnvUserID,
				docusign.EnvPrivateKeyFile, docusign.EnvOrgID} {
				t.Setenv(env, "")
			}
			t.Setenv(docusign.EnvAccessToken, tt.token)

			var stdout, stderr bytes.Buffer
			code := execute(tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q and %q", stdout.String(), stderr.String(),
					tt.wantStdout, tt.wantStderr)
			}
			if strings.Contains(stdout.String()+stderr.String(), creds.AccessToken) {
				t.Error("the access token was printed")
			}
		})
	}
}

func TestAccountsJSONIsAList(t *testing.T) {
	var stdout bytes.Buffer
	a := &app{stdout: &stdout}
	accounts := []docusign.AssetGroupAccount{{AccountID: "a", AccountName: "=cmd", AssetGroupID: "g"}}
	if err := printAccountsJSON(a, accounts); err != nil {
		t.Fatal(err)
	}
	var got []docusign.AssetGroupAccount
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || len(got) != 1 || got[0] != accounts[0] {
		t.Errorf("printed %s (%v)", stdout.String(), err)
	}
}
