package reports

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// randomValue returns a random string that often starts with a formula
// prefix and mixes ASCII, digits and non-ASCII text.
func randomValue(rng *rand.Rand) string {
	starts := []string{"=", "+", "-", "@", "\t", "\r", "=1+1", "=HYPERLINK(\"http://x\")",
		"+49 30 1234", "-5", "@SUM(A1)", "1e5", "0042", "TRUE", "", "é", "日本", "🙂"}
	pieces := []string{"a", "Z", "7", " ", ",", "\"", "'", ";", "é", "ß", "日本語", "🙂",
		"=", "(", ")", "\n", "A1", "cmd|' /C calc'!A0"}

	var b strings.Builder
	b.WriteString(starts[rng.IntN(len(starts))])
	for range rng.IntN(8) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

func TestFormulaSafety(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const rows = 300

	in := testInput(t, 0)
	for i := range rows {
		j := jobFor(i)
		j.Key = string(rune('a'+i%26)) + strings.Repeat("x", i)
		for k := range j.Row.Values {
			j.Row.Values[k] = randomValue(rng)
		}
		j.LastError, j.WorkID, j.NewAccountID = randomValue(rng), randomValue(rng), randomValue(rng)
		in.Jobs = append(in.Jobs, j)
	}
	in.Run.Headers = append([]string{"=cmd"}, testHeaders[1:]...)

	checkXLSXSafe(t, in)
	checkCSVSafe(t, in)
}

// checkXLSXSafe checks that every manifest and API value of the workbook is a
// string cell holding exactly the value, never a formula, and that one that
// starts like a formula has the Text format.
func checkXLSXSafe(t *testing.T, in Input) {
	t.Helper()
	f, _ := openXLSX(t, in)
	header := resultsHeader(in.Run.Headers)
	apiCols := map[string]bool{"New account id": true, "Work id": true, "Error": true}

	for i, j := range summarize(in).jobs {
		row := i + 2
		for k, v := range j.Row.Values {
			checkCellSafe(t, f, SheetResults, cellName(k+2, row), v)
		}
		for k, name := range header {
			if !apiCols[name] {
				continue
			}
			want := map[string]string{"New account id": j.NewAccountID, "Work id": j.WorkID,
				"Error": j.LastError}[name]
			checkCellSafe(t, f, SheetResults, cellName(k+1, row), want)
		}
	}
	checkCellSafe(t, f, SheetResults, "B1", "=cmd")
	checkCellSafe(t, f, SheetFailed, "A1", "=cmd")
}

// checkCellSafe checks one cell against the value it must hold as text.
func checkCellSafe(t *testing.T, f *excelize.File, sheet, cell, want string) {
	t.Helper()

	formula, err := f.GetCellFormula(sheet, cell)
	if err != nil || formula != "" {
		t.Fatalf("%s!%s: formula %q (%v) for value %q", sheet, cell, formula, err, want)
	}
	got, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil || got != want {
		t.Fatalf("%s!%s = %q (%v), want %q", sheet, cell, got, err, want)
	}
	if want == "" {
		return
	}

	typ, err := f.GetCellType(sheet, cell)
	if err != nil || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
		t.Fatalf("%s!%s holding %q has type %v (%v), want a string", sheet, cell, want, typ, err)
	}
	if risky(want) {
		if st := styleOf(t, f, sheet, cell); st.NumFmt != textNumFmt {
			t.Fatalf("%s!%s holding %q has number format %d, want Text (%d)",
				sheet, cell, want, st.NumFmt, textNumFmt)
		}
	}
}

// checkCSVSafe checks that the CSV twin prefixes every value that starts
// like a formula with an apostrophe and keeps the others as they are.
func checkCSVSafe(t *testing.T, in Input) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("read CSV back: %v", err)
	}

	if records[0][1] != "'=cmd" {
		t.Errorf("CSV header %q, want it neutralised", records[0][1])
	}
	for i, j := range summarize(in).jobs {
		for k, v := range j.Row.Values {
			got := records[i+1][k+1]
			want := v
			if risky(v) {
				want = "'" + v
			}
			// encoding/csv reads a quoted CR LF back as LF.
			want = strings.ReplaceAll(want, "\r\n", "\n")
			if got != want {
				t.Fatalf("CSV row %d col %d = %q, want %q", i+2, k+2, got, want)
			}
			if got != "" && strings.ContainsRune(formulaPrefixes, rune(got[0])) {
				t.Fatalf("CSV value %q starts like a formula", got)
			}
		}
	}
}

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+33 1 23", "'+33 1 23"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"plain", "plain"},
		{"a=b", "a=b"},
		{"", ""},
		{"日本", "日本"},
	}
	for _, tt := range tests {
		if got := csvSafe(tt.in); got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
