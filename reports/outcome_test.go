package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/dsclone/dsclone/store"
)

func TestOutcomeAndHint(t *testing.T) {
	tests := []struct {
		name        string
		job         store.Job
		wantOutcome string
		wantHint    string // a part of the hint
	}{
		{"completed", store.Job{State: store.Completed}, OutcomeCompleted, CompletedChecklist},
		{"runner hint wins", store.Job{State: store.Failed, Hint: "do this",
			LastError: "not compliant"}, OutcomeFailed, "do this"},
		{"not compliant", store.Job{State: store.Failed,
			LastError: "clone account: HTTP 400: source account is not compliant"},
			OutcomeFailed, "`dsclone accounts`"},
		{"not in organization", store.Job{State: store.Failed,
			LastError: "source account not found in the organization"},
			OutcomeFailed, "not in the organization"},
		{"admin", store.Job{State: store.Failed,
			LastError: "user is not an organization admin"}, OutcomeFailed, "organization admin"},
		{"name too long", store.Job{State: store.Failed,
			LastError: "account name must be at most 100 characters"}, OutcomeFailed, "too long"},
		{"html", store.Job{State: store.Failed,
			LastError: "clone account: HTTP 200: HTML page where JSON was expected"},
			OutcomeFailed, "wrong for the environment"},
		{"404 with a trace token", store.Job{State: store.Failed,
			LastError: "clone account: HTTP 404 (trace token 1429-401)"},
			OutcomeFailed, "404"},
		{"rate limit", store.Job{State: store.Failed,
			LastError: "HTTP 400 HOURLY_APIINVOCATION_LIMIT_EXCEEDED"}, OutcomeFailed, "rate limit"},
		{"auth", store.Job{State: store.Failed, LastError: "HTTP 401: invalid token"},
			OutcomeFailed, "credentials"},
		{"permanent failure", store.Job{State: store.Failed, DocusignStatus: "permanent_failure",
			Attempts: 10, WorkID: "w-9"}, OutcomeFailed, "gave up after 10 attempts"},
		{"canceled", store.Job{State: store.Failed, DocusignStatus: "Canceled"},
			OutcomeFailed, "canceled"},
		{"other error", store.Job{State: store.Failed, LastError: "boom"},
			OutcomeFailed, "--retry-failed"},
		{"needs review", store.Job{State: store.NeedsReview}, OutcomeNeedsReview,
			"--resubmit-unknown"},
		{"in flight retrying", store.Job{State: store.InFlight, DocusignStatus: "ProcessingError",
			Attempts: 2}, OutcomeInProgress, "retrying by itself (attempt 2)"},
		{"unknown", store.Job{State: store.Unknown}, OutcomeInProgress, "answer"},
		{"queued", store.Job{State: store.Queued}, OutcomeNotStarted, "Not submitted yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.InManifest = true
			if got := Outcome(tt.job); got != tt.wantOutcome {
				t.Errorf("Outcome = %q, want %q", got, tt.wantOutcome)
			}
			if got := Hint(tt.job); !strings.Contains(got, tt.wantHint) {
				t.Errorf("Hint = %q, want it to contain %q", got, tt.wantHint)
			}
		})
	}
}

func TestRemovedRow(t *testing.T) {
	j := store.Job{State: store.Completed, InManifest: false}
	if got := Outcome(j); got != OutcomeRemoved {
		t.Errorf("Outcome = %q, want %q", got, OutcomeRemoved)
	}
	if got := Hint(j); !strings.Contains(got, "last state: completed") {
		t.Errorf("Hint = %q, want the last state", got)
	}
}

func TestRunStatus(t *testing.T) {
	tests := []struct {
		name string
		run  store.Run
		want string
	}{
		{"finished", store.Run{UpdatedAt: t0, FinishedAt: t0.Add(time.Hour)}, "finished"},
		{"recent activity", store.Run{UpdatedAt: t0.Add(-time.Minute)}, "still running"},
		{"silent for an hour", store.Run{UpdatedAt: t0.Add(-time.Hour)}, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := runStatus(Input{Run: tt.run, Now: t0}); got != tt.want {
				t.Errorf("runStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45s"},
		{4*time.Minute + 12*time.Second, "4m 12s"},
		{2*time.Hour + 5*time.Minute, "2h 05m"},
		{76 * time.Hour, "3d 04h"},
		{-time.Second, "0s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
