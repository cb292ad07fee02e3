package cli

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestServeDrain drives keep-alive load through SIGTERM: /healthz turns
// 503 at once, every request sent during the drain is answered (those
// after the drain began with Connection: close), and a second signal ends
// the delay and stops the server. No request fails.
// It runs with each HTTP server of the page listener (--http-server).
func TestServeDrain(t *testing.T) {
	for _, httpServer := range []string{"fast", "std"} {
		t.Run(httpServer, func(t *testing.T) { testServeDrain(t, httpServer) })
	}
}

func testServeDrain(t *testing.T, httpServer string) {
	const clients, after = 16, 20 // bounded: clients × (warm-up + after) requests
	url, sigs, logs, wait := startServe(t, &ServeCmd{ShutdownDelay: time.Minute, HTTPServer: httpServer})

	var (
		failed   atomic.Int64
		kept     atomic.Int64 // responses during the drain that kept the connection
		draining = make(chan struct{})
		warm     sync.WaitGroup
		done     sync.WaitGroup
		errs     = make(chan string, clients)
	)
	warm.Add(clients)
	for i := range clients {
		done.Go(func() {
			// One keep-alive connection per client; POST is never retried by
			// the transport, so a request lost is an error here.
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			post := func() (*http.Response, error) {
				resp, err := c.Post(fmt.Sprintf("%s/502?client=%d", url, i), "text/plain", nil)
				if err != nil {
					return nil, err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != 502 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				return resp, err
			}
			fail := func(err error) {
				if failed.Add(1) == 1 {
					errs <- err.Error()
				}
			}
			for range 5 {
				if _, err := post(); err != nil {
					fail(err)
				}
			}
			warm.Done()
			for { // load goes on through SIGTERM until the drain is seen
				select {
				case <-draining:
				default:
					if _, err := post(); err != nil {
						fail(err)
					}
					continue
				}
				break
			}
			for range after {
				resp, err := post()
				if err != nil {
					fail(err)
				} else if !resp.Close {
					kept.Add(1)
				}
			}
		})
	}
	warm.Wait()
	sigs <- syscall.SIGTERM
	// /healthz says 503 once the signal is handled.
	saw503 := false
	for range 1000 {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatalf("healthz during the drain: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			if string(body) != "draining\n" {
				t.Errorf("healthz body %q", body)
			}
			saw503 = true
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(draining)
	done.Wait()
	if !saw503 {
		t.Error("/healthz never answered 503 after SIGTERM")
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d requests failed through SIGTERM; the first: %s", n, <-errs)
	}
	if n := kept.Load(); n > 0 {
		t.Errorf("%d responses during the drain kept the connection open", n)
	}
	sigs <- syscall.SIGTERM // ends the delay
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still listening after the drain")
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("the log does not say it drains:\n%s", logs.String())
	}
}
