# dsclone: the two commands a new user needs are `make demo` and `make test`.

GO        ?= go
BIN       := bin/dsclone
DEMO_OUT  := samples/out
PKGS      := ./...

.PHONY: all build demo test bench torture lint fuzz sdk-check libreoffice-check clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dsclone

# demo clones the sample manifest through the embedded simulator and writes a
# results workbook to samples/out/.
demo: build
	@mkdir -p $(DEMO_OUT)
	$(BIN) run --simulate --sim-clone-time 2s \
		--state $(DEMO_OUT)/demo.dsclone.db --out $(DEMO_OUT)/demo.results.xlsx \
		samples/manifest.xlsx

test:
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 8m $(PKGS)

# bench prints one key=value line per scenario. -p 1 runs one package's
# benchmarks at a time: they measure wall time and must not share the CPUs.
bench: build
	@out=$$(mktemp); $(GO) test -p 1 -run '^$$' -bench . -benchtime 1x -timeout 30m ./... >$$out 2>&1; \
		status=$$?; grep -E '^(scenario=|ok|FAIL|---|panic)' $$out; \
		[ $$status -eq 0 ] || cat $$out; rm -f $$out; exit $$status

# torture runs the long crash test: at least 200 SIGKILLs of dsclone over 500 rows
# in 50 asset groups against a faulty simulator. It prints its seed;
# DSCLONE_TORTURE_SEED=N make torture replays one.
torture: build
	DSCLONE_TORTURE=long $(GO) test -run 'TestCrash' -count 1 -timeout 60m -v ./cmd/dsclone

# fuzz runs the manifest readers' fuzzers for FUZZTIME each; new findings land
# in manifest/testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReadCSV$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./manifest/
	$(GO) test -run '^$$' -fuzz '^FuzzReadXLSX$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./manifest/

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# libreoffice-check installs LibreOffice (Debian) when missing and converts a
# results workbook to PDF with it.
libreoffice-check:
	@command -v libreoffice >/dev/null 2>&1 || command -v soffice >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y --no-install-recommends libreoffice-calc)
	$(GO) test -count=1 -run TestLibreOfficeConvertsWorkbook -v ./reports/

clean:
	rm -rf bin $(DEMO_OUT)

# sdk-check drives `dsclone sim` with Docusign's own Node Admin SDK (needs node
# and npm, and the npm registry).
sdk-check:
	simulator/sdkcheck/run.sh
