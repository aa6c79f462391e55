// Command dsclone clones Docusign eSignature accounts in bulk from a spreadsheet.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
