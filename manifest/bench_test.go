package manifest

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// ingestEnv names the manifest that a child test process reads and validates
// and nothing else, so that its peak RSS is the reading's alone.
const ingestEnv = "DSCLONE_INGEST_MANIFEST"

const ingestRows = 100_000

func TestMain(m *testing.M) {
	if path := os.Getenv(ingestEnv); path != "" {
		os.Exit(ingestChild(path))
	}
	os.Exit(m.Run())
}

// ingestChild reads and validates path and prints the seconds it took.
func ingestChild(path string) int {
	start := time.Now()
	mf, err := Read(path, ReadOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	problems := Validate(mf, ValidateOptions{Env: EnvProduction})
	if len(mf.Rows) != ingestRows || HasErrors(problems) {
		fmt.Fprintf(os.Stderr, "%d rows, %d problems\n", len(mf.Rows), len(problems))
		return 1
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return 0
}

// BenchmarkIngest writes a manifest of 100,000 rows as XLSX and as CSV, then
// reads and validates each in a child process, printing one line per format
// with the time and the child's peak RSS.
func BenchmarkIngest(b *testing.B) {
	dir := b.TempDir()
	rows := benchRows(ingestRows)
	files := map[string]string{
		FormatXLSX: writeBenchXLSX(b, filepath.Join(dir, "m.xlsx"), rows),
		FormatCSV:  writeBenchCSV(b, filepath.Join(dir, "m.csv"), rows),
	}

	results := map[string]string{}
	for b.Loop() {
		for _, format := range []string{FormatXLSX, FormatCSV} {
			results[format] = runIngestChild(b, files[format], format)
		}
	}
	for _, format := range []string{FormatXLSX, FormatCSV} {
		fmt.Println(results[format])
	}
}

func runIngestChild(b *testing.B, path, format string) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), ingestEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("ingest %s: %v", format, err)
	}
	seconds, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("ingest %s: child printed %q", format, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return fmt.Sprintf("scenario=ingest rows=%d format=%s seconds=%.3f peak_rss_mb=%.1f",
		ingestRows, format, seconds, float64(ru.Maxrss)/1024)
}

// benchRows returns n valid rows over 50 asset groups, with a carried column.
func benchRows(n int) [][]string {
	rows := [][]string{append(append([]string{}, Columns...), "Opportunity")}
	for i := range n {
		rows = append(rows, []string{
			fmt.Sprintf("%08x-0000-4000-8000-%012x", i%500, i%500),
			fmt.Sprintf("Customer %06d Holdings", i),
			"Ann", "Lee",
			fmt.Sprintf("admin%06d@customer%06d.com", i, i),
			"US", "NA",
			fmt.Sprintf("%08x-1111-4000-8000-%012x", i%50, i%50),
			"en",
			fmt.Sprintf("OPP-%07d", i),
		})
	}
	return rows
}

func writeBenchCSV(b *testing.B, path string, rows [][]string) string {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// writeBenchXLSX writes the rows with excelize's stream writer, as text cells.
func writeBenchXLSX(b *testing.B, path string, rows [][]string) string {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	cells := make([]any, len(rows[0]))
	for i, row := range rows {
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	return path
}
