package preview

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle event stream gets a comment line, so
// proxies and browsers keep it open.
const keepAlive = 15 * time.Second

// serveEvents streams build outcomes as server-sent events:
//
//	event: hello        on connecting: {"gen", "ok", "overlay"}
//	event: reload       after a good build: {"gen"}
//	event: build-error  after a failed one: {"gen", "overlay"}
//
// A tab compares hello's gen with the build it was served from, so a change
// made while it was disconnected still reaches it.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	st, changed := s.current()
	if err := writeEvent(w, "hello", eventData(st)); err != nil {
		return
	}
	fmt.Fprint(w, "retry: 500\n\n")
	if rc.Flush() != nil {
		return
	}
	seen := st.gen
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			continue
		case <-changed:
		}
		st, changed = s.current()
		if st.gen == seen {
			continue
		}
		seen = st.gen
		name := "reload"
		if st.err != nil {
			name = "build-error"
		}
		if writeEvent(w, name, eventData(st)) != nil || rc.Flush() != nil {
			return
		}
	}
}

type event struct {
	Gen     string `json:"gen"`
	OK      bool   `json:"ok"`
	Overlay string `json:"overlay,omitempty"`
}

func eventData(st *state) event {
	return event{Gen: st.gen, OK: st.err == nil, Overlay: st.overlay}
}

// writeEvent writes one event; its JSON data is a single line.
func writeEvent(w http.ResponseWriter, name string, data event) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}
