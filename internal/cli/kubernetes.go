//go:build kubernetes

package cli

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/crashlog/kube"
)

// kubernetes builds the Kubernetes crashlog source and starts its watches;
// stop ends them. Only a binary built with -tags kubernetes has it (the
// client makes the binary more than twice as large).
func (c *ServeCmd) kubernetes(env *Env) (src crashlog.Source, stop func(), err error) {
	if c.Namespace != "" && !crashlog.ValidLabel(c.Namespace) {
		return nil, nil, withHint(fmt.Errorf("namespace %q is not a namespace name", c.Namespace), "--namespace takes a name such as shop")
	}
	client, err := kube.Client(c.Kubeconfig)
	if err != nil {
		return nil, nil, withHint(err, "run ouchie in a pod with a service account (see deploy/kubernetes/rbac.yaml), or name a kubeconfig file with --kubeconfig")
	}
	env.Log.Info("crashlogs from kubernetes", "namespace", cmp.Or(c.Namespace, "(all)"))
	s := kube.New(client, kube.Options{Namespace: c.Namespace, Log: env.Log})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	return s, cancel, nil
}
