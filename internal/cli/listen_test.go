package cli

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// serve and preview word a busy port the same way, with the same hint.
func TestPortInUseWordedTheSame(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	run := func(args ...string) string {
		var out bytes.Buffer
		env := Env{Stdout: io.Discard, Stderr: &out, DefaultSite: repoSite, Log: slog.New(slog.DiscardHandler)}
		if code := Main(args, env); code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", args, code, out.String())
		}
		return out.String()
	}
	serve := run("serve", "--listen", addr)
	preview := run("preview", "--src", "../..", "--listen", addr)
	want := "ouchie: error: listen " + addr + ": address already in use\n" +
		"hint: another process holds that port; choose another address with --listen"
	for name, got := range map[string]string{"serve": serve, "preview": preview} {
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s says\n%s\nwant it to start\n%s", name, got, want)
		}
	}
}
