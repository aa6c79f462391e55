package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestJWTGrant(t *testing.T) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		edit    func(h *harness, c map[string]any)
		key     *rsa.PrivateKey
		consent bool // the user has not consented
		code    string
		desc    string
	}{
		{name: "valid"},
		{name: "audience as a list", edit: func(h *harness, c map[string]any) { c["aud"] = []string{c["aud"].(string)} }},
		{name: "wrong key", key: otherKey, code: "invalid_grant", desc: "no_valid_keys_or_signatures"},
		{name: "unknown integration key", edit: func(_ *harness, c map[string]any) { c["iss"] = accOne },
			code: "invalid_grant", desc: "issuer_not_found"},
		{name: "unknown user", edit: func(_ *harness, c map[string]any) { c["sub"] = accOne },
			code: "invalid_grant", desc: "user_not_found"},
		{name: "audience with scheme", edit: func(h *harness, c map[string]any) { c["aud"] = h.srv.AuthURL() },
			code: "invalid_grant", desc: "audience"},
		{name: "expired", edit: func(h *harness, c map[string]any) {
			c["iat"] = h.clock.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = h.clock.Now().Add(-time.Hour).Unix()
		}, code: "invalid_grant", desc: "expired"},
		{name: "longer than an hour", edit: func(h *harness, c map[string]any) {
			c["exp"] = h.clock.Now().Add(2 * time.Hour).Unix()
		}, code: "invalid_grant", desc: "at most an hour"},
		{name: "no impersonation", edit: func(_ *harness, c map[string]any) { c["scope"] = "signature" },
			code: "invalid_grant", desc: "impersonation"},
		{name: "consent required", consent: true, code: "consent_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, Options{TokenLifetime: 10 * time.Minute})
			claims := h.validClaims()
			if tt.edit != nil {
				tt.edit(h, claims)
			}
			key := testKey()
			if tt.key != nil {
				key = tt.key
			}
			if tt.consent {
				h.srv.RequireConsent(strings.ToUpper(h.srv.Credentials().UserID))
			}

			resp := h.grant(signJWT(t, key, claims))
			if tt.code != "" {
				var e oauthError
				resp.json(t, &e)
				if resp.status != http.StatusBadRequest || e.Error != tt.code ||
					!strings.Contains(e.ErrorDescription, tt.desc) {
					t.Fatalf("status %d %+v, want 400 %s %q", resp.status, e, tt.code, tt.desc)
				}
				return
			}

			var tok struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
			}
			resp.json(t, &tok)
			if resp.status != http.StatusOK || tok.TokenType != "Bearer" || tok.ExpiresIn != 600 {
				t.Fatalf("status %d token %+v", resp.status, tok)
			}
			checkGrantedToken(t, h, tok.AccessToken)
		})
	}
}

// checkGrantedToken checks that a granted token carries the scopes asked
// and expires after the token lifetime.
func checkGrantedToken(t *testing.T, h *harness, token string) {
	t.Helper()
	accounts := h.srv.BaseURL() + h.org("/assetGroups/accounts")

	if resp := h.send("GET", accounts, token, nil); resp.status != http.StatusOK {
		t.Errorf("granted token: status %d", resp.status)
	}
	resp := h.send("POST", h.srv.BaseURL()+h.org("/assetGroups/accountClone"), token,
		cloneBody(accOne, "Scope", testAdmin))
	if e := resp.apiErr(t); resp.status != http.StatusForbidden || !strings.Contains(e.Message, ScopeCloneWrite) {
		t.Errorf("without the write scope: status %d %+v, want 403", resp.status, e)
	}

	h.clock.Advance(10 * time.Minute)
	if resp := h.send("GET", accounts, token, nil); resp.status != http.StatusUnauthorized {
		t.Errorf("after the lifetime: status %d, want 401", resp.status)
	}
	if h.srv.Stats().TokensIssued != 1 {
		t.Errorf("tokens_issued %d", h.srv.Stats().TokensIssued)
	}
}

func TestGrantConsent(t *testing.T) {
	h := start(t, Options{})
	user := h.srv.Credentials().UserID
	h.srv.RequireConsent(user)
	if resp := h.grant(signJWT(t, testKey(), h.validClaims())); resp.status != http.StatusBadRequest {
		t.Fatalf("before consent: status %d", resp.status)
	}
	h.srv.GrantConsent(user)
	if resp := h.grant(signJWT(t, testKey(), h.validClaims())); resp.status != http.StatusOK {
		t.Fatalf("after consent: status %d %s", resp.status, resp.body)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	h := start(t, Options{})
	tests := []struct {
		name string
		form url.Values
		code string
	}{
		{"wrong grant type", url.Values{"grant_type": {"password"}}, "unsupported_grant_type"},
		{"not a JWT", url.Values{"grant_type": {jwtBearer}, "assertion": {"abc"}}, "invalid_grant"},
		{"bad segments", url.Values{"grant_type": {jwtBearer}, "assertion": {"a.b.c"}}, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.PostForm(h.srv.AuthURL()+"/oauth/token", tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestAdminAuth(t *testing.T) {
	h := start(t, Options{})
	accounts := h.srv.BaseURL() + h.org("/assetGroups/accounts")

	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "USER_AUTHENTICATION_FAILED"},
		{"unknown token", "sim.nope", 401, "AUTHORIZATION_INVALID_TOKEN"},
		{"session token", h.token, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.send("GET", accounts, tt.token, nil)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d", resp.status, tt.status)
			}
			if tt.code != "" && resp.apiErr(t).ErrorCode != tt.code {
				t.Errorf("error %s, want %s", resp.body, tt.code)
			}
		})
	}

	t.Run("expired by ExpireTokens", func(t *testing.T) {
		h.srv.ExpireTokens()
		if resp := h.send("GET", accounts, h.token, nil); resp.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", resp.status)
		}
	})
}

func TestAddIntegrationKey(t *testing.T) {
	h := start(t, Options{})
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.AddIntegrationKey("second-app", &key.PublicKey)

	claims := h.validClaims()
	claims["iss"] = "second-app"
	if resp := h.grant(signJWT(t, key, claims)); resp.status != http.StatusOK {
		t.Errorf("status %d: %s", resp.status, resp.body)
	}
}

func TestCredentialsKey(t *testing.T) {
	h := start(t, Options{})
	block, _ := pem.Decode(h.srv.Credentials().PrivateKeyPEM)
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatalf("private key PEM block %v", block)
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if resp := h.grant(signJWT(t, key, h.validClaims())); resp.status != http.StatusOK {
		t.Errorf("grant with the credentials key: status %d", resp.status)
	}
}

func TestUserinfo(t *testing.T) {
	h := start(t, Options{})
	resp := h.send("GET", h.srv.AuthURL()+"/oauth/userinfo", h.token, nil)
	var info struct {
		Sub      string `json:"sub"`
		Email    string `json:"email"`
		Accounts []struct {
			AccountID    string `json:"account_id"`
			IsDefault    bool   `json:"is_default"`
			Organization struct {
				OrganizationID string `json:"organization_id"`
			} `json:"organization"`
		} `json:"accounts"`
	}
	resp.json(t, &info)
	if info.Sub != h.srv.Credentials().UserID || info.Email != testAdmin || len(info.Accounts) != 4 ||
		!info.Accounts[0].IsDefault || info.Accounts[0].Organization.OrganizationID != testOrgID {
		t.Errorf("userinfo %+v", info)
	}

	if resp := h.send("GET", h.srv.AuthURL()+"/oauth/userinfo", "", nil); resp.status != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", resp.status)
	}
}
