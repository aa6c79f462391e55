package simulator

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ids of the test organization.
const (
	testOrgID  = "11111111-1111-4111-8111-111111111111"
	groupOne   = "22222222-2222-4222-8222-222222222221"
	groupTwo   = "22222222-2222-4222-8222-222222222222"
	accOne     = "33333333-3333-4333-8333-333333333331" // groupOne
	accTwo     = "33333333-3333-4333-8333-333333333332" // groupOne
	accThree   = "33333333-3333-4333-8333-333333333333" // groupTwo
	accNotOK   = "33333333-3333-4333-8333-333333333334" // groupTwo, not compliant
	testAdmin  = "admin@example.com"
	otherAdmin = "other@example.com"
)

// testKey is one RSA key shared by every test server, generated once.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

func testOrg() Org {
	return Org{
		OrgID:  testOrgID,
		Admins: []string{testAdmin, otherAdmin},
		Accounts: []Account{
			{AccountID: accOne, AssetGroupID: groupOne, Compliant: true},
			{AccountID: accTwo, AssetGroupID: groupOne, Compliant: true},
			{AccountID: accThree, AssetGroupID: groupTwo, Compliant: true},
			{AccountID: accNotOK, AssetGroupID: groupTwo, Compliant: false},
		},
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a started test server with its clock.
type harness struct {
	t     *testing.T
	srv   *Server
	clock *fakeClock
	token string
}

// start runs a server for the test with a fake clock and the test
// organization, unless opts gives one.
func start(t *testing.T, opts Options) *harness {
	t.Helper()

	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts.clock = clock.Now
	opts.PrivateKey = testKey()
	if opts.CloneTime == 0 {
		opts.CloneTime = time.Minute
	}
	if len(opts.Org.Accounts) == 0 {
		opts.Org = testOrg()
	}

	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &harness{t: t, srv: srv, clock: clock, token: srv.Credentials().AccessToken}
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// apiErr decodes the body as an Admin API error.
func (r response) apiErr(t *testing.T) apiError {
	t.Helper()
	var e apiError
	r.json(t, &e)
	return e
}

// call sends method to the Admin API path (under the base URL) with the
// session token; a nil body sends none.
func (h *harness) call(method, path string, body any) response {
	h.t.Helper()
	return h.send(method, h.srv.BaseURL()+path, h.token, body)
}

// org is the test organization's path prefix.
func (h *harness) org(path string) string { return "/v2/organizations/" + testOrgID + path }

// send sends a request and reads the answer; a transport error fails the test.
func (h *harness) send(method, url, token string, body any) response {
	h.t.Helper()
	resp, err := h.try(method, url, token, body)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

// try sends a request and returns the transport error, if any.
func (h *harness) try(method, url, token string, body any) (response, error) {
	h.t.Helper()

	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		h.t.Fatalf("build request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// post posts a clone request and returns the answer.
func (h *harness) post(body any) response {
	h.t.Helper()
	return h.call(http.MethodPost, h.org("/assetGroups/accountClone"), body)
}

// mustClone posts a clone request that must be accepted.
func (h *harness) mustClone(body any) cloneRecord {
	h.t.Helper()
	resp := h.post(body)
	if resp.status != http.StatusOK {
		h.t.Fatalf("clone: status %d: %s", resp.status, resp.body)
	}
	var rec cloneRecord
	resp.json(h.t, &rec)
	return rec
}

// getClone reads one clone.
func (h *harness) getClone(rec cloneRecord, details bool) cloneRecord {
	h.t.Helper()
	path := h.org("/assetGroups/" + rec.AssetGroupID + "/accountClones/" + rec.AssetGroupWorkID)
	if details {
		path += "?include_details=true"
	}
	resp := h.call(http.MethodGet, path, nil)
	if resp.status != http.StatusOK {
		h.t.Fatalf("get clone: status %d: %s", resp.status, resp.body)
	}
	var got cloneRecord
	resp.json(h.t, &got)
	return got
}

// list reads the clone list with the query.
func (h *harness) list(query string) []cloneRecord {
	h.t.Helper()
	resp := h.call(http.MethodGet, h.org("/assetGroups/accountClones?"+query), nil)
	if resp.status != http.StatusOK {
		h.t.Fatalf("list clones: status %d: %s", resp.status, resp.body)
	}
	var out struct {
		Works []cloneRecord `json:"assetGroupWorks"`
	}
	resp.json(h.t, &out)
	return out.Works
}

// cloneBody is a valid clone request body for source, name and admin email.
func cloneBody(source, name, email string) map[string]any {
	return map[string]any{
		"sourceAccount": map[string]any{"id": source},
		"targetAccount": map[string]any{
			"name":        name,
			"countryCode": "US",
			"admin": map[string]any{
				"firstName": "Ada", "lastName": "Lovelace", "email": email, "locale": "en",
			},
		},
	}
}

// grant posts a JWT assertion to the token endpoint.
func (h *harness) grant(assertion string) response {
	h.t.Helper()
	form := url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
	resp, err := http.Post(h.srv.AuthURL()+"/oauth/token", "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatalf("post token: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// validClaims are the claims of a good assertion for the harness.
func (h *harness) validClaims() map[string]any {
	now := h.clock.Now().Unix()
	creds := h.srv.Credentials()
	return map[string]any{
		"iss": creds.IntegrationKey, "sub": creds.UserID,
		"aud": strings.TrimPrefix(h.srv.AuthURL(), "http://"),
		"iat": now, "exp": now + 3600,
		"scope": "signature impersonation asset_group_account_read asset_group_account_clone_read",
	}
}

// signJWT signs claims with key as an RS256 JWT.
func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode JWT part: %v", err)
		}
		return base64.RawURLEncoding.EncodeToString(data)
	}

	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatalf("sign JWT: %v", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}
