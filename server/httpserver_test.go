package server

import (
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// httpServer is the page listener's server in the tests that open one
// (Config.HTTPServer); TestStdServer reruns them with net/http's.
var httpServer = flag.String("http-server", HTTPFast, "the page listener's server in tests: fast or std")

// stdTests are the tests of the router contract, the limits and the
// middleware, which every page listener server must pass.
var stdTests = []string{
	"TestRouterContract", "TestRawPaths", "TestHead", "TestLargeBody", "TestOversizedHeaders",
	"TestAlways200", "TestDefaultStatus", "TestCompression", "TestHealthz", "TestBusyPort",
	"TestHeaderCap", "TestChunkedAndLength", "TestPanicRecovery", "TestHostileContext",
	"TestCombinedLog", "TestCombinedLogEscapes", "TestTrustedProxies", "TestMetrics",
	"TestAccessLogDelay", "TestCrashlog", "TestStitchedRequests", "TestReloadUnderLoad",
}

// TestStdServer runs stdTests again, in a child process of this test
// binary, with net/http's server on the page listener (-http-server std).
func TestStdServer(t *testing.T) {
	if *httpServer != HTTPFast {
		t.Skip("already the child run")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	args := []string{"-test.run", "^(" + strings.Join(stdTests, "|") + ")$", "-test.count", "1", "-http-server", HTTPStd}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests with -http-server std: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("the tests with -http-server std ran nothing:\n%s", out)
	}
}
