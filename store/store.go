package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the state file this package writes. A file
// written with a newer layout is refused rather than misread.
const SchemaVersion = 1

// DefaultLockTimeout is how long Open waits for the file lock when
// Options.LockTimeout is not set.
const DefaultLockTimeout = time.Second

// ErrNewerSchema is returned by Open for a state file written by a newer
// dsclone, whose layout this one does not know.
var ErrNewerSchema = errors.New("state file written by a newer dsclone")

// Bucket and key names. Values are JSON so that the file can be inspected
// with bbolt's own tools.
var (
	bucketMeta = []byte("meta")
	bucketRun  = []byte("run")
	bucketJobs = []byte("jobs")
	bucketLog  = []byte("transitions")

	keySchema = []byte("schema")
	keyRun    = []byte("run")
)

// Options tunes Open.
type Options struct {
	// LockTimeout is how long to wait for another process to release the
	// file lock; zero or less means DefaultLockTimeout.
	LockTimeout time.Duration
	// ReadOnly opens the file with a shared lock and refuses every write.
	ReadOnly bool
}

// Store is an open state file. Its methods are safe for concurrent use; each
// write is one bbolt transaction, fsynced when it commits.
type Store struct {
	path     string
	db       *bolt.DB
	readOnly bool
}

// Open opens the state file at path, creating it with mode 0600 when it does
// not exist and initialising an empty file. When another process holds the
// file past opts.LockTimeout it returns a *LockedError. A read-write Open
// records its own identity in the lock sidecar (see LockPath) until Close.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, lockedError(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open state file %q: %w", path, err)
	}
	// Concurrent Apply calls are gathered for at most this long into one
	// commit: short enough not to slow a lone caller down.
	db.MaxBatchDelay = time.Millisecond
	s := &Store{path: path, db: db, readOnly: opts.ReadOnly}

	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}

	if !opts.ReadOnly {
		if err := writeHolder(path); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return s, nil
}

// init checks the schema version and, for a writable file, creates the
// buckets and records the version.
func (s *Store) init() error {
	if s.readOnly {
		return s.db.View(func(tx *bolt.Tx) error { return s.checkSchema(tx) })
	}

	return s.db.Update(func(tx *bolt.Tx) error {
		if err := s.checkSchema(tx); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketMeta, bucketRun, bucketJobs, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %q in state file %q: %w", name, s.path, err)
			}
		}
		version := []byte(strconv.Itoa(SchemaVersion))
		if err := tx.Bucket(bucketMeta).Put(keySchema, version); err != nil {
			return fmt.Errorf("write schema version to state file %q: %w", s.path, err)
		}
		return nil
	})
}

// checkSchema refuses a file whose schema version is newer than this code's.
// A file without a version is new and empty.
func (s *Store) checkSchema(tx *bolt.Tx) error {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return nil
	}
	raw := b.Get(keySchema)
	if raw == nil {
		return nil
	}

	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return fmt.Errorf("read schema version of state file %q: bad value %q", s.path, raw)
	}
	if v > SchemaVersion {
		return fmt.Errorf("open state file %q: %w (schema %d, this dsclone knows up to %d): "+
			"use a newer dsclone", s.path, ErrNewerSchema, v, SchemaVersion)
	}
	return nil
}

// Close releases the file lock, removing the lock sidecar first so that the
// next holder's sidecar is never removed by this process.
func (s *Store) Close() error {
	var errs []error
	if !s.readOnly {
		if err := os.Remove(LockPath(s.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove lock sidecar of %q: %w", s.path, err))
		}
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close state file %q: %w", s.path, err))
	}
	return errors.Join(errs...)
}

// Path returns the path of the state file.
func (s *Store) Path() string { return s.path }

// Run returns the run the file holds, and false when none is recorded yet.
func (s *Store) Run() (Run, bool, error) {
	var r Run
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := get(tx, bucketRun, keyRun)
		if raw == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decode run in state file %q: %w", s.path, err)
		}
		return nil
	})
	return r, found, err
}

// PutRun records the run, replacing the one recorded before.
func (s *Store) PutRun(r Run) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode run %q: %w", r.ID, err)
	}

	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRun).Put(keyRun, raw)
	})
	if err != nil {
		return fmt.Errorf("write run %q to state file %q: %w", r.ID, s.path, err)
	}
	return nil
}

// Jobs returns every job, sorted by Order (then by key, for equal orders).
func (s *Store) Jobs() ([]Job, error) {
	var jobs []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job %q in state file %q: %w", k, s.path, err)
			}
			jobs = append(jobs, j)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}

	SortJobs(jobs)
	return jobs, nil
}

// SortJobs sorts jobs by Order, then by key.
func SortJobs(jobs []Job) {
	slices.SortFunc(jobs, func(a, b Job) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), strings.Compare(a.Key, b.Key))
	})
}

// Job returns the job with this key, and false when there is none.
func (s *Store) Job(key string) (Job, bool, error) {
	var j Job
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		j, found, err = s.loadJob(tx, key)
		return err
	})
	return j, found, err
}

// AddJobs inserts the jobs, or overwrites the records with the same keys, as
// given, in one transaction. It writes no transition: it records what a plan
// decided, not a change of state.
func (s *Store) AddJobs(jobs []Job) error {
	for _, j := range jobs {
		if j.Key == "" {
			return fmt.Errorf("add job of row %d: empty key", j.Row.Line)
		}
		if !j.State.Valid() {
			return fmt.Errorf("add job %q: unknown state %q", j.Key, j.State)
		}
	}

	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		for _, j := range jobs {
			if err := putJob(b, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d jobs to state file %q: %w", len(jobs), s.path, err)
	}
	return nil
}

// Check runs bbolt's consistency check over the whole file and returns every
// problem it finds, joined.
func (s *Store) Check() error {
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check state file %q: %w", s.path, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check state file %q: %w", s.path, errors.Join(errs...))
	}
	return nil
}

// loadJob reads one job inside a transaction.
func (s *Store) loadJob(tx *bolt.Tx, key string) (Job, bool, error) {
	raw := get(tx, bucketJobs, []byte(key))
	if raw == nil {
		return Job{}, false, nil
	}

	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return Job{}, false, fmt.Errorf("decode job %q in state file %q: %w", key, s.path, err)
	}
	return j, true, nil
}

// putJob writes one job record.
func putJob(b *bolt.Bucket, j Job) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job %q: %w", j.Key, err)
	}
	if err := b.Put([]byte(j.Key), raw); err != nil {
		return fmt.Errorf("write job %q: %w", j.Key, err)
	}
	return nil
}

// get returns the value of key in bucket, or nil when either is missing. The
// value is only valid inside the transaction.
func get(tx *bolt.Tx, bucket, key []byte) []byte {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return b.Get(key)
}
