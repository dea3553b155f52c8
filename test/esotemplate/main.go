// Renders one ExternalSecret template value the way external-secrets' template engine v2 does (text/template,
// missingkey=error; runtime/template/v2/template.go at helm-chart-2.9.0), with the one sprig function Plinth's
// templates use besides text/template's own urlquery: replace (runtime/template/v2/sprig/strings.go).
// Input on stdin: {"template": "...", "data": {"key": "value"}}; the rendered value on stdout.
package main

import (
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

func main() {
	var in struct {
		Template string            `json:"template"`
		Data     map[string]string `json:"data"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	funcs := template.FuncMap{"replace": func(old, new, src string) string { return strings.Replace(src, old, new, -1) }}
	t := template.Must(template.New("value").Option("missingkey=error").Funcs(funcs).Parse(in.Template))
	if err := t.Execute(os.Stdout, in.Data); err != nil {
		panic(err)
	}
}
