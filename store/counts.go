package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// Valid reports whether s is one of the States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Counts is the number of jobs in each state.
type Counts map[State]int

// CountJobs counts jobs by state. Every state of States is a key, with zero
// when no job is in it.
func CountJobs(jobs []Job) Counts {
	c := make(Counts, len(States))
	for _, s := range States {
		c[s] = 0
	}
	for _, j := range jobs {
		c[j.State]++
	}
	return c
}

// Total returns the number of jobs counted.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// MarshalJSON writes the counts as an object with the states in the order of
// States, then any other state found in the file, in name order.
func (c Counts) MarshalJSON() ([]byte, error) {
	keys := slices.Clone(States)
	var extra []State
	for s := range c {
		if !s.Valid() {
			extra = append(extra, s)
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)

	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, s := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(string(s))
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.WriteString(strconv.Itoa(c[s]))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
