package generator

import (
	"reflect"
	"strings"
)

// Labels are the words themes put around a page's own text. A site sets them
// in ouchie.yaml under labels:, to match its lang; any left out keep the
// English defaults.
type Labels struct {
	Error          string `yaml:"error"`           // before the status number, for screen readers
	WhoseProblem   string `yaml:"whose_problem"`   // "Whose problem:"
	SourceApp      string `yaml:"source_app"`      // source: app
	SourcePlatform string `yaml:"source_platform"` // source: platform
	SourceClient   string `yaml:"source_client"`   // source: client
	RequestID      string `yaml:"request_id"`      // "Request ID"
	RequestIDHelp  string `yaml:"request_id_help"` // why the request id matters
	CrashLog       string `yaml:"crash_log"`       // the crashlog's heading
	CrashLogHelp   string `yaml:"crash_log_help"`  // what the crashlog is
	JumpToLog      string `yaml:"jump_to_log"`     // the link down to the crashlog
	Homepage       string `yaml:"homepage"`
	StatusPage     string `yaml:"status_page"`
	Support        string `yaml:"support"`
}

// DefaultLabels are the English words used where a site sets none.
var DefaultLabels = Labels{
	Error:          "Error",
	WhoseProblem:   "Whose problem:",
	SourceApp:      "The application",
	SourcePlatform: "The platform",
	SourceClient:   "Your request",
	RequestID:      "Request ID",
	RequestIDHelp:  "Please include it when you contact support.",
	CrashLog:       "Crash log",
	CrashLogHelp:   "The last lines the app wrote before it stopped, with secrets redacted.",
	JumpToLog:      "Developer? See the crash log",
	Homepage:       "Homepage",
	StatusPage:     "Status page",
	Support:        "Support",
}

// withDefaults fills every empty label from DefaultLabels.
func (l Labels) withDefaults() Labels {
	v, def := reflect.ValueOf(&l).Elem(), reflect.ValueOf(DefaultLabels)
	for i := range v.NumField() {
		if v.Field(i).String() == "" {
			v.Field(i).Set(def.Field(i))
		}
	}
	return l
}

// each calls f with every label's key in ouchie.yaml and its value.
func (l Labels) each(f func(key, val string)) {
	v := reflect.ValueOf(l)
	for i := range v.NumField() {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		f(key, v.Field(i).String())
	}
}

// source returns the words for a page's source.
func (l Labels) source(s string) string {
	switch s {
	case "app":
		return l.SourceApp
	case "platform":
		return l.SourcePlatform
	}
	return l.SourceClient
}
