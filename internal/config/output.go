package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const redacted = "<redacted>"

// Usage writes the help of the command: every setting in registration
// order with its flag, variable, file key and default, then the built-in
// flags.
func (s *Set) Usage(w io.Writer) {
	type entry struct{ left, usage, detail string }
	var entries []entry
	for _, st := range s.settings {
		var e entry
		var details []string
		if st.envOnly {
			details = append(details, "(environment or config file only)")
			e.left = st.env
			if e.left == "" {
				e.left = "file: " + st.key
			}
		} else {
			e.left = "--" + st.flag
			if t := st.kind.typeName(); t != "" {
				e.left += " " + t
			}
		}
		if st.env != "" {
			details = append(details, "env "+st.env)
		}
		details = append(details, "file: "+st.key)
		if st.kind == kindList && !st.envOnly {
			details = append(details, "flag repeatable, values comma-separated")
		}
		if st.def != "" {
			switch {
			case st.secret:
				details = append(details, "default "+redacted)
			case st.kind == kindString || st.kind == kindList:
				details = append(details, "default "+strconv.Quote(st.def))
			default:
				details = append(details, "default "+st.def)
			}
		}
		e.usage, e.detail = st.usage, strings.Join(details, ", ")
		entries = append(entries, e)
	}
	for _, fs := range s.files {
		entries = append(entries, entry{"file: " + fs.key, fs.usage, "(config file only)"})
	}
	entries = append(entries,
		entry{"--config path", "YAML config file with settings keyed as shown by \"file:\"", "env " + configEnv},
		entry{"-h, --help", "Show this help", ""},
	)

	// Long names push their text to the next line rather than pushing
	// every other entry's text to the right.
	const maxWidth = 28
	width := 0
	for _, e := range entries {
		if n := len(e.left); n > width && n <= maxWidth {
			width = n
		}
	}
	indent := strings.Repeat(" ", 2+width+3)

	var b strings.Builder
	name := "campus"
	if s.command != "" {
		name += " " + s.command
	}
	fmt.Fprintf(&b, "Usage: %s [flags]\n", name)
	if s.summary != "" {
		fmt.Fprintf(&b, "\n%s\n", s.summary)
	}
	b.WriteString("\nSettings are taken from flags, then environment variables, then the\nconfig file, then defaults.\n\nFlags:\n")
	for _, e := range entries {
		if len(e.left) > width {
			fmt.Fprintf(&b, "  %s\n%s%s\n", e.left, indent, e.usage)
		} else {
			fmt.Fprintf(&b, "  %-*s   %s\n", width, e.left, e.usage)
		}
		if e.detail != "" {
			fmt.Fprintf(&b, "%s%s\n", indent, e.detail)
		}
	}
	_, _ = io.WriteString(w, b.String())
}

// Print writes the effective configuration as YAML that can be used as a
// config file, nested by the dotted keys, each value followed by a comment
// naming its source. Secrets are redacted, so a file written from this
// output needs its secrets filled in again.
func (s *Set) Print(w io.Writer) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	mappings := map[string]*yaml.Node{"": root}
	for _, st := range s.settings {
		parent, name := parentFor(root, mappings, st.key)
		val := st.valueNode()
		val.LineComment = "# " + strings.ReplaceAll(st.origin, "\n", " ")
		parent.Content = append(parent.Content, strNode(name), val)
	}
	for _, fs := range s.files {
		parent, name := parentFor(root, mappings, fs.key)
		k := strNode(name)
		k.LineComment = "# " + fs.origin
		parent.Content = append(parent.Content, k, fs.valueNode())
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	_ = enc.Encode(root)
	_ = enc.Close()
}

// parentFor returns the mapping a dotted key's last part belongs in,
// creating the mappings on the way, and that last part.
func parentFor(root *yaml.Node, mappings map[string]*yaml.Node, key string) (*yaml.Node, string) {
	parts := strings.Split(key, ".")
	parent := root
	for i, part := range parts[:len(parts)-1] {
		prefix := strings.Join(parts[:i+1], ".")
		m := mappings[prefix]
		if m == nil {
			m = &yaml.Node{Kind: yaml.MappingNode}
			parent.Content = append(parent.Content, strNode(part), m)
			mappings[prefix] = m
		}
		parent = m
	}
	return parent, parts[len(parts)-1]
}

func strNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// valueNode reads the target rather than the loaded value, so that Print
// shows what the command really uses if it adjusted a value after Load.
func (st *setting) valueNode() *yaml.Node {
	switch p := st.target.(type) {
	case *string:
		if st.secret && *p != "" {
			return strNode(redacted)
		}
		return strNode(*p)
	case *[]string:
		if st.secret && len(*p) > 0 {
			return strNode(redacted)
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, item := range *p {
			seq.Content = append(seq.Content, strNode(item))
		}
		return seq
	}
	// A secret of another type has no "empty" value that would be safe to
	// show: even false or 0 tells something.
	if st.secret {
		return strNode(redacted)
	}
	switch p := st.target.(type) {
	case *bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*p)}
	case *int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*p)}
	case *time.Duration:
		return strNode(p.String())
	}
	return strNode("")
}
