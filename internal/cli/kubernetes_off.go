//go:build !kubernetes

package cli

import (
	"errors"

	"github.com/ouchie/ouchie/server/crashlog"
)

// errNoKubernetes is what --crashlog-source kubernetes answers in a binary
// built without the Kubernetes source.
var errNoKubernetes = errors.New("this ouchie was built without the Kubernetes source")

// kubernetes fails: the Kubernetes crashlog source is compiled in only with
// -tags kubernetes, which keeps the default binary and image small.
func (c *ServeCmd) kubernetes(*Env) (crashlog.Source, func(), error) {
	return nil, nil, withHint(errNoKubernetes, "build it with `go build -tags kubernetes` or `make build TAGS=kubernetes`")
}
