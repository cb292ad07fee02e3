// Package integration proves ouchie behind the real routers: nginx (as
// ingress-nginx configures it, and with static files only), HAProxy, Caddy
// and a PaaS-style router, each started as a real process on loopback ports
// in front of a deliberately failing upstream. It also checks that the docs
// show exactly the configurations the tests run, that the static-host targets
// write what the docs point at, and that the Dockerfile and the Kubernetes
// manifests agree with the binary's flags.
//
// The package holds tests only; the router configurations live in testdata/
// and are quoted verbatim by docs/. A router that is not installed skips its
// test with a message, except under CI=true, where it fails: .ci/run installs
// nginx-light, haproxy and caddy from Debian's packages.
package integration
