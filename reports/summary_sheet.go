package reports

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"
)

// maxChartLanes caps the lanes the lane chart shows; the table lists them all.
const maxChartLanes = 25

// laneHeader is the header of the Summary's lane table.
var laneHeader = []string{
	"Lane", "Rows", "Completed", "Failed", "Other", "Clone time", "Clone minutes",
	"First start (UTC)", "Last finish (UTC)",
}

// summaryWriter writes the Summary sheet top to bottom, keeping the first
// error.
type summaryWriter struct {
	f   *excelize.File
	st  styles
	row int
	err error
}

// writeSummary writes the Summary sheet: what ran, whether it worked, what to
// do now, the counts by outcome and the lanes, with a chart of each.
func writeSummary(f *excelize.File, st styles, s summary) error {
	w := &summaryWriter{f: f, st: st, row: 1}

	w.heading(s)
	w.details(s)
	w.steps(s)
	outcomeRows := w.outcomeTable(s)
	laneRows := w.laneTable(s)
	if w.err != nil {
		return w.err
	}

	w.layout()
	if err := addOutcomeChart(f, outcomeRows); err != nil {
		return fmt.Errorf("add outcome chart: %w", err)
	}
	if err := addLaneChart(f, laneRows); err != nil {
		return fmt.Errorf("add lane chart: %w", err)
	}
	if err := addLaneTimeChart(f, laneRows); err != nil {
		return fmt.Errorf("add lane time chart: %w", err)
	}
	return w.err
}

// heading writes the title, the verdict and the time zone note.
func (w *summaryWriter) heading(s summary) {
	title := "Clone results"
	if s.in.Run.ManifestPath != "" {
		title += ": " + filepath.Base(s.in.Run.ManifestPath)
	}
	w.str(1, title, w.st.title)
	w.keep(w.f.SetRowHeight(SheetSummary, w.row, 24))
	w.row++

	w.str(1, s.verdict(), w.verdictStyle(s))
	w.keep(w.f.SetRowHeight(SheetSummary, w.row, 20))
	w.row++

	w.str(1, "All times are UTC.", w.st.note)
	w.row += 2
}

// verdictStyle colours the verdict like the worst outcome present.
func (w *summaryWriter) verdictStyle(s summary) int {
	switch {
	case s.counts[OutcomeFailed] > 0:
		return w.st.outcome[OutcomeFailed]
	case s.counts[OutcomeNeedsReview] > 0:
		return w.st.outcome[OutcomeNeedsReview]
	case s.inManifest() > 0 && s.counts[OutcomeCompleted] == s.inManifest():
		return w.st.outcome[OutcomeCompleted]
	}
	return w.st.outcome[OutcomeNotStarted]
}

// details writes what ran, where and when.
func (w *summaryWriter) details(s summary) {
	run := s.in.Run
	w.pair("Run id", run.ID)
	w.pair("Manifest", run.ManifestPath)
	w.pair("Organization", run.OrgID)
	w.pair("Environment", run.Env)
	w.pairTime("Started", run.StartedAt)

	switch s.status {
	case "finished":
		w.pairTime("Finished", run.FinishedAt)
	default:
		last := "no activity recorded"
		if !s.endedAt.IsZero() {
			last = "last activity " + s.endedAt.UTC().Format(timeLayout)
		}
		w.pair("Finished", fmt.Sprintf("%s (%s)", s.status, last))
	}

	duration := ""
	if !run.StartedAt.IsZero() && !s.endedAt.IsZero() {
		duration = formatDuration(s.endedAt.Sub(run.StartedAt))
	}
	w.pair("Duration", duration)
	w.pair("Rows", fmt.Sprint(s.inManifest()))
	w.pairTime("Report written", s.in.Now)
	w.row++
}

// steps writes what to do now, with the exact commands.
func (w *summaryWriter) steps(s summary) {
	w.str(1, "What to do now", w.st.section)
	w.row++
	for _, line := range s.nextSteps() {
		style := 0
		if len(line) > 4 && line[:4] == "    " {
			style = w.st.command
		}
		w.str(1, line, style)
		w.row++
	}
	w.row++
}

// outcomeTable writes the counts by outcome and returns the rows holding
// them, the chart's data.
func (w *summaryWriter) outcomeTable(s summary) [2]int {
	w.str(1, "Outcomes", w.st.section)
	w.row++
	w.str(1, "Outcome", w.st.header)
	w.str(2, "Rows", w.st.header)
	w.row++

	first := w.row
	for _, o := range outcomes {
		n := s.counts[o]
		if n == 0 {
			continue
		}
		w.str(1, o, w.st.outcome[o])
		w.num(2, n)
		w.row++
	}
	last := w.row - 1
	w.str(1, "Total", w.st.label)
	w.num(2, len(s.jobs))

	// Leave room for the pie chart beside the table.
	w.row = max(w.row+2, first+16)
	return [2]int{first, last}
}

// laneTable writes one line per lane, busiest first, and returns the rows of
// those the chart shows.
func (w *summaryWriter) laneTable(s summary) [2]int {
	chartRows := min(len(s.lanes), maxChartLanes)
	chartSpace := 0
	if chartRows > 0 {
		chartSpace = chartHeightRows(chartRows) + 1
	}

	w.str(1, "Lanes (busiest first)", w.st.section)
	w.row += 1 + chartSpace
	for i, h := range laneHeader {
		w.str(i+1, h, w.st.header)
	}
	w.row++

	first := w.row
	for _, l := range s.lanes {
		w.str(1, l.Key, 0)
		w.num(2, l.Rows)
		w.num(3, l.Completed)
		w.num(4, l.Failed)
		w.num(5, l.Other)
		w.str(6, formatDuration(l.CloneTime), 0)
		w.set(7, math.Round(l.CloneTime.Minutes()*100)/100)
		w.time(8, l.FirstStart)
		w.time(9, l.LastFinish)
		w.row++
	}
	return [2]int{first, first + chartRows - 1}
}

// layout sets the Summary's column widths.
func (w *summaryWriter) layout() {
	widths := []float64{38, 20, 11, 9, 9, 12, 14, 20, 20}
	for i, width := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := w.f.SetColWidth(SheetSummary, col, col, width); err != nil && w.err == nil {
			w.err = err
		}
	}
}

// pair writes a label and its value on one row.
func (w *summaryWriter) pair(label, value string) {
	w.str(1, label, w.st.label)
	w.str(2, value, 0)
	w.row++
}

// pairTime writes a label and a time, or "-" when the time is unknown.
func (w *summaryWriter) pairTime(label string, t time.Time) {
	w.str(1, label, w.st.label)
	if t.IsZero() {
		w.str(2, "-", 0)
	} else {
		w.time(2, t)
	}
	w.row++
}

// str writes a string cell on the current row. A value that starts like a
// formula gets the Text format unless style already is one.
func (w *summaryWriter) str(col int, v string, style int) {
	cell := cellName(col, w.row)
	w.keep(w.f.SetCellStr(SheetSummary, cell, v))
	if style == 0 && risky(v) {
		style = w.st.text
	}
	if style != 0 {
		w.keep(w.f.SetCellStyle(SheetSummary, cell, cell, style))
	}
}

// num writes an integer cell on the current row.
func (w *summaryWriter) num(col, n int) {
	w.keep(w.f.SetCellInt(SheetSummary, cellName(col, w.row), int64(n)))
}

// set writes a computed value on the current row.
func (w *summaryWriter) set(col int, v any) {
	w.keep(w.f.SetCellValue(SheetSummary, cellName(col, w.row), v))
}

// time writes a date-time cell on the current row; nothing when t is zero.
func (w *summaryWriter) time(col int, t time.Time) {
	if t.IsZero() {
		return
	}
	cell := cellName(col, w.row)
	w.keep(w.f.SetCellValue(SheetSummary, cell, t.UTC()))
	w.keep(w.f.SetCellStyle(SheetSummary, cell, cell, w.st.date))
}

func (w *summaryWriter) keep(err error) {
	if err != nil && w.err == nil {
		w.err = err
	}
}

// chartHeightRows is how many sheet rows the lane chart covers, with a margin
// for spreadsheets whose default row is shorter than 20 pixels.
func chartHeightRows(lanes int) int {
	return (chartHeight(lanes)+16)/17 + 1
}

// chartHeight is the lane chart's height in pixels.
func chartHeight(lanes int) int {
	return 90 + 22*lanes
}

// addOutcomeChart draws a pie of the outcome counts beside their table.
func addOutcomeChart(f *excelize.File, rows [2]int) error {
	if rows[1] < rows[0] {
		return nil
	}

	var points []excelize.ChartDataPoint
	for r := rows[0]; r <= rows[1]; r++ {
		o, err := f.GetCellValue(SheetSummary, cellName(1, r))
		if err != nil {
			return err
		}
		points = append(points, excelize.ChartDataPoint{Index: r - rows[0],
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{chartColours[o]}}})
	}

	return f.AddChart(SheetSummary, cellName(4, rows[0]-1), &excelize.Chart{
		Type: excelize.Pie,
		Series: []excelize.ChartSeries{{
			Name:       "Rows",
			Categories: rangeRef(1, rows),
			Values:     rangeRef(2, rows),
			DataPoint:  points,
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows by outcome"}}},
		Legend:    excelize.ChartLegend{Position: "right"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 480, Height: 290},
		Format:    excelize.GraphicOptions{OffsetX: 10},
	})
}

// addLaneChart draws the busiest lanes' rows as stacked bars of completed,
// failed and other rows, above the lane table.
func addLaneChart(f *excelize.File, rows [2]int) error {
	lanes := rows[1] - rows[0] + 1
	if lanes <= 0 {
		return nil
	}

	series := make([]excelize.ChartSeries, 0, 3)
	for i, name := range []string{OutcomeCompleted, OutcomeFailed, "other"} {
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", SheetSummary, colName(3+i), rows[0]-1),
			Categories: rangeRef(1, rows),
			Values:     rangeRef(3+i, rows),
			Fill: excelize.Fill{Type: "pattern", Pattern: 1,
				Color: []string{chartColours[name]}},
		})
	}

	title := "Rows per lane"
	if lanes == maxChartLanes {
		title = fmt.Sprintf("Rows per lane (the %d busiest)", lanes)
	}
	anchor := cellName(1, rows[0]-1-chartHeightRows(lanes))
	return f.AddChart(SheetSummary, anchor, &excelize.Chart{
		Type:      excelize.BarStacked,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		XAxis:     excelize.ChartAxis{ReverseOrder: true},
		Dimension: excelize.ChartDimension{Width: 540, Height: uint(chartHeight(lanes))},
	})
}

// addLaneTimeChart draws, beside the rows per lane, the minutes of cloning
// each lane took: the longest bar is what set the run's duration.
func addLaneTimeChart(f *excelize.File, rows [2]int) error {
	lanes := rows[1] - rows[0] + 1
	if lanes <= 0 {
		return nil
	}

	series := []excelize.ChartSeries{{
		Name:       fmt.Sprintf("%s!$%s$%d", SheetSummary, colName(7), rows[0]-1),
		Categories: rangeRef(1, rows),
		Values:     rangeRef(7, rows),
		Fill: excelize.Fill{Type: "pattern", Pattern: 1,
			Color: []string{chartColours[OutcomeCompleted]}},
	}}
	// Column E starts right of the rows chart, which spans columns A to D.
	anchor := cellName(5, rows[0]-1-chartHeightRows(lanes))
	return f.AddChart(SheetSummary, anchor, &excelize.Chart{
		Type:      excelize.Bar,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Clone minutes per lane"}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		XAxis:     excelize.ChartAxis{ReverseOrder: true},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 480, Height: uint(chartHeight(lanes))},
	})
}

// rangeRef is an absolute reference to rows of one column of the Summary.
func rangeRef(col int, rows [2]int) string {
	c := colName(col)
	return fmt.Sprintf("%s!$%s$%d:$%s$%d", SheetSummary, c, rows[0], c, rows[1])
}

func colName(col int) string {
	name, _ := excelize.ColumnNumberToName(col)
	return name
}
