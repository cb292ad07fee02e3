package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ouchie/ouchie/internal/cli"
)

// TestMain lets the scripts in testdata/script run this binary as "ouchie".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ouchie": func() {
			os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, DefaultSite: defaultSite()}))
		},
	})
}

// TestScripts runs the command end to end, one script per feature.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
