package manifest

import (
	"errors"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the template workbook.
const (
	TemplateSheet     = "Manifest"
	listsSheet        = "Lists"
	instructionsSheet = "Instructions"
	// templateRows is how many rows below the header get the dropdowns.
	templateRows = 2000
)

// columnNotes explains each column in the template, as a note on its header.
var columnNotes = map[string]string{
	ColSourceAccountID: "Required. GUID of the account to clone: a compliant account of an asset " +
		"group in your organization (dsclone accounts lists them).",
	ColTargetAccountName: "Required. Name of the new account, 1 to 100 characters, unique in this sheet.",
	ColAdminFirstName:    "Required. First name of the new account's administrator.",
	ColAdminLastName:     "Required. Last name of the new account's administrator.",
	ColAdminEmail: "Required. Email of the new account's administrator, like ann@example.com. " +
		"They must be an administrator of your organization.",
	ColCountryCode: "Fill this or region. Two-letter ISO country code, like US, GB, DE " +
		"(the list is on the Lists sheet).",
	ColRegion: "Fill this or country_code. NA, EU, AU or CA. Wins over country_code when both " +
		"are set. The demo environment always uses NA.",
	ColAssetGroupID: "Optional. GUID of the source account's asset group; looked up from the " +
		"source account when empty.",
	ColAdminLocale: "Optional. Language of the administrator: None, zh_cn, zh_tw, nl, en, fr, " +
		"de, it, ja, ko, pt, pt_br, ru, es, pl.",
}

// exampleRow is the filled-in example shown on the Instructions sheet.
var exampleRow = []string{
	"1f0e8e3a-6b1c-4a57-9d3e-2f6a7c8b9d01", "Contoso Legal", "Ann", "Lee", "ann.lee@contoso.com",
	"US", "NA", "7c2d4b9e-3a1f-4e8d-b6c5-0a9f8e7d6c5b", "en",
}

var instructions = []string{
	"How to fill in this manifest",
	"",
	"1. One row per new account on the Manifest sheet, below the header. Do not rename or " +
		"remove the header row.",
	"2. Hover over a header to read what the column takes. Columns with a dropdown only accept " +
		"its values.",
	"3. Required: source_account_id, target_account_name, admin_first_name, admin_last_name, " +
		"admin_email, and country_code or region.",
	"4. You may add your own columns (an order number, a note...): dsclone carries them " +
		"through to the results workbook untouched.",
	"5. Paste GUIDs as text: the Manifest columns are formatted as Text so that Excel keeps them.",
	"6. Check the file with: dsclone validate manifest.xlsx",
	"",
	"Example row:",
}

// WriteTemplate writes an empty manifest workbook to path: the headers with a
// note on each, dropdowns for country code, region and locale, a Lists sheet
// with their values and an Instructions sheet with an example row. It refuses
// to replace an existing file.
func WriteTemplate(path string) error {
	f := excelize.NewFile()
	defer f.Close()

	steps := []func(*excelize.File) error{
		writeManifestSheet, writeListsSheet, addDropdowns, writeInstructions,
	}
	for _, step := range steps {
		if err := step(f); err != nil {
			return fmt.Errorf("build template workbook: %w", err)
		}
	}

	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create template %q: %w", path, err)
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Close()
		return errors.Join(fmt.Errorf("write template %q: %w", path, err), os.Remove(path))
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write template %q: %w", path, err)
	}
	return nil
}

func writeManifestSheet(f *excelize.File) error {
	if err := f.SetSheetName("Sheet1", TemplateSheet); err != nil {
		return err
	}

	bold, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}

	last, _ := excelize.ColumnNumberToName(len(Columns))
	for i, col := range Columns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(TemplateSheet, cell, col); err != nil {
			return err
		}
		if err := f.AddComment(TemplateSheet, excelize.Comment{
			Cell: cell, Author: "dsclone", Text: columnNotes[col], Width: 300, Height: 120,
		}); err != nil {
			return err
		}
	}
	if err := f.SetColStyle(TemplateSheet, "A:"+last, text); err != nil {
		return err
	}
	if err := f.SetCellStyle(TemplateSheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetColWidth(TemplateSheet, "A", last, 24); err != nil {
		return err
	}
	return f.SetPanes(TemplateSheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	})
}

// writeListsSheet writes the dropdown values: country codes with their
// names in A:B, regions in D and locales in F.
func writeListsSheet(f *excelize.File) error {
	if _, err := f.NewSheet(listsSheet); err != nil {
		return err
	}

	codes, names := CountryCodes()
	columns := []struct {
		cell   string
		values []string
	}{
		{"A1", append([]string{ColCountryCode}, codes...)},
		{"B1", append([]string{"country"}, names...)},
		{"D1", append([]string{ColRegion}, Regions...)},
		{"F1", append([]string{ColAdminLocale}, Locales...)},
	}
	for _, c := range columns {
		col, row, _ := excelize.CellNameToCoordinates(c.cell)
		for i, v := range c.values {
			cell, _ := excelize.CoordinatesToCellName(col, row+i)
			if err := f.SetCellStr(listsSheet, cell, v); err != nil {
				return err
			}
		}
	}
	return f.SetColWidth(listsSheet, "B", "B", 40)
}

func addDropdowns(f *excelize.File) error {
	nCountries := len(countries)
	lists := map[string]string{
		ColCountryCode: fmt.Sprintf("%s!$A$2:$A$%d", listsSheet, nCountries+1),
		ColRegion:      fmt.Sprintf("%s!$D$2:$D$%d", listsSheet, len(Regions)+1),
		ColAdminLocale: fmt.Sprintf("%s!$F$2:$F$%d", listsSheet, len(Locales)+1),
	}
	for i, col := range Columns {
		ref, ok := lists[col]
		if !ok {
			continue
		}
		letter, _ := excelize.ColumnNumberToName(i + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", letter, letter, templateRows+1)
		dv.SetSqrefDropList(ref)
		dv.SetError(excelize.DataValidationErrorStyleStop, col, "Pick a value from the list.")
		if err := f.AddDataValidation(TemplateSheet, dv); err != nil {
			return err
		}
	}
	return nil
}

func writeInstructions(f *excelize.File) error {
	if _, err := f.NewSheet(instructionsSheet); err != nil {
		return err
	}

	for i, line := range instructions {
		if err := f.SetCellStr(instructionsSheet, fmt.Sprintf("A%d", i+1), line); err != nil {
			return err
		}
	}
	top := len(instructions) + 1
	for i, col := range Columns {
		head, _ := excelize.CoordinatesToCellName(i+1, top)
		val, _ := excelize.CoordinatesToCellName(i+1, top+1)
		if err := f.SetCellStr(instructionsSheet, head, col); err != nil {
			return err
		}
		if err := f.SetCellStr(instructionsSheet, val, exampleRow[i]); err != nil {
			return err
		}
	}
	return f.SetColWidth(instructionsSheet, "A", "A", 40)
}
