package simulator

import (
	"fmt"
	"hash/fnv"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Clone statuses, as the API spells them.
const (
	statusPending          = "Pending"
	statusProcessing       = "Processing"
	statusProcessingError  = "ProcessingError"
	statusCompleted        = "Completed"
	statusPermanentFailure = "PermanentFailure"
)

// maxAttempts is how many times Docusign works on a clone before giving up.
const maxAttempts = 10

// dateLayout is how the simulator writes dates: RFC 3339 in UTC, milliseconds.
const dateLayout = "2006-01-02T15:04:05.000Z07:00"

// Error codes of the clone calls.
const (
	codeInvalidRequest = "INVALID_REQUEST_PARAMETER"
	codeBusy           = "invalid_asset_group_work"
	codeNotFound       = "NOT_FOUND"
)

var (
	countryPattern = regexp.MustCompile(`^[A-Za-z]{2}$`)
	regions        = []string{"NA", "EU", "AU", "CA"}
	locales        = []string{
		"None", "zh_cn", "zh_tw", "nl", "en", "fr", "de", "it", "ja", "ko", "pt", "pt_br",
		"ru", "es", "pl",
	}
)

// sourceAccount is the record's source, as sent and as answered.
type sourceAccount struct {
	ID                string `json:"id"`
	Name              string `json:"name,omitempty"`
	Site              string `json:"site,omitempty"`
	ExternalAccountID int64  `json:"externalAccountId,omitempty"`
}

// cloneAdmin is the new account's administrator.
type cloneAdmin struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Locale    string `json:"locale,omitempty"`
}

// targetAccount is the account to create.
type targetAccount struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	CountryCode string     `json:"countryCode,omitempty"`
	Region      string     `json:"region,omitempty"`
	Site        string     `json:"site,omitempty"`
	Admin       cloneAdmin `json:"admin"`
}

// failureDetails explains why Docusign is retrying or gave up.
type failureDetails struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"errorDescription"`
	IsSystemError    bool   `json:"isSystemError"`
}

// cloneRecord is the clone record of the API, request and response.
type cloneRecord struct {
	SourceAccount                 sourceAccount   `json:"sourceAccount"`
	TargetAccount                 targetAccount   `json:"targetAccount"`
	AssetGroupWorkID              string          `json:"assetGroupWorkId"`
	AssetGroupID                  string          `json:"assetGroupId"`
	AssetGroupWorkType            string          `json:"assetGroupWorkType"`
	Status                        string          `json:"status"`
	CloneRequestID                string          `json:"cloneRequestId"`
	OrderID                       string          `json:"orderId"`
	Attempts                      int             `json:"attempts"`
	CreatedDate                   string          `json:"createdDate"`
	CreatedByName                 string          `json:"createdByName"`
	CreatedByEmail                string          `json:"createdByEmail"`
	Message                       string          `json:"message"`
	CloneProcessingFailureDetails *failureDetails `json:"cloneProcessingFailureDetails,omitempty"`
}

// cloneRequest is the part of a POST body the simulator reads. Loose types
// keep a numeric field sent as a string from failing the whole body.
type cloneRequest struct {
	SourceAccount struct {
		ID string `json:"id"`
	} `json:"sourceAccount"`
	TargetAccount struct {
		Name        string     `json:"name"`
		CountryCode string     `json:"countryCode"`
		Region      string     `json:"region"`
		Admin       cloneAdmin `json:"admin"`
	} `json:"targetAccount"`
}

// clone is one accepted clone and the fate drawn for it.
type clone struct {
	workID, cloneRequestID, orderID, newAccountID string

	source   Account
	target   targetAccount
	created  time.Time
	duration time.Duration
	fate     string // "", FaultProcessingError or FaultPermanentFailure
	byName   string
	byEmail  string
}

// active reports whether the clone is still being worked on at now.
func (c *clone) active(now time.Time) bool { return now.Before(c.created.Add(c.duration)) }

// phase is where a clone stands at one moment.
type phase struct {
	status   string
	attempts int
	failure  *failureDetails
}

// phaseAt computes the clone's status at now from its age: Pending for the
// first fifth of its duration, then Processing, then Completed; a clone fated
// to fail spends part of its time in ProcessingError with attempts counting up,
// and then recovers or ends in PermanentFailure.
func (c *clone) phaseAt(now time.Time) phase {
	f := 1.0
	if c.duration > 0 {
		f = float64(now.Sub(c.created)) / float64(c.duration)
	}

	retrying := &failureDetails{
		Error:            "ACCOUNT_CLONE_PROCESSING_ERROR",
		ErrorDescription: "copying the source account settings failed; Docusign retries",
		IsSystemError:    true,
	}
	switch {
	case f >= 1 && c.fate == FaultPermanentFailure:
		return phase{statusPermanentFailure, maxAttempts, &failureDetails{
			Error: "ACCOUNT_CLONE_PERMANENT_FAILURE",
			ErrorDescription: fmt.Sprintf("the clone failed %d times; contact Docusign support",
				maxAttempts),
			IsSystemError: true,
		}}
	case f >= 1 && c.fate == FaultProcessingError:
		return phase{statusCompleted, 4, nil}
	case f >= 1:
		return phase{statusCompleted, 1, nil}
	case f < 0.2:
		return phase{statusPending, 0, nil}
	case c.fate == FaultProcessingError && f >= 0.3 && f < 0.8:
		return phase{statusProcessingError, 1 + countUp(f, 0.3, 0.8, 3), retrying}
	case c.fate == FaultProcessingError && f >= 0.8:
		return phase{statusProcessing, 4, nil}
	case c.fate == FaultPermanentFailure && f >= 0.3:
		return phase{statusProcessingError, 1 + countUp(f, 0.3, 1, maxAttempts-2), retrying}
	}
	return phase{statusProcessing, 1, nil}
}

// countUp maps f in [from, to) onto 1..n in even steps.
func countUp(f, from, to float64, n int) int {
	return min(1+int((f-from)/(to-from)*float64(n)), n)
}

// record renders the clone as the API answers it at now.
func (c *clone) record(now time.Time, details bool) cloneRecord {
	p := c.phaseAt(now)

	target := c.target
	target.ID = zeroGUID
	if p.status == statusCompleted {
		target.ID = c.newAccountID
	}

	rec := cloneRecord{
		SourceAccount: sourceAccount{
			ID:                c.source.AccountID,
			Name:              c.source.AccountName,
			ExternalAccountID: externalID(c.source.AccountID),
		},
		TargetAccount:      target,
		AssetGroupWorkID:   c.workID,
		AssetGroupID:       c.source.AssetGroupID,
		AssetGroupWorkType: "AccountAssetClone",
		Status:             p.status,
		CloneRequestID:     c.cloneRequestID,
		OrderID:            c.orderID,
		Attempts:           p.attempts,
		CreatedDate:        c.created.UTC().Format(dateLayout),
		CreatedByName:      c.byName,
		CreatedByEmail:     c.byEmail,
	}
	if details && p.failure != nil {
		rec.CloneProcessingFailureDetails = p.failure
	}
	return rec
}

// externalID is a stable account number for an account id.
func externalID(accountID string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(accountID))
	return 10_000_000 + int64(h.Sum32()%90_000_000)
}

// validateRequest checks a clone request like Docusign does and returns the
// source account, or a message for the 400 answer.
func (s *Server) validateRequest(req cloneRequest) (Account, string) {
	t := req.TargetAccount
	srcID := strings.TrimSpace(req.SourceAccount.ID)

	switch {
	case srcID == "":
		return Account{}, "sourceAccount.id is required"
	case !isGUID(srcID):
		return Account{}, fmt.Sprintf("sourceAccount.id %q is not a valid GUID", srcID)
	case strings.TrimSpace(t.Name) == "":
		return Account{}, "targetAccount.name is required"
	case utf8.RuneCountInString(t.Name) > 100:
		return Account{}, "targetAccount.name must be at most 100 characters"
	case strings.TrimSpace(t.Admin.FirstName) == "":
		return Account{}, "targetAccount.admin.firstName is required"
	case strings.TrimSpace(t.Admin.LastName) == "":
		return Account{}, "targetAccount.admin.lastName is required"
	case strings.TrimSpace(t.Admin.Email) == "":
		return Account{}, "targetAccount.admin.email is required"
	case !validEmail(t.Admin.Email):
		return Account{}, fmt.Sprintf("targetAccount.admin.email %q is not a valid email address",
			t.Admin.Email)
	case t.Region == "" && t.CountryCode == "":
		return Account{}, "targetAccount.countryCode or targetAccount.region is required"
	case t.Region != "" && !oneOf(t.Region, regions):
		return Account{}, fmt.Sprintf("targetAccount.region %q is not one of %s", t.Region,
			strings.Join(regions, ", "))
	case t.Region == "" && !countryPattern.MatchString(t.CountryCode):
		return Account{}, fmt.Sprintf("targetAccount.countryCode %q is not an ISO 3166-1 alpha-2 code",
			t.CountryCode)
	case t.Admin.Locale != "" && !oneOf(t.Admin.Locale, locales):
		return Account{}, fmt.Sprintf("targetAccount.admin.locale %q is not one of %s",
			t.Admin.Locale, strings.Join(locales, ", "))
	}

	src, ok := s.accounts[strings.ToLower(srcID)]
	switch {
	case !ok:
		return Account{}, fmt.Sprintf(
			"source account %s is not an asset group account of this organization", srcID)
	case !src.Compliant:
		return Account{}, fmt.Sprintf("source account %s is not compliant", srcID)
	case !s.admins[strings.ToLower(strings.TrimSpace(t.Admin.Email))]:
		return Account{}, fmt.Sprintf("admin %s is not an administrator of this organization",
			t.Admin.Email)
	}
	return src, ""
}

// validEmail reports whether s is a bare email address.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == strings.TrimSpace(s)
}

// oneOf reports whether s is one of values, ignoring case.
func oneOf(s string, values []string) bool {
	return slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(s, v) })
}

// tripleKey identifies what a clone asks for: its source account, target name
// and admin email.
func tripleKey(sourceID, name, email string) string {
	return strings.ToLower(strings.TrimSpace(sourceID)) + "\x00" + strings.TrimSpace(name) +
		"\x00" + strings.ToLower(strings.TrimSpace(email))
}
