package manifest

import (
	"strings"
	"testing"
)

func TestCanonicalColumn(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"Admin Email", ColAdminEmail}, {"admin_email", ColAdminEmail}, {"AdminEmail", ColAdminEmail},
		{"Email", ColAdminEmail}, {"E-mail", ColAdminEmail}, {"Source Account", ColSourceAccountID},
		{"Source Account ID", ColSourceAccountID}, {"Account Name", ColTargetAccountName},
		{"New Account Name", ColTargetAccountName}, {"Target Name", ColTargetAccountName},
		{"First Name", ColAdminFirstName}, {"Last Name", ColAdminLastName}, {"Country", ColCountryCode},
		{"Country Code", ColCountryCode}, {"Asset Group", ColAssetGroupID}, {"asset-group-id", ColAssetGroupID},
		{"Locale", ColAdminLocale}, {"Language", ColAdminLocale}, {" REGION ", ColRegion},
		{"Salesforce Opportunity", ""},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, ok := CanonicalColumn(tt.header)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("CanonicalColumn(%q) = %q, %v; want %q", tt.header, got, ok, tt.want)
			}
		})
	}
}

// okRow returns a valid row at line; edit changes it.
func okRow(line int, edit func(r *Row)) Row {
	r := Row{
		Line: line, SourceAccountID: guidA, TargetAccountName: "Acme " + string(rune('A'+line)),
		AdminFirstName: "Ann", AdminLastName: "Lee", AdminEmail: "ann@acme.com", CountryCode: "US",
	}
	if edit != nil {
		edit(&r)
	}
	return r
}

type wantProblem struct {
	line     int
	column   string
	severity Severity
	message  string
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("n", 101)
	tests := []struct {
		name string
		rows []Row
		env  string
		want []wantProblem
	}{
		{name: "valid", rows: []Row{okRow(2, nil), okRow(3, func(r *Row) {
			r.CountryCode, r.Region, r.AssetGroupID, r.AdminLocale = "", "eu", guidB, "pt_br"
		})}},
		{name: "no rows", want: []wantProblem{{0, "", SeverityError, "no rows"}}},
		{name: "source missing", rows: []Row{okRow(2, func(r *Row) { r.SourceAccountID = "" })},
			want: []wantProblem{{2, ColSourceAccountID, SeverityError, "source_account_id is required"}}},
		{name: "source not a guid", rows: []Row{okRow(2, func(r *Row) { r.SourceAccountID = "1234-abcd" })},
			want: []wantProblem{{2, ColSourceAccountID, SeverityError, `"1234-abcd" is not a GUID`}}},
		{name: "source as a number", rows: []Row{okRow(2, func(r *Row) { r.SourceAccountID = "1.23457E+15" })},
			want: []wantProblem{{2, ColSourceAccountID, SeverityError, "format the column as Text"}}},
		{name: "name missing", rows: []Row{okRow(2, func(r *Row) { r.TargetAccountName = "" })},
			want: []wantProblem{{2, ColTargetAccountName, SeverityError, "target_account_name is required"}}},
		{name: "name too long", rows: []Row{okRow(2, func(r *Row) { r.TargetAccountName = long })},
			want: []wantProblem{{2, ColTargetAccountName, SeverityError, "101 characters long; the most is 100"}}},
		{name: "name of 100 accented letters", rows: []Row{okRow(2, func(r *Row) {
			r.TargetAccountName = strings.Repeat("é", 100)
		})}},
		{name: "name with line break", rows: []Row{okRow(2, func(r *Row) { r.TargetAccountName = "a\nb" })},
			want: []wantProblem{{2, ColTargetAccountName, SeverityError, "line break"}}},
		{name: "names missing", rows: []Row{okRow(2, func(r *Row) { r.AdminFirstName, r.AdminLastName = "", "" })},
			want: []wantProblem{
				{2, ColAdminFirstName, SeverityError, "admin first name is required"},
				{2, ColAdminLastName, SeverityError, "admin last name is required"},
			}},
		{name: "email missing", rows: []Row{okRow(2, func(r *Row) { r.AdminEmail = "" })},
			want: []wantProblem{{2, ColAdminEmail, SeverityError, "admin_email is required"}}},
		{name: "email without dot", rows: []Row{okRow(2, func(r *Row) { r.AdminEmail = "a@localhost" })},
			want: []wantProblem{{2, ColAdminEmail, SeverityError, `domain "localhost" is not a full domain`}}},
		{name: "email with name", rows: []Row{okRow(2, func(r *Row) { r.AdminEmail = "Ann <a@b.com>" })},
			want: []wantProblem{{2, ColAdminEmail, SeverityError, "without a name"}}},
		{name: "email two at", rows: []Row{okRow(2, func(r *Row) { r.AdminEmail = "a@b@c.com" })},
			want: []wantProblem{{2, ColAdminEmail, SeverityError, "exactly one @"}}},
		{name: "email garbage", rows: []Row{okRow(2, func(r *Row) { r.AdminEmail = "a(b@c.com" })},
			want: []wantProblem{{2, ColAdminEmail, SeverityError, "does not read as name@domain"}}},
		{name: "no country nor region", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, "one of the two is required"}}},
		{name: "USA", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "USA" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `"USA" is an ISO 3166-1 alpha-3 code; the column takes alpha-2; use "US"`}}},
		{name: "United States", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "United States" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `"United States" is not an ISO 3166-1 alpha-2 code; use "US"`}}},
		{name: "UK", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "UK" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `use "GB"`}}},
		{name: "Great Britain", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "Great Britain" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `use "GB"`}}},
		{name: "Deutschland", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "Deutschland" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `use "DE" (Germany)`}}},
		{name: "lower case accepted", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "fr" })}},
		{name: "unknown country", rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "XX" })},
			want: []wantProblem{{2, ColCountryCode, SeverityError, `"XX" is not an ISO 3166-1 alpha-2 country code`}}},
		{name: "bad region", rows: []Row{okRow(2, func(r *Row) { r.Region = "US" })},
			want: []wantProblem{{2, ColRegion, SeverityError, `"US" is not a region: use one of NA, EU, AU, CA; "US" is a country`}}},
		{name: "region disagrees with country", rows: []Row{okRow(2, func(r *Row) { r.Region = "EU" })},
			want: []wantProblem{{2, ColRegion, SeverityWarning, "region EU is used and country_code US"}}},
		{name: "asset group not a guid", rows: []Row{okRow(2, func(r *Row) { r.AssetGroupID = "group 1" })},
			want: []wantProblem{{2, ColAssetGroupID, SeverityError, `"group 1" is not a GUID`}}},
		{name: "bad locale", rows: []Row{okRow(2, func(r *Row) { r.AdminLocale = "jp" })},
			want: []wantProblem{{2, ColAdminLocale, SeverityError, `"jp" is not a locale the API accepts: use one of None, zh_cn`}}},
		{name: "zh", rows: []Row{okRow(2, func(r *Row) { r.AdminLocale = "zh" })},
			want: []wantProblem{{2, ColAdminLocale, SeverityError, "zh_cn simplified"}}},
		{name: "locale tags accepted", rows: []Row{
			okRow(2, func(r *Row) { r.AdminLocale = "pt-BR" }), okRow(3, func(r *Row) { r.AdminLocale = "en-US" }),
			okRow(4, func(r *Row) { r.AdminLocale = "none" }), okRow(5, func(r *Row) { r.AdminLocale = "German" }),
		}},
		{name: "duplicate row", rows: []Row{okRow(2, nil), okRow(3, nil), okRow(5, func(r *Row) {
			r.TargetAccountName, r.AdminEmail = okRow(2, nil).TargetAccountName+" ", "ANN@acme.com"
		})},
			want: []wantProblem{{5, ColTargetAccountName, SeverityError, "row 2 and row 5 are the same account"}}},
		{name: "duplicate name", rows: []Row{okRow(2, nil), okRow(4, func(r *Row) {
			r.TargetAccountName, r.SourceAccountID = strings.ToUpper(okRow(2, nil).TargetAccountName), guidB
		})},
			want: []wantProblem{{4, ColTargetAccountName, SeverityError, "is also on row 2"}}},
		{name: "demo: other country", env: EnvDemo, rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "DE" })},
			want: []wantProblem{{2, ColCountryCode, SeverityWarning, "demo environment puts every account in NA"}}},
		{name: "demo: other region", env: EnvDemo, rows: []Row{okRow(2, func(r *Row) { r.CountryCode, r.Region = "", "AU" })},
			want: []wantProblem{{2, ColRegion, SeverityWarning, "demo environment puts every account in NA, not AU"}}},
		{name: "production: other country", env: EnvProduction, rows: []Row{okRow(2, func(r *Row) { r.CountryCode = "DE" })}},
		{name: "every problem of a row at once", rows: []Row{{Line: 7}},
			want: []wantProblem{
				{7, ColSourceAccountID, SeverityError, "required"},
				{7, ColTargetAccountName, SeverityError, "required"},
				{7, ColAdminFirstName, SeverityError, "required"},
				{7, ColAdminLastName, SeverityError, "required"},
				{7, ColAdminEmail, SeverityError, "required"},
				{7, ColCountryCode, SeverityError, "one of the two"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(&Manifest{Rows: tt.rows}, ValidateOptions{Env: tt.env})
			assertProblems(t, got, tt.want)
		})
	}
}

func assertProblems(t *testing.T, got []Problem, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems %v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Column != w.column || g.Severity != w.severity || !strings.Contains(g.Message, w.message) {
			t.Errorf("problem %d = %v; want row %d, %s, %s, containing %q", i, g, w.line, w.column, w.severity, w.message)
		}
	}
	wantErrors := false
	for _, w := range want {
		wantErrors = wantErrors || w.severity == SeverityError
	}
	if HasErrors(got) != wantErrors {
		t.Errorf("HasErrors = %v, want %v", HasErrors(got), wantErrors)
	}
}

// TestValidateNamesColumnsAsWritten reads a file and checks that problems
// carry the file's own headers and values.
func TestValidateNamesColumnsAsWritten(t *testing.T) {
	data := "Source Account;Account Name;First Name;Last Name;E-mail;Country\n" +
		guidA + ";Acme;Ann;Lee;ann@acme;USA\n"
	m, err := Read(writeFile(t, "m.csv", []byte(data)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := Validate(m, ValidateOptions{})
	assertProblems(t, got, []wantProblem{
		{2, "E-mail", SeverityError, `"ann@acme" is not a valid email address`},
		{2, "Country", SeverityError, `use "US"`},
	})
	if got[1].Value != "USA" {
		t.Errorf("value %q, want USA", got[1].Value)
	}
}
