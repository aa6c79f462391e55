package docusign

import (
	"strings"
	"time"
)

// Status is the state of one clone as Docusign reports it.
type Status int

// The clone statuses of the Admin API. StatusUndefined also stands for a value
// this client does not know.
const (
	StatusUndefined Status = iota
	StatusPending
	StatusProcessing
	StatusProcessingOnHold
	StatusPendingError
	StatusProcessingError
	StatusCompleted
	StatusCanceled
	StatusPermanentFailure
)

var statusNames = [...]string{
	StatusUndefined:        "Undefined",
	StatusPending:          "Pending",
	StatusProcessing:       "Processing",
	StatusProcessingOnHold: "ProcessingOnHold",
	StatusPendingError:     "PendingError",
	StatusProcessingError:  "ProcessingError",
	StatusCompleted:        "Completed",
	StatusCanceled:         "Canceled",
	StatusPermanentFailure: "PermanentFailure",
}

// statusByKey maps a status folded by statusKey to its Status.
var statusByKey = func() map[string]Status {
	m := map[string]Status{"cancelled": StatusCanceled}
	for i, name := range statusNames {
		m[statusKey(name)] = Status(i)
	}
	return m
}()

var statusFold = strings.NewReplacer("_", "", "-", "", " ", "")

// statusKey folds a status string: lower case, without underscores, hyphens
// or spaces.
func statusKey(s string) string {
	return statusFold.Replace(strings.ToLower(s))
}

// ParseStatus maps a status string to a Status, ignoring case, underscores,
// hyphens and spaces, so "pending_error" and "PendingError" are the same.
// An unknown value gives StatusUndefined.
func ParseStatus(s string) Status {
	return statusByKey[statusKey(s)]
}

// String returns the status as the API spells it.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return statusNames[StatusUndefined]
	}
	return statusNames[s]
}

// InFlight reports whether the clone is still being worked on, including while
// Docusign retries it by itself.
func (s Status) InFlight() bool {
	switch s {
	case StatusPending, StatusProcessing, StatusProcessingOnHold, StatusPendingError, StatusProcessingError:
		return true
	}
	return false
}

// Retrying reports whether Docusign is retrying a failed attempt by itself.
func (s Status) Retrying() bool {
	return s == StatusPendingError || s == StatusProcessingError
}

// Completed reports whether the new account exists.
func (s Status) Completed() bool { return s == StatusCompleted }

// Failed reports whether the clone ended without an account.
func (s Status) Failed() bool { return s == StatusCanceled || s == StatusPermanentFailure }

// Admin is the administrator of a new account.
type Admin struct {
	FirstName string
	LastName  string
	Email     string
	Locale    string
}

// CloneRequest asks for a copy of SourceAccountID named TargetName. Either
// CountryCode or Region must be set; Docusign uses Region when both are.
type CloneRequest struct {
	SourceAccountID string
	TargetName      string
	CountryCode     string
	Region          string
	Admin           Admin
}

// Clone is one clone record ("asset group work") as the API returns it.
type Clone struct {
	WorkID            string
	AssetGroupID      string
	SourceAccountID   string
	SourceAccountName string
	// TargetAccountID is empty until the clone completes (the API sends the
	// all-zero GUID meanwhile).
	TargetAccountID string
	TargetName      string
	AdminEmail      string
	Status          Status
	// RawStatus is the status string exactly as received.
	RawStatus   string
	Attempts    int
	CreatedDate time.Time
	Message     string
	// FailureError and FailureDescription come from cloneProcessingFailureDetails.
	FailureError       string
	FailureDescription string
	IsSystemError      bool
}

// AssetGroupAccount is an account of the organization that can be a clone source.
type AssetGroupAccount struct {
	AssetGroupID      string `json:"asset_group_id"`
	AssetGroupName    string `json:"asset_group_name"`
	AccountID         string `json:"account_id"`
	AccountName       string `json:"account_name"`
	ExternalAccountID string `json:"external_account_id,omitempty"`
	Compliant         bool   `json:"compliant"`
	SiteID            string `json:"site_id,omitempty"`
	SiteName          string `json:"site_name,omitempty"`
}

// Organization is one organization the user belongs to.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
