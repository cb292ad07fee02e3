package cli

import (
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// Every flag and argument of every command shows its default one way: a
// last sentence "Default: X." in its help, never in the placeholder (kong
// writes --flag="x" for a valued flag with a default and no placeholder),
// and never as "by default" elsewhere in the text.
func TestHelpShowsDefaultsOneWay(t *testing.T) {
	var cli CLI
	k, err := newParser(&cli, kong.Name("ouchie"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	var visit func(n *kong.Node)
	visit = func(n *kong.Node) {
		var values []*kong.Value
		for _, f := range n.Flags {
			if f.Name == "help" || f.Name == "version" {
				continue
			}
			if !f.IsBool() && f.PlaceHolder == "" && f.HasDefault {
				t.Errorf("%s --%s: a default and no placeholder: kong shows the default in the flag too", n.Path(), f.Name)
			}
			values = append(values, f.Value)
		}
		values = append(values, n.Positional...)
		for _, v := range values {
			checked++
			help := v.Help
			if strings.Contains(strings.ToLower(help), "by default") {
				t.Errorf("%s %s: say %q, not \"by default\": %q", n.Path(), v.Name, "Default: X.", help)
			}
			if strings.Count(help, "Default") > 1 {
				t.Errorf("%s %s: the default twice: %q", n.Path(), v.Name, help)
			}
			i := strings.Index(help, "Default")
			if i >= 0 && (!strings.HasPrefix(help[i:], "Default: ") || !strings.HasSuffix(help, ".") || strings.Contains(help[i:len(help)-1], ". ")) {
				t.Errorf("%s %s: the default is the last sentence, \"Default: X.\": %q", n.Path(), v.Name, help)
			}
			if v.HasDefault && v.Tag.Default != "" && !v.IsBool() && i < 0 {
				t.Errorf("%s %s: has default %q that its help does not show", n.Path(), v.Name, v.Tag.Default)
			}
		}
		for _, c := range n.Children {
			visit(c)
		}
	}
	visit(k.Model.Node)
	if checked < 20 {
		t.Fatalf("checked only %d flags and arguments", checked)
	}
}
