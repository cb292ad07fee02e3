// Package redistest runs a real redis-server for tests: its own process on
// a free loopback port, persistence off, in a temporary folder, killed when
// the test ends. Without redis-server the test is skipped with a message,
// or fails under CI=true (where .ci/run installs it).
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// Addr is host:port; URL is redis://Addr/0.
	Addr, URL string

	t        testing.TB
	bin, dir string
	args     []string
	password string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Start starts redis-server with args added to its command line (such as
// "--requirepass", "secret").
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := lookRedis()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found; .ci/run installs the Debian package redis-server")
		}
		t.Skip("redis-server not found (apt-get install redis-server); skipping the test with a real Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: addr, URL: "redis://" + addr + "/0", t: t, bin: bin, dir: t.TempDir(), args: args}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--requirepass" {
			s.password = args[i+1]
		}
	}
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

func lookRedis() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/redis-server", "/usr/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Restart starts the server again, on the same port and folder (so a dump
// written by SAVE is loaded), and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	argv := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log"), "--daemonize", "no"}, s.args...)
	s.cmd = exec.Command(s.bin, argv...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if reply, err := s.Do("PING"); err == nil && reply == "+PONG" {
			return
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server does not answer PING after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server at once (SIGKILL), as a crash would, and waits for it.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Pause stops the server (SIGSTOP) until Resume: connections stay open and
// nothing is answered, as from a Redis stuck or far too slow.
func (s *Server) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(s.Resume)
}

// Resume continues a paused server.
func (s *Server) Resume() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Do sends one command (authenticated when the server has a password) and
// returns the first line of the reply, such as "+OK" or ":1".
func (s *Server) Do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	send := func(args ...string) (string, error) {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := c.Write([]byte(b.String())); err != nil {
			return "", err
		}
		line, err := r.ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err
	}
	if s.password != "" {
		if reply, err := send("AUTH", s.password); err != nil || reply != "+OK" {
			return reply, fmt.Errorf("AUTH: %q %v", reply, err)
		}
	}
	return send(args...)
}

// Keys returns how many keys the server holds.
func (s *Server) Keys() int {
	s.t.Helper()
	reply, err := s.Do("DBSIZE")
	n, convErr := strconv.Atoi(strings.TrimPrefix(reply, ":"))
	if err != nil || convErr != nil {
		s.t.Fatalf("DBSIZE: %q %v", reply, err)
	}
	return n
}
