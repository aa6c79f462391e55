package reports

import (
	"strconv"
	"strings"
	"time"

	"github.com/dsclone/dsclone/store"
)

// timeLayout is how CSV and the Summary's text show times, always in UTC.
const timeLayout = "2006-01-02 15:04:05"

// cellKind says how a report cell is written.
type cellKind int

const (
	textCell    cellKind = iota // a string, possibly from the manifest or the API
	numberCell                  // an integer the report computed
	timeCell                    // a moment, shown in UTC
	outcomeCell                 // an outcome, coloured in the workbook
)

// cell is one value of the Results table, independent of the format.
type cell struct {
	kind cellKind
	s    string
	n    int
	t    time.Time
}

func text(s string) cell          { return cell{kind: textCell, s: s} }
func number(n int) cell           { return cell{kind: numberCell, n: n} }
func moment(t time.Time) cell     { return cell{kind: timeCell, t: t} }
func outcomeOf(s string) cell     { return cell{kind: outcomeCell, s: s} }
func (c cell) empty() bool        { return c.kind == timeCell && c.t.IsZero() }
func (c cell) timeString() string { return c.t.UTC().Format(timeLayout) }

// resultColumns are the columns the Results table adds after the manifest's.
var resultColumns = []string{
	"Outcome", "New account id", "Docusign status", "Attempts", "Work id",
	"Asset group", "Submitted (UTC)", "Finished (UTC)", "Duration", "Error", "Hint",
}

// resultsHeader is the header row of the Results table.
func resultsHeader(headers []string) []string {
	h := make([]string, 0, 1+len(headers)+len(resultColumns))
	h = append(h, "Row")
	h = append(h, headers...)
	return append(h, resultColumns...)
}

// resultRecord is one job's row of the Results table: its row number, every
// original value, then what became of it.
func resultRecord(j store.Job, width int) []cell {
	rec := make([]cell, 0, 1+width+len(resultColumns))
	rec = append(rec, number(j.Row.Line))
	for i := range max(width, len(j.Row.Values)) {
		v := ""
		if i < len(j.Row.Values) {
			v = j.Row.Values[i]
		}
		rec = append(rec, text(v))
	}

	duration := ""
	if d := jobDuration(j); d > 0 {
		duration = formatDuration(d)
	}
	attempts := text("")
	if j.Attempts > 0 {
		attempts = number(j.Attempts)
	}
	return append(rec,
		outcomeOf(Outcome(j)), text(j.NewAccountID), text(j.DocusignStatus), attempts,
		text(j.WorkID), text(j.AssetGroupID), moment(j.SubmittedAt), moment(j.FinishedAt),
		text(duration), text(j.LastError), text(Hint(j)),
	)
}

// formulaPrefixes are the first characters that make a spreadsheet read a
// typed value as a formula.
const formulaPrefixes = "=+-@\t\r"

// risky reports whether a spreadsheet could take s for a formula.
func risky(s string) bool {
	return s != "" && strings.ContainsRune(formulaPrefixes, rune(s[0]))
}

// csvSafe neutralises a value for CSV: one that a spreadsheet could take for
// a formula gets a leading apostrophe.
func csvSafe(s string) string {
	if risky(s) {
		return "'" + s
	}
	return s
}

// csvValue formats a cell for CSV.
func csvValue(c cell) string {
	switch {
	case c.kind == numberCell:
		return strconv.Itoa(c.n)
	case c.kind == timeCell && c.empty():
		return ""
	case c.kind == timeCell:
		return c.timeString()
	}
	return csvSafe(c.s)
}
