package manifest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const (
	guidA = "1f0e8e3a-6b1c-4a57-9d3e-2f6a7c8b9d01"
	guidB = "7c2d4b9e-3a1f-4e8d-b6c5-0a9f8e7d6c5b"
	hdr   = "source_account_id,target_account_name,admin_first_name,admin_last_name,admin_email,country_code"
)

// writeFile writes data to a file in a fresh temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeXLSX writes a workbook with one sheet per entry of sheets, each row
// placed at the spreadsheet row given by its key.
func writeXLSX(t *testing.T, sheets []string, rows map[string]map[int][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for line, cells := range rows[name] {
			cell, _ := excelize.CoordinatesToCellName(1, line)
			if err := f.SetSheetRow(name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "m.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadCSV(t *testing.T) {
	row := guidA + ",Acme,Ann,Lee,ann@acme.com,US"
	tests := []struct {
		name      string
		data      string
		wantLines []int
		wantErr   string
		check     func(t *testing.T, m *Manifest)
	}{
		{name: "plain", data: hdr + "\n" + row + "\n", wantLines: []int{2}},
		{name: "crlf and bom", data: "\xEF\xBB\xBF" + hdr + "\r\n" + row + "\r\n", wantLines: []int{2},
			check: func(t *testing.T, m *Manifest) {
				if m.Headers[0] != "source_account_id" || m.Rows[0].CountryCode != "US" {
					t.Errorf("headers %q, country %q", m.Headers, m.Rows[0].CountryCode)
				}
			}},
		{name: "semicolon", data: strings.ReplaceAll(hdr, ",", ";") + "\n" +
			strings.ReplaceAll(row, ",", ";") + "\n", wantLines: []int{2}},
		{name: "semicolon with commas in quoted name", data: strings.ReplaceAll(hdr, ",", ";") + "\n" +
			guidA + `;"Acme, Inc.";Ann;Lee;ann@acme.com;US` + "\n", wantLines: []int{2},
			check: func(t *testing.T, m *Manifest) {
				if m.Rows[0].TargetAccountName != "Acme, Inc." {
					t.Errorf("name %q", m.Rows[0].TargetAccountName)
				}
			}},
		{name: "multi-line cell keeps row numbers", data: hdr + ",Notes\n" +
			row + ",\"two\nlines\"\n" + guidB + ",Beta,Bo,Li,bo@beta.com,US,x\n", wantLines: []int{2, 3},
			check: func(t *testing.T, m *Manifest) {
				if m.Rows[0].Values[6] != "two\nlines" {
					t.Errorf("notes %q", m.Rows[0].Values[6])
				}
			}},
		{name: "blank and empty rows counted and skipped", data: hdr + "\n\n,,,,,\n" + row + "\n",
			wantLines: []int{4}},
		{name: "ragged rows padded", data: hdr + ",Extra\n" + guidA + ",Acme\n", wantLines: []int{2},
			check: func(t *testing.T, m *Manifest) {
				if len(m.Rows[0].Values) != 7 || m.Rows[0].AdminEmail != "" {
					t.Errorf("values %q", m.Rows[0].Values)
				}
			}},
		{name: "values kept, fields trimmed and normalised",
			data:      hdr + ",region,admin_locale\n" + "{" + strings.ToUpper(guidA) + "}, Acme ,Ann,Lee,ann@acme.com, us ,na,pt-BR\n",
			wantLines: []int{2},
			check: func(t *testing.T, m *Manifest) {
				r := m.Rows[0]
				if r.SourceAccountID != guidA || r.TargetAccountName != "Acme" || r.CountryCode != "US" ||
					r.Region != "NA" || r.AdminLocale != "pt_br" || r.Values[1] != " Acme " {
					t.Errorf("row %+v", r)
				}
			}},
		{name: "header only", data: hdr + "\n"},
		{name: "empty file", data: "", wantErr: "no header row"},
		{name: "utf-16 with bom", data: "\xFF\xFEs\x00o\x00", wantErr: "UTF-16"},
		{name: "utf-16 without bom", data: "s\x00o\x00u\x00r\x00c\x00e\x00", wantErr: "UTF-16"},
		{name: "latin-1", data: hdr + "\n" + guidA + ",Caf\xe9,Ann,Lee,ann@acme.com,US\n",
			wantErr: "line 2 is not valid UTF-8"},
		{name: "missing columns", data: "Name,Email\nAcme,a@b.com\n",
			wantErr: `missing required columns source_account_id, target_account_name, admin_first_name, admin_last_name, country_code or region; the header row has "Name", "Email"`},
		{name: "duplicate column", data: hdr + ",Email\n", wantErr: `columns "admin_email" (column E) and "Email" (column G) both mean admin_email`},
		{name: "bare quote", data: hdr + "\n" + guidA + `,Ac"me,Ann,Lee,ann@acme.com,US` + "\n",
			wantErr: "CSV line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "m.csv", []byte(tt.data))
			m, err := Read(path, ReadOptions{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertLines(t, m, tt.wantLines)
			if m.Format != FormatCSV || len(m.SHA256) != 64 || m.Path != path {
				t.Errorf("format %q, sha %q, path %q", m.Format, m.SHA256, m.Path)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func assertLines(t *testing.T, m *Manifest, want []int) {
	t.Helper()
	var got []int
	for _, r := range m.Rows {
		got = append(got, r.Line)
	}
	if len(got) != len(want) {
		t.Fatalf("rows at lines %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("rows at lines %v, want %v", got, want)
		}
	}
}

func TestReadLimits(t *testing.T) {
	row := guidA + ",Acme,Ann,Lee,ann@acme.com,US\n"
	tests := []struct {
		name    string
		data    string
		opts    ReadOptions
		wantErr string
	}{
		{"file too big", hdr + "\n" + row, ReadOptions{MaxFileBytes: 50}, "more than the"},
		{"too many rows", hdr + "\n" + row + row + row, ReadOptions{MaxRows: 2}, "row 4: the manifest has more than 2 rows"},
		{"cell too big", hdr + "\n" + guidA + "," + strings.Repeat("x", 100) + ",Ann,Lee,a@b.co,US\n",
			ReadOptions{MaxCellBytes: 64}, "row 2, column B: the cell holds 100 bytes"},
		{"too many columns", hdr + strings.Repeat(",", maxColumns) + "x\n", ReadOptions{}, "beyond the 1000 columns"},
		{"xls workbook", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", ReadOptions{}, "Excel 97-2003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(writeFile(t, "m.csv", []byte(tt.data)), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}

	if _, err := Read(filepath.Join(t.TempDir(), "none.csv"), ReadOptions{}); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestReadXLSX(t *testing.T) {
	header := []any{"Source Account", "Account Name", "First Name", "Last Name", "Email", "Country", "Opportunity", "Big"}
	data := []any{guidA, "Acme", "Ann", "Lee", "ann@acme.com", "us", "OPP-1", 1234567890123456}
	tests := []struct {
		name      string
		sheets    []string
		rows      map[string]map[int][]any
		opts      ReadOptions
		wantLines []int
		wantErr   string
		check     func(t *testing.T, m *Manifest)
	}{
		{name: "first sheet, blank rows keep numbers", sheets: []string{"Customers", "Other"},
			rows:      map[string]map[int][]any{"Customers": {1: header, 2: data, 5: replace(data, 1, "Beta")}},
			wantLines: []int{2, 5},
			check: func(t *testing.T, m *Manifest) {
				r := m.Rows[0]
				if m.Sheet != "Customers" || r.CountryCode != "US" || r.Values[6] != "OPP-1" {
					t.Errorf("sheet %q, row %+v", m.Sheet, r)
				}
				if r.Values[7] != "1234567890123456" {
					t.Errorf("long number read as %q", r.Values[7])
				}
			}},
		{name: "named sheet", sheets: []string{"A", "Wave 2"},
			rows: map[string]map[int][]any{"Wave 2": {3: header, 4: data}}, opts: ReadOptions{Sheet: "wave 2"},
			wantLines: []int{4}},
		{name: "unknown sheet", sheets: []string{"A", "B"}, rows: map[string]map[int][]any{},
			opts: ReadOptions{Sheet: "C"}, wantErr: `no sheet "C"; its sheets are "A", "B"`},
		{name: "no header", sheets: []string{"A"}, rows: map[string]map[int][]any{}, wantErr: "no header row"},
		{name: "missing columns", sheets: []string{"A"},
			rows:    map[string]map[int][]any{"A": {1: {"Name", "Email"}}},
			wantErr: `the header row has "Name", "Email"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(writeXLSX(t, tt.sheets, tt.rows), tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Format != FormatXLSX || len(m.SHA256) != 64 {
				t.Errorf("format %q, sha %q", m.Format, m.SHA256)
			}
			assertLines(t, m, tt.wantLines)
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func replace(cells []any, i int, v any) []any {
	out := append([]any(nil), cells...)
	out[i] = v
	return out
}

func TestReadXLSXZipBomb(t *testing.T) {
	// Shared strings of 2 MB of blanks compress to a few KB; with a 64 KB file
	// limit it unpacks beyond 20 times the limit and is refused unread.
	f := excelize.NewFile()
	for i := 1; i < 70; i++ {
		if err := f.SetCellStr("Sheet1", "A"+strconv.Itoa(i), strings.Repeat(" ", 32000-i)+"x"); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}

	_, err := Read(path, ReadOptions{MaxFileBytes: 64 << 10})
	if err == nil || !strings.Contains(err.Error(), "unpacks to") {
		t.Fatalf("error %v, want a refusal that names the unpacked size", err)
	}
}
