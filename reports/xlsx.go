package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the workbook.
const (
	SheetSummary = "Summary"
	SheetResults = "Results"
	SheetFailed  = "Failed"
)

// Column widths, in characters.
const (
	minWidth  = 6
	maxWidth  = 60
	dateWidth = 20
)

// maxNotes caps the notes on the Failed sheet: each costs memory in the
// workbook, and the Results sheet holds every error and hint anyway.
const maxNotes = 2000

// WriteXLSX writes the results workbook to w: a Summary sheet, a Results sheet
// with every row of the manifest and a Failed sheet with the rows to fix, in
// the manifest's own columns. Values from the manifest or the API are always
// written as text, never as formulas.
func WriteXLSX(w io.Writer, in Input) error {
	s := summarize(in)

	f := excelize.NewFile()
	defer f.Close()
	if err := setupBook(f, in); err != nil {
		return fmt.Errorf("set up workbook: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("create workbook styles: %w", err)
	}

	if err := writeSummary(f, st, s); err != nil {
		return fmt.Errorf("write sheet %s: %w", SheetSummary, err)
	}
	if err := writeResults(f, st, s); err != nil {
		return fmt.Errorf("write sheet %s: %w", SheetResults, err)
	}
	if err := writeFailed(f, st, s); err != nil {
		return fmt.Errorf("write sheet %s: %w", SheetFailed, err)
	}

	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// setupBook names the sheets and sets the document's properties.
func setupBook(f *excelize.File, in Input) error {
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, name := range []string{SheetResults, SheetFailed} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := setupPrint(f); err != nil {
		return err
	}

	return f.SetDocProps(&excelize.DocProperties{
		Title:   "dsclone results " + in.Run.ID,
		Creator: "dsclone",
		Created: in.Now.UTC().Format(time.RFC3339),
	})
}

// setupPrint makes the sheets print well: the Summary one page wide, the
// tables in landscape with their header row on every page. It must run before
// the tables are streamed.
func setupPrint(f *excelize.File) error {
	fit, one, zero := true, 1, 0
	if err := f.SetSheetProps(SheetSummary, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(SheetSummary, &excelize.PageLayoutOptions{
		FitToWidth: &one, FitToHeight: &zero,
	}); err != nil {
		return err
	}

	landscape := "landscape"
	for _, sheet := range []string{SheetResults, SheetFailed} {
		err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape})
		if err != nil {
			return err
		}
		err = f.SetDefinedName(&excelize.DefinedName{
			Name: "_xlnm.Print_Titles", RefersTo: sheet + "!$1:$1", Scope: sheet,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeResults streams the Results sheet: every job in manifest order, removed
// rows last.
func writeResults(f *excelize.File, st styles, s summary) error {
	header := resultsHeader(s.in.Run.Headers)
	width := len(s.in.Run.Headers)

	sw, err := f.NewStreamWriter(SheetResults)
	if err != nil {
		return err
	}
	if err := setResultWidths(sw, header, s, width); err != nil {
		return err
	}
	if err := startTable(f, sw, st, SheetResults, header, len(s.jobs)); err != nil {
		return err
	}

	row := make([]any, len(header))
	for i, j := range s.jobs {
		rec := resultRecord(j, width)
		row = row[:0]
		for _, c := range rec {
			row = append(row, st.value(c))
		}
		if err := sw.SetRow(cellName(1, i+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// writeFailed streams the Failed sheet: the rows that failed or need review,
// with exactly the manifest's headers and values, and the error and hint of
// each in a note on its first cell.
func writeFailed(f *excelize.File, st styles, s summary) error {
	var failed []int
	for i, j := range s.jobs {
		if o := Outcome(j); o == OutcomeFailed || o == OutcomeNeedsReview {
			failed = append(failed, i)
		}
	}
	headers := s.in.Run.Headers

	sw, err := f.NewStreamWriter(SheetFailed)
	if err != nil {
		return err
	}
	if err := setFailedWidths(sw, s, failed); err != nil {
		return err
	}
	if err := startTable(f, sw, st, SheetFailed, headers, len(failed)); err != nil {
		return err
	}

	for n, i := range failed {
		j := s.jobs[i]
		row := make([]any, len(j.Row.Values))
		for k, v := range j.Row.Values {
			row[k] = st.value(text(v))
		}
		if err := sw.SetRow(cellName(1, n+2), row); err != nil {
			return err
		}
		if n < maxNotes && len(headers) > 0 {
			if err := addNote(f, cellName(1, n+2), j.Row.Line, j.LastError, Hint(j)); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}

// addNote puts a job's error and hint in a note on cell of the Failed sheet.
func addNote(f *excelize.File, cell string, line int, errText, hint string) error {
	msg := fmt.Sprintf("Row %d of the manifest.", line)
	if errText != "" {
		msg += "\nError: " + errText
	}
	msg += "\nWhat to do: " + hint

	return f.AddComment(SheetFailed, excelize.Comment{
		Author: "dsclone", Cell: cell, Text: msg, Width: 360, Height: 140,
	})
}

// startTable writes the bold header row of a streamed sheet, freezes it and
// turns the filter on over rows data rows. It must come before any other row.
func startTable(f *excelize.File, sw *excelize.StreamWriter, st styles, sheet string,
	header []string, rows int) error {
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}

	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: st.headerFor(h), Value: h}
	}
	if err := sw.SetRow("A1", cells, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}

	if len(header) == 0 {
		return nil
	}
	ref := "A1:" + cellName(len(header), rows+1)
	return f.AutoFilter(sheet, ref, nil)
}

// setResultWidths fits the Results columns to their content, capped.
func setResultWidths(sw *excelize.StreamWriter, header []string, s summary, width int) error {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = textWidth(h) + 3 // room for the filter button
	}
	for _, j := range s.jobs {
		for i, c := range resultRecord(j, width) {
			if i < len(widths) {
				widths[i] = max(widths[i], cellWidth(c))
			}
		}
	}
	return applyWidths(sw, widths)
}

// setFailedWidths fits the Failed columns to their content, capped.
func setFailedWidths(sw *excelize.StreamWriter, s summary, failed []int) error {
	widths := make([]int, len(s.in.Run.Headers))
	for i, h := range s.in.Run.Headers {
		widths[i] = textWidth(h) + 3
	}
	for _, i := range failed {
		for k, v := range s.jobs[i].Row.Values {
			if k < len(widths) {
				widths[k] = max(widths[k], textWidth(v))
			}
		}
	}
	return applyWidths(sw, widths)
}

// applyWidths sets each column's width, within minWidth and maxWidth.
func applyWidths(sw *excelize.StreamWriter, widths []int) error {
	for i, w := range widths {
		w = min(max(w+1, minWidth), maxWidth)
		if err := sw.SetColWidth(i+1, i+1, float64(w)); err != nil {
			return err
		}
	}
	return nil
}

// cellWidth is the width a cell's content needs, in characters.
func cellWidth(c cell) int {
	switch c.kind {
	case timeCell:
		return dateWidth
	case numberCell:
		return len(fmt.Sprint(c.n))
	}
	return textWidth(c.s)
}

// textWidth estimates the displayed width of s: wide (East Asian) characters
// count twice.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf ||
			r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff ||
			r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 ||
			r >= 0xffe0 && r <= 0xffe6 || r >= 0x1f300 && r <= 0x1faff) {
			n += 2
			continue
		}
		n++
	}
	return n
}

// cellName is the A1 reference of a column and row, both from 1.
func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}
