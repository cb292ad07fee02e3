package integration

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// Bounds on waiting for processes; none of the waits is open-ended.
const (
	startTimeout = 15 * time.Second // until a process listens
	stopTimeout  = 5 * time.Second  // after SIGTERM, before SIGKILL
	runTimeout   = 30 * time.Second // for a command run to its end
)

// proc is a process a test started; it is stopped when the test ends.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string // its stdout and stderr
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// start runs a process in its own process group (so a shell pipeline stops
// as one), with stdout and stderr in a log file of the test's temp folder.
// The log is shown when the test fails.
func start(t testing.TB, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	return startIn(t, "", name, env, bin, args...)
}

// startIn is start in the working folder dir ("" for the test's own).
func startIn(t testing.TB, dir, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s log (%s):\n%s", name, logPath, p.output())
		}
	})
	return p
}

// stop ends the process group: SIGTERM, a second SIGTERM shortly after (it
// ends ouchie's --shutdown-delay drain, which a test has no use for), then
// SIGKILL after stopTimeout.
func (p *proc) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(200 * time.Millisecond):
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopTimeout):
	}
	t.Logf("%s did not stop within %s of SIGTERM; killing it", p.name, stopTimeout)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		t.Errorf("%s (pid %d) survived SIGKILL", p.name, pgid)
	}
}

// output returns what the process has logged so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitListening polls until addr accepts connections, failing the test when
// the process exits first or startTimeout passes.
func (p *proc) waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before listening on %s:\n%s", p.name, p.err, addr, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after %s:\n%s", p.name, addr, startTimeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog polls the process's log until re matches, returning the first
// submatch (or the whole match).
func (p *proc) waitLog(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m[len(m)-1]
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before logging %q:\n%s", p.name, p.err, re, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log %q within %s:\n%s", p.name, re, startTimeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run runs a command to its end within runTimeout and returns its combined
// output and exit code (-1 when it could not run or was killed).
func run(t testing.TB, env []string, stdin []byte, bin string, args ...string) (string, int) {
	t.Helper()
	return runFor(t, runTimeout, env, stdin, bin, args...)
}

// runFor is run with a bound of its own, for builds that take minutes.
func runFor(t testing.TB, timeout time.Duration, env []string, stdin []byte, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s %q did not finish within %s:\n%s", bin, args, timeout, out.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("run %s: %v", bin, err)
	return "", -1
}

// freePort returns a loopback address that was free a moment ago, for
// processes that cannot listen on port 0 and report the port.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on: an app that is
// down.
func closedPort(t testing.TB) string { return freePort(t) }

// ouchieServer is a running `ouchie serve`.
type ouchieServer struct {
	*proc
	addr  string // page listener
	admin string // admin listener, when asked for
}

var (
	listenLog = regexp.MustCompile(`msg="serving error pages".* listen=http://(\S+)`)
	adminLog  = regexp.MustCompile(`msg="crashlog admin API".* listen=http://(\S+)`)
)

// startOuchie runs `ouchie serve` on a port of its own choosing (127.0.0.1:0,
// read back from its log) with the bundle under test, plus args.
func startOuchie(t testing.TB, args ...string) *ouchieServer {
	t.Helper()
	bin, _ := ouchieBuild(t)
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--dist", bundleDir(t), "--log-format", "json"}, args...)
	p := start(t, "ouchie-serve", nil, bin, full...)
	s := &ouchieServer{proc: p, addr: p.waitLog(t, listenLog)}
	for _, a := range args {
		if a == "--admin-listen" {
			s.admin = p.waitLog(t, adminLog)
		}
	}
	p.waitListening(t, s.addr)
	return s
}

// writeFile writes a file into the test's temp folder and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
