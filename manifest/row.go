// Package manifest reads the spreadsheets that describe the accounts to clone,
// CSV or XLSX, into rows, and checks every row before anything is submitted.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Row is one account to create, as read from the manifest.
type Row struct {
	// Line is the row number the user sees in their spreadsheet (the header is 1).
	Line int `json:"line"`

	SourceAccountID   string `json:"source_account_id"`
	TargetAccountName string `json:"target_account_name"`
	AdminFirstName    string `json:"admin_first_name"`
	AdminLastName     string `json:"admin_last_name"`
	AdminEmail        string `json:"admin_email"`
	CountryCode       string `json:"country_code,omitempty"`
	Region            string `json:"region,omitempty"`
	AssetGroupID      string `json:"asset_group_id,omitempty"`
	AdminLocale       string `json:"admin_locale,omitempty"`

	// Values holds every original cell of the row, in the order of Manifest.Headers,
	// as the user sees it, so that reports can carry unknown columns through.
	Values []string `json:"values"`
}

// Key identifies the account a row asks for: the same source account, target
// name and admin email give the same key in every run, whatever the row order.
func (r Row) Key() string {
	return MatchKey(r.SourceAccountID, r.TargetAccountName, r.AdminEmail)
}

// MatchKey is the key of a (source account, target name, admin email) triple,
// compared without regard to case or surrounding space. A clone found in the
// organization's clone list with the same triple is the clone of that row.
func MatchKey(sourceAccountID, targetName, adminEmail string) string {
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

	h := sha256.New()
	for _, part := range []string{norm(sourceAccountID), strings.TrimSpace(targetName), norm(adminEmail)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Manifest is a read manifest: its headers as written and its non-empty rows.
type Manifest struct {
	Path    string   `json:"path"`
	Format  string   `json:"format"` // "csv" or "xlsx"
	Sheet   string   `json:"sheet,omitempty"`
	Headers []string `json:"headers"`
	// Columns maps each canonical column found (ColSourceAccountID...) to its
	// index in Headers and Row.Values.
	Columns map[string]int `json:"columns,omitempty"`
	Rows    []Row          `json:"rows"`
	// SHA256 is the hex digest of the file's bytes.
	SHA256 string `json:"sha256"`
}
