package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// edges is the state machine as the design draws it, written out apart from
// the table in apply.go so that a change to either shows here.
var edges = map[[2]State]bool{
	{Queued, Submitting}: true,
	{Queued, InFlight}:   true,
	{Queued, Failed}:     true,

	{Submitting, InFlight}: true,
	{Submitting, Failed}:   true,
	{Submitting, Unknown}:  true,
	{Submitting, Queued}:   true,

	{InFlight, Completed}: true,
	{InFlight, Failed}:    true,
	{InFlight, Unknown}:   true,

	{Unknown, InFlight}:    true,
	{Unknown, NeedsReview}: true,

	{NeedsReview, Queued}:   true,
	{NeedsReview, InFlight}: true,

	{Failed, Queued}: true,
}

func TestAllowed(t *testing.T) {
	for _, from := range States {
		for _, to := range States {
			want := from == to || edges[[2]State{from, to}]
			if got := Allowed(from, to); got != want {
				t.Errorf("Allowed(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}

	for _, pair := range [][2]State{{"", Queued}, {Queued, ""}, {"done", "done"}} {
		if Allowed(pair[0], pair[1]) {
			t.Errorf("Allowed(%q, %q) = true for an unknown state", pair[0], pair[1])
		}
	}
}

// TestApplyEveryEdge applies every (from, to) pair to its own job on one real
// file and checks the state, the refusal and the log.
func TestApplyEveryEdge(t *testing.T) {
	s := openStore(t, statePath(t))
	type pair struct{ from, to State }
	var pairs []pair
	for i, from := range States {
		for j, to := range States {
			pairs = append(pairs, pair{from, to})
			addJobs(t, s, newJob(string(from)+">"+string(to), i*10+j, from))
		}
	}

	for _, p := range pairs {
		key := string(p.from) + ">" + string(p.to)
		allowed := p.from == p.to || edges[[2]State{p.from, p.to}]

		got, err := s.Apply(Change{Key: key, To: p.to, Note: "test"})
		switch {
		case allowed && err != nil:
			t.Errorf("%s -> %s: Apply: %v", p.from, p.to, err)
		case allowed && (len(got) != 1 || got[0].State != p.to):
			t.Errorf("%s -> %s: Apply returned %+v", p.from, p.to, got)
		case !allowed && !errors.Is(err, ErrBadTransition):
			t.Errorf("%s -> %s: Apply error = %v, want ErrBadTransition", p.from, p.to, err)
		case !allowed && !strings.Contains(err.Error(), key):
			t.Errorf("%s -> %s: error %q does not name the job", p.from, p.to, err)
		}

		wantState, wantLog := p.from, 0
		if allowed {
			wantState = p.to
		}
		if allowed && p.from != p.to {
			wantLog = 1
		}
		if j := mustJob(t, s, key); j.State != wantState {
			t.Errorf("%s -> %s: stored state %s, want %s", p.from, p.to, j.State, wantState)
		}
		log, err := s.Transitions(key)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != wantLog {
			t.Errorf("%s -> %s: %d log entries, want %d", p.from, p.to, len(log), wantLog)
		}
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestApplyIsAtomic(t *testing.T) {
	tests := []struct {
		name    string
		bad     Change
		wantErr string
	}{
		{name: "refused transition", bad: Change{Key: "b", To: Completed},
			wantErr: "queued -> completed"},
		{name: "missing job", bad: Change{Key: "nope", To: Submitting},
			wantErr: `job "nope": no such job`},
		{name: "mutate changes the state", wantErr: "Mutate changed",
			bad: Change{Key: "b", To: Submitting, Mutate: func(j *Job) { j.State = Completed }}},
		{name: "mutate changes the key", wantErr: "Mutate changed",
			bad: Change{Key: "b", To: Submitting, Mutate: func(j *Job) { j.Key = "c" }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, statePath(t))
			addJobs(t, s, newJob("a", 0, Queued), newJob("b", 1, Queued))

			good := Change{Key: "a", To: Submitting, Mutate: func(j *Job) { j.Submissions++ }}
			_, err := s.Apply(good, tt.bad)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Apply error = %v, want %q", err, tt.wantErr)
			}

			a := mustJob(t, s, "a")
			if a.State != Queued || a.Submissions != 0 || !a.UpdatedAt.IsZero() {
				t.Errorf("job a was written by a failed Apply: %+v", a)
			}
			if log, _ := s.Transitions(""); len(log) != 0 {
				t.Errorf("failed Apply logged %d transitions", len(log))
			}
		})
	}
}

func TestApplyMutatesAndReturnsInOrder(t *testing.T) {
	s := openStore(t, statePath(t))
	addJobs(t, s, newJob("a", 0, Queued), newJob("b", 1, InFlight), newJob("c", 2, Queued))
	before := time.Now().UTC().Add(-time.Second)

	got, err := s.Apply(
		Change{Key: "c", To: Submitting, Mutate: func(j *Job) { j.IntentAt = before }},
		Change{Key: "b", To: InFlight, Mutate: func(j *Job) {
			j.DocusignStatus = "Processing"
			j.Attempts = 2
		}},
		Change{Key: "c", To: InFlight, Mutate: func(j *Job) { j.WorkID = "w-1" }},
	)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}

	if len(got) != 3 || got[0].Key != "c" || got[1].Key != "b" || got[2].Key != "c" {
		t.Fatalf("Apply returned %v, want c, b, c", keys(got))
	}
	if got[0].State != Submitting || got[2].State != InFlight || got[2].WorkID != "w-1" {
		t.Errorf("Apply results: %+v / %+v", got[0], got[2])
	}
	c := mustJob(t, s, "c")
	if c.State != InFlight || c.WorkID != "w-1" || !c.IntentAt.Equal(before) {
		t.Errorf("stored c = %+v", c)
	}
	b := mustJob(t, s, "b")
	if b.DocusignStatus != "Processing" || b.Attempts != 2 || b.UpdatedAt.Before(before) {
		t.Errorf("stored b = %+v", b)
	}
	if log, _ := s.Transitions("b"); len(log) != 0 {
		t.Errorf("an update without a state change logged %v", log)
	}
	if jobs, _ := s.Apply(); jobs != nil {
		t.Errorf("Apply() with no change = %v", jobs)
	}
}

func TestTransitionLog(t *testing.T) {
	s := openStore(t, statePath(t))
	addJobs(t, s, newJob("a", 0, Queued), newJob("b", 1, Queued))

	steps := []Change{
		{Key: "a", To: Submitting, Note: "intent"},
		{Key: "b", To: Failed, Note: "source account not found"},
		{Key: "a", To: Unknown, Note: "timeout"},
		{Key: "b", To: Queued, Note: "retry failed"},
		{Key: "a", To: InFlight, Note: "found"},
		{Key: "a", To: Completed},
	}
	for _, c := range steps {
		if _, err := s.Apply(c); err != nil {
			t.Fatalf("Apply(%s -> %s): %v", c.Key, c.To, err)
		}
	}

	all, err := s.Transitions("")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(steps) {
		t.Fatalf("%d transitions, want %d", len(all), len(steps))
	}
	for i, tr := range all {
		if tr.Key != steps[i].Key || tr.To != steps[i].To || tr.Note != steps[i].Note {
			t.Errorf("transition %d = %+v, want %+v", i, tr, steps[i])
		}
		if i > 0 && tr.Seq <= all[i-1].Seq {
			t.Errorf("transition %d seq %d not after %d", i, tr.Seq, all[i-1].Seq)
		}
	}

	a, err := s.Transitions("a")
	if err != nil {
		t.Fatal(err)
	}
	wantFrom := []State{Queued, Submitting, Unknown, InFlight}
	if len(a) != len(wantFrom) {
		t.Fatalf("Transitions(a) = %+v", a)
	}
	for i, tr := range a {
		if tr.From != wantFrom[i] {
			t.Errorf("a transition %d from %s, want %s", i, tr.From, wantFrom[i])
		}
	}
}
