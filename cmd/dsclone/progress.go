package main

import (
	"fmt"
	"sync"

	"github.com/rs/zerolog"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/dsclone/dsclone/runner"
	"github.com/dsclone/dsclone/store"
)

// progress shows a run live on a terminal: one bar for the rows that are
// done, with the counts by state and the active lanes. Elsewhere it shows
// nothing and the runner's log lines tell the story.
type progress struct {
	mu     sync.Mutex
	counts store.Counts
	lanes  map[string]int // clones in flight or unknown, by lane
	total  int

	p   *mpb.Progress
	bar *mpb.Bar
}

func newProgress(a *app, jobs []store.Job) *progress {
	pr := &progress{counts: store.Counts{}, lanes: map[string]int{}}
	for _, j := range jobs {
		if !j.InManifest {
			continue
		}
		pr.total++
		pr.counts[j.State]++
		pr.track(j.Lane, "", j.State)
	}
	if !a.stderrIsTerminal() {
		return pr
	}

	pr.p = mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(40))
	pr.bar = pr.p.New(int64(pr.total),
		mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
		mpb.PrependDecorators(decor.Name("rows "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return pr.line() }),
			decor.Name("  ETA "), decor.AverageETA(decor.ET_STYLE_GO),
		),
	)
	pr.bar.SetCurrent(int64(pr.done()))
	return pr
}

// logger keeps the log quiet under the live view: warnings and errors only.
func (pr *progress) logger(l zerolog.Logger) zerolog.Logger {
	if pr.p == nil {
		return l
	}
	return l.Level(max(l.GetLevel(), zerolog.WarnLevel))
}

// event counts a job's change; it is the runner's OnEvent.
func (pr *progress) event(ev runner.Event) {
	if !ev.Job.InManifest || ev.From == ev.Job.State {
		return
	}
	pr.mu.Lock()
	pr.counts[ev.From]--
	pr.counts[ev.Job.State]++
	pr.track(ev.Job.Lane, ev.From, ev.Job.State)
	done := pr.done()
	pr.mu.Unlock()

	if pr.bar != nil {
		pr.bar.SetCurrent(int64(done))
	}
}

func (pr *progress) track(lane string, from, to store.State) {
	busy := func(s store.State) bool { return s == store.InFlight || s == store.Unknown || s == store.Submitting }
	if busy(from) {
		pr.lanes[lane]--
		if pr.lanes[lane] <= 0 {
			delete(pr.lanes, lane)
		}
	}
	if busy(to) {
		pr.lanes[lane]++
	}
}

func (pr *progress) done() int {
	return pr.counts[store.Completed] + pr.counts[store.Failed] + pr.counts[store.NeedsReview]
}

func (pr *progress) line() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return fmt.Sprintf("  %d done, %d failed, %d review, %d in flight, %d lanes active",
		pr.counts[store.Completed], pr.counts[store.Failed], pr.counts[store.NeedsReview],
		pr.counts[store.InFlight]+pr.counts[store.Unknown]+pr.counts[store.Submitting], len(pr.lanes))
}

// stop ends the live view.
func (pr *progress) stop() {
	if pr.p == nil {
		return
	}
	pr.bar.SetTotal(-1, true)
	pr.p.Wait()
}
