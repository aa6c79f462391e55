package reports

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLibreOfficeConvertsWorkbook checks that LibreOffice opens the workbook
// and renders it to PDF. Set DSCLONE_RENDER_DIR to keep the workbook and the
// PDF there for a look.
func TestLibreOfficeConvertsWorkbook(t *testing.T) {
	office := lookOffice()
	if office == "" {
		t.Skip("libreoffice (or soffice) is not on PATH: install libreoffice-calc to run this check")
	}

	dir := os.Getenv("DSCLONE_RENDER_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	book := filepath.Join(dir, "results.xlsx")
	if err := Write(book, XLSX, testInput(t, 60)); err != nil {
		t.Fatalf("Write: %v", err)
	}

	cmd := exec.Command(office, "--headless", "--convert-to", "pdf", "--outdir", dir, book)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s --convert-to pdf: %v\n%s", office, err, out)
	}

	info, err := os.Stat(filepath.Join(dir, "results.pdf"))
	if err != nil || info.Size() == 0 {
		t.Fatalf("no PDF from LibreOffice (%v); it said:\n%s", err, out)
	}
}

// lookOffice finds the LibreOffice binary, or "".
func lookOffice() string {
	for _, name := range []string{"libreoffice", "soffice"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}
