package manifest

import (
	"archive/zip"
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// rawXLSX returns a minimal workbook whose sheet data and shared strings are
// the XML given, to reach what excelize does not write.
func rawXLSX(t *testing.T, sheetData, sharedStrings string) []byte {
	t.Helper()
	parts := map[string]string{
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Hidden" sheetId="1" state="hidden" r:id="rId1"/><sheet name="Data" sheetId="2" r:id="rId2"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData/></worksheet>`,
		"xl/worksheets/data.xml": `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
			`<x:sheetData>` + sheetData + `</x:sheetData></x:worksheet>`,
		"xl/sharedStrings.xml": `<sst>` + sharedStrings + `</sst>`,
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSXStream(t *testing.T) {
	const header = `<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c>` +
		`<c t="s"><v>3</v></c><c t="s"><v>4</v></c><c t="s"><v>5</v></c><c t="s"><v>6</v></c></row>`
	const strs = `<si><t>source_account_id</t></si><si><t>target_account_name</t></si>` +
		`<si><t>admin_first_name</t></si><si><t>admin_last_name</t></si><si><t>admin_email</t></si>` +
		`<si><r><t>country</t></r><r><t>_x005F_code</t></r><rPh><t>phonetic</t></rPh></si><si><t>Note</t></si>` +
		`<si><t>Acme &amp; Co</t></si>`
	tests := []struct {
		name    string
		rows    string
		want    []string // values of the one data row
		line    int
		wantErr string
	}{
		{name: "cells without references follow each other",
			rows: `<row><c t="inlineStr"><is><t>` + guidA + `</t></is></c><c t="s"><v>7</v></c>` +
				`<c t="str"><v>Ann</v></c><c t="inlineStr"><is><r><t>L</t></r><r><t>ee</t></r></is></c>` +
				`<c t="inlineStr"><is><t>a@b.co</t></is></c><c t="inlineStr"><is><t>US</t></is></c><c t="b"><v>1</v></c></row>`,
			want: []string{guidA, "Acme & Co", "Ann", "Lee", "a@b.co", "US", "TRUE"}, line: 2},
		{name: "gaps in rows and cells",
			rows: `<row r="4"><c r="A4" t="inlineStr"><is><t>` + guidA + `</t></is></c>` +
				`<c r="C4" t="inlineStr"><is><t>Ann</t></is></c><c r="G4"><v>1234567890123456789</v></c></row>`,
			want: []string{guidA, "", "Ann", "", "", "", "1234567890123456800"}, line: 4},
		{name: "prefixes, comments, CDATA, references and formulas",
			rows: `<!-- note --><x:row r="3" spans="1:7"><x:c r="A3" t="inlineStr" foo="a>b"><x:is><x:t>` + guidA +
				`</x:t></x:is></x:c><x:c r="B3" t="inlineStr"><x:is><x:t><![CDATA[A&B]]></x:t></x:is></x:c>` +
				`<x:c r="C3" t="str"><x:f>"A"&amp;"nn"</x:f><x:v>Ann</x:v></x:c>` +
				`<x:c r="D3" t="inlineStr"><x:is><x:t>L&#x65;&#101;&#10;</x:t></x:is></x:c><x:c r="E3"/></x:row>`,
			want: []string{guidA, "A&B", "Ann", "Lee\n", "", "", ""}, line: 3},
		{name: "rows out of order", rows: `<row r="5"/><row r="3"/>`, wantErr: "row 3 comes after row 5"},
		{name: "row far down", rows: `<row r="1048576"/>`, wantErr: "reaches further down"},
		{name: "cell far right", rows: `<row r="2"><c r="ALM2"><v>1</v></c></row>`, wantErr: "beyond the 1000 columns"},
		{name: "bad reference", rows: `<row r="2"><c r="XFE2"><v>1</v></c></row>`, wantErr: `reference "XFE2" is not valid`},
		{name: "missing shared string", rows: `<row r="2"><c t="s"><v>99</v></c></row>`, wantErr: `shared string "99"`},
		{name: "cell too big", rows: `<row r="2"><c><v>` + strings.Repeat("9", 5000) + `</v></c></row>`,
			wantErr: "more than the 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := rawXLSX(t, header+tt.rows, strs)
			m, err := ReadXLSX(bytes.NewReader(data), int64(len(data)), fuzzOpts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Sheet != "Data" || m.Headers[5] != "country_code" || len(m.Rows) != 1 {
				t.Fatalf("sheet %q, headers %q, %d rows", m.Sheet, m.Headers, len(m.Rows))
			}
			if r := m.Rows[0]; r.Line != tt.line || strings.Join(r.Values, "|") != strings.Join(tt.want, "|") {
				t.Errorf("row %d %q, want %d %q", r.Line, r.Values, tt.line, tt.want)
			}
		})
	}
}

func TestReadXLSXSharedStringBudget(t *testing.T) {
	strs := strings.Repeat("<si><t>"+strings.Repeat("x", 1000)+"</t></si>", 5000)
	data := rawXLSX(t, "", strs)
	_, err := ReadXLSX(bytes.NewReader(data), int64(len(data)), ReadOptions{MaxFileBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "shared strings need more than") {
		t.Fatalf("error %v, want the shared strings refused", err)
	}
}

// TestReadXLSXFormatted checks that styled numbers read as the spreadsheet
// shows them.
func TestReadXLSXFormatted(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"Source Account", "Account Name", "First Name", "Last Name", "Email", "Country",
		"Start", "Share", "Plain"}
	row := []any{guidA, "Acme", "Ann", "Lee", "a@b.co", "US", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), 0.25, 1.5}
	for i, cells := range [][]any{header, row} {
		if err := f.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &cells); err != nil {
			t.Fatal(err)
		}
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "H2", "H2", pct); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}

	m, err := Read(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Rows[0].Values[6:]; strings.Join(got, "|") != "03-05-24|25%|1.5" {
		t.Errorf("formatted cells %q", got)
	}
}
