package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// app is what every command shares: its streams and its logger.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	logFormat string
	logLevel  string
	log       zerolog.Logger
}

// commands lists the constructors of the subcommands, each in its own file,
// in the order the help shows them.
var commands = []func(*app) *cobra.Command{
	newValidateCmd,
	newPlanCmd,
	newRunCmd,
	newStatusCmd,
	newReportCmd,
	newTemplateCmd,
	newAccountsCmd,
	newSimCmd,
	newVersionCmd,
}

// execute runs dsclone with args and returns the process exit code.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, log: zerolog.Nop()}
	root := newRootCmd(a)
	root.SetArgs(args)

	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	fmt.Fprintf(stderr, "dsclone: %v\n", err)
	return codeOf(err)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "dsclone",
		Short: "Clone Docusign eSignature accounts in bulk from a spreadsheet",
		Long: `dsclone clones Docusign eSignature accounts in bulk from a CSV or XLSX manifest,
one row per new account. It validates every row, runs one clone at a time per
asset group with many asset groups in parallel inside Docusign's rate limit,
checkpoints every step so that a killed run resumes without creating an account
twice, and writes a results workbook.

` + exitCodesHelp,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLogging()
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(exitUsage, err)
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.logFormat, "log-format", "", "log format: console or json (default console on a terminal, json otherwise)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: trace, debug, info, warn or error")

	for _, newCmd := range commands {
		root.AddCommand(newCmd(a))
	}
	return root
}

// setupLogging builds the logger from --log-format and --log-level. Logs go to
// stderr; stdout is kept for results.
func (a *app) setupLogging() error {
	level, err := zerolog.ParseLevel(a.logLevel)
	if err != nil || a.logLevel == "" {
		return usageErrorf("--log-level %q: use trace, debug, info, warn or error", a.logLevel)
	}

	var w io.Writer
	switch a.logFormat {
	case "json":
		w = a.stderr
	case "console":
		w = zerolog.ConsoleWriter{Out: a.stderr, TimeFormat: "15:04:05", NoColor: !a.stderrIsTerminal()}
	case "":
		if a.stderrIsTerminal() {
			w = zerolog.ConsoleWriter{Out: a.stderr, TimeFormat: "15:04:05"}
		} else {
			w = a.stderr
		}
	default:
		return usageErrorf("--log-format %q: use console or json", a.logFormat)
	}
	// Many goroutines log at once; the writer may not be safe for that.
	a.log = zerolog.New(zerolog.SyncWriter(w)).Level(level).With().Timestamp().Logger()
	return nil
}

// stderrIsTerminal reports whether stderr is an interactive terminal.
func (a *app) stderrIsTerminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
