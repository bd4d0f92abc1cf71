package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// collector gathers problems instead of failing at the first one.
type collector struct{ problems []string }

func (c *collector) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// invalid describes a bad value without quoting it if it is secret: the
// message may end up in logs or a terminal that is shared. at, if not empty,
// locates the value in the file.
func (c *collector) invalid(st *setting, at, where, raw string) {
	if at != "" {
		at += ": "
	}
	if st.secret {
		c.addf("%sinvalid value for %s (not shown because it is secret): %s", at, where, st.kind.expected())
		return
	}
	c.addf("%sinvalid value %q for %s: %s", at, raw, where, st.kind.expected())
}

// Load parses args (the arguments after the subcommand name), reads the
// config file named by --config or CAMPUS_CONFIG, looks up environment
// variables with getenv and fills every registered setting from the source
// with the highest precedence.
//
// It returns ErrHelp if help was requested, otherwise nil or a *UsageError
// listing the problems of all sources, flags first, then the file, then the
// environment. Problems are also kept for Problems. Settings without
// problems are filled even when others have some, so that a command can
// still show its effective configuration.
func (s *Set) Load(args []string, getenv func(string) string) error {
	s.args = nil
	s.problems = nil
	s.fileVals = map[*fileSetting]reflect.Value{}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var c collector

	flags := s.parseFlags(args, &c)
	if flags.help {
		return ErrHelp
	}

	path := getenv(configEnv)
	if flags.configSet {
		// Even an empty --config= wins, so that a CAMPUS_CONFIG in the
		// environment can be overridden to use no file at all.
		path = flags.config
	}
	var file map[*setting]any
	if path != "" {
		file = s.readFile(path, &c)
	}

	env := map[*setting]any{}
	envFrom := map[*setting]string{} // the origin of a value read through NAME_FILE
	for _, st := range s.settings {
		if st.env == "" {
			continue
		}
		raw := getenv(st.env)
		// NAME_FILE names a file holding the value (Docker and Kubernetes
		// secrets are mounted as files), for any setting NAME can set.
		if file := getenv(st.env + "_FILE"); file != "" {
			if raw != "" {
				c.addf("set %s or %s_FILE, not both", st.env, st.env)
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				c.addf("%s_FILE: cannot read %s: %v", st.env, file, errors.Unwrap(err))
				continue
			}
			raw = strings.TrimRight(string(b), "\r\n")
			if raw == "" {
				c.addf("%s_FILE: %s is empty", st.env, file)
				continue
			}
			envFrom[st] = "file " + file + " (" + st.env + "_FILE)"
		}
		if raw == "" {
			continue
		}
		v, ok := parseValue(st.kind, raw)
		if !ok {
			where := "environment variable " + st.env
			if from, ok := envFrom[st]; ok {
				where = from
			}
			c.invalid(st, "", where, raw)
			continue
		}
		env[st] = v
	}

	for _, st := range s.settings {
		v, source, origin := st.defVal, sourceDefault, sourceDefault
		if fv, ok := file[st]; ok {
			v, source, origin = fv, sourceFile, "file "+path
		}
		if ev, ok := env[st]; ok {
			v, source, origin = ev, sourceEnv, "env "+st.env
			if from, ok := envFrom[st]; ok {
				origin = from
			}
		}
		if fv, ok := flags.values[st]; ok {
			v, source, origin = fv, sourceFlag, "flag --"+st.flag
		}
		st.source, st.origin = source, origin
		st.assign(v)
	}

	s.applyFiles(s.fileVals, path)

	s.problems = dedup(c.problems)
	if len(s.problems) == 0 {
		return nil
	}
	return &UsageError{Command: s.command, Problems: s.problems}
}

type flagResult struct {
	values    map[*setting]any
	help      bool
	config    string
	configSet bool
}

func (s *Set) parseFlags(args []string, c *collector) flagResult {
	r := flagResult{values: map[*setting]any{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			s.args = append(s.args, args[i+1:]...)
			break
		}
		// A lone "-" conventionally means standard input, so it is an
		// argument rather than a flag.
		if arg == "-" || !strings.HasPrefix(arg, "-") {
			s.args = append(s.args, arg)
			continue
		}
		dashes, body := "-", arg[1:]
		if strings.HasPrefix(body, "-") {
			dashes, body = "--", body[1:]
		}
		// Only the name is ever quoted back: the value might be a secret
		// given to a mistyped flag.
		name, value, hasValue := strings.Cut(body, "=")
		if name == "" || strings.HasPrefix(name, "-") {
			c.addf("invalid flag syntax %q", dashes+name)
			continue
		}

		switch name {
		case "help", "h":
			if !hasValue {
				r.help = true
			} else if b, ok := parseBool(value); !ok {
				c.addf("invalid value %q for flag %s%s: %s", value, dashes, name, kindBool.expected())
			} else if b {
				r.help = true
			}
			continue
		case configFlag:
			if !hasValue {
				if i+1 >= len(args) || s.looksLikeFlag(args[i+1]) {
					c.addf("missing value for flag --%s", configFlag)
					continue
				}
				i++
				value = args[i]
			}
			r.config, r.configSet = value, true
			continue
		}

		st := s.byFlag[name]
		if st == nil {
			st = s.envOnlyNamed(name)
		}
		if st == nil {
			c.addf("unknown flag %s%s%s", dashes, name, s.suggestFlag(name))
			continue
		}
		if st.envOnly {
			c.addf("unknown flag %s%s: %s can only be set %s", dashes, name, st.key, st.envOnlyWhere())
			continue
		}
		if !hasValue {
			if st.kind == kindBool {
				value = "true"
			} else if i+1 >= len(args) || s.looksLikeFlag(args[i+1]) {
				c.addf("missing value for flag --%s", st.flag)
				continue
			} else {
				i++
				value = args[i]
			}
		}
		v, ok := parseValue(st.kind, value)
		if !ok {
			c.invalid(st, "", "flag --"+st.flag, value)
			continue
		}
		if prev, ok := r.values[st]; ok && st.kind == kindList {
			v = append(prev.([]string), v.([]string)...)
		}
		r.values[st] = v
	}
	return r
}

func (st *setting) envOnlyWhere() string {
	if st.env == "" {
		return "in the config file"
	}
	return "with environment variable " + st.env + " or in the config file"
}

// envOnlyNamed finds the env-only setting that someone trying a flag of
// the given name most likely meant, judging by its key or variable, so that
// the error can say where to set it instead.
func (s *Set) envOnlyNamed(name string) *setting {
	for _, st := range s.settings {
		if !st.envOnly {
			continue
		}
		fromEnv := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(st.env, "CAMPUS_"), "_", "-"))
		if name == strings.ReplaceAll(st.key, ".", "-") || st.env != "" && name == fromEnv {
			return st
		}
	}
	return nil
}

// looksLikeFlag decides whether the argument after a flag that needs a
// value is that value. Treating a following known flag as a flag turns
// "--db --listen :80" into a clear "missing value" instead of a database
// named "--listen", while values such as "-5" are still accepted.
func (s *Set) looksLikeFlag(arg string) bool {
	if strings.HasPrefix(arg, "--") {
		return true
	}
	if !strings.HasPrefix(arg, "-") {
		return false
	}
	name, _, _ := strings.Cut(arg[1:], "=")
	switch name {
	case "help", "h", configFlag:
		return true
	}
	return s.byFlag[name] != nil
}

func (s *Set) suggestFlag(name string) string {
	candidates := []string{configFlag, "help"}
	for _, st := range s.settings {
		if st.flag != "" && !st.envOnly {
			candidates = append(candidates, st.flag)
		}
	}
	if best := closest(name, candidates); best != "" {
		return " (did you mean --" + best + "?)"
	}
	return ""
}

// readFile returns the values found in the YAML file at path. Values are
// validated here, not when they are applied, so that problems in the file
// are reported even for settings that a flag overrides.
func (s *Set) readFile(path string, c *collector) map[*setting]any {
	data, err := os.ReadFile(path)
	if err != nil {
		// The path is named once; a *PathError would repeat it.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.addf("cannot read config file %s: %v", path, err)
		return nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			c.addf("config file %s: invalid YAML: %s", path, yamlMessage(err))
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		c.addf("config file %s: more than one YAML document, line %d", path, next.Line)
	} else if !errors.Is(err, io.EOF) {
		c.addf("config file %s: invalid YAML: %s", path, yamlMessage(err))
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		c.addf("config file %s, line %d: expected a mapping of settings, found %s", path, root.Line, nodeKind(root))
		return nil
	}
	values := map[*setting]any{}
	s.walk(path, root, "", map[string]int{}, values, c)
	return values
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func (s *Set) walk(path string, m *yaml.Node, prefix string, seen map[string]int, values map[*setting]any, c *collector) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolveAlias(m.Content[i]), resolveAlias(m.Content[i+1])
		at := fmt.Sprintf("config file %s, line %d", path, k.Line)
		if k.Kind != yaml.ScalarNode {
			c.addf("%s: expected a key, found %s", at, nodeKind(k))
			continue
		}
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		// The YAML library accepts duplicate keys in a node tree; the
		// second would silently win, so it is an error here as it is when
		// decoding into a map.
		if line, dup := seen[key]; dup {
			c.addf("%s: key %s already set on line %d", at, key, line)
			continue
		}
		seen[key] = k.Line

		if fs := s.fileByKey[key]; fs != nil {
			if isNull(v) {
				continue
			}
			val, err := fs.decode(v)
			if err != nil {
				c.addf("config file %s, line %d: %s: %v", path, v.Line, key, err)
				continue
			}
			s.fileVals[fs] = val
			continue
		}
		if st := s.byKey[key]; st != nil {
			if isNull(v) {
				continue
			}
			if st.variants != nil && v.Kind == yaml.MappingNode {
				s.walkVariants(path, st, v, seen, values, c)
				continue
			}
			if val, ok := s.nodeValue(st, v, path, c); ok {
				values[st] = val
			}
			continue
		}
		if s.isPrefix(key) {
			if isNull(v) {
				continue
			}
			if v.Kind != yaml.MappingNode {
				c.addf("config file %s, line %d: key %s must be a mapping, found %s", path, v.Line, key, nodeKind(v))
				continue
			}
			s.walk(path, v, key, seen, values, c)
			continue
		}
		hint := ""
		keys := make([]string, len(s.settings))
		for j, st := range s.settings {
			keys[j] = st.key
		}
		if best := closest(key, keys); best != "" {
			hint = " (did you mean " + best + "?)"
		}
		c.addf("%s: unknown key %s%s", at, key, hint)
	}
}

// walkVariants reads the mapping given for a setting with Variants.
func (s *Set) walkVariants(path string, st *setting, m *yaml.Node, seen map[string]int, values map[*setting]any, c *collector) {
	names := slices.Sorted(maps.Keys(st.variants))
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolveAlias(m.Content[i]), resolveAlias(m.Content[i+1])
		at := fmt.Sprintf("config file %s, line %d", path, k.Line)
		target, ok := st.variants[k.Value]
		if k.Kind != yaml.ScalarNode || !ok {
			c.addf("%s: %s: unknown key %s; want %s", at, st.key, k.Value, strings.Join(names, " or "))
			continue
		}
		if target == "" {
			target = st.key
		}
		tst := s.byKey[target]
		if tst == nil {
			panic(fmt.Sprintf("config: variant %s of %q names no setting %q", k.Value, st.key, target))
		}
		if target != st.key {
			if line, dup := seen[target]; dup {
				c.addf("%s: key %s already set on line %d", at, target, line)
				continue
			}
			seen[target] = k.Line
		}
		if isNull(v) {
			continue
		}
		if val, ok := s.nodeValue(tst, v, path, c); ok {
			values[tst] = val
		}
	}
}

func (s *Set) isPrefix(key string) bool {
	for _, st := range s.settings {
		if strings.HasPrefix(st.key, key+".") {
			return true
		}
	}
	for _, fs := range s.files {
		if strings.HasPrefix(fs.key, key+".") {
			return true
		}
	}
	return false
}

func (s *Set) nodeValue(st *setting, v *yaml.Node, path string, c *collector) (any, bool) {
	at := fmt.Sprintf("config file %s, line %d", path, v.Line)
	if st.kind == kindList && v.Kind == yaml.SequenceNode {
		list := []string{}
		for _, item := range v.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				c.addf("config file %s, line %d: items of %s must be strings, found %s", path, item.Line, st.key, nodeKind(item))
				return nil, false
			}
			// Items are not split at commas: a sequence is the way to give
			// values that contain commas.
			list = append(list, item.Value)
		}
		return list, true
	}
	if v.Kind != yaml.ScalarNode {
		c.addf("%s: %s must be %s, found %s", at, st.key, st.kind.noun(), nodeKind(v))
		return nil, false
	}
	// The raw text is parsed rather than the YAML-resolved value, so that
	// "0123" stays a string and "15m" is a duration, exactly as in a flag.
	val, ok := parseValue(st.kind, v.Value)
	if !ok {
		c.invalid(st, at, st.key, v.Value)
		return nil, false
	}
	return val, true
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func nodeKind(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a sequence"
	case n.Kind == yaml.ScalarNode:
		// Not quoted: it could be a secret under a misspelt key.
		return "a scalar"
	}
	return "an unexpected node"
}

// closest returns the candidate nearest to name if it is within edit
// distance 2, and closer than the length of name, which keeps a one-letter
// typo from "matching" every short flag.
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, cand := range candidates {
		d := editDistance(name, cand)
		if d < bestDist && d < len(name) {
			best, bestDist = cand, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
