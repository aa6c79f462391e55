package manifest

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity says whether a problem blocks a run.
type Severity string

// Severities of a Problem.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one thing to fix in a manifest, located as the user sees it.
type Problem struct {
	Line     int      `json:"row"`    // spreadsheet row (header is 1); 0 for the whole file
	Column   string   `json:"column"` // the header as written in the file
	Value    string   `json:"value,omitempty"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

func (p Problem) String() string {
	where := "file"
	if p.Line > 0 {
		where = fmt.Sprintf("row %d", p.Line)
	}
	if p.Column != "" {
		where += ", " + p.Column
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Severity, p.Message)
}

// Environments of ValidateOptions.Env.
const (
	EnvDemo       = "demo"
	EnvProduction = "production"
)

// ValidateOptions says what the rows are checked for.
type ValidateOptions struct {
	// Env is "demo" or "production". With demo, a country other than US or a
	// region other than NA is a warning: the developer environment puts every
	// account in NA.
	Env string
}

// MaxNameLength is the longest target account name the API accepts.
const MaxNameLength = 100

// Validate checks every row of m and returns every problem, in row order.
func Validate(m *Manifest, opts ValidateOptions) []Problem {
	v := &validator{m: m, opts: opts, keys: map[string]int{}, names: map[string]int{}}
	if len(m.Rows) == 0 {
		v.add(0, "", "", SeverityError, "the manifest has no rows: add one row per account below the header")
	}
	for i := range m.Rows {
		v.row(&m.Rows[i])
	}
	return v.problems
}

// HasErrors reports whether any problem is an error.
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

type validator struct {
	m        *Manifest
	opts     ValidateOptions
	keys     map[string]int // row key to the first row with it
	names    map[string]int // folded target name to the first row with it
	problems []Problem
	line     int
	r        *Row
}

func (v *validator) add(line int, col, value string, sev Severity, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		Line: line, Column: col, Value: value, Severity: sev, Message: fmt.Sprintf(format, args...),
	})
}

// errorf and warnf report a problem with column col of the current row.
func (v *validator) errorf(col, format string, args ...any) {
	v.add(v.line, v.header(col), v.value(col), SeverityError, format, args...)
}

func (v *validator) warnf(col, format string, args ...any) {
	v.add(v.line, v.header(col), v.value(col), SeverityWarning, format, args...)
}

// header returns the column's header as written, or its canonical name.
func (v *validator) header(col string) string {
	if i, ok := v.m.Columns[col]; ok && i < len(v.m.Headers) && v.m.Headers[i] != "" {
		return v.m.Headers[i]
	}
	return col
}

// value returns the cell as written, or the row's field when the manifest
// was not read from a file.
func (v *validator) value(col string) string {
	if i, ok := v.m.Columns[col]; ok && i < len(v.r.Values) {
		return v.r.Values[i]
	}
	return v.field(col)
}

func (v *validator) field(col string) string {
	r := v.r
	switch col {
	case ColSourceAccountID:
		return r.SourceAccountID
	case ColTargetAccountName:
		return r.TargetAccountName
	case ColAdminFirstName:
		return r.AdminFirstName
	case ColAdminLastName:
		return r.AdminLastName
	case ColAdminEmail:
		return r.AdminEmail
	case ColCountryCode:
		return r.CountryCode
	case ColRegion:
		return r.Region
	case ColAssetGroupID:
		return r.AssetGroupID
	case ColAdminLocale:
		return r.AdminLocale
	}
	return ""
}

func (v *validator) row(r *Row) {
	v.r, v.line = r, r.Line

	v.guid(ColSourceAccountID, true)
	v.targetName()
	v.personName(ColAdminFirstName, "admin first name")
	v.personName(ColAdminLastName, "admin last name")
	v.email()
	v.placement()
	v.guid(ColAssetGroupID, false)
	v.locale()
	v.duplicates()
}

func (v *validator) guid(col string, required bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(v.field(col), "{"), "}")
	switch {
	case s == "" && required:
		v.errorf(col, "%s is required: the GUID of the account to clone", col)
	case s == "":
	case !isGUID(s):
		v.errorf(col, "%q is not a GUID (like 1f0e8e3a-6b1c-4a57-9d3e-2f6a7c8b9d01)%s",
			s, guidHint(s))
	}
}

// guidHint says what a value that is not a GUID looks like instead.
func guidHint(s string) string {
	hex, other := 0, 0
	for _, r := range s {
		switch {
		case strings.ContainsRune("0123456789abcdefABCDEF", r):
			hex++
		case r != '-':
			other++
		}
	}
	switch {
	case other == 0 && hex != 32:
		return fmt.Sprintf(": it has %d hex digits instead of 32", hex)
	case strings.ContainsAny(s, "Ee+.") && other <= 3:
		return ": Excel may have turned it into a number; format the column as Text and paste it again"
	case strings.Contains(s, "@"):
		return ": it looks like an email address, in the wrong column?"
	}
	return ""
}

func (v *validator) targetName() {
	name := v.field(ColTargetAccountName)
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		v.errorf(ColTargetAccountName, "%s is required: the name of the new account", ColTargetAccountName)
	case n > MaxNameLength:
		v.errorf(ColTargetAccountName, "the name is %d characters long; the most is %d", n, MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.errorf(ColTargetAccountName, "the name holds a line break, tab or other control character")
	}
}

func (v *validator) personName(col, what string) {
	name := v.field(col)
	switch {
	case name == "":
		v.errorf(col, "%s is required", what)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.errorf(col, "the %s holds a line break, tab or other control character", what)
	}
}

func (v *validator) email() {
	s := v.field(ColAdminEmail)
	if s == "" {
		v.errorf(ColAdminEmail, "%s is required: the address of the new account's administrator", ColAdminEmail)
		return
	}
	if msg := emailProblem(s); msg != "" {
		v.errorf(ColAdminEmail, "%q is not a valid email address: %s", s, msg)
	}
}

// emailProblem says what is wrong with an address, or "" when it is valid: a
// bare addr-spec (no display name) whose domain has a dot.
func emailProblem(s string) string {
	if strings.ContainsAny(s, "<>") || strings.Contains(s, " ") {
		return `write the address alone, like name@example.com, without a name or <>`
	}
	if strings.Count(s, "@") != 1 {
		return "an address has exactly one @"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "it does not read as name@domain"
	}
	domain := s[strings.LastIndex(s, "@")+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return fmt.Sprintf("the domain %q is not a full domain name like example.com", domain)
	}
	return ""
}

// placement checks country_code and region, and how they fit together and with
// the environment.
func (v *validator) placement() {
	country, region := v.field(ColCountryCode), v.field(ColRegion)
	countryOK, regionOK := v.country(country), v.region(region)

	switch {
	case country == "" && region == "":
		col := ColCountryCode
		if _, ok := v.m.Columns[col]; !ok && v.m.Columns != nil {
			col = ColRegion
		}
		v.errorf(col, "fill %s (like US) or %s (%s): one of the two is required",
			ColCountryCode, ColRegion, strings.Join(Regions, ", "))
		return
	case countryOK && regionOK && country != "" && region != "":
		home := homeRegion(strings.ToUpper(country))
		if home != "" && home != strings.ToUpper(region) {
			v.warnf(ColRegion, "region %s is used and country_code %s (home region %s) is ignored: "+
				"the region wins when both are set", strings.ToUpper(region), strings.ToUpper(country), home)
		}
	}

	if v.opts.Env != EnvDemo {
		return
	}
	switch {
	case region != "" && regionOK && !strings.EqualFold(region, "NA"):
		v.warnf(ColRegion, "the demo environment puts every account in NA, not %s", strings.ToUpper(region))
	case region == "" && countryOK && !strings.EqualFold(country, "US"):
		v.warnf(ColCountryCode, "the demo environment puts every account in NA, whatever the country (%s)",
			strings.ToUpper(country))
	}
}

// country reports whether a country code is valid (or empty), reporting it
// otherwise with the code it probably means.
func (v *validator) country(s string) bool {
	if s == "" || isCountryCode(s) {
		return true
	}
	if code := suggestCountry(s); code != "" {
		what := "not an ISO 3166-1 alpha-2 code"
		if len(s) == 3 && strings.EqualFold(alpha3Of(code), s) {
			what = "an ISO 3166-1 alpha-3 code; the column takes alpha-2"
		}
		v.errorf(ColCountryCode, "%q is %s; use %q (%s)", s, what, code, countryName(code))
		return false
	}
	v.errorf(ColCountryCode, "%q is not an ISO 3166-1 alpha-2 country code (two letters, like US, GB, DE)", s)
	return false
}

func alpha3Of(code string) string {
	for _, c := range countries {
		if c.Alpha2 == code {
			return c.Alpha3
		}
	}
	return ""
}

func (v *validator) region(s string) bool {
	if s == "" || isRegion(s) {
		return true
	}
	hint := ""
	if isCountryCode(s) {
		hint = fmt.Sprintf("; %q is a country: put it in %s", s, ColCountryCode)
	}
	v.errorf(ColRegion, "%q is not a region: use one of %s%s", s, strings.Join(Regions, ", "), hint)
	return false
}

func (v *validator) locale() {
	s := v.field(ColAdminLocale)
	if s == "" || isLocale(normalizeLocale(s)) {
		return
	}
	hint := ""
	if guess, ok := localeGuesses[strings.ToLower(s)]; ok {
		hint = fmt.Sprintf(`; did you mean %q?`, guess)
	} else if strings.HasPrefix(strings.ToLower(s), "zh") {
		hint = ` (for Chinese: zh_cn simplified, zh_tw traditional)`
	}
	v.errorf(ColAdminLocale, "%q is not a locale the API accepts: use one of %s%s",
		s, strings.Join(Locales, ", "), hint)
}

// localeGuesses maps country codes written where a language was meant to
// the locale they probably mean.
var localeGuesses = map[string]string{
	"jp": "ja", "kr": "ko", "cn": "zh_cn", "tw": "zh_tw", "br": "pt_br", "us": "en",
	"gb": "en", "uk": "en", "mx": "es", "at": "de", "ch": "de",
}

// duplicates reports a row that asks for the same account as an earlier one,
// or reuses an earlier row's target name.
func (v *validator) duplicates() {
	r := v.r
	if r.SourceAccountID == "" || r.TargetAccountName == "" {
		return
	}

	key := r.Key()
	if first, ok := v.keys[key]; ok {
		v.errorf(ColTargetAccountName, "row %d and row %d are the same account (same %s, %s and %s): "+
			"delete one of them", first, r.Line, ColSourceAccountID, ColTargetAccountName, ColAdminEmail)
		return
	}
	v.keys[key] = r.Line

	folded := strings.ToLower(r.TargetAccountName)
	if first, ok := v.names[folded]; ok {
		v.errorf(ColTargetAccountName, "the name %q is also on row %d: each new account needs its own name",
			r.TargetAccountName, first)
		return
	}
	v.names[folded] = r.Line
}
