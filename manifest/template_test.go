package manifest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestWriteTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.xlsx")
	if err := WriteTemplate(path); err != nil {
		t.Fatal(err)
	}
	if err := WriteTemplate(path); err == nil {
		t.Error("second WriteTemplate replaced the file, want an error")
	}

	// The template reads back as a manifest with every column and no rows.
	m, err := Read(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Sheet != TemplateSheet || strings.Join(m.Headers, ",") != strings.Join(Columns, ",") || len(m.Rows) != 0 {
		t.Errorf("sheet %q, headers %q, %d rows", m.Sheet, m.Headers, len(m.Rows))
	}

	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	comments, err := f.GetComments(TemplateSheet)
	if err != nil || len(comments) != len(Columns) {
		t.Errorf("%d comments (%v), want one per column", len(comments), err)
	}

	dvs, err := f.GetDataValidations(TemplateSheet)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"F2:F2001": "Lists!$A$2:$A$250", "G2:G2001": "Lists!$D$2:$D$5", "I2:I2001": "Lists!$F$2:$F$16"}
	for _, dv := range dvs {
		if ref, ok := want[dv.Sqref]; ok && strings.Contains(dv.Formula1, ref) {
			delete(want, dv.Sqref)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing dropdowns %v", want)
	}

	codes, err := f.GetCellValue(listsSheet, "A250")
	if err != nil || codes != "ZW" {
		t.Errorf("Lists!A250 = %q (%v), want ZW, the last of 249 codes", codes, err)
	}
	example, err := f.GetRows(instructionsSheet)
	if err != nil || len(example) < 2 || example[len(example)-1][0] != exampleRow[0] {
		t.Errorf("Instructions sheet ends with %q (%v), want the example row", example[len(example)-1], err)
	}
}

func TestCountryList(t *testing.T) {
	codes, _ := CountryCodes()
	if len(codes) != 249 {
		t.Errorf("%d country codes, want the 249 of ISO 3166-1", len(codes))
	}
}
