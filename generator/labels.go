package generator

import (
	"embed"
	"fmt"
	"path"
	"reflect"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

// Labels are the words themes put around a page's own text. ouchie has them
// in every language of its default site (labels/<lang>.yaml); a site
// overrides any of them in ouchie.yaml, under labels: for its default
// language and translations.<lang>.labels: for the others. A label no one
// sets falls back to the built-in one for the language, then to English.
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

// or fills every empty label of l from def.
func (l Labels) or(def Labels) Labels {
	v, d := reflect.ValueOf(&l).Elem(), reflect.ValueOf(def)
	for i := range v.NumField() {
		if v.Field(i).String() == "" {
			v.Field(i).Set(d.Field(i))
		}
	}
	return l
}

// labelsFor returns the labels of language lang: own (what the site sets
// for lang), then the built-in labels of lang or of the nearest language
// it narrows ("de" for "de-AT"), then English.
func labelsFor(lang string, own Labels) (Labels, error) {
	builtin, err := builtinLabels()
	if err != nil {
		return Labels{}, err
	}
	for tag := lang; tag != ""; {
		if l, ok := builtin[tag]; ok {
			own = own.or(l)
			break
		}
		i := strings.LastIndexByte(tag, '-')
		if i < 0 {
			break
		}
		tag = tag[:i]
	}
	return own.or(DefaultLabels), nil
}

//go:embed labels/*.yaml
var labelFiles embed.FS

// builtinLabels reads labels/<lang>.yaml, ouchie's own translations of the
// labels, once: flat YAML with the keys of labels: in ouchie.yaml.
var builtinLabels = sync.OnceValues(func() (map[string]Labels, error) {
	files, err := labelFiles.ReadDir("labels")
	if err != nil {
		return nil, err
	}
	out := make(map[string]Labels, len(files))
	for _, f := range files {
		data, err := labelFiles.ReadFile("labels/" + f.Name())
		if err != nil {
			return nil, err
		}
		var l Labels
		if err := yaml.UnmarshalWithOptions(data, &l, yaml.DisallowUnknownField()); err != nil {
			return nil, fmt.Errorf("built-in labels %s: %w", f.Name(), err)
		}
		out[strings.TrimSuffix(f.Name(), path.Ext(f.Name()))] = l
	}
	return out, nil
})

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
