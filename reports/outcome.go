package reports

import (
	"fmt"
	"strings"

	"github.com/dsclone/dsclone/store"
)

// The outcomes a report shows, one per job.
const (
	OutcomeCompleted   = "completed"
	OutcomeFailed      = "failed"
	OutcomeNeedsReview = "needs review"
	OutcomeInProgress  = "in progress"
	OutcomeNotStarted  = "not started"
	OutcomeRemoved     = "removed from manifest"
)

// outcomes lists the outcomes in the order reports count them.
var outcomes = []string{
	OutcomeCompleted, OutcomeFailed, OutcomeNeedsReview,
	OutcomeInProgress, OutcomeNotStarted, OutcomeRemoved,
}

// CompletedChecklist is the hint of a completed row: what cloning leaves to do.
const CompletedChecklist = "Cloning does not copy users, groups, templates, brands, " +
	"Connect or integrations: set them up in the new account"

// Outcome says in a word or two what became of a job: "completed", "failed",
// "needs review", "in progress", "not started" or "removed from manifest".
func Outcome(j store.Job) string {
	if !j.InManifest {
		return OutcomeRemoved
	}

	switch j.State {
	case store.Completed:
		return OutcomeCompleted
	case store.Failed:
		return OutcomeFailed
	case store.NeedsReview:
		return OutcomeNeedsReview
	case store.Submitting, store.InFlight, store.Unknown:
		return OutcomeInProgress
	}
	return OutcomeNotStarted
}

// Hint says in one line what to do about a job. A hint recorded by the runner
// (Job.Hint) wins; otherwise it is read from the job's state, last error and
// Docusign status.
func Hint(j store.Job) string {
	if j.Hint != "" {
		return j.Hint
	}
	if !j.InManifest {
		return fmt.Sprintf("This row is no longer in the manifest: dsclone left it alone "+
			"(last state: %s)", strings.ReplaceAll(string(j.State), "_", " "))
	}

	switch j.State {
	case store.Completed:
		return CompletedChecklist
	case store.Failed:
		return failedHint(j)
	case store.NeedsReview:
		return "The submission's answer was lost and the clone was not found in the " +
			"organization: check in Docusign; if it does not exist, run again with " +
			"--resubmit-unknown"
	case store.Submitting, store.Unknown:
		return "The answer to the submission was lost: the run looks for the clone in " +
			"the organization before submitting again; if the run stopped, resume it"
	case store.InFlight:
		return inFlightHint(j)
	}
	return "Not submitted yet: if the run stopped, resume it with the command on the " +
		"Summary sheet"
}

// inFlightHint describes a clone Docusign is working on.
func inFlightHint(j store.Job) string {
	status := strings.ToLower(strings.ReplaceAll(j.DocusignStatus, "_", ""))
	if status == "pendingerror" || status == "processingerror" {
		return fmt.Sprintf("Docusign hit an error and is retrying by itself (attempt %d): "+
			"nothing to do yet; if the run stopped, resume it", j.Attempts)
	}
	return "Docusign is cloning this account: nothing to do; if the run stopped, resume " +
		"it to follow the clone to its end"
}

// failedHints maps words of an error, lowercased, to the advice for it; the
// first rule whose words all appear wins. Status codes are matched as "http N"
// so that the digits of a trace token never match.
var failedHints = []struct {
	words []string
	hint  string
}{
	{[]string{"compliant"}, "The source account is not compliant: check it with " +
		"`dsclone accounts`, fix it or pick another source, then run with --retry-failed"},
	{[]string{"not", "organization", "account"}, "The source account is not in the " +
		"organization or not in an asset group: check it with `dsclone accounts`, then " +
		"run with --retry-failed"},
	{[]string{"not", "admin"}, "The admin is not an organization admin: make the admin email an " +
		"admin of the organization in Docusign Admin (or use one that is), then run with " +
		"--retry-failed"},
	{[]string{"100 characters"}, "The target account name is too long: shorten it to at " +
		"most 100 characters in the manifest, then run with --retry-failed"},
	{[]string{"too long"}, "The target account name is too long: shorten it to at most " +
		"100 characters in the manifest, then run with --retry-failed"},
	{[]string{"apiinvocation_limit"}, "Docusign's rate limit was reached: run again with " +
		"--retry-failed; dsclone waits for the limit to reset"},
	{[]string{"rate limit"}, "Docusign's rate limit was reached: run again with " +
		"--retry-failed; dsclone waits for the limit to reset"},
	{[]string{"http 429"}, "Docusign's rate limit was reached: run again with --retry-failed; " +
		"dsclone waits for the limit to reset"},
	{[]string{"html"}, "Docusign answered with a web page instead of the API: the base URI " +
		"is probably wrong for the environment (check --env and --base-url), then run " +
		"with --retry-failed"},
	{[]string{"http 404"}, "Docusign answered 404: the base URI is probably wrong for the " +
		"environment, or the organization id is wrong (check --env, --base-url and " +
		"--org), then run with --retry-failed"},
	{[]string{"consent_required"}, "The user has not consented to the integration key: " +
		"open the consent URL dsclone prints, then run with --retry-failed"},
	{[]string{"http 401"}, authHint},
	{[]string{"http 403"}, authHint},
	{[]string{"unauthorized"}, authHint},
	{[]string{"invalid_grant"}, authHint},
	{[]string{"expired"}, authHint},
	{[]string{"scope"}, authHint},
}

const authHint = "Docusign refused the credentials: check DOCUSIGN_INTEGRATION_KEY, " +
	"DOCUSIGN_USER_ID and the private key (or DOCUSIGN_ACCESS_TOKEN), the consent and " +
	"the cloning scopes, then run with --retry-failed"

// failedHint explains a failed job from its Docusign status and last error.
func failedHint(j store.Job) string {
	status := strings.ToLower(strings.ReplaceAll(j.DocusignStatus, "_", ""))
	switch status {
	case "permanentfailure":
		return fmt.Sprintf("Docusign gave up after %d attempts: contact Docusign support "+
			"with the work id %s", j.Attempts, j.WorkID)
	case "canceled", "cancelled":
		return "The clone was canceled in Docusign: if the account is still wanted, run " +
			"again with --retry-failed"
	}

	msg := strings.ToLower(j.LastError)
	for _, rule := range failedHints {
		if containsAll(msg, rule.words) {
			return rule.hint
		}
	}
	return "Read the error, fix the row in the manifest or its cause in Docusign, then " +
		"run with --retry-failed"
}

// containsAll reports whether s contains every word.
func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
