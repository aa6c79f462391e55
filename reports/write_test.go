package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dsclone/dsclone/store"
	"github.com/xuri/excelize/v2"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		format Format
		check  func(t *testing.T, path string, in Input)
	}{
		{XLSX, func(t *testing.T, path string, in Input) {
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatalf("open workbook: %v", err)
			}
			defer f.Close()
			if rows := rowsOf(t, f, SheetResults); len(rows) != len(in.Jobs)+1 {
				t.Errorf("Results has %d rows, want %d", len(rows), len(in.Jobs)+1)
			}
		}},
		{CSV, func(t *testing.T, path string, in Input) {
			recs := readCSV(t, path)
			if len(recs) != len(in.Jobs)+1 || recs[1][0] != "2" {
				t.Errorf("CSV has %d records starting %q, want %d from row 2",
					len(recs), recs[1], len(in.Jobs)+1)
			}
		}},
		{JSON, func(t *testing.T, path string, in Input) {
			var rep jsonReport
			raw, _ := os.ReadFile(path)
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatalf("decode JSON report: %v", err)
			}
			if len(rep.Rows) != len(in.Jobs) || rep.Rows[0].Line != 2 ||
				rep.Counts[OutcomeFailed] != 4 || rep.Rows[0].Hint != CompletedChecklist {
				t.Errorf("JSON report: %d rows, first line %d, counts %v", len(rep.Rows),
					rep.Rows[0].Line, rep.Counts)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			in := testInput(t, 20)
			path := filepath.Join(t.TempDir(), "results."+string(tt.format))
			if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}

			if err := Write(path, tt.format, in); err != nil {
				t.Fatalf("Write: %v", err)
			}

			info, err := os.Stat(path)
			if err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("report mode = %v (%v), want 0600", info.Mode(), err)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d files, want only the report", len(entries))
			}
			tt.check(t, path, in)
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.ods")
	if err := Write(path, "ods", Input{}); err == nil {
		t.Fatal("Write accepted format ods")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Write left %q behind: %v", path, err)
	}
}

// readCSV reads a CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read CSV %q: %v", path, err)
	}
	return recs
}

// killChildEnv names the path a child test process writes a big workbook to.
const killChildEnv = "DSCLONE_REPORTS_KILL_CHILD"

// TestWriteKilledChild is the child of TestWriteSurvivesKill: it writes a big
// workbook to the path it is given, over and over, until it is killed.
func TestWriteKilledChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("runs only as the child of TestWriteSurvivesKill")
	}
	in := bigInput(1000, "new")
	for {
		if err := Write(path, XLSX, in); err != nil {
			t.Fatalf("Write: %v", err)
		}
		fmt.Println("written")
	}
}

// bigInput is a run of n rows whose run id is id, without a state file.
func bigInput(n int, id string) Input {
	jobs := make([]store.Job, n)
	for i := range jobs {
		jobs[i] = jobFor(i)
	}
	return Input{Run: store.Run{ID: id, Headers: testHeaders}, Jobs: jobs, Now: t0}
}

// TestWriteSurvivesKill kills a process while it writes the workbook, at
// several moments, and checks that the path always opens as either the
// previous workbook or a complete new one.
func TestWriteSurvivesKill(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		t.Skip("child process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "results.xlsx")
	if err := Write(path, XLSX, bigInput(10, "old")); err != nil {
		t.Fatalf("write the previous workbook: %v", err)
	}

	// Kill the child after it has written 0 and 1 workbooks; where in the
	// next write the signal lands varies with scheduling.
	for _, after := range []int{0, 1} {
		killWriter(t, path, after)

		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatalf("after a kill (%d writes done) the workbook does not open: %v", after, err)
		}
		rows := rowsOf(t, f, SheetResults)
		f.Close()
		if len(rows) != 11 && len(rows) != 1001 {
			t.Fatalf("after a kill the workbook has %d rows: neither old nor new", len(rows))
		}
	}
}

// killWriter starts the child writing to path and SIGKILLs it once it has
// reported writes complete workbooks.
func killWriter(t *testing.T, path string, writes int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteKilledChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}

	buf := make([]byte, 64)
	seen := 0
	for seen < writes {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("child stopped early: %v", err)
		}
		seen += strings.Count(string(buf[:n]), "written")
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	_ = cmd.Wait()
}
