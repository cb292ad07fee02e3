package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// maxServeRSS is the peak resident memory docs/server.md promises for
// ouchie serve with the admin API filled to its bounds, under the shipped
// Deployment's GOMEMLIMIT (its memory limit is 128Mi).
const maxServeRSS = 224 << 20

// memoryChildEnv makes the test binary run ouchie serve (see TestServeMemory).
const memoryChildEnv = "OUCHIE_TEST_MEMORY_CHILD"

// TestServeMemory runs ouchie serve in a process of its own, with the
// Deployment's GOMEMLIMIT and the admin API on, fills the crashlog store
// past its bounds (1,100 apps' logs, pushed 16 at a time), sends 150
// concurrent 3 MiB pushes, shows logs on pages in every format, and
// requires the process's peak RSS (VmHWM) to stay under maxServeRSS.
func TestServeMemory(t *testing.T) {
	if os.Getenv(memoryChildEnv) != "" {
		os.Exit(Main(strings.Fields(os.Getenv(memoryChildEnv)), Env{Stdout: io.Discard, Stderr: os.Stderr, DefaultSite: repoSite}))
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc, on linux only")
	}
	if testing.Short() {
		t.Skip("pushes about 600 MB over loopback")
	}
	limit := manifestEnv(t, "GOMEMLIMIT")
	token := "memory-test-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeMemory$")
	cmd.Env = append(os.Environ(), "GOMEMLIMIT="+limit, memoryChildEnv+"=serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --admin-token-file "+tokenFile+" --no-access-log --shutdown-delay 0s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var childLog bytes.Buffer
	pages, admin := childAddrs(t, stderr, &childLog)

	// A request gets a generous bound, so a server that stops answering fails
	// the test with its error instead of stalling the whole package.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 3 * time.Minute}
	push := func(app string, body []byte) (int, error) {
		req, _ := http.NewRequest("PUT", admin+"/v1/crashlogs/"+app, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	logOf := func(app string, size int) []byte {
		var b bytes.Buffer
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "%s: <boot> step %d failed & DB_PASSWORD=hunter2-%d \"retrying\"\n", app, i, i)
		}
		return b.Bytes()
	}

	// 1,100 apps, 16 pushers at once (the server takes 8): a refused push
	// is sent again.
	apps := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 16 {
		wg.Go(func() {
			for i := range apps {
				app := fmt.Sprintf("app-%04d", i)
				body := logOf(app, 100<<10)
				for try := 0; ; try++ {
					code, err := push(app, body)
					if err == nil && code < 300 {
						break
					}
					if try == 200 || err == nil && code != http.StatusTooManyRequests {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%s: %d %v", app, code, err))
						mu.Unlock()
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	for i := range 1100 {
		apps <- i
	}
	close(apps)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d pushes failed, first %s", len(failures), failures[0])
	}

	// 150 pushes of 3 MiB at once: most are refused (429, or the
	// connection closed under the body); memory is what is checked.
	big := logOf("big", 3<<20)
	var accepted sync.WaitGroup
	for i := range 150 {
		accepted.Go(func() { push(fmt.Sprintf("big-%03d", i), big) })
	}
	accepted.Wait()

	// Pages show the newest logs in every format.
	for i := 1100 - 300; i < 1100; i++ {
		for _, accept := range []string{"text/html", "application/json", "text/plain", "application/xml"} {
			req, _ := http.NewRequest("GET", pages+"/H10", nil)
			req.Header.Set("X-App", fmt.Sprintf("app-%04d", i))
			req.Header.Set("Accept", accept)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if i == 1099 && !bytes.Contains(body, []byte("step")) {
				t.Fatalf("the newest log is not shown (%s): %.200s", accept, body)
			}
		}
	}

	hwm := vmHWM(t, cmd.Process.Pid)
	t.Logf("peak RSS %.1f MiB with GOMEMLIMIT=%s", float64(hwm)/(1<<20), limit)
	if hwm > maxServeRSS {
		t.Errorf("peak RSS %d MiB, more than the documented %d MiB", hwm>>20, maxServeRSS>>20)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve: %v\n%s", err, childLog.String())
	}
}

// childAddrs reads the child's log until it names both listeners.
func childAddrs(t *testing.T, r io.Reader, copyTo *bytes.Buffer) (pages, admin string) {
	t.Helper()
	listen := regexp.MustCompile(`listen=(http://[0-9.:]+)`)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		copyTo.WriteString(line + "\n")
		if m := listen.FindStringSubmatch(line); m != nil {
			if strings.Contains(line, "crashlog admin API") {
				admin = m[1]
			} else {
				pages = m[1]
			}
		}
		if pages != "" && admin != "" {
			go io.Copy(io.Discard, r)
			return pages, admin
		}
	}
	t.Fatalf("serve did not say where it listens:\n%s", copyTo.String())
	return "", ""
}

// vmHWM returns the peak resident set size of process pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// manifestEnv returns the value of an environment variable the shipped
// Deployment sets.
func manifestEnv(t *testing.T, name string) string {
	t.Helper()
	y, err := os.ReadFile("../../deploy/kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`- name: ` + regexp.QuoteMeta(name) + `\s+value: "?([^"\s]+)`).FindSubmatch(y)
	if m == nil {
		t.Fatalf("deployment.yaml sets no %s", name)
	}
	return string(m[1])
}
