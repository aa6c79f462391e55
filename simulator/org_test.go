package simulator

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOrgFromSources(t *testing.T) {
	sources := []Source{
		{AccountID: strings.ToUpper(accOne), AssetGroupID: groupOne, AdminEmail: "A@Example.com"},
		{AccountID: accTwo, AdminEmail: "b@example.com"},
		{AccountID: accOne, AssetGroupID: groupTwo, AdminEmail: "a@example.com"},
		{AccountID: "not a guid", AdminEmail: "a@example.com"},
		{AccountID: accThree, AssetGroupID: "group 7", AdminEmail: ""},
	}
	org := OrgFromSources(sources)

	if len(org.Accounts) != 3 || len(org.Admins) != 2 {
		t.Fatalf("org %+v: want 3 accounts and 2 admins", org)
	}
	if org.Accounts[0].AccountID != accOne || org.Accounts[0].AssetGroupID != groupOne {
		t.Errorf("first account %+v: want the first row's asset group", org.Accounts[0])
	}
	for _, acc := range org.Accounts[1:] {
		if !isGUID(acc.AssetGroupID) || acc.AssetGroupID == groupOne {
			t.Errorf("account %s: derived asset group %q", acc.AccountID, acc.AssetGroupID)
		}
	}
	for _, acc := range org.Accounts {
		if !acc.Compliant || acc.AccountName == "" || acc.AssetGroupName == "" {
			t.Errorf("account %+v: want compliant and named", acc)
		}
	}
	if org.Admins[0] != "a@example.com" {
		t.Errorf("admins %v: want lowercase", org.Admins)
	}
	if again := OrgFromSources(sources); !reflect.DeepEqual(org, again) || !isGUID(org.OrgID) {
		t.Errorf("not deterministic: %+v and %+v", org, again)
	}
	if err := org.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestLoadOrg(t *testing.T) {
	tests := []struct {
		name, json, err string
	}{
		{"full", `{"org_id":"` + testOrgID + `","admins":["A@example.com"],"accounts":[{"account_id":"` +
			accOne + `","account_name":"One","asset_group_id":"` + groupOne +
			`","asset_group_name":"G","compliant":true}]}`, ""},
		{"derived ids", `{"accounts":[{"account_id":"` + accOne + `","compliant":true}]}`, ""},
		{"bad account id", `{"accounts":[{"account_id":"one"}]}`, "not a GUID"},
		{"bad org id", `{"org_id":"org","accounts":[]}`, "org_id"},
		{"account twice", `{"accounts":[{"account_id":"` + accOne + `"},{"account_id":"` + accOne + `"}]}`,
			"appears twice"},
		{"not JSON", `{`, "parse organization file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "org.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}

			org, err := LoadOrg(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !isGUID(org.OrgID) || len(org.Accounts) != 1 || !isGUID(org.Accounts[0].AssetGroupID) {
				t.Errorf("org %+v", org)
			}
		})
	}

	if _, err := LoadOrg(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestDefaultOrg(t *testing.T) {
	org := DefaultOrg()
	if err := org.validate(); err != nil {
		t.Fatal(err)
	}
	compliant, groups := 0, map[string]bool{}
	for _, acc := range org.Accounts {
		groups[acc.AssetGroupID] = true
		if acc.Compliant {
			compliant++
		}
	}
	if compliant < 3 || len(groups) < 2 || len(org.Admins) != 1 {
		t.Errorf("default org %+v", org)
	}

	srv, err := New(Options{PrivateKey: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Credentials().OrgID != org.OrgID {
		t.Errorf("New without an org serves %s, want the default org", srv.Credentials().OrgID)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		err  string
	}{
		{"spread over time", Options{CloneTime: time.Second, CloneSpread: 2 * time.Second}, "spread"},
		{"lane key", Options{LaneKey: "region"}, "lane key"},
		{"lane width", Options{LaneWidth: -1}, "lane width"},
		{"busy status", Options{BusyStatus: 200}, "busy status"},
		{"limit status", Options{LimitStatus: 302}, "limit status"},
		{"fault name", Options{Faults: map[string]float64{"fire": 0.1}}, "unknown"},
		{"fault rate", Options{Faults: map[string]float64{Fault500: 2}}, "between 0 and 1"},
		{"bad org", Options{Org: Org{OrgID: "x", Accounts: []Account{{AccountID: accOne}}}}, "GUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.PrivateKey = testKey()
			if _, err := New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}
