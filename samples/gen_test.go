// Package samples holds the sample manifests that the demo runs, and the test
// that keeps the XLSX in step with the CSV.
package samples

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dsclone/dsclone/manifest"
)

var update = flag.Bool("update", false, "rewrite manifest.xlsx from manifest.csv")

// TestSampleManifests checks that manifest.csv and manifest.xlsx hold the same
// rows and are valid for the demo environment without a warning. With
// -update it first writes manifest.xlsx from manifest.csv.
func TestSampleManifests(t *testing.T) {
	if *update {
		writeXLSX(t, "manifest.csv", "manifest.xlsx")
	}

	fromCSV := read(t, "manifest.csv")
	fromXLSX := read(t, "manifest.xlsx")
	if !reflect.DeepEqual(fromCSV.Headers, fromXLSX.Headers) {
		t.Fatalf("headers differ: csv %q, xlsx %q", fromCSV.Headers, fromXLSX.Headers)
	}
	if !reflect.DeepEqual(fromCSV.Rows, fromXLSX.Rows) {
		t.Fatalf("rows differ between manifest.csv and manifest.xlsx: run go test ./samples -update")
	}
	if len(fromCSV.Rows) != 16 {
		t.Errorf("manifest.csv has %d rows, want 16", len(fromCSV.Rows))
	}

	for _, m := range []*manifest.Manifest{fromCSV, fromXLSX} {
		if problems := manifest.Validate(m, manifest.ValidateOptions{Env: manifest.EnvDemo}); len(problems) > 0 {
			t.Errorf("%s: want no problems with --env demo, got %v", m.Path, problems)
		}
	}
}

// TestInvalidSample checks that invalid.csv shows an error on every data row.
func TestInvalidSample(t *testing.T) {
	m := read(t, "invalid.csv")
	problems := manifest.Validate(m, manifest.ValidateOptions{Env: manifest.EnvDemo})

	withError := map[int]bool{}
	for _, p := range problems {
		if p.Severity == manifest.SeverityError {
			withError[p.Line] = true
		}
	}
	for _, r := range m.Rows {
		// The first of two duplicate rows is itself valid.
		if !withError[r.Line] && r.Line != 8 {
			t.Errorf("row %d of invalid.csv has no error", r.Line)
		}
	}
}

func read(t *testing.T, path string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Read(path, manifest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// writeXLSX writes the rows of a CSV manifest to an XLSX workbook, every cell
// a text cell, the header bold and frozen.
func writeXLSX(t *testing.T, csvPath, xlsxPath string) {
	t.Helper()
	m := read(t, csvPath)

	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Customers"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	rows := [][]string{m.Headers}
	for _, r := range m.Rows {
		rows = append(rows, r.Values)
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := excelize.CoordinatesToCellName(len(m.Headers), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		t.Fatal(err)
	}
	lastCol := strings.TrimRight(last, "0123456789")
	if err := f.SetColWidth(sheet, "A", lastCol, 28); err != nil {
		t.Fatal(err)
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		t.Fatal(err)
	}

	// Fixed document properties keep the file's bytes stable across updates.
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: "dsclone", Created: "2026-01-05T09:00:00Z", Modified: "2026-01-05T09:00:00Z",
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(filepath.Clean(xlsxPath)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(xlsxPath, 0o644); err != nil {
		t.Fatal(err)
	}
}
