package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Named sets of trusted proxies for ParseTrustedProxies.
var proxyPresets = map[string][]string{
	"loopback": {"127.0.0.0/8", "::1/128"},
	"private":  {"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"},
}

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes, IP
// addresses and the presets "loopback" (127.0.0.0/8, ::1) and "private"
// (loopback and the private ranges 10/8, 172.16/12, 192.168/16, fc00::/7).
func ParseTrustedProxies(spec string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if preset, ok := proxyPresets[item]; ok {
			for _, p := range preset {
				out = append(out, netip.MustParsePrefix(p))
			}
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: not a CIDR prefix, an IP address, loopback or private", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// trusted reports whether a is in one of the trusted prefixes.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded sets the request's host from X-Forwarded-Host (for choosing a
// brand; see forwardedHost) and its client address from X-Forwarded-For
// (see clientAddr) when its peer is a trusted proxy.
func (s *Server) forwarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if xfh := r.Header[headerForwardedHost]; len(xfh) > 0 && s.peerTrusted(r) {
			if h := forwardedHost(xfh); h != "" {
				r.Host = h
			}
		}
		if client, ok := s.clientAddr(r); ok {
			r.RemoteAddr = client.String()
		}
		next.ServeHTTP(w, r)
	})
}

// peerTrusted reports whether the request's peer is a trusted proxy.
func (s *Server) peerTrusted(r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && s.trusted(peer.Addr())
}

// clientAddr returns the client address X-Forwarded-For gives, if the
// request's peer is a trusted proxy: the rightmost address in the header
// that is not a trusted proxy's (the one the first trusted proxy saw), or
// the leftmost when all are. An entry that is not an IP address makes the
// header forged: it is ignored (the peer stays the client) and counted.
func (s *Server) clientAddr(r *http.Request) (netip.Addr, bool) {
	values := r.Header["X-Forwarded-For"]
	if len(values) == 0 {
		return netip.Addr{}, false
	}
	if !s.peerTrusted(r) {
		return netip.Addr{}, false
	}
	var client netip.Addr
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for rest != "" {
			var item string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				rest, item = rest[:j], rest[j+1:]
			} else {
				rest, item = "", rest
			}
			item = strings.Trim(item, " \t")
			if item == "" {
				continue
			}
			a, err := netip.ParseAddr(item)
			if err != nil {
				s.metrics.forgedXFF.Add(1)
				return netip.Addr{}, false
			}
			client = a.WithZone("").Unmap()
			if !s.trusted(client) {
				return client, true
			}
		}
	}
	return client, client.IsValid()
}
