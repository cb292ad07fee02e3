package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HealthcheckCmd asks a running server whether it is healthy. Containers
// without a shell or curl (distroless, scratch) use it as their HEALTHCHECK.
type HealthcheckCmd struct {
	URL     string        `help:"Health endpoint of the running server. Default: ${default}." default:"http://127.0.0.1:8080/healthz" env:"OUCHIE_HEALTHCHECK_URL" placeholder:"URL"`
	Timeout time.Duration `help:"Give up after this long. Default: ${default}." default:"3s" env:"OUCHIE_HEALTHCHECK_TIMEOUT" placeholder:"DURATION"`
}

// Run succeeds when the endpoint answers 200.
func (c *HealthcheckCmd) Run(env *Env) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return withHint(fmt.Errorf("bad --url %q: %w", c.URL, err), "e.g. --url http://127.0.0.1:8080/healthz")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return withHint(fmt.Errorf("unhealthy: %w", err), "is ouchie serve running and listening there? (--listen, OUCHIE_LISTEN)")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s", c.URL, resp.Status)
	}
	fmt.Fprintf(env.Stdout, "healthy: %s\n", c.URL)
	return nil
}
