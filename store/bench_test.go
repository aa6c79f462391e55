package store

import (
	"fmt"
	"testing"
)

// BenchmarkApply measures one fsynced Apply on a file of 1,000 jobs, the
// runner's unit of work: its cost must not grow with the number of jobs.
func BenchmarkApply(b *testing.B) {
	s, err := Open(b.TempDir()+"/bench.db", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	jobs := make([]Job, 1000)
	for i := range jobs {
		jobs[i] = newJob(fmt.Sprintf("job-%04d", i), i, InFlight)
	}
	if err := s.AddJobs(jobs); err != nil {
		b.Fatal(err)
	}

	for i := 0; b.Loop(); i++ {
		key := jobs[i%len(jobs)].Key
		c := Change{Key: key, To: InFlight, Mutate: func(j *Job) { j.Attempts++ }}
		if _, err := s.Apply(c); err != nil {
			b.Fatal(err)
		}
	}
}
