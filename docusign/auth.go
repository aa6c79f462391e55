package docusign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// renewBefore is how long before its expiry a token is renewed.
const renewBefore = time.Minute

// ConsentRequiredError says that the user has not yet granted consent to the
// integration key. It unwraps to an *Error of class ClassAuth.
type ConsentRequiredError struct {
	// URL is the page where the user grants consent.
	URL string
}

// Error tells the user to open URL and grant consent.
func (e *ConsentRequiredError) Error() string {
	return "Docusign needs consent for this integration key (consent_required): open " +
		e.URL + " in a browser, sign in as the impersonated user, accept, then run again"
}

// Unwrap returns the authentication error behind the consent request.
func (e *ConsentRequiredError) Unwrap() error {
	return &Error{
		Op: "get access token", HTTPStatus: http.StatusBadRequest, Code: "consent_required",
		Class: ClassAuth, Hint: "open " + e.URL + " and grant consent",
	}
}

// ConsentURL returns the page where a user grants the integration key the
// scopes; authURL is the OAuth base, for example "https://account-d.docusign.com".
func ConsentURL(authURL, integrationKey, redirectURI string, scopes []string) string {
	q := "response_type=code" +
		"&scope=" + url.PathEscape(strings.Join(scopes, " ")) +
		"&client_id=" + url.QueryEscape(integrationKey) +
		"&redirect_uri=" + url.QueryEscape(redirectURI)
	return strings.TrimRight(authURL, "/") + "/oauth/auth?" + q
}

// tokens hands out the access token of each request: a static one, or one
// from the JWT grant, reused until a minute before it expires.
type tokens struct {
	static string
	red    *redactor

	mu     sync.Mutex
	newSrc func() oauth2.TokenSource // nil with a static token
	src    oauth2.TokenSource
}

// newTokens builds the token supply of s; hc carries the token requests.
func newTokens(s *settings, hc *http.Client, red *redactor) *tokens {
	t := &tokens{red: red}
	if s.AccessToken != "" {
		t.static = string(s.AccessToken)
		red.add(t.static)
		return t
	}

	conf := &jwt.Config{
		Email:      s.IntegrationKey,
		Subject:    s.UserID,
		PrivateKey: s.key,
		Scopes:     Scopes,
		TokenURL:   s.auth.String() + "/oauth/token",
		Audience:   s.auth.Host,
		// Expires stays zero: the library then sets exp exactly one hour
		// after iat, the most Docusign accepts.
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	t.newSrc = func() oauth2.TokenSource {
		return oauth2.ReuseTokenSourceWithExpiry(nil, conf.TokenSource(ctx), renewBefore)
	}
	t.src = t.newSrc()
	return t
}

// token returns the access token to send.
func (t *tokens) token() (string, error) {
	if t.newSrc == nil {
		return t.static, nil
	}

	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", err
	}
	t.red.add(tok.AccessToken)
	return tok.AccessToken, nil
}

// renewable reports whether a rejected token can be replaced by a new one.
func (t *tokens) renewable() bool { return t.newSrc != nil }

// drop forgets the cached token, so that the next request gets a new one.
func (t *tokens) drop() {
	if t.newSrc == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.src = t.newSrc()
}

// tokenError turns a failed token request into an error for the user: a
// *ConsentRequiredError, an *Error of class ClassAuth or ClassServer, or the
// network error as it is. The token endpoint's raw answer is never quoted.
func (c *Client) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("get access token: %w", stripSecrets(err, c.red))
	}

	// The jwt package leaves the error fields empty: read the body here.
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		code, desc = parseErrorBody(re.Body)
	}
	if code == "consent_required" {
		return &ConsentRequiredError{
			URL: ConsentURL(c.s.auth.String(), c.s.IntegrationKey, c.s.RedirectURI, Scopes),
		}
	}

	e := &Error{Op: "get access token", Code: c.red.redact(code), Message: c.red.redact(desc)}
	if re.Response != nil {
		e.HTTPStatus = re.Response.StatusCode
		e.TraceToken = re.Response.Header.Get(traceTokenHeader)
		e.HTML = isHTML(re.Response.Header, re.Body)
	}
	e.Excerpt = c.red.excerpt(re.Body, excerptLen)

	switch {
	case e.HTML:
		e.Class = ClassServer
		e.Hint = "the OAuth server answered with an HTML page: the auth URL is probably wrong " +
			"for the environment (" + c.s.auth.Host + "; check --env and --auth-url)"
	case e.HTTPStatus >= 500:
		e.Class = ClassServer
		e.Hint = "Docusign's OAuth server failed; try again later"
	default:
		e.Class = ClassAuth
		e.Hint = "check that the key pair belongs to the integration key, the user id is the " +
			"user's GUID, the integration key is right, and the environment (" + c.s.Env +
			", " + c.s.auth.Host + ") is the one where the key was created"
	}
	return e
}

// stripSecrets returns err with its message redacted, keeping its chain.
func stripSecrets(err error, red *redactor) error {
	msg := err.Error()
	if clean := red.redact(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// redactedError shows a redacted message but unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
