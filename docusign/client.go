package docusign

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

const (
	traceTokenHeader = "X-DocuSign-TraceToken"
	excerptLen       = 300
	maxBodyBytes     = 64 << 20
)

// Client calls the Admin API. It is safe for concurrent use.
type Client struct {
	s      *settings
	orgID  string
	hc     *http.Client
	tokens *tokens
	budget *Budget
	red    *redactor
	log    zerolog.Logger
}

// New checks cfg and builds a Client. A missing credential gives an error
// wrapping ErrMissingCredential that names the variable to set.
func New(cfg Config) (*Client, error) {
	s, err := resolve(cfg)
	if err != nil {
		return nil, err
	}

	red := &redactor{}
	var transport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		transport = cfg.HTTPClient.Transport
	}
	if cfg.Trace != nil {
		transport = &traceTransport{next: transport, w: newTraceWriter(cfg.Trace), red: red}
	}
	hc := &http.Client{Transport: transport, CheckRedirect: refuseRedirect}

	budget := cfg.Budget
	if budget == nil {
		budget = newBudget(DefaultHourlyWindow, DefaultBurstWindow, s.Now, cfg.Sleep)
	}

	tokenClient := &http.Client{Transport: transport, Timeout: s.Timeout, CheckRedirect: refuseRedirect}
	return &Client{
		s: s, orgID: s.OrgID, hc: hc, budget: budget, red: red, log: s.Logger,
		tokens: newTokens(s, tokenClient, red),
	}, nil
}

// refuseRedirect stops at the first redirect: the Admin API never redirects,
// and following one would resend the bearer token elsewhere.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// OrgID returns the organization the client addresses.
func (c *Client) OrgID() string { return c.orgID }

// WithOrg returns a client for another organization that shares this one's
// token, budget, trace and logger.
func (c *Client) WithOrg(orgID string) *Client {
	cp := *c
	cp.orgID = orgID
	return &cp
}

// Budget returns the rate budget the client draws from.
func (c *Client) Budget() *Budget { return c.budget }

// Env returns the environment the client talks to, "demo" or "production".
func (c *Client) Env() string { return c.s.Env }

// request is one Admin API call.
type request struct {
	op     string
	method string
	path   string // after the base, starting with "/v2/"
	query  url.Values
	body   []byte
}

// outcome is the result of one attempt.
type outcome struct {
	status int
	header http.Header
	body   []byte
	// sent is false when no connection was obtained, so that not one byte of
	// the request can have reached the server.
	sent bool
	// err is the transport or token error, or apiErr.
	err    error
	apiErr *Error
	// tokenErr is set when the access token could not be obtained.
	tokenErr bool
}

// attempt sends req once, within the budget and the per-request timeout.
func (c *Client) attempt(ctx context.Context, req request, n int) outcome {
	ticket, err := c.budget.acquire(ctx)
	if err != nil {
		return outcome{err: err}
	}

	start := time.Now()
	out := c.send(ctx, req, n)
	ticket.finish(out.header)
	c.logExchange(req, out, n, time.Since(start))

	if out.apiErr != nil && out.apiErr.Class == ClassRateLimited {
		c.budget.limited(c.limitReset(out))
	}
	return out
}

// send performs the HTTP exchange and reads the answer.
func (c *Client) send(ctx context.Context, req request, n int) outcome {
	tok, err := c.tokens.token()
	if err != nil {
		return outcome{err: c.tokenError(err), tokenErr: true}
	}

	ctx, cancel := context.WithTimeout(ctx, c.s.Timeout)
	defer cancel()

	var out outcome
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { out.sent = true },
	})
	ctx = context.WithValue(ctx, traceKey{}, traceInfo{op: req.op, attempt: n})

	hreq, err := c.newHTTPRequest(ctx, req, tok)
	if err != nil {
		out.err = err
		return out
	}

	resp, err := c.hc.Do(hreq)
	if err != nil {
		out.err = stripSecrets(err, c.red)
		return out
	}
	defer resp.Body.Close()

	out.status, out.header = resp.StatusCode, resp.Header
	out.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		out.err = fmt.Errorf("read answer: %w", stripSecrets(err, c.red))
		return out
	}
	if len(out.body) > maxBodyBytes {
		// A cut answer would decode as a broken one, or worse as a shorter
		// list: say what happened instead.
		out.err = fmt.Errorf("%s: the answer is larger than %d MiB", req.op, maxBodyBytes>>20)
		return out
	}
	if e := c.answerError(req.op, resp, out.body); e != nil {
		out.apiErr, out.err = e, e
	}
	return out
}

// newHTTPRequest builds the HTTP request of req with its headers.
func (c *Client) newHTTPRequest(ctx context.Context, req request, tok string) (*http.Request, error) {
	u := c.s.base.String() + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}

	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s: build request: %w", req.op, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+tok)
	hreq.Header.Set("Accept", "application/json")
	if req.body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	return hreq, nil
}

// answerError returns the *Error of an answer that is not a JSON success, or
// nil for a success.
func (c *Client) answerError(op string, resp *http.Response, body []byte) *Error {
	html := isHTML(resp.Header, body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && !html {
		return nil
	}

	e := &Error{
		Op: op, HTTPStatus: resp.StatusCode, HTML: html,
		TraceToken: resp.Header.Get(traceTokenHeader),
		Excerpt:    c.red.excerpt(body, excerptLen),
		RetryAfter: retryAfter(resp.Header, time.Now()),
	}
	if !html {
		e.Code, e.Message = parseErrorBody(body)
		e.Code, e.Message = c.red.redact(e.Code), c.red.redact(e.Message)
	}
	e.Class, e.Hint = classify(e, c.orgID)
	return e
}

// isHTML reports whether an answer is an HTML page rather than JSON.
func isHTML(h http.Header, body []byte) bool {
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") {
		return true
	}
	trimmed := bytes.TrimSpace(body)
	return len(trimmed) > 0 && trimmed[0] == '<'
}

// parseErrorBody reads either error shape of the API:
// {"errorCode","message"} or {"error","error_description"}.
func parseErrorBody(body []byte) (code, message string) {
	var shape struct {
		ErrorCode        any `json:"errorCode"`
		Message          any `json:"message"`
		Error            any `json:"error"`
		ErrorDescription any `json:"error_description"`
	}
	if json.Unmarshal(body, &shape) != nil {
		return "", ""
	}
	text := func(v any) string {
		switch v := v.(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	code = cmp.Or(text(shape.ErrorCode), text(shape.Error))
	message = cmp.Or(text(shape.Message), text(shape.ErrorDescription))
	return code, message
}

// retryAfter parses a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// limitReset is when a rate-limited caller may call again: the hourly reset
// for the hourly limit, else the capped Retry-After, else one burst window.
func (c *Client) limitReset(out outcome) time.Time {
	now := c.s.Now()
	e := out.apiErr
	if strings.Contains(strings.ToUpper(e.Code), "HOURLY") {
		if secs, ok := headerInt(out.header, "X-RateLimit-Reset"); ok {
			reset := time.Unix(int64(secs), 0)
			if reset.After(now) && reset.Sub(now) <= DefaultHourlyWindow+time.Minute {
				return reset
			}
		}
	}
	if e.RetryAfter > 0 {
		return now.Add(min(e.RetryAfter, c.s.MaxRetryAfter))
	}
	return now.Add(min(c.budget.burstWindow, c.s.MaxRetryAfter))
}

// classify sorts an error answer and says what the user can do.
func classify(e *Error, orgID string) (Class, string) {
	code := strings.ToUpper(e.Code)
	msg := strings.ToLower(e.Message)
	switch {
	case e.HTML && e.HTTPStatus >= 500:
		return ClassServer, "a gateway in front of Docusign answered with an HTML error page; " +
			"this is usually temporary"
	case e.HTML:
		return ClassServer, "the answer was an HTML page, not JSON: the base URI or path is " +
			"probably wrong for the environment (demo or production, /Management prefix); " +
			"check --env and --base-url"
	case strings.EqualFold(e.Code, "invalid_asset_group_work") ||
		strings.Contains(msg, "max number of active clones"):
		// Before the rate limit: the status of this answer is not documented
		// and may be 429, but it must never pause the whole budget.
		return ClassLaneBusy, "a clone from this asset group or source account is already " +
			"active; wait for it to finish"
	case e.HTTPStatus == http.StatusTooManyRequests || strings.Contains(code, "APIINVOCATION_LIMIT"):
		return ClassRateLimited, "Docusign's API rate limit was reached; calls wait for the reset"
	case e.HTTPStatus == http.StatusUnauthorized:
		return ClassAuth, "the access token was refused: it is invalid or expired, or belongs " +
			"to the other environment (demo or production); check the credentials"
	case e.HTTPStatus == http.StatusForbidden:
		return ClassAuth, "the user must be an administrator of the organization, the token " +
			"needs the asset_group scopes (grant consent again), and cloning must be enabled " +
			"for the organization by Docusign (ask Docusign's ISV team, giving organization id " +
			orgID + ")"
	case e.HTTPStatus == http.StatusNotFound:
		return ClassNotFound, "check the organization id (--org " + orgID + ") and the " +
			"environment (--env); ids from another organization or environment are unknown"
	case e.HTTPStatus >= 500:
		return ClassServer, "Docusign failed on its side; try again later and give the trace " +
			"token to Docusign support if it persists"
	case e.HTTPStatus >= 400 && e.HTTPStatus < 500:
		return ClassRejected, "Docusign refused the request's data: correct it as the message " +
			"says and run again"
	}
	return ClassOther, ""
}

// logExchange writes the debug line of one attempt.
func (c *Client) logExchange(req request, out outcome, n int, d time.Duration) {
	ev := c.log.Debug()
	if ev == nil {
		return
	}
	ev = ev.Str("op", req.op).Str("method", req.method).Str("path", req.path).
		Int("status", out.status).Int64("duration_ms", d.Milliseconds()).Int("attempt", n)
	if c.log.GetLevel() <= zerolog.TraceLevel {
		ev = ev.Str("trace_token", out.header.Get(traceTokenHeader)).Int("bytes", len(out.body))
	}
	if out.err != nil {
		ev = ev.Str("error", c.red.redact(out.err.Error()))
	}
	ev.Msg("docusign request")
}

// backoff is the jittered wait before attempt n+1: between half and all of
// BaseDelay doubled n-1 times, at most MaxDelay, and at least the capped
// Retry-After of the last answer.
func (c *Client) backoff(n int, last *Error) time.Duration {
	d := c.s.BaseDelay
	for i := 1; i < n && d < c.s.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.s.MaxDelay)
	d = d/2 + rand.N(d/2+1)

	if last != nil && last.RetryAfter > 0 {
		d = max(d, min(last.RetryAfter, c.s.MaxRetryAfter))
	}
	return d
}

// errCtx returns ctx's error once ctx is done, wrapped with the operation.
func errCtx(ctx context.Context, op string, cause error) error {
	if ctx.Err() == nil {
		return nil
	}
	if cause != nil && errors.Is(cause, ctx.Err()) {
		return fmt.Errorf("%s: %w", op, cause)
	}
	return fmt.Errorf("%s: %w", op, ctx.Err())
}
