package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoutes(t *testing.T) {
	h := start(t, Options{})
	h.mustClone(cloneBody(accOne, "Routes", testAdmin))

	tests := []struct {
		name, method, path string
		status             int
		html               bool
		bodyHas            string
	}{
		{"organizations", "GET", "/v2/organizations", 200, false, testOrgID},
		{"organizations v1", "GET", "/v1/organizations", 200, false, `"organizations"`},
		{"accounts", "GET", "/v2/organizations/" + testOrgID + "/assetGroups/accounts", 200, false,
			`"compliant":false`},
		{"compliant accounts", "GET", "/v2/organizations/" + testOrgID +
			"/assetGroups/accounts?compliant=true", 200, false, `"assetGroupName"`},
		{"list", "GET", "/v1/organizations/" + testOrgID + "/assetGroups/accountClones", 200,
			false, `"assetGroupWorks"`},
		{"org id in upper case", "GET", "/v2/organizations/" + strings.ToUpper(testOrgID) +
			"/assetGroups/accountClones", 200, false, "Routes"},
		{"unknown org", "GET", "/v2/organizations/" + groupOne + "/assetGroups/accounts", 404,
			false, "ORGANIZATION_NOT_FOUND"},
		{"unknown work id", "GET", "/v2/organizations/" + testOrgID + "/assetGroups/" + groupOne +
			"/accountClones/" + accOne, 404, false, codeNotFound},
		{"bad compliant", "GET", "/v2/organizations/" + testOrgID +
			"/assetGroups/accounts?compliant=maybe", 400, false, "compliant"},
		{"wrong method", "GET", "/v2/organizations/" + testOrgID + "/assetGroups/accountClone",
			405, false, "METHOD_NOT_ALLOWED"},
		{"unknown path", "GET", "/v2/organizations/" + testOrgID + "/assetGroups/nothing", 404,
			true, "404 - File or directory not found"},
		{"feature post path", "POST", "/v2/organizations/" + testOrgID + "/assetGroups/" +
			groupOne + "/account_clones", 404, true, "File or directory not found"},
		{"no version", "GET", "/organizations", 404, true, "File or directory not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{"/Management", "/management"} {
				resp := h.send(tt.method, h.srv.AuthURL()+prefix+tt.path, h.token, nil)
				if resp.status != tt.status {
					t.Fatalf("%s: status %d, want %d: %s", prefix, resp.status, tt.status, resp.body)
				}
				isHTML := resp.header.Get("Content-Type") == "text/html"
				if isHTML != tt.html {
					t.Errorf("%s: content type %q", prefix, resp.header.Get("Content-Type"))
				}
				if !strings.Contains(string(resp.body), tt.bodyHas) {
					t.Errorf("%s: body %s lacks %q", prefix, resp.body, tt.bodyHas)
				}
				if resp.header.Get("X-DocuSign-TraceToken") == "" {
					t.Errorf("%s: no trace token", prefix)
				}
			}
		})
	}
}

func TestAccountsCompliantFilter(t *testing.T) {
	h := start(t, Options{})

	tests := []struct {
		name, query string
		want        int
		hasField    bool
	}{
		{"all", "", 4, true},
		{"compliant", "?compliant=true", 3, false},
		{"not compliant", "?compliant=false", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.call("GET", h.org("/assetGroups/accounts"+tt.query), nil)
			var out struct {
				Accounts []map[string]any `json:"assetGroupAccounts"`
			}
			resp.json(t, &out)
			if len(out.Accounts) != tt.want {
				t.Fatalf("got %d accounts, want %d", len(out.Accounts), tt.want)
			}
			_, has := out.Accounts[0]["compliant"]
			if has != tt.hasField {
				t.Errorf("compliant field present %v, want %v", has, tt.hasField)
			}
			for _, field := range []string{"assetGroupId", "accountId", "accountName", "assetGroupName"} {
				if out.Accounts[0][field] == "" || out.Accounts[0][field] == nil {
					t.Errorf("field %s empty", field)
				}
			}
		})
	}
}

func TestCloneValidation(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(b map[string]any)
		message string
	}{
		{"no source", func(b map[string]any) { b["sourceAccount"] = map[string]any{} }, "sourceAccount.id is required"},
		{"source not a GUID", func(b map[string]any) { src(b)["id"] = "abc" }, "not a valid GUID"},
		{"no name", func(b map[string]any) { target(b)["name"] = " " }, "name is required"},
		{"long name", func(b map[string]any) { target(b)["name"] = strings.Repeat("é", 101) }, "at most 100"},
		{"no first name", func(b map[string]any) { admin(b)["firstName"] = "" }, "firstName is required"},
		{"no last name", func(b map[string]any) { admin(b)["lastName"] = "" }, "lastName is required"},
		{"no email", func(b map[string]any) { admin(b)["email"] = "" }, "email is required"},
		{"bad email", func(b map[string]any) { admin(b)["email"] = "not an email" }, "not a valid email"},
		{"no country or region", func(b map[string]any) { delete(target(b), "countryCode") }, "countryCode or targetAccount.region"},
		{"bad country", func(b map[string]any) { target(b)["countryCode"] = "USA" }, "alpha-2"},
		{"bad region", func(b map[string]any) { target(b)["region"] = "APAC" }, "region"},
		{"bad locale", func(b map[string]any) { admin(b)["locale"] = "klingon" }, "locale"},
		{"unknown source", func(b map[string]any) { src(b)["id"] = groupOne }, "not an asset group account"},
		{"not compliant", func(b map[string]any) { src(b)["id"] = accNotOK }, "not compliant"},
		{"admin not an org admin", func(b map[string]any) { admin(b)["email"] = "x@example.com" }, "not an administrator"},
	}
	h := start(t, Options{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := cloneBody(accOne, "Validation", testAdmin)
			tt.edit(body)

			resp := h.post(body)
			if resp.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.status, resp.body)
			}
			e := resp.apiErr(t)
			if e.ErrorCode != codeInvalidRequest || !strings.Contains(e.Message, tt.message) {
				t.Errorf("error %+v, want %s with %q", e, codeInvalidRequest, tt.message)
			}
			if e.Error != e.ErrorCode || e.ErrorDescription != e.Message {
				t.Errorf("error and error_description %+v differ from errorCode and message", e)
			}
			if got := h.srv.Stats().RejectedInvalid; got != i+1 {
				t.Errorf("rejected_invalid %d, want %d", got, i+1)
			}
		})
	}

	t.Run("not JSON", func(t *testing.T) {
		resp := h.call(http.MethodPost, h.org("/assetGroups/accountClone"), "just a string")
		if resp.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.status)
		}
	})
	t.Run("region wins over a bad country", func(t *testing.T) {
		body := cloneBody(accOne, "Region", testAdmin)
		target(body)["countryCode"] = "Narnia"
		target(body)["region"] = "eu"
		h.mustClone(body)
	})
}

func src(b map[string]any) map[string]any    { return b["sourceAccount"].(map[string]any) }
func target(b map[string]any) map[string]any { return b["targetAccount"].(map[string]any) }
func admin(b map[string]any) map[string]any  { return target(b)["admin"].(map[string]any) }

func TestCloneLifecycle(t *testing.T) {
	h := start(t, Options{CloneTime: 100 * time.Second})
	rec := h.mustClone(cloneBody(accOne, "Lifecycle", testAdmin))

	if rec.Status != statusPending || rec.TargetAccount.ID != zeroGUID || rec.Attempts != 0 {
		t.Fatalf("posted %+v, want Pending, zero target id, no attempts", rec)
	}
	if rec.AssetGroupID != groupOne || rec.AssetGroupWorkType != "AccountAssetClone" ||
		!isGUID(rec.AssetGroupWorkID) || !isGUID(rec.CloneRequestID) || !isGUID(rec.OrderID) {
		t.Errorf("posted ids %+v", rec)
	}
	if rec.TargetAccount.Name != "Lifecycle" || rec.TargetAccount.Admin.Email != testAdmin ||
		rec.SourceAccount.ID != accOne || rec.CreatedByEmail != testAdmin {
		t.Errorf("posted record %+v does not echo the request", rec)
	}
	if _, err := time.Parse(time.RFC3339, rec.CreatedDate); err != nil {
		t.Errorf("createdDate %q: %v", rec.CreatedDate, err)
	}

	steps := []struct {
		advance  time.Duration
		status   string
		attempts int
		complete bool
	}{
		{10 * time.Second, statusPending, 0, false},
		{20 * time.Second, statusProcessing, 1, false},
		{69 * time.Second, statusProcessing, 1, false},
		{1 * time.Second, statusCompleted, 1, true},
		{time.Hour, statusCompleted, 1, true},
	}
	for _, st := range steps {
		h.clock.Advance(st.advance)
		got := h.getClone(rec, true)
		if got.Status != st.status || got.Attempts != st.attempts {
			t.Fatalf("after %s: %s attempts %d, want %s attempts %d",
				st.advance, got.Status, got.Attempts, st.status, st.attempts)
		}
		if complete := got.TargetAccount.ID != zeroGUID; complete != st.complete {
			t.Fatalf("after %s: target id %s", st.advance, got.TargetAccount.ID)
		}
	}

	t.Run("wrong asset group", func(t *testing.T) {
		path := h.org("/assetGroups/" + groupTwo + "/accountClones/" + rec.AssetGroupWorkID)
		if resp := h.call("GET", path, nil); resp.status != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.status)
		}
	})
}

func TestCloneFates(t *testing.T) {
	tests := []struct {
		fault        string
		midStatus    string
		endStatus    string
		endAttempts  int
		endHasDetail bool
	}{
		{FaultProcessingError, statusProcessingError, statusCompleted, 4, false},
		{FaultPermanentFailure, statusProcessingError, statusPermanentFailure, maxAttempts, true},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			h := start(t, Options{CloneTime: 100 * time.Second, Faults: map[string]float64{tt.fault: 1}})
			rec := h.mustClone(cloneBody(accOne, "Fate", testAdmin))

			h.clock.Advance(40 * time.Second)
			first := h.getClone(rec, true)
			h.clock.Advance(30 * time.Second)
			later := h.getClone(rec, true)
			if first.Status != tt.midStatus || first.CloneProcessingFailureDetails == nil {
				t.Fatalf("mid-way %s %+v, want %s with details", first.Status,
					first.CloneProcessingFailureDetails, tt.midStatus)
			}
			if later.Attempts <= first.Attempts {
				t.Errorf("attempts %d then %d: want them counting up", first.Attempts, later.Attempts)
			}
			if plain := h.getClone(rec, false); plain.CloneProcessingFailureDetails != nil {
				t.Errorf("failure details without include_details")
			}

			h.clock.Advance(time.Minute)
			end := h.getClone(rec, true)
			if end.Status != tt.endStatus || end.Attempts != tt.endAttempts ||
				(end.CloneProcessingFailureDetails != nil) != tt.endHasDetail {
				t.Errorf("end %s attempts %d details %+v", end.Status, end.Attempts,
					end.CloneProcessingFailureDetails)
			}
			if got := h.srv.Stats().FaultsInjected[tt.fault]; got != 1 {
				t.Errorf("faults_injected[%s] = %d, want 1", tt.fault, got)
			}
		})
	}
}

func TestLanes(t *testing.T) {
	type post struct {
		source string
		wantOK bool
	}
	tests := []struct {
		name       string
		opts       Options
		posts      []post
		maxActive  int
		busyStatus int
	}{
		{"asset group, width 1", Options{},
			[]post{{accOne, true}, {accTwo, false}, {accOne, false}, {accThree, true}}, 1, 400},
		{"source account, width 1", Options{LaneKey: LaneSourceAccount},
			[]post{{accOne, true}, {accTwo, true}, {accOne, false}, {accThree, true}}, 2, 400},
		{"asset group, width 2", Options{LaneWidth: 2},
			[]post{{accOne, true}, {accTwo, true}, {accOne, false}}, 2, 400},
		{"busy status 429", Options{BusyStatus: 429},
			[]post{{accOne, true}, {accTwo, false}}, 1, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.opts)
			busy := 0
			for i, p := range tt.posts {
				resp := h.post(cloneBody(p.source, "Lane "+string(rune('A'+i)), testAdmin))
				if p.wantOK {
					if resp.status != http.StatusOK {
						t.Fatalf("post %d: status %d: %s", i, resp.status, resp.body)
					}
					continue
				}
				busy++
				e := resp.apiErr(t)
				width := max(tt.opts.LaneWidth, 1)
				wantMsg := "max number of active clones for this Source Account has been reached (" +
					string(rune('0'+width)) + ")"
				if resp.status != tt.busyStatus || e.ErrorCode != codeBusy || e.Message != wantMsg {
					t.Fatalf("post %d: status %d %+v, want busy %d", i, resp.status, e, tt.busyStatus)
				}
			}

			st := h.srv.Stats()
			if st.RejectedBusy != busy || st.MaxActivePerAssetGroup != tt.maxActive ||
				st.ClonePosts != len(tt.posts) || st.ClonesAccepted != len(tt.posts)-busy {
				t.Errorf("stats %+v: want busy %d, max active %d", st, busy, tt.maxActive)
			}

			h.clock.Advance(time.Minute)
			h.mustClone(cloneBody(tt.posts[0].source, "After the lane frees", testAdmin))
		})
	}
}

func TestCloneList(t *testing.T) {
	h := start(t, Options{ListingLag: 5 * time.Second})
	first := h.mustClone(cloneBody(accOne, "First", testAdmin))
	h.clock.Advance(10 * time.Second)
	second := h.mustClone(cloneBody(accThree, "Second", testAdmin))

	created, _ := time.Parse(time.RFC3339, second.CreatedDate)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"everything older than the lag", "", []string{first.AssetGroupWorkID}},
		{"since the second, within the lag", "since_updated_date=" + created.Format(time.RFC3339Nano), nil},
		{"since a date", "since_updated_date=2025-03-01&include_details=false", []string{first.AssetGroupWorkID}},
		{"since tomorrow", "since_updated_date=2025-03-02T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.list(tt.query)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d clones, want %v", len(got), tt.want)
			}
			for i := range got {
				if got[i].AssetGroupWorkID != tt.want[i] {
					t.Errorf("clone %d is %s, want %s", i, got[i].AssetGroupWorkID, tt.want[i])
				}
			}
		})
	}

	t.Run("after the lag", func(t *testing.T) {
		h.clock.Advance(5 * time.Second)
		if got := h.list("since_updated_date=" + created.Format(time.RFC3339Nano)); len(got) != 1 ||
			got[0].AssetGroupWorkID != second.AssetGroupWorkID {
			t.Errorf("got %+v, want the second clone", got)
		}
	})
	t.Run("bad date", func(t *testing.T) {
		resp := h.call("GET", h.org("/assetGroups/accountClones?since_updated_date=yesterday"), nil)
		if resp.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.status)
		}
	})
}

func TestStatsCounters(t *testing.T) {
	h := start(t, Options{CloneTime: 10 * time.Second, CloneSpread: 5 * time.Second, Seed: 7})

	h.mustClone(cloneBody(accOne, "Twice", testAdmin))
	h.clock.Advance(time.Minute)
	h.mustClone(cloneBody(strings.ToUpper(accOne), " Twice ", strings.ToUpper(testAdmin)))
	h.mustClone(cloneBody(accThree, "Once", testAdmin))
	h.post(cloneBody(accTwo, "Busy", testAdmin))

	resp := h.send("GET", h.srv.AuthURL()+"/_sim/stats", "", nil)
	var st Stats
	resp.json(t, &st)

	if st.Duplicates != 1 || st.ClonesAccepted != 3 || st.RejectedBusy != 1 || st.ClonePosts != 4 {
		t.Errorf("stats %+v: want 1 duplicate, 3 accepted, 1 busy, 4 posts", st)
	}
	if st.RequestsByEndpoint[EndpointClonePost] != 4 || st.Requests != 4 {
		t.Errorf("requests %d by endpoint %v", st.Requests, st.RequestsByEndpoint)
	}
	one, two := st.BusySecondsByAssetGroup[groupOne], st.BusySecondsByAssetGroup[groupTwo]
	if one < 10 || one > 30 || two < 5 || two > 15 {
		t.Errorf("busy seconds %v outside the spread", st.BusySecondsByAssetGroup)
	}
}

func TestSeedRepeats(t *testing.T) {
	run := func() []string {
		h := start(t, Options{CloneTime: 10 * time.Second, CloneSpread: 5 * time.Second, Seed: 42})
		var ids []string
		for _, acc := range []string{accOne, accThree} {
			rec := h.mustClone(cloneBody(acc, "Seeded", testAdmin))
			ids = append(ids, rec.AssetGroupWorkID)
		}
		st := h.srv.Stats()
		ids = append(ids, time.Duration(st.BusySecondsByAssetGroup[groupOne]*1e9).String())
		return ids
	}

	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("two runs with one seed differ: %v and %v", a, b)
	}
}

func TestConcurrentPostsKeepTheLaneRule(t *testing.T) {
	h := start(t, Options{})
	sources := []string{accOne, accTwo, accThree}

	const posts = 30
	statuses := make(chan int, posts)
	var wg sync.WaitGroup
	for i := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := cloneBody(sources[i%len(sources)], fmt.Sprintf("Concurrent %d", i), testAdmin)
			resp, err := h.try(http.MethodPost, h.srv.BaseURL()+h.org("/assetGroups/accountClone"),
				h.token, body)
			if err != nil {
				statuses <- 0
				return
			}
			statuses <- resp.status
		}()
	}
	wg.Wait()
	close(statuses)

	accepted := 0
	for status := range statuses {
		if status == http.StatusOK {
			accepted++
		}
	}
	st := h.srv.Stats()
	if accepted != 2 || st.ClonesAccepted != 2 || st.RejectedBusy != posts-2 ||
		st.MaxActivePerAssetGroup != 1 {
		t.Errorf("accepted %d, stats %+v: want one clone per asset group", accepted, st)
	}
}
