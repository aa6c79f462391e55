package simulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// jwtBearer is the grant type of the JWT grant.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// claims are the JWT assertion's claims the simulator checks.
type claims struct {
	Iss   string   `json:"iss"`
	Sub   string   `json:"sub"`
	Aud   audience `json:"aud"`
	Iat   int64    `json:"iat"`
	Exp   int64    `json:"exp"`
	Scope string   `json:"scope"`
}

// audience is the aud claim, a string or a list of strings.
type audience []string

// UnmarshalJSON accepts both forms of aud.
func (a *audience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

// grantError is a refused grant: the OAuth error and its description.
type grantError struct{ code, description string }

func (e *grantError) Error() string { return e.code + ": " + e.description }

func invalidGrant(description string) *grantError {
	return &grantError{"invalid_grant", description}
}

// handleToken is POST /oauth/token with the JWT bearer grant.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{Error: "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", err.Error()})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearer {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", gt})
		return
	}

	c, err := s.verifyAssertion(r.PostForm.Get("assertion"), r.Host)
	if err != nil {
		var ge *grantError
		if !errors.As(err, &ge) {
			ge = invalidGrant(err.Error())
		}
		writeJSON(w, http.StatusBadRequest, oauthError{ge.code, ge.description})
		return
	}

	access := secretToken()
	s.mu.Lock()
	s.tokens[access] = token{
		userID:  c.Sub,
		scopes:  scopeSet(strings.Fields(c.Scope)),
		expires: s.opts.clock().Add(s.opts.TokenLifetime),
	}
	s.stats.TokensIssued++
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(s.opts.TokenLifetime.Seconds()),
	})
}

// verifyAssertion checks the assertion's RS256 signature against the
// integration key's registered key, then its claims, then consent.
func (s *Server) verifyAssertion(assertion, host string) (claims, error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return claims{}, invalidGrant("assertion is not a JWT")
	}

	var header struct {
		Alg string `json:"alg"`
	}
	var c claims
	if err := decodeSegment(parts[0], &header); err != nil {
		return claims{}, invalidGrant("assertion header: " + err.Error())
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return claims{}, invalidGrant("assertion claims: " + err.Error())
	}
	if header.Alg != "RS256" {
		return claims{}, invalidGrant(fmt.Sprintf("alg %q: only RS256 is accepted", header.Alg))
	}

	s.mu.Lock()
	pub, knownKey := s.keys[c.Iss]
	noConsent := s.consent[strings.ToLower(c.Sub)]
	now := s.opts.clock()
	s.mu.Unlock()

	if !knownKey {
		return claims{}, invalidGrant("issuer_not_found")
	}
	if err := verifyRS256(pub, parts[0]+"."+parts[1], parts[2]); err != nil {
		return claims{}, invalidGrant("no_valid_keys_or_signatures")
	}
	if err := s.checkClaims(c, host, now); err != nil {
		return claims{}, err
	}
	if noConsent {
		return claims{}, &grantError{"consent_required", ""}
	}
	return c, nil
}

// checkClaims checks subject, audience, lifetime and scope.
func (s *Server) checkClaims(c claims, host string, now time.Time) error {
	iat, exp := time.Unix(c.Iat, 0), time.Unix(c.Exp, 0)
	switch {
	case !strings.EqualFold(c.Sub, s.user.id):
		return invalidGrant("user_not_found")
	case !c.Aud.has(host):
		return invalidGrant(fmt.Sprintf("invalid audience: want %q", host))
	case c.Exp == 0 || !exp.After(now):
		return invalidGrant("expired assertion: exp is not in the future")
	case c.Iat == 0 || exp.Sub(iat) > time.Hour:
		return invalidGrant("exp must be at most an hour after iat")
	case !scopeSet(strings.Fields(c.Scope))[ScopeImpersonation]:
		return invalidGrant("scope must include impersonation")
	}
	return nil
}

// has reports whether host is one of the audiences.
func (a audience) has(host string) bool {
	for _, aud := range a {
		if strings.EqualFold(aud, host) {
			return true
		}
	}
	return false
}

// decodeSegment decodes one base64url JSON segment of a JWT.
func decodeSegment(seg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// verifyRS256 checks a base64url RSASSA-PKCS1-v1_5 SHA-256 signature.
func verifyRS256(pub *rsa.PublicKey, signed, sig string) error {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(sig, "="))
	if err != nil {
		return fmt.Errorf("signature is not base64url: %w", err)
	}
	sum := sha256.Sum256([]byte(signed))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw)
}

// handleUserinfo is GET /oauth/userinfo: the user and their accounts, each
// with its organization.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	type organization struct {
		OrganizationID string              `json:"organization_id"`
		Links          []map[string]string `json:"links"`
	}
	type account struct {
		AccountID    string       `json:"account_id"`
		IsDefault    bool         `json:"is_default"`
		AccountName  string       `json:"account_name"`
		BaseURI      string       `json:"base_uri"`
		Organization organization `json:"organization"`
	}

	s.mu.Lock()
	t, ok := s.tokens[bearer(r)]
	now := s.opts.clock()
	s.mu.Unlock()
	if !ok || (!t.expires.IsZero() && !now.Before(t.expires)) {
		writeJSON(w, http.StatusUnauthorized,
			oauthError{"invalid_token", "the access token is expired or unknown"})
		return
	}

	org := organization{
		OrganizationID: s.org.OrgID,
		Links: []map[string]string{{
			"rel": "self", "href": "http://" + r.Host + "/organizations/" + s.org.OrgID,
		}},
	}
	accounts := []account{}
	for i, acc := range s.org.Accounts {
		accounts = append(accounts, account{
			AccountID: acc.AccountID, IsDefault: i == 0, AccountName: acc.AccountName,
			BaseURI: "http://" + r.Host, Organization: org,
		})
	}

	first, last, _ := strings.Cut(s.user.name, " ")
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": s.user.id, "name": s.user.name, "given_name": first, "family_name": last,
		"email": s.user.email, "created": s.start.UTC().Format(dateLayout),
		"accounts": accounts,
	})
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
