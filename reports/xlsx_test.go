package reports

import (
	"archive/zip"
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dsclone/dsclone/store"
	"github.com/xuri/excelize/v2"
)

// openXLSX writes in as a workbook and opens it again with excelize.
func openXLSX(t *testing.T, in Input) (*excelize.File, []byte) {
	t.Helper()

	var buf bytes.Buffer
	if err := WriteXLSX(&buf, in); err != nil {
		t.Fatalf("WriteXLSX: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open written workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, buf.Bytes()
}

// rowsOf reads every row of a sheet.
func rowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("read sheet %s: %v", sheet, err)
	}
	return rows
}

// styleOf returns the style of a cell.
func styleOf(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatalf("style of %s!%s: %v", sheet, cell, err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatalf("style %d: %v", id, err)
	}
	return st
}

// zipParts lists the parts of a workbook's zip.
func zipParts(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("read workbook zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestWriteXLSX(t *testing.T) {
	tests := []struct {
		name       string
		rows       int
		wantFailed int // rows on the Failed sheet
		wantCharts bool
	}{
		{name: "two thousand mixed rows", rows: 2000, wantFailed: 800, wantCharts: true},
		{name: "one completed row", rows: 1, wantFailed: 0, wantCharts: true},
		{name: "no rows", rows: 0, wantFailed: 0, wantCharts: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(t, tt.rows)
			f, data := openXLSX(t, in)

			if got, want := f.GetSheetList(), []string{SheetSummary, SheetResults, SheetFailed}; !slices.Equal(got, want) {
				t.Fatalf("sheets = %v, want %v", got, want)
			}
			checkResults(t, f, in)
			checkFailed(t, f, in, tt.wantFailed)
			checkTableStyle(t, f, SheetResults)
			checkTableStyle(t, f, SheetFailed)

			parts := zipParts(t, data)
			// The outcome chart, the rows per lane and the clone minutes per lane.
			for _, chart := range []string{"xl/charts/chart1.xml", "xl/charts/chart2.xml", "xl/charts/chart3.xml"} {
				if got := slices.Contains(parts, chart); got != tt.wantCharts {
					t.Errorf("%s present = %v, want %v (parts %v)", chart, got, tt.wantCharts, parts)
				}
			}
		})
	}
}

// checkResults checks the Results sheet: every job in manifest order, removed
// rows last, with its row number, original values and outcome.
func checkResults(t *testing.T, f *excelize.File, in Input) {
	t.Helper()
	rows := rowsOf(t, f, SheetResults)
	if len(rows) != len(in.Jobs)+1 {
		t.Fatalf("Results has %d rows, want %d and a header", len(rows), len(in.Jobs))
	}
	if want := resultsHeader(testHeaders); !slices.Equal(rows[0], want) {
		t.Fatalf("Results header = %q, want %q", rows[0], want)
	}

	want := summarize(in).jobs
	outcomeCol := 1 + len(testHeaders)
	for i, j := range want {
		got := rows[i+1]
		if got[0] != strconv.Itoa(j.Row.Line) {
			t.Fatalf("Results row %d: line %q, want %d", i+2, got[0], j.Row.Line)
		}
		if !slices.Equal(got[1:outcomeCol], j.Row.Values) {
			t.Fatalf("Results row %d: values %q, want %q", i+2, got[1:outcomeCol], j.Row.Values)
		}
		if got[outcomeCol] != Outcome(j) {
			t.Fatalf("Results row %d: outcome %q, want %q", i+2, got[outcomeCol], Outcome(j))
		}
	}
	if len(want) > 3 && rows[len(rows)-1][outcomeCol] != OutcomeRemoved {
		t.Errorf("last Results row outcome = %q, want the removed row", rows[len(rows)-1][outcomeCol])
	}
	if len(want) > 0 {
		checkResultCells(t, f, want[0])
	}
}

// checkResultCells checks the cells of the first Results row, a completed
// job: its coloured outcome, date-time cells, duration and checklist hint.
func checkResultCells(t *testing.T, f *excelize.File, j store.Job) {
	t.Helper()
	col := func(name string) string {
		i := slices.Index(resultsHeader(testHeaders), name)
		return cellName(i+1, 2)
	}

	st := styleOf(t, f, SheetResults, col("Outcome"))
	if len(st.Fill.Color) == 0 || st.Fill.Color[0] != "C6EFCE" {
		t.Errorf("completed outcome fill = %v, want C6EFCE", st.Fill.Color)
	}
	if st := styleOf(t, f, SheetResults, col("Submitted (UTC)")); st.CustomNumFmt == nil || *st.CustomNumFmt != dateFormat {
		t.Errorf("submitted cell number format = %v, want %q", st.CustomNumFmt, dateFormat)
	}

	checks := map[string]string{
		"Submitted (UTC)": j.SubmittedAt.UTC().Format(timeLayout),
		"Duration":        "4m 12s",
		"Hint":            CompletedChecklist,
		"New account id":  j.NewAccountID,
	}
	for name, want := range checks {
		got, err := f.GetCellValue(SheetResults, col(name))
		if err != nil || got != want {
			t.Errorf("Results %s = %q (%v), want %q", name, got, err, want)
		}
	}
}

// checkFailed checks the Failed sheet: exactly the manifest's headers and the
// values of the rows that failed or need review, each with a note.
func checkFailed(t *testing.T, f *excelize.File, in Input, want int) {
	t.Helper()
	rows := rowsOf(t, f, SheetFailed)
	if len(rows) != want+1 {
		t.Fatalf("Failed has %d rows, want %d and a header", len(rows), want)
	}
	if !slices.Equal(rows[0], testHeaders) {
		t.Fatalf("Failed header = %q, want the manifest's %q", rows[0], testHeaders)
	}

	var failed []store.Job
	for _, j := range summarize(in).jobs {
		if o := Outcome(j); o == OutcomeFailed || o == OutcomeNeedsReview {
			failed = append(failed, j)
		}
	}
	for i, j := range failed {
		if !slices.Equal(rows[i+1], j.Row.Values) {
			t.Fatalf("Failed row %d = %q, want %q", i+2, rows[i+1], j.Row.Values)
		}
	}

	comments, err := f.GetComments(SheetFailed)
	if err != nil {
		t.Fatalf("read notes: %v", err)
	}
	if len(comments) != min(want, maxNotes) {
		t.Fatalf("Failed has %d notes, want %d", len(comments), min(want, maxNotes))
	}
	if want > 0 && !strings.Contains(comments[0].Text, "What to do:") {
		t.Errorf("first note = %q, want a hint", comments[0].Text)
	}
}

// checkTableStyle checks a bold frozen header and the filter.
func checkTableStyle(t *testing.T, f *excelize.File, sheet string) {
	t.Helper()
	if st := styleOf(t, f, sheet, "A1"); st.Font == nil || !st.Font.Bold {
		t.Errorf("%s header is not bold", sheet)
	}

	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("%s panes = %+v (%v), want the header row frozen", sheet, panes, err)
	}

	found := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sheet {
			found = true
		}
	}
	if !found {
		t.Errorf("%s has no filter", sheet)
	}
}

func TestSummarySheet(t *testing.T) {
	in := testInput(t, 50)
	f, _ := openXLSX(t, in)

	var text strings.Builder
	for _, row := range rowsOf(t, f, SheetSummary) {
		text.WriteString(strings.Join(row, "|") + "\n")
	}
	for _, want := range []string{
		"run-1", "/data/customers.xlsx", "org-1", "demo", "All times are UTC.",
		"Not yet: 10 of 49 rows completed",
		"dsclone run /data/customers.xlsx --retry-failed",
		"dsclone run /data/customers.xlsx --resubmit-unknown",
		"lane-0",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("Summary lacks %q:\n%s", want, text.String())
		}
	}
}
