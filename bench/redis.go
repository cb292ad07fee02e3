package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"
)

// lookRedis finds redis-server on PATH or where Debian puts it.
func lookRedis() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server"
	}
	return ""
}

// startRedisOuchie starts a redis-server of its own (loopback, persistence
// off) and a third ouchie serve keeping its crashlogs there, and pushes the
// crashlog through it. Without redis-server, skip says so.
func (b *bench) startRedisOuchie(ctx context.Context) (s *served, skip string, err error) {
	bin := lookRedis()
	if bin == "" {
		return nil, "redis-server not found (hint: apt-get install redis-server)", nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	host, port, _ := net.SplitHostPort(addr)
	dir := b.path("redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	logFile := b.path("redis.log")
	p, err := b.startLogged("redis-server", logFile, []string{bin, "--port", port, "--bind", host,
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logFile})
	if err != nil {
		return nil, "", err
	}
	if err := waitRedis(ctx, p, addr); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(os.Stderr, "bench: redis-server on %s (%s)\n", addr, firstLine(output(bin, "--version")))
	return b.startOuchie(ctx, "ouchie-redis.log", "--crashlog-store", "redis://"+addr+"/0")
}

// waitRedis polls addr until Redis answers PING, the process exits or the
// time is up.
func waitRedis(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ping(addr)
		if err == nil {
			return nil
		}
		if p.exited() || time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not come up at %s: %v", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return errors.New("answered " + line)
	}
	return nil
}

// printRedisVsMemory compares the crashlog case with the Redis store to
// the same case with the in-memory store. Each is also divided by nginx's
// figure of its own rounds, which keeps the machine's drift between the
// two cases out of the comparison; the target applies to that.
func printRedisVsMemory(outs []*outcome) {
	var mem, redis *outcome
	for _, o := range outs {
		switch {
		case o.c.skip != "" || o.c.ouchie.contains != crashlogMarker:
		case o.c.redis:
			redis = o
		default:
			mem = o
		}
	}
	if mem == nil || redis == nil {
		return
	}
	mrps, _ := mem.rps()
	rrps, _ := redis.rps()
	mcpu, _ := mem.cpu()
	rcpu, _ := redis.cpu()
	rel := redis.ratio() / mem.ratio()
	fmt.Println("crashlog page, Redis store against in-memory store (target ≥ 0.90 on the ratio to nginx, and by CPU)")
	fmt.Printf("  req/s %s / %s = %.2f;  ratio to nginx %.2f / %.2f = %.2f  %s;  CPU/req in-memory/Redis %.1f µs / %.1f µs = %.2f  %s\n\n",
		thousands(rrps), thousands(mrps), rrps/mrps, redis.ratio(), mem.ratio(), rel, passMiss(rel >= 0.9),
		mcpu, rcpu, mcpu/rcpu, passMiss(mcpu/rcpu >= 0.9))
}
