package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Endpoint names, as counted in Stats.RequestsByEndpoint.
const (
	EndpointClonePost     = "clone_post"
	EndpointCloneGet      = "clone_get"
	EndpointCloneList     = "clone_list"
	EndpointAccounts      = "accounts"
	EndpointOrganizations = "organizations"
	EndpointToken         = "oauth_token"
	EndpointUserinfo      = "oauth_userinfo"
	EndpointNotFound      = "not_found"
)

// requestFaults are the faults drawn per Admin API request, in draw order.
var requestFaults = []string{
	FaultReset, Fault502HTML, Fault500, Fault429, FaultSlow, FaultLostAnswer,
}

// route is a matched Admin API call.
type route struct {
	endpoint     string
	method       string
	scope        string
	orgID        string
	assetGroupID string
	workID       string
}

// matchAdmin maps a path to an Admin API call. Literal segments match
// without regard to case, as Docusign's front end does.
func matchAdmin(path string) (route, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	is := func(i int, want string) bool { return i < len(segs) && strings.EqualFold(segs[i], want) }

	if len(segs) < 3 || !is(0, "management") || !(is(1, "v2") || is(1, "v1")) ||
		!is(2, "organizations") {
		return route{}, false
	}
	if len(segs) == 3 {
		return route{endpoint: EndpointOrganizations, method: http.MethodGet, scope: ScopeOrgRead}, true
	}

	rt := route{orgID: segs[3]}
	rest := segs[4:]
	switch {
	case len(rest) == 2 && is(4, "assetGroups") && is(5, "accountClone"):
		rt.endpoint, rt.method, rt.scope = EndpointClonePost, http.MethodPost, ScopeCloneWrite
	case len(rest) == 2 && is(4, "assetGroups") && is(5, "accountClones"):
		rt.endpoint, rt.method, rt.scope = EndpointCloneList, http.MethodGet, ScopeCloneRead
	case len(rest) == 2 && is(4, "assetGroups") && is(5, "accounts"):
		rt.endpoint, rt.method, rt.scope = EndpointAccounts, http.MethodGet, ScopeAccountRead
	case len(rest) == 4 && is(4, "assetGroups") && is(6, "accountClones"):
		rt.endpoint, rt.method, rt.scope = EndpointCloneGet, http.MethodGet, ScopeCloneRead
		rt.assetGroupID, rt.workID = rest[1], rest[3]
	default:
		return route{}, false
	}
	return rt, true
}

// serve is the root handler: stats, OAuth, then the Admin API.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_sim/stats" {
		writeJSON(w, http.StatusOK, s.Stats())
		return
	}
	w.Header().Set("X-DocuSign-TraceToken", s.newGUID())

	switch strings.ToLower(r.URL.Path) {
	case "/oauth/token":
		s.count(EndpointToken)
		s.handleToken(w, r)
		return
	case "/oauth/userinfo":
		s.count(EndpointUserinfo)
		s.handleUserinfo(w, r)
		return
	}

	rt, ok := matchAdmin(r.URL.Path)
	if !ok {
		s.count(EndpointNotFound)
		writeHTML(w, http.StatusNotFound, notFoundPage)
		return
	}
	s.count(rt.endpoint)
	if rt.endpoint == EndpointClonePost && r.Method == http.MethodPost {
		// Every POST received counts, whatever a fault or limit does to it.
		s.mu.Lock()
		s.stats.ClonePosts++
		s.mu.Unlock()
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			fmt.Sprintf("%s is not allowed here; use %s", r.Method, rt.method))
		return
	}
	s.serveAdmin(w, r, rt)
}

// serveAdmin runs one Admin API call through faults, rate limits, the token
// and organization checks, and then its handler.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, rt route) {
	fault := s.drawFault(rt.endpoint == EndpointClonePost)
	if fault == FaultReset {
		cutConnection(w)
		return
	}
	if !s.admitCall(w) {
		return
	}

	// Faults that stand for a failing gateway or service answer instead.
	switch fault {
	case Fault429:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, codeBurstLimit,
			"The maximum number of burst API invocations has been exceeded.")
		return
	case Fault500:
		writeError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
			"An unexpected error occurred while processing the request.")
		return
	case Fault502HTML:
		writeHTML(w, http.StatusBadGateway, badGatewayPage)
		return
	case FaultSlow:
		if !sleep(r, s.opts.SlowDelay) {
			return
		}
	}

	if status, code, msg := s.authorize(r, rt.scope); status != 0 {
		writeError(w, status, code, msg)
		return
	}
	if rt.endpoint != EndpointOrganizations && !strings.EqualFold(rt.orgID, s.org.OrgID) {
		writeError(w, http.StatusNotFound, "ORGANIZATION_NOT_FOUND",
			fmt.Sprintf("organization %s not found, or the user is not one of its administrators", rt.orgID))
		return
	}

	switch rt.endpoint {
	case EndpointOrganizations:
		s.handleOrganizations(w)
	case EndpointClonePost:
		s.handleClonePost(w, r, fault == FaultLostAnswer)
	case EndpointCloneGet:
		s.handleCloneGet(w, r, rt)
	case EndpointCloneList:
		s.handleCloneList(w, r)
	case EndpointAccounts:
		s.handleAccounts(w, r)
	}
}

// sleep waits d unless the request is cancelled first; it reports whether
// the wait ran to its end.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// count adds one request to the endpoint's counter.
func (s *Server) count(endpoint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.RequestsByEndpoint[endpoint]++
}

// newGUID draws a GUID from the seeded generator.
func (s *Server) newGUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return randomGUID(s.rng)
}

// drawFault draws at most one request fault; lost-answer only for a POST.
func (s *Server) drawFault(isPost bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	for _, name := range requestFaults {
		rate := s.opts.Faults[name]
		if rate <= 0 || (name == FaultLostAnswer && !isPost) {
			continue
		}
		if s.rng.Float64() < rate {
			s.stats.FaultsInjected[name]++
			return name
		}
	}
	return ""
}

// admitCall counts the call against the rate limits and sets the limit
// headers. Over a limit it answers the limit error and reports false.
func (s *Server) admitCall(w http.ResponseWriter) bool {
	s.mu.Lock()
	v := s.limits.admit(s.opts.clock())
	if v.code != "" {
		s.stats.RateLimited++
	}
	s.mu.Unlock()

	for k, vals := range v.headers {
		w.Header()[k] = vals
	}
	if v.code == "" {
		return true
	}

	msg := fmt.Sprintf("The maximum number of hourly API invocations has been exceeded. "+
		"Hourly Limit is %d.", s.opts.HourlyLimit)
	if v.code == codeBurstLimit {
		msg = fmt.Sprintf("The maximum number of burst API invocations has been exceeded. "+
			"Burst Limit is %d per %s.", s.opts.BurstLimit, s.opts.BurstWindow)
	}
	if s.opts.LimitStatus == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", retryAfterSeconds(v.retryAfter))
	}
	writeError(w, s.opts.LimitStatus, v.code, msg)
	return false
}

// authorize checks the bearer token and its scope; a non-zero status is the
// answer to send.
func (s *Server) authorize(r *http.Request, scope string) (int, string, string) {
	tok := bearer(r)
	if tok == "" {
		return http.StatusUnauthorized, "USER_AUTHENTICATION_FAILED",
			"No access token: send Authorization: Bearer <token>."
	}

	s.mu.Lock()
	t, known := s.tokens[tok]
	now := s.opts.clock()
	s.mu.Unlock()

	switch {
	case !known || (!t.expires.IsZero() && !now.Before(t.expires)):
		return http.StatusUnauthorized, "AUTHORIZATION_INVALID_TOKEN",
			"The access token provided is expired, revoked or malformed."
	case !t.scopes[scope]:
		return http.StatusForbidden, "USER_LACKS_PERMISSIONS",
			fmt.Sprintf("The access token lacks the %s scope.", scope)
	}
	return 0, "", ""
}

// handleOrganizations lists the user's organizations: the simulator's one.
func (s *Server) handleOrganizations(w http.ResponseWriter) {
	type organization struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Description      string `json:"description"`
		DefaultAccountID string `json:"default_account_id,omitempty"`
		CreatedOn        string `json:"created_on"`
	}

	org := organization{
		ID:          s.org.OrgID,
		Name:        "Simulated organization",
		Description: "served by the dsclone simulator",
		CreatedOn:   s.start.UTC().Format(dateLayout),
	}
	if len(s.org.Accounts) > 0 {
		org.DefaultAccountID = s.org.Accounts[0].AccountID
	}
	writeJSON(w, http.StatusOK, map[string]any{"organizations": []organization{org}})
}

// handleAccounts lists the organization's asset group accounts. With
// compliant=true (or false) only those come back, without the compliant field.
func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	type account struct {
		AssetGroupID      string `json:"assetGroupId"`
		AssetGroupName    string `json:"assetGroupName"`
		AccountID         string `json:"accountId"`
		AccountName       string `json:"accountName"`
		ExternalAccountID int64  `json:"externalAccountId"`
		Compliant         *bool  `json:"compliant,omitempty"`
		SiteID            int    `json:"siteId"`
		SiteName          string `json:"siteName"`
	}

	filter, err := optionalBool(r, "compliant")
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}

	out := []account{}
	for _, acc := range s.org.Accounts {
		if filter != nil && acc.Compliant != *filter {
			continue
		}
		a := account{
			AssetGroupID: acc.AssetGroupID, AssetGroupName: acc.AssetGroupName,
			AccountID: acc.AccountID, AccountName: acc.AccountName,
			ExternalAccountID: externalID(acc.AccountID), SiteID: 1, SiteName: "DEMO",
		}
		if filter == nil {
			a.Compliant = &acc.Compliant
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"assetGroupAccounts": out})
}

// handleClonePost validates a clone request, applies the lane rule and
// accepts the clone. With lostAnswer the clone is created and the connection
// cut before the answer.
func (s *Server) handleClonePost(w http.ResponseWriter, r *http.Request, lostAnswer bool) {
	var req cloneRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&req); err != nil {
		s.reject(w, http.StatusBadRequest, codeInvalidRequest,
			fmt.Sprintf("The request body is not a valid clone request: %v", err))
		return
	}

	s.mu.Lock()
	src, msg := s.validateRequest(req)
	if msg != "" {
		s.mu.Unlock()
		s.reject(w, http.StatusBadRequest, codeInvalidRequest, msg)
		return
	}
	now := s.opts.clock()
	lane := laneKey(s.opts.LaneKey, src)
	if activeCount(s.lanes, lane, now) >= s.opts.LaneWidth {
		s.stats.RejectedBusy++
		s.mu.Unlock()
		writeError(w, s.opts.BusyStatus, codeBusy, fmt.Sprintf(
			"max number of active clones for this Source Account has been reached (%d)",
			s.opts.LaneWidth))
		return
	}
	c := s.accept(req, src, lane, now)
	rec := c.record(now, true)
	s.mu.Unlock()

	if lostAnswer {
		cutConnection(w)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// reject answers a clone request refused for its own data.
func (s *Server) reject(w http.ResponseWriter, status int, code, msg string) {
	s.mu.Lock()
	s.stats.RejectedInvalid++
	s.mu.Unlock()
	writeError(w, status, code, msg)
}

// laneKey is the key the lane rule counts a clone of src under.
func laneKey(rule string, src Account) string {
	if rule == LaneSourceAccount {
		return "account:" + src.AccountID
	}
	return "group:" + src.AssetGroupID
}

// activeCount counts the clones under key still active at now, dropping the
// finished ones from the index. The caller holds s.mu.
func activeCount(index map[string][]*clone, key string, now time.Time) int {
	list := index[key][:0]
	for _, c := range index[key] {
		if c.active(now) {
			list = append(list, c)
		}
	}
	index[key] = list
	return len(list)
}

// accept creates the clone, draws its duration and fate, and counts it. The
// caller holds s.mu.
func (s *Server) accept(req cloneRequest, src Account, lane string, now time.Time) *clone {
	t := req.TargetAccount
	c := &clone{
		workID:         randomGUID(s.rng),
		cloneRequestID: randomGUID(s.rng),
		orderID:        randomGUID(s.rng),
		newAccountID:   randomGUID(s.rng),
		source:         src,
		target: targetAccount{
			Name: t.Name, CountryCode: t.CountryCode, Region: t.Region, Admin: t.Admin,
		},
		created:  now.Truncate(time.Millisecond),
		duration: s.drawDuration(),
		fate:     s.drawFate(),
		byName:   s.user.name,
		byEmail:  s.user.email,
	}

	s.clones[c.workID] = c
	s.order = append(s.order, c)
	s.lanes[lane] = append(s.lanes[lane], c)
	s.groups[src.AssetGroupID] = append(s.groups[src.AssetGroupID], c)
	s.triples[tripleKey(src.AccountID, t.Name, t.Admin.Email)]++

	s.stats.ClonesAccepted++
	s.stats.BusySecondsByAssetGroup[src.AssetGroupID] += c.duration.Seconds()
	active := activeCount(s.groups, src.AssetGroupID, now)
	s.stats.MaxActivePerAssetGroup = max(s.stats.MaxActivePerAssetGroup, active)
	return c
}

// drawDuration draws a clone duration, uniform within the spread, at least
// a millisecond. The caller holds s.mu.
func (s *Server) drawDuration() time.Duration {
	d := s.opts.CloneTime
	if spread := s.opts.CloneSpread; spread > 0 {
		d += time.Duration(s.rng.Int64N(int64(2*spread)+1)) - spread
	}
	return max(d, time.Millisecond)
}

// drawFate draws whether a clone will fail for good, fail and recover, or
// run cleanly. The caller holds s.mu.
func (s *Server) drawFate() string {
	for _, name := range []string{FaultPermanentFailure, FaultProcessingError} {
		if rate := s.opts.Faults[name]; rate > 0 && s.rng.Float64() < rate {
			s.stats.FaultsInjected[name]++
			return name
		}
	}
	return ""
}

// handleCloneGet answers one clone by asset group and work id.
func (s *Server) handleCloneGet(w http.ResponseWriter, r *http.Request, rt route) {
	details, err := optionalBool(r, "include_details")
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}

	s.mu.Lock()
	c, ok := s.clones[strings.ToLower(rt.workID)]
	var rec cloneRecord
	if ok {
		rec = c.record(s.opts.clock(), details != nil && *details)
	}
	s.mu.Unlock()

	if !ok || !strings.EqualFold(rec.AssetGroupID, rt.assetGroupID) {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf(
			"asset group work %s not found in asset group %s", rt.workID, rt.assetGroupID))
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// handleCloneList answers the organization's clones created on or after
// since_updated_date, leaving out those younger than the listing lag.
func (s *Server) handleCloneList(w http.ResponseWriter, r *http.Request) {
	details, err := optionalBool(r, "include_details")
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	since, err := parseSince(r.URL.Query().Get("since_updated_date"))
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}

	s.mu.Lock()
	now := s.opts.clock()
	works := []cloneRecord{}
	for _, c := range s.order {
		if c.created.Before(since) || now.Sub(c.created) < s.opts.ListingLag {
			continue
		}
		works = append(works, c.record(now, details != nil && *details))
	}
	s.mu.Unlock()

	sort.SliceStable(works, func(i, j int) bool { return works[i].CreatedDate < works[j].CreatedDate })
	writeJSON(w, http.StatusOK, map[string]any{"assetGroupWorks": works})
}

// parseSince reads since_updated_date: RFC 3339, or a date or date-time
// without zone, read as UTC. Empty means every clone.
func parseSince(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("since_updated_date %q is not an RFC 3339 date-time", v)
}

// optionalBool reads a boolean query parameter; nil when absent.
func optionalBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not true or false", name, v)
	}
	return &b, nil
}
