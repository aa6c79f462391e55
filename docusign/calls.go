package docusign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds of the POST's own retries, which are safe because the request was
// certainly not processed.
const (
	maxNotSentAttempts = 3
	maxLimitedRetries  = 8
)

// zeroGUID is the target account id of a clone that has not completed.
const zeroGUID = "00000000-0000-0000-0000-000000000000"

// CloneAccount asks Docusign to clone req.SourceAccountID into a new account.
// It never sends the request twice when the first may have reached Docusign.
// An error wraps exactly one of: ErrNotSent (certainly not sent: safe to send
// again), an *Error (a definite refusal), or ErrOutcomeUnknown (the clone may
// exist: look for it in ListClones before anything else; an *Error is also
// reachable when there was an answer).
func (c *Client) CloneAccount(ctx context.Context, req CloneRequest) (Clone, error) {
	op := fmt.Sprintf("clone account %s to %q", req.SourceAccountID, req.TargetName)
	if err := c.needOrg(op); err != nil {
		return Clone{}, err
	}
	body, err := json.Marshal(newCloneBody(req))
	if err != nil {
		return Clone{}, fmt.Errorf("%s: encode request: %w", op, err)
	}
	r := request{
		op: "clone account", method: http.MethodPost, body: body,
		path: c.orgPath("/assetGroups/accountClone"),
	}

	out, err := c.postOnce(ctx, r)
	if err != nil {
		return Clone{}, fmt.Errorf("%s: %w", op, err)
	}

	var rec cloneRecord
	if err := json.Unmarshal(out.body, &rec); err != nil || rec.AssetGroupWorkID == "" {
		return Clone{}, fmt.Errorf("%s: %w: the answer is not a clone record: %s",
			op, ErrOutcomeUnknown, c.red.excerpt(out.body, excerptLen))
	}
	return rec.clone(), nil
}

// postOnce sends a non-idempotent request at most once to the server. It
// retries only what certainly was not processed: requests that never left,
// rate-limit answers, and a refused token that can be renewed.
func (c *Client) postOnce(ctx context.Context, r request) (outcome, error) {
	notSent, limited, renewed := 0, 0, false
	for n := 1; ; n++ {
		out := c.attempt(ctx, r, n)
		if out.err == nil {
			return out, nil
		}
		if err := errCtx(ctx, r.op, out.err); err != nil && !out.sent {
			return out, fmt.Errorf("%w: %w", ErrNotSent, err)
		}

		switch {
		case out.tokenErr && !tokenRetryable(out.err):
			return out, out.err
		case !out.sent:
			notSent++
			if notSent >= maxNotSentAttempts {
				return out, fmt.Errorf("%w: %w", ErrNotSent, out.err)
			}
			if err := c.s.Sleep(ctx, c.backoff(notSent, nil)); err != nil {
				return out, fmt.Errorf("%w: %w", ErrNotSent, err)
			}
		case out.apiErr == nil:
			return out, fmt.Errorf("%w: %w", ErrOutcomeUnknown, out.err)
		case out.apiErr.Class == ClassRateLimited && limited < maxLimitedRetries:
			limited++ // not processed; the budget waits for the reset
		case out.apiErr.HTTPStatus == http.StatusUnauthorized && c.tokens.renewable() && !renewed:
			renewed = true
			c.tokens.drop()
		case isDefinite(out.apiErr):
			return out, out.apiErr
		default:
			return out, fmt.Errorf("%w: %w", ErrOutcomeUnknown, out.apiErr)
		}
	}
}

// isDefinite reports whether an error answer proves that the request was not
// processed: a JSON refusal, not a server failure or an HTML page.
func isDefinite(e *Error) bool {
	switch {
	case e.HTML:
		return false
	case e.Class == ClassRateLimited || e.Class == ClassLaneBusy:
		return true
	}
	return e.HTTPStatus >= 400 && e.HTTPStatus < 500
}

// get sends an idempotent request, retrying network errors, rate limits,
// server errors and gateway pages, and decodes the JSON answer into dst.
func (c *Client) get(ctx context.Context, r request, dst any) error {
	r.method = http.MethodGet
	limited, renewed, tries := 0, false, 0
	for n := 1; ; n++ {
		tries++
		out := c.attempt(ctx, r, n)
		if out.err == nil {
			return c.decode(r.op, out, dst)
		}
		if err := errCtx(ctx, r.op, out.err); err != nil {
			return err
		}

		var wait time.Duration
		switch {
		case out.apiErr != nil && out.apiErr.Class == ClassRateLimited && limited < maxLimitedRetries:
			limited++ // the budget waits for the reset
			tries--
		case out.apiErr != nil && out.apiErr.HTTPStatus == http.StatusUnauthorized &&
			c.tokens.renewable() && !renewed:
			renewed = true
			c.tokens.drop()
			tries--
		case tries < c.s.MaxAttempts && retryable(out):
			wait = c.backoff(tries, out.apiErr)
		case out.apiErr != nil:
			return out.apiErr
		default:
			return fmt.Errorf("%s: %w", r.op, out.err)
		}

		if err := c.s.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", r.op, err)
		}
	}
}

// retryable reports whether a failed GET may succeed when sent again.
func retryable(out outcome) bool {
	switch {
	case out.tokenErr:
		return tokenRetryable(out.err)
	case out.apiErr == nil:
		return true // a network error
	}
	return out.apiErr.Class == ClassRateLimited || out.apiErr.HTTPStatus >= 500
}

// tokenRetryable reports whether a failed token request may succeed when
// sent again: a network error or a server failure, not a refusal.
func tokenRetryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return true
	}
	return e.HTTPStatus >= 500
}

// decode reads a JSON success answer into dst.
func (c *Client) decode(op string, out outcome, dst any) error {
	if err := json.Unmarshal(out.body, dst); err != nil {
		return &Error{
			Op: op, HTTPStatus: out.status, Class: ClassServer,
			Message:    "the answer is not the expected JSON: " + err.Error(),
			TraceToken: out.header.Get(traceTokenHeader),
			Excerpt:    c.red.excerpt(out.body, excerptLen),
			Hint:       "check --env and --base-url: the base URI may be wrong",
		}
	}
	return nil
}

// GetClone returns one clone record, with its failure details.
func (c *Client) GetClone(ctx context.Context, assetGroupID, workID string) (Clone, error) {
	op := "get clone " + workID
	if err := c.needOrg(op); err != nil {
		return Clone{}, err
	}
	r := request{
		op: op,
		path: c.orgPath("/assetGroups/" + url.PathEscape(assetGroupID) +
			"/accountClones/" + url.PathEscape(workID)),
		query: url.Values{"include_details": {"true"}},
	}

	var rec cloneRecord
	if err := c.get(ctx, r, &rec); err != nil {
		return Clone{}, err
	}
	return rec.clone(), nil
}

// ListClones returns the organization's clone records since the given time
// (all of them when since is zero), with their failure details.
func (c *Client) ListClones(ctx context.Context, since time.Time) ([]Clone, error) {
	const op = "list clones"
	if err := c.needOrg(op); err != nil {
		return nil, err
	}
	q := url.Values{"include_details": {"true"}}
	if !since.IsZero() {
		q.Set("since_updated_date", since.UTC().Format(time.RFC3339))
	}

	var answer struct {
		AssetGroupWorks []cloneRecord `json:"assetGroupWorks"`
	}
	r := request{op: op, path: c.orgPath("/assetGroups/accountClones"), query: q}
	if err := c.get(ctx, r, &answer); err != nil {
		return nil, err
	}

	clones := make([]Clone, 0, len(answer.AssetGroupWorks))
	for _, rec := range answer.AssetGroupWorks {
		clones = append(clones, rec.clone())
	}
	return clones, nil
}

// ListAssetGroupAccounts returns the organization's asset group accounts,
// only the compliant ones (the possible clone sources) when compliantOnly.
func (c *Client) ListAssetGroupAccounts(ctx context.Context,
	compliantOnly bool) ([]AssetGroupAccount, error) {
	const op = "list asset group accounts"
	if err := c.needOrg(op); err != nil {
		return nil, err
	}
	r := request{op: op, path: c.orgPath("/assetGroups/accounts")}
	if compliantOnly {
		// compliant is a filter: false would ask for the non-compliant ones only.
		r.query = url.Values{"compliant": {"true"}}
	}

	var answer struct {
		Accounts []struct {
			AssetGroupID      string   `json:"assetGroupId"`
			AssetGroupName    string   `json:"assetGroupName"`
			AccountID         string   `json:"accountId"`
			AccountName       string   `json:"accountName"`
			ExternalAccountID flexText `json:"externalAccountId"`
			Compliant         *bool    `json:"compliant"`
			SiteID            flexText `json:"siteId"`
			SiteName          string   `json:"siteName"`
		} `json:"assetGroupAccounts"`
	}
	if err := c.get(ctx, r, &answer); err != nil {
		return nil, err
	}

	accounts := make([]AssetGroupAccount, 0, len(answer.Accounts))
	for _, a := range answer.Accounts {
		accounts = append(accounts, AssetGroupAccount{
			AssetGroupID: a.AssetGroupID, AssetGroupName: a.AssetGroupName,
			AccountID: a.AccountID, AccountName: a.AccountName,
			ExternalAccountID: string(a.ExternalAccountID),
			// With compliant=true the field is omitted: every account is.
			Compliant: (a.Compliant == nil && compliantOnly) || (a.Compliant != nil && *a.Compliant),
			SiteID:    string(a.SiteID), SiteName: a.SiteName,
		})
	}
	return accounts, nil
}

// ListOrganizations returns the organizations the user belongs to.
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var answer struct {
		Organizations []Organization `json:"organizations"`
	}
	r := request{op: "list organizations", path: "/v2/organizations"}
	if err := c.get(ctx, r, &answer); err != nil {
		return nil, err
	}
	return answer.Organizations, nil
}

// needOrg refuses a call that needs an organization when none is set.
func (c *Client) needOrg(op string) error {
	if c.orgID == "" {
		return fmt.Errorf("%s: %w: no organization id: set --org or %s",
			op, ErrMissingCredential, EnvOrgID)
	}
	return nil
}

// orgPath is the path of an organization's resource.
func (c *Client) orgPath(rest string) string {
	return "/v2/organizations/" + url.PathEscape(c.orgID) + rest
}

// cloneBody is the POST body of a clone request.
type cloneBody struct {
	SourceAccount struct {
		ID string `json:"id"`
	} `json:"sourceAccount"`
	TargetAccount struct {
		Name        string `json:"name"`
		CountryCode string `json:"countryCode,omitempty"`
		Region      string `json:"region,omitempty"`
		Admin       struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
			Email     string `json:"email"`
			Locale    string `json:"locale,omitempty"`
		} `json:"admin"`
	} `json:"targetAccount"`
}

func newCloneBody(req CloneRequest) cloneBody {
	var b cloneBody
	b.SourceAccount.ID = req.SourceAccountID
	b.TargetAccount.Name = req.TargetName
	b.TargetAccount.CountryCode = req.CountryCode
	b.TargetAccount.Region = req.Region
	b.TargetAccount.Admin.FirstName = req.Admin.FirstName
	b.TargetAccount.Admin.LastName = req.Admin.LastName
	b.TargetAccount.Admin.Email = req.Admin.Email
	b.TargetAccount.Admin.Locale = req.Admin.Locale
	return b
}

// cloneRecord is the clone record as the API sends it.
type cloneRecord struct {
	SourceAccount struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"sourceAccount"`
	TargetAccount struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Admin struct {
			Email string `json:"email"`
		} `json:"admin"`
	} `json:"targetAccount"`
	AssetGroupWorkID string   `json:"assetGroupWorkId"`
	AssetGroupID     string   `json:"assetGroupId"`
	Status           string   `json:"status"`
	Attempts         flexText `json:"attempts"`
	CreatedDate      string   `json:"createdDate"`
	Message          string   `json:"message"`
	Failure          *struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"errorDescription"`
		IsSystemError    bool   `json:"isSystemError"`
	} `json:"cloneProcessingFailureDetails"`
}

// clone converts the record to a Clone.
func (r cloneRecord) clone() Clone {
	c := Clone{
		WorkID: r.AssetGroupWorkID, AssetGroupID: r.AssetGroupID,
		SourceAccountID: r.SourceAccount.ID, SourceAccountName: r.SourceAccount.Name,
		TargetAccountID: r.TargetAccount.ID, TargetName: r.TargetAccount.Name,
		AdminEmail: r.TargetAccount.Admin.Email,
		Status:     ParseStatus(r.Status), RawStatus: r.Status,
		Message: r.Message, CreatedDate: parseTime(r.CreatedDate),
	}
	if c.TargetAccountID == zeroGUID {
		c.TargetAccountID = ""
	}
	c.Attempts, _ = strconv.Atoi(string(r.Attempts))
	if r.Failure != nil {
		c.FailureError = r.Failure.Error
		c.FailureDescription = r.Failure.ErrorDescription
		c.IsSystemError = r.Failure.IsSystemError
	}
	return c
}

// parseTime reads the API's dates: RFC 3339, with or without a zone.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// flexText accepts a JSON string, number or boolean as text: the API sends
// some ids and counters as numbers in one place and strings in another.
type flexText string

// UnmarshalJSON keeps the value's text, without quotes.
func (f *flexText) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexText(s)
		return nil
	}
	if !json.Valid(b) {
		return errors.New("invalid JSON value")
	}
	*f = flexText(strings.TrimSpace(string(b)))
	return nil
}
