package runner

import (
	"errors"
	"slices"
	"strings"

	"github.com/dsclone/dsclone/docusign"
)

const needsReviewHint = "the answer to this row's submission was lost and its clone was not found in " +
	"the organization: look for it in Docusign; if it does not exist, run again with --resubmit-unknown"

// failureMessage is Docusign's own account of a failed or retrying clone.
func failureMessage(c docusign.Clone) string {
	var parts []string
	for _, s := range []string{c.FailureError, c.FailureDescription, c.Message} {
		if s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "Docusign reported " + c.Status.String()
	}
	return strings.Join(parts, ": ")
}

// failureHint says what to do about a clone that ended without an account.
func failureHint(c docusign.Clone) string {
	switch c.Status {
	case docusign.StatusCanceled:
		return "the clone was canceled in Docusign; run again with --retry-failed to submit it again"
	case docusign.StatusPermanentFailure:
		return "Docusign gave up after its own retries; contact Docusign support with the work id " + c.WorkID +
			", or fix the cause and run again with --retry-failed"
	}
	return "run again with --retry-failed once the cause is fixed"
}

// rejectionHint says what to do about a POST refused for the row's data.
func rejectionHint(err error) string {
	var e *docusign.Error
	if errors.As(err, &e) && e.Hint != "" {
		return e.Hint
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "compliant"):
		return "the source account is not compliant; pick a compliant account from `dsclone accounts`"
	case strings.Contains(msg, "admin"):
		return "the admin must be an administrator of the organization; fix admin_email or add the admin"
	case strings.Contains(msg, "name"):
		return "fix target_account_name (1 to 100 characters) and run again with --retry-failed"
	}
	return "fix the row as Docusign's message says, then run again with --retry-failed"
}
