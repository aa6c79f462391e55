package manifest

import (
	"fmt"
	"strings"
	"unicode"
)

// Canonical column names. A manifest header matches one of them when it equals
// the name or one of its aliases, ignoring case, spaces, underscores, hyphens
// and other punctuation.
const (
	ColSourceAccountID   = "source_account_id"
	ColTargetAccountName = "target_account_name"
	ColAdminFirstName    = "admin_first_name"
	ColAdminLastName     = "admin_last_name"
	ColAdminEmail        = "admin_email"
	ColCountryCode       = "country_code"
	ColRegion            = "region"
	ColAssetGroupID      = "asset_group_id"
	ColAdminLocale       = "admin_locale"
)

// Columns lists the canonical columns in the order the template writes them.
var Columns = []string{
	ColSourceAccountID,
	ColTargetAccountName,
	ColAdminFirstName,
	ColAdminLastName,
	ColAdminEmail,
	ColCountryCode,
	ColRegion,
	ColAssetGroupID,
	ColAdminLocale,
}

// RequiredColumns lists the columns every manifest must have. Besides them, a
// manifest needs a country_code column, a region column, or both.
var RequiredColumns = []string{
	ColSourceAccountID,
	ColTargetAccountName,
	ColAdminFirstName,
	ColAdminLastName,
	ColAdminEmail,
}

// columnAliases lists, for each canonical column, the header spellings it
// accepts, already folded by headerKey.
var columnAliases = map[string][]string{
	ColSourceAccountID: {
		"sourceaccountid", "sourceaccount", "sourceaccountguid", "sourceid",
		"sourceguid", "source", "fromaccountid", "fromaccount",
	},
	ColTargetAccountName: {
		"targetaccountname", "targetname", "targetaccount", "accountname",
		"newaccountname", "newaccount", "newname",
	},
	ColAdminFirstName: {
		"adminfirstname", "firstname", "adminfirst", "admingivenname", "givenname",
	},
	ColAdminLastName: {
		"adminlastname", "lastname", "adminlast", "adminsurname", "surname",
		"adminfamilyname", "familyname",
	},
	ColAdminEmail: {
		"adminemail", "email", "emailaddress", "adminemailaddress", "adminmail", "mail",
	},
	ColCountryCode: {
		"countrycode", "country", "admincountry", "admincountrycode", "countryiso",
		"isocountrycode",
	},
	ColRegion: {"region", "dataregion", "regioncode", "accountregion"},
	ColAssetGroupID: {
		"assetgroupid", "assetgroup", "assetgroupguid",
	},
	ColAdminLocale: {
		"adminlocale", "locale", "language", "adminlanguage", "lang",
	},
}

// aliasIndex maps a folded header to its canonical column.
var aliasIndex = func() map[string]string {
	idx := make(map[string]string)
	for col, aliases := range columnAliases {
		for _, a := range aliases {
			idx[a] = col
		}
	}
	return idx
}()

// headerKey folds a header for matching: lower case, letters and digits only.
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CanonicalColumn returns the canonical column a header names, and false when
// the header is not one of the known columns.
func CanonicalColumn(header string) (string, bool) {
	col, ok := aliasIndex[headerKey(header)]
	return col, ok
}

// matchColumns maps each canonical column to its index in headers. A canonical
// column named twice, or a required column missing, is an error that lists the
// headers found and the names expected.
func matchColumns(headers []string) (map[string]int, error) {
	cols := make(map[string]int)
	for i, h := range headers {
		col, ok := CanonicalColumn(h)
		if !ok {
			continue
		}
		if j, dup := cols[col]; dup {
			return nil, fmt.Errorf("columns %q (%s) and %q (%s) both mean %s: keep one of them",
				headers[j], columnLetter(j), h, columnLetter(i), col)
		}
		cols[col] = i
	}

	var missing []string
	for _, col := range RequiredColumns {
		if _, ok := cols[col]; !ok {
			missing = append(missing, col)
		}
	}
	_, hasCountry := cols[ColCountryCode]
	_, hasRegion := cols[ColRegion]
	if !hasCountry && !hasRegion {
		missing = append(missing, ColCountryCode+" or "+ColRegion)
	}
	if len(missing) > 0 {
		return nil, &MissingColumnsError{Missing: missing, Found: nonEmpty(headers)}
	}
	return cols, nil
}

// MissingColumnsError is the error for a header row that lacks required columns.
type MissingColumnsError struct {
	Missing []string // canonical names not found
	Found   []string // the non-empty headers of the file, as written
}

func (e *MissingColumnsError) Error() string {
	found := "none"
	if len(e.Found) > 0 {
		found = quoteList(e.Found)
	}
	return fmt.Sprintf("missing required columns %s; the header row has %s; expected columns: %s",
		strings.Join(e.Missing, ", "), found, strings.Join(Columns, ", "))
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func nonEmpty(items []string) []string {
	var out []string
	for _, s := range items {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// columnLetter returns the spreadsheet letter of a zero-based column index.
func columnLetter(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return "column " + string(b)
}
