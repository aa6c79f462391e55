package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrBadTransition matches, with errors.Is, a change to a state that the job's
// current state does not lead to.
var ErrBadTransition = errors.New("transition not allowed")

// transitions lists, for each state, the states a job may move to. Staying in
// the same state is always allowed: it is an update, not a transition.
var transitions = map[State][]State{
	// Submitting: the intent to POST; InFlight: an existing clone adopted;
	// Failed: the row cannot be cloned at all (source account not found).
	Queued: {Submitting, InFlight, Failed},
	// InFlight: the work id is known; Failed: the POST was rejected; Unknown:
	// the answer was lost, or the process died before recording it; Queued:
	// the POST certainly never left, or the lane was busy.
	Submitting: {InFlight, Failed, Unknown, Queued},
	// Unknown: the work id vanished from Docusign.
	InFlight: {Completed, Failed, Unknown},
	// InFlight: the clone was found in the organization's list; NeedsReview:
	// it was not found after the grace window.
	Unknown: {InFlight, NeedsReview},
	// Queued: re-submitted with --resubmit-unknown; InFlight: found later.
	NeedsReview: {Queued, InFlight},
	// Queued: re-queued with --retry-failed.
	Failed: {Queued},
	// Completed leads nowhere.
	Completed: nil,
}

// Allowed reports whether a job may move from one state to the other.
func Allowed(from, to State) bool {
	if !from.Valid() || !to.Valid() {
		return false
	}
	if from == to {
		return true
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Change is one job's change of state for Apply.
type Change struct {
	Key string
	// To is the new state; it may equal the current one, for an update that
	// logs no transition.
	To   State
	Note string
	// Mutate, when set, edits the job after its state is set. It must not
	// change the key or the state.
	Mutate func(j *Job)
}

// Apply applies the changes in order in one transaction and commits it: for
// each, it loads the job, checks that its state may move to To, sets the
// state, runs Mutate, sets UpdatedAt and appends a Transition to the log when
// the state changed. It returns the updated jobs in the order given. When any
// change fails, nothing is written.
func (s *Store) Apply(changes ...Change) ([]Job, error) {
	if len(changes) == 0 {
		return nil, nil
	}

	// Batch lets the changes of many goroutines share one commit and one
	// fsync; each Apply still returns only once its changes are durable. When
	// a batch fails, bbolt runs each function again on its own, so the
	// function starts from scratch every time.
	var out []Job
	err := s.db.Batch(func(tx *bolt.Tx) error {
		out = make([]Job, 0, len(changes))
		now := time.Now().UTC()
		for _, c := range changes {
			j, err := s.applyOne(tx, c, now)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyOne applies one change inside Apply's transaction.
func (s *Store) applyOne(tx *bolt.Tx, c Change, now time.Time) (Job, error) {
	j, found, err := s.loadJob(tx, c.Key)
	if err != nil {
		return Job{}, err
	}
	if !found {
		return Job{}, fmt.Errorf("apply %s to job %q: no such job in state file %q",
			c.To, c.Key, s.path)
	}

	from := j.State
	if !Allowed(from, c.To) {
		return Job{}, fmt.Errorf("job %q: %s -> %s: %w", c.Key, from, c.To, ErrBadTransition)
	}
	j.State = c.To
	if c.Mutate != nil {
		c.Mutate(&j)
	}
	if j.Key != c.Key || j.State != c.To {
		return Job{}, fmt.Errorf("apply %s to job %q: Mutate changed the key or the state",
			c.To, c.Key)
	}
	j.UpdatedAt = now

	if err := putJob(tx.Bucket(bucketJobs), j); err != nil {
		return Job{}, fmt.Errorf("apply %s to job %q: %w", c.To, c.Key, err)
	}
	if from != c.To {
		t := Transition{At: now, Key: c.Key, From: from, To: c.To, Note: c.Note}
		if err := appendTransition(tx.Bucket(bucketLog), t); err != nil {
			return Job{}, fmt.Errorf("log %s -> %s of job %q: %w", from, c.To, c.Key, err)
		}
	}
	return j, nil
}

// appendTransition writes t under the log's next sequence number, big-endian
// so that the log iterates in order.
func appendTransition(b *bolt.Bucket, t Transition) error {
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	t.Seq = seq

	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), raw)
}

// Transitions returns the log of state changes in the order they happened,
// only the given job's when key is not empty.
func (s *Store) Transitions(key string) ([]Transition, error) {
	var out []Transition
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLog)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var t Transition
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode transition %x: %w", k, err)
			}
			if key == "" || t.Key == key {
				out = append(out, t)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read transitions from state file %q: %w", s.path, err)
	}
	return out, nil
}
