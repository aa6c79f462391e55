package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsclone/dsclone/store"
)

// stalledAfter is how long a run that has not finished may go without any
// recorded activity before the report calls it interrupted rather than still
// running.
const stalledAfter = 15 * time.Minute

// summary is what every format derives from an Input.
type summary struct {
	in      Input
	jobs    []store.Job // in manifest order, removed rows last
	counts  map[string]int
	lanes   []laneLine
	status  string    // "finished", "still running" or "interrupted"
	endedAt time.Time // FinishedAt, or the last activity of an unfinished run
}

// laneLine is one lane of the Summary sheet.
type laneLine struct {
	Key        string
	Rows       int
	Completed  int
	Failed     int
	Other      int
	CloneTime  time.Duration
	FirstStart time.Time
	LastFinish time.Time
}

// summarize sorts the jobs and computes counts, lanes and the run's status.
func summarize(in Input) summary {
	s := summary{in: in, counts: map[string]int{}}

	s.jobs = slices.Clone(in.Jobs)
	slices.SortStableFunc(s.jobs, func(a, b store.Job) int {
		if a.InManifest != b.InManifest {
			if a.InManifest {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Row.Line, b.Row.Line))
	})

	for _, j := range s.jobs {
		s.counts[Outcome(j)]++
	}
	s.lanes = lanesOf(s.jobs)
	s.status, s.endedAt = runStatus(in)
	return s
}

// lanesOf sums the jobs of the manifest by lane, busiest lane first.
func lanesOf(jobs []store.Job) []laneLine {
	byKey := map[string]*laneLine{}
	var order []*laneLine
	for _, j := range jobs {
		if !j.InManifest {
			continue
		}
		l := byKey[j.Lane]
		if l == nil {
			l = &laneLine{Key: j.Lane}
			byKey[j.Lane] = l
			order = append(order, l)
		}
		addToLane(l, j)
	}

	lines := make([]laneLine, 0, len(order))
	for _, l := range order {
		lines = append(lines, *l)
	}
	slices.SortStableFunc(lines, func(a, b laneLine) int {
		return cmp.Or(cmp.Compare(b.CloneTime, a.CloneTime), strings.Compare(a.Key, b.Key))
	})
	return lines
}

// addToLane counts one job in its lane.
func addToLane(l *laneLine, j store.Job) {
	l.Rows++
	switch Outcome(j) {
	case OutcomeCompleted:
		l.Completed++
	case OutcomeFailed:
		l.Failed++
	default:
		l.Other++
	}

	if j.SubmittedAt.IsZero() {
		return
	}
	if l.FirstStart.IsZero() || j.SubmittedAt.Before(l.FirstStart) {
		l.FirstStart = j.SubmittedAt
	}
	if j.FinishedAt.IsZero() {
		return
	}
	l.CloneTime += j.FinishedAt.Sub(j.SubmittedAt)
	if j.FinishedAt.After(l.LastFinish) {
		l.LastFinish = j.FinishedAt
	}
}

// runStatus says whether the run finished, and when it ended or was last
// active. An unfinished run with recent activity is still running; one
// silent for longer than stalledAfter was interrupted.
func runStatus(in Input) (string, time.Time) {
	if !in.Run.FinishedAt.IsZero() {
		return "finished", in.Run.FinishedAt
	}

	last := in.Run.UpdatedAt
	for _, j := range in.Jobs {
		if j.UpdatedAt.After(last) {
			last = j.UpdatedAt
		}
	}
	if !in.Now.IsZero() && in.Now.Sub(last) > stalledAfter {
		return "interrupted", last
	}
	return "still running", last
}

// inManifest counts the jobs whose row is in the manifest.
func (s summary) inManifest() int {
	return len(s.jobs) - s.counts[OutcomeRemoved]
}

// verdict answers "did it work?" in one line.
func (s summary) verdict() string {
	total := s.inManifest()
	done := s.counts[OutcomeCompleted]
	switch {
	case total == 0:
		return "No rows in this run."
	case done == total:
		return fmt.Sprintf("Yes: all %d rows completed.", total)
	}

	var parts []string
	for _, o := range outcomes[1:5] {
		if n := s.counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	return fmt.Sprintf("Not yet: %d of %d rows completed; %s.", done, total,
		strings.Join(parts, ", "))
}

// resumeCommand is the command that resumes the run.
func (s summary) resumeCommand() string {
	if s.in.Run.ResumeCommand != "" {
		return s.in.Run.ResumeCommand
	}
	return "dsclone run " + shellQuote(s.in.Run.ManifestPath)
}

// nextSteps answers "what do I do now?", one line each, with the exact
// commands to run.
func (s summary) nextSteps() []string {
	var steps []string
	pending := s.counts[OutcomeInProgress] + s.counts[OutcomeNotStarted]
	if pending > 0 {
		if s.status == "still running" {
			steps = append(steps, fmt.Sprintf("%d rows are not finished and the run seems "+
				"to be still going: wait for it. If it has stopped, resume it with:", pending))
		} else {
			steps = append(steps, fmt.Sprintf("%d rows are not finished: resume the run "+
				"with:", pending))
		}
		steps = append(steps, "    "+s.resumeCommand())
	}

	if n := s.counts[OutcomeFailed]; n > 0 {
		steps = append(steps,
			fmt.Sprintf("%d rows failed: read the hint of each on the Results sheet, fix "+
				"the rows (the Failed sheet holds them with the manifest's columns) or their "+
				"cause, then retry them with:", n),
			"    "+s.resumeCommand()+" --retry-failed")
	}

	if n := s.counts[OutcomeNeedsReview]; n > 0 {
		steps = append(steps,
			fmt.Sprintf("%d rows need review: their submission's answer was lost. Check in "+
				"Docusign whether each account exists; for those that do not, run:", n),
			"    "+s.resumeCommand()+" --resubmit-unknown")
	}

	if n := s.counts[OutcomeCompleted]; n > 0 {
		steps = append(steps, fmt.Sprintf("%d new accounts: %s.", n, CompletedChecklist))
	}
	if n := s.counts[OutcomeRemoved]; n > 0 {
		steps = append(steps, fmt.Sprintf("%d rows recorded earlier are no longer in the "+
			"manifest: they were left alone and are listed last on the Results sheet.", n))
	}
	return steps
}

// shellQuote quotes a path for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func needsQuote(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("-_./:,+@%=", r))
}

// formatDuration writes a duration for people: "45s", "4m 12s", "2h 05m",
// "3d 04h".
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days, hours := int(d/(24*time.Hour)), int(d/time.Hour)%24
	mins, secs := int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %02dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %02dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm %02ds", mins, secs)
	}
	return fmt.Sprintf("%ds", secs)
}

// jobDuration is how long Docusign took for a job, or zero when unknown.
func jobDuration(j store.Job) time.Duration {
	if j.SubmittedAt.IsZero() || j.FinishedAt.IsZero() {
		return 0
	}
	return j.FinishedAt.Sub(j.SubmittedAt)
}
