package manifest

import (
	"regexp"
	"strings"
)

// Regions lists the values of the region column.
var Regions = []string{"NA", "EU", "AU", "CA"}

// Locales lists the admin locales the Admin API accepts.
var Locales = []string{
	"None", "zh_cn", "zh_tw", "nl", "en", "fr", "de", "it", "ja", "ko", "pt", "pt_br", "ru", "es", "pl",
}

// CountryCodes returns every ISO 3166-1 alpha-2 code with its English name,
// sorted by code.
func CountryCodes() (codes, names []string) {
	for _, c := range countries {
		codes = append(codes, c.Alpha2)
		names = append(names, c.Name)
	}
	return codes, names
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isGUID reports whether s is a GUID in its usual 8-4-4-4-12 form.
func isGUID(s string) bool { return guidRE.MatchString(s) }

// normalizeGUID lowers the case of a GUID and drops the braces some tools
// write around it; anything else is returned as it is.
func normalizeGUID(s string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if isGUID(inner) {
		return strings.ToLower(inner)
	}
	return s
}

var (
	alpha2 = map[string]bool{}
	alpha3 = map[string]string{}
	// countryNames maps a folded country name (headerKey) to its code.
	countryNames = map[string]string{}
)

// countryAliases are names people write for a country that ISO does not give,
// in English or in the country's own language.
var countryAliases = map[string]string{
	"UK": "GB", "U.K.": "GB", "Great Britain": "GB", "Britain": "GB", "England": "GB",
	"Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB",
	"America": "US", "United States of America": "US", "U.S.": "US", "U.S.A.": "US",
	"Deutschland": "DE", "Österreich": "AT", "Oesterreich": "AT", "Schweiz": "CH",
	"Suisse": "CH", "Svizzera": "CH", "España": "ES", "Espana": "ES", "Italia": "IT",
	"Nederland": "NL", "Holland": "NL", "The Netherlands": "NL", "Belgique": "BE",
	"België": "BE", "Brasil": "BR", "México": "MX", "Polska": "PL", "Sverige": "SE",
	"Norge": "NO", "Danmark": "DK", "Suomi": "FI", "Éire": "IE", "Hellas": "GR",
	"EL": "GR", "Россия": "RU", "Russia": "RU", "Nippon": "JP", "Nihon": "JP",
	"South Korea": "KR", "Korea": "KR", "North Korea": "KP", "Czech Republic": "CZ",
	"Turkey": "TR", "UAE": "AE", "Emirates": "AE", "Ivory Coast": "CI", "Macau": "MO",
	"Hong Kong SAR": "HK", "Vatican": "VA", "Burma": "MM", "Swaziland": "SZ",
	"Cape Verde": "CV", "East Timor": "TL", "Laos": "LA", "Syria": "SY",
	"Zhongguo": "CN", "PRC": "CN", "ROC": "TW", "Schweden": "SE", "Frankreich": "FR",
	"Spanien": "ES", "Italien": "IT", "Niederlande": "NL", "Allemagne": "DE",
	"Angleterre": "GB", "Royaume-Uni": "GB", "États-Unis": "US", "Etats-Unis": "US",
	"Estados Unidos": "US", "Alemania": "DE", "Reino Unido": "GB", "Canadá": "CA",
}

func init() {
	for _, c := range countries {
		alpha2[c.Alpha2] = true
		alpha3[c.Alpha3] = c.Alpha2
		countryNames[headerKey(c.Name)] = c.Alpha2
	}
	for name, code := range countryOfficialNames {
		countryNames[headerKey(name)] = code
	}
	for name, code := range countryAliases {
		countryNames[headerKey(name)] = code
	}
}

// normalizeCountry upper-cases a country code; other values are left as they
// are, for Validate to report with a suggestion.
func normalizeCountry(s string) string {
	if up := strings.ToUpper(s); alpha2[up] {
		return up
	}
	return s
}

// isCountryCode reports whether s is an ISO 3166-1 alpha-2 code, in any case.
func isCountryCode(s string) bool { return alpha2[strings.ToUpper(s)] }

// suggestCountry returns the alpha-2 code meant by a value that is not one:
// an alpha-3 code, a country name in English or its own language, or a usual
// abbreviation. It returns "" when it cannot tell.
func suggestCountry(s string) string {
	if code, ok := alpha3[strings.ToUpper(s)]; ok {
		return code
	}
	if code, ok := countryNames[headerKey(s)]; ok {
		return code
	}
	return ""
}

// countryName returns the English name of an alpha-2 code.
func countryName(code string) string {
	for _, c := range countries {
		if c.Alpha2 == code {
			return c.Name
		}
	}
	return code
}

// euCountries are the countries whose accounts live in the EU region: the
// European Economic Area, Switzerland and the United Kingdom.
var euCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true,
	"EE": true, "FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true,
	"IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true,
	"PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true, "IS": true,
	"LI": true, "NO": true, "CH": true, "GB": true,
}

// homeRegion returns the region a country's accounts usually live in, or ""
// when the country has no obvious one.
func homeRegion(code string) string {
	switch {
	case code == "US":
		return "NA"
	case code == "CA":
		return "CA"
	case code == "AU":
		return "AU"
	case euCountries[code]:
		return "EU"
	}
	return ""
}

// isRegion reports whether s is one of Regions, in any case.
func isRegion(s string) bool {
	for _, r := range Regions {
		if strings.EqualFold(r, s) {
			return true
		}
	}
	return false
}

// localeNames maps language names and tags people write to the API's locale.
var localeNames = map[string]string{
	"english": "en", "french": "fr", "francais": "fr", "français": "fr", "german": "de",
	"deutsch": "de", "italian": "it", "italiano": "it", "japanese": "ja", "korean": "ko",
	"dutch": "nl", "nederlands": "nl", "portuguese": "pt", "portugues": "pt",
	"português": "pt", "russian": "ru", "spanish": "es", "espanol": "es", "español": "es",
	"polish": "pl", "polski": "pl", "brazilian portuguese": "pt_br",
	"portuguese (brazil)": "pt_br", "chinese (simplified)": "zh_cn",
	"simplified chinese": "zh_cn", "chinese (traditional)": "zh_tw",
	"traditional chinese": "zh_tw", "zh_hans": "zh_cn", "zh_hant": "zh_tw",
	"zh_sg": "zh_cn", "zh_hk": "zh_tw", "zh_mo": "zh_tw",
}

// normalizeLocale maps a locale as written ("pt-BR", "EN", "en-US",
// "German") to the API's value ("pt_br", "en", "en", "de"). A value it does
// not recognise is returned as it is, for Validate to report.
func normalizeLocale(s string) string {
	if s == "" {
		return ""
	}
	low := strings.ToLower(strings.ReplaceAll(s, "-", "_"))
	if low == "none" {
		return "None"
	}
	if v, ok := localeNames[low]; ok {
		return v
	}
	if isLocale(low) {
		return low
	}

	// A language with a country the API has no variant for: the language.
	if lang, _, ok := strings.Cut(low, "_"); ok && lang != "zh" && isLocale(lang) {
		return lang
	}
	return s
}

func isLocale(s string) bool {
	for _, l := range Locales {
		if l == s {
			return true
		}
	}
	return false
}
