package simulator

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Org is the organization a Server serves: its id, its admins' emails and its
// asset group accounts. Its JSON is the file `dsclone sim --org` reads.
type Org struct {
	OrgID    string    `json:"org_id"`
	Admins   []string  `json:"admins"`
	Accounts []Account `json:"accounts"`
}

// Account is one account of an asset group, a possible clone source.
type Account struct {
	AccountID      string `json:"account_id"`
	AccountName    string `json:"account_name"`
	AssetGroupID   string `json:"asset_group_id"`
	AssetGroupName string `json:"asset_group_name"`
	Compliant      bool   `json:"compliant"`
}

// Source is what a manifest row says about its source account.
type Source struct{ AccountID, AssetGroupID, AdminEmail string }

// OrgFromSources learns an organization from manifest rows: every source
// account compliant, in the row's asset group or (when empty) one of its own
// derived from the account id; every admin email an org admin. The org id is
// derived from the account ids, so the same rows give the same organization.
// An account id that is not a GUID is left out (the server refuses it anyway),
// and an asset group id that is not a GUID is replaced by a derived one, so
// that New always accepts the result.
func OrgFromSources(sources []Source) Org {
	var org Org
	seenAccount := map[string]bool{}
	seenAdmin := map[string]bool{}

	for _, src := range sources {
		id := strings.ToLower(strings.TrimSpace(src.AccountID))
		if isGUID(id) && !seenAccount[id] {
			seenAccount[id] = true
			group := strings.ToLower(strings.TrimSpace(src.AssetGroupID))
			if !isGUID(group) {
				group = ""
			}
			org.Accounts = append(org.Accounts, Account{AccountID: id, AssetGroupID: group, Compliant: true})
		}

		email := strings.ToLower(strings.TrimSpace(src.AdminEmail))
		if email != "" && !seenAdmin[email] {
			seenAdmin[email] = true
			org.Admins = append(org.Admins, email)
		}
	}
	return org.normalized()
}

// LoadOrg reads an organization from a JSON file shaped like Org. Empty ids
// and names are derived as in OrgFromSources.
func LoadOrg(path string) (Org, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Org{}, fmt.Errorf("read organization file: %w", err)
	}

	var org Org
	if err := json.Unmarshal(data, &org); err != nil {
		return Org{}, fmt.Errorf("parse organization file %q: %w", path, err)
	}

	org = org.normalized()
	if err := org.validate(); err != nil {
		return Org{}, fmt.Errorf("organization file %q: %w", path, err)
	}
	return org, nil
}

// DefaultOrg is a small organization: six compliant accounts in three asset
// groups, one account that is not compliant, and one admin.
func DefaultOrg() Org {
	org := Org{Admins: []string{"admin@example.com"}}
	groups := []string{"Retail", "Wholesale", "Partners"}
	for i := range 7 {
		group := groups[i%len(groups)]
		org.Accounts = append(org.Accounts, Account{
			AccountID:      derivedGUID(fmt.Sprintf("default-account-%d", i)),
			AccountName:    fmt.Sprintf("%s template %d", group, i/len(groups)+1),
			AssetGroupID:   derivedGUID("default-group-" + group),
			AssetGroupName: group,
			Compliant:      i != 6,
		})
	}
	return org.normalized()
}

// normalized fills the empty ids and names and lowercases ids and emails.
func (o Org) normalized() Org {
	out := Org{OrgID: strings.ToLower(strings.TrimSpace(o.OrgID))}
	for _, admin := range o.Admins {
		out.Admins = append(out.Admins, strings.ToLower(strings.TrimSpace(admin)))
	}

	ids := make([]string, 0, len(o.Accounts))
	for _, acc := range o.Accounts {
		acc.AccountID = strings.ToLower(strings.TrimSpace(acc.AccountID))
		acc.AssetGroupID = strings.ToLower(strings.TrimSpace(acc.AssetGroupID))
		if acc.AssetGroupID == "" {
			acc.AssetGroupID = derivedGUID("asset-group:" + acc.AccountID)
		}
		if acc.AccountName == "" {
			acc.AccountName = "Account " + shortID(acc.AccountID)
		}
		if acc.AssetGroupName == "" {
			acc.AssetGroupName = "Asset group " + shortID(acc.AssetGroupID)
		}
		out.Accounts = append(out.Accounts, acc)
		ids = append(ids, acc.AccountID)
	}

	if out.OrgID == "" {
		sort.Strings(ids)
		out.OrgID = derivedGUID("org:" + strings.Join(ids, ","))
	}
	return out
}

// validate checks that the ids are GUIDs and that no account appears twice.
func (o Org) validate() error {
	if !isGUID(o.OrgID) {
		return fmt.Errorf("org_id %q is not a GUID", o.OrgID)
	}

	seen := map[string]bool{}
	for i, acc := range o.Accounts {
		switch {
		case !isGUID(acc.AccountID):
			return fmt.Errorf("accounts[%d]: account_id %q is not a GUID", i, acc.AccountID)
		case !isGUID(acc.AssetGroupID):
			return fmt.Errorf("accounts[%d]: asset_group_id %q is not a GUID", i, acc.AssetGroupID)
		case seen[acc.AccountID]:
			return fmt.Errorf("accounts[%d]: account_id %s appears twice", i, acc.AccountID)
		}
		seen[acc.AccountID] = true
	}
	return nil
}

// derivedGUID makes a GUID-shaped id from a hash of seed.
func derivedGUID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return formatGUID(sum[:16])
}

// shortID is the first block of a GUID, for generated names.
func shortID(id string) string {
	if before, _, ok := strings.Cut(id, "-"); ok {
		return before
	}
	return id
}
