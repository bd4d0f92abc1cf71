package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The --config flag and its variable are built in because the file has to be
// known before any setting can be read from it.
const (
	configFlag = "config"
	configEnv  = "CAMPUS_CONFIG"
)

// Sources reported by Source.
const (
	sourceDefault = "default"
	sourceFlag    = "flag"
	sourceEnv     = "env"
	sourceFile    = "file"
)

type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindDuration
	kindList
)

// typeName is what Usage shows after a flag name.
func (k kind) typeName() string {
	switch k {
	case kindInt:
		return "int"
	case kindDuration:
		return "duration"
	case kindList:
		return "list"
	case kindBool:
		return ""
	}
	return "string"
}

// noun is used in messages about YAML values of the wrong shape.
func (k kind) noun() string {
	switch k {
	case kindBool:
		return "a boolean"
	case kindInt:
		return "an integer"
	case kindDuration:
		return "a duration"
	case kindList:
		return "a list or a comma-separated string"
	}
	return "a string"
}

// expected completes "invalid value ...: " so that the reader learns how to
// fix the value, not just that it is wrong.
func (k kind) expected() string {
	switch k {
	case kindBool:
		return "expected true or false (or 1/0, yes/no)"
	case kindInt:
		return "expected an integer"
	case kindDuration:
		return "expected a duration such as 30s, 15m or 1h30m"
	}
	return "expected " + k.noun()
}

// parseValue is the single conversion from text to a typed value, shared by
// defaults, flags, environment variables and the file so that all four
// accept exactly the same spellings.
func parseValue(k kind, raw string) (any, bool) {
	switch k {
	case kindBool:
		return parseBool(raw)
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		return n, err == nil
	case kindDuration:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		return d, err == nil
	case kindList:
		return splitList(raw), true
	}
	return raw, true
}

func parseBool(raw string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// splitList drops empty items so that "a, b," and "a,b" mean the same, and
// so that an explicit empty value (--x=) yields an empty list that replaces
// lower-precedence values.
func splitList(raw string) []string {
	list := []string{}
	for item := range strings.SplitSeq(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}

type setting struct {
	key, flag, env, def, usage string
	kind                       kind
	target                     any
	defVal                     any
	secret, envOnly            bool
	variants                   map[string]string // see Variants

	source string // one of the source* constants
	origin string // source with detail, as shown by Print
}

func (st *setting) assign(v any) {
	switch p := st.target.(type) {
	case *string:
		*p = v.(string)
	case *bool:
		*p = v.(bool)
	case *int:
		*p = v.(int)
	case *time.Duration:
		*p = v.(time.Duration)
	case *[]string:
		// Cloned so that the command cannot modify the default (or another
		// source's value) through its own slice.
		*p = slices.Clone(v.([]string))
	}
}

// Option modifies a setting at registration.
type Option func(*setting)

// Secret marks a value that must not be disclosed: Print shows it as
// "<redacted>" and error messages never quote it.
func Secret() Option { return func(st *setting) { st.secret = true } }

// EnvOnly keeps a setting off the command line, where its value would be
// visible to other users in the process list; it can be set by environment
// variable or config file only. If a flag name is given anyway, using it is
// reported as an unknown flag with a hint where to set the value instead.
func EnvOnly() Option { return func(st *setting) { st.envOnly = true } }

// Variants lets the config file give a string setting together with
// sibling settings as one mapping, such as one text per language: with
// Variants(map[string]string{"en": "", "de": "identity.welcome_text_de"})
// on identity.welcome_text, the file's
//
//	identity:
//	  welcome_text: {en: Welcome, de: Willkommen}
//
// sets identity.welcome_text (named by "") and identity.welcome_text_de. A
// plain value still sets the setting alone; flags and environment variables
// stay one per setting, and a sibling given both ways is reported like a
// key set twice.
func Variants(keys map[string]string) Option {
	return func(st *setting) { st.variants = keys }
}

// Set is the collection of settings of one command.
type Set struct {
	command, summary string

	settings []*setting
	byKey    map[string]*setting
	byFlag   map[string]*setting
	byEnv    map[string]*setting

	args     []string
	problems []string

	files     []*fileSetting
	fileByKey map[string]*fileSetting
	fileVals  map[*fileSetting]reflect.Value
}

// NewSet returns an empty Set for "campus <command>".
func NewSet(command, summary string) *Set {
	return &Set{
		command: command,
		summary: summary,
		byKey:   map[string]*setting{},
		byFlag:  map[string]*setting{},
		byEnv:   map[string]*setting{},
	}
}

// String registers a string setting.
func (s *Set) String(p *string, key, flag, env, def, usage string, opts ...Option) {
	s.add(p, kindString, key, flag, env, def, usage, opts)
}

// Bool registers a boolean setting. As a flag it never takes the next
// argument: --x means true, --x=false false.
func (s *Set) Bool(p *bool, key, flag, env, def, usage string, opts ...Option) {
	s.add(p, kindBool, key, flag, env, def, usage, opts)
}

// Int registers an integer setting.
func (s *Set) Int(p *int, key, flag, env, def, usage string, opts ...Option) {
	s.add(p, kindInt, key, flag, env, def, usage, opts)
}

// Duration registers a setting parsed by time.ParseDuration.
func (s *Set) Duration(p *time.Duration, key, flag, env, def, usage string, opts ...Option) {
	s.add(p, kindDuration, key, flag, env, def, usage, opts)
}

// StringList registers a list setting. The flag may be repeated and each of
// its values may be comma-separated; environment variables and defaults are
// comma-separated; the file may give a sequence or a comma-separated
// string. A higher-precedence source replaces the list of a lower one rather
// than extending it, because merging would leave no way to remove a default.
func (s *Set) StringList(p *[]string, key, flag, env, def, usage string, opts ...Option) {
	s.add(p, kindList, key, flag, env, def, usage, opts)
}

// add panics on every mistake, because they are all programming errors that
// a command's first test run should reveal.
func (s *Set) add(target any, k kind, key, flag, env, def, usage string, opts []Option) {
	st := &setting{key: key, flag: flag, env: env, def: def, usage: usage, kind: k, target: target}
	for _, opt := range opts {
		opt(st)
	}
	if isNilPointer(target) {
		panic(fmt.Sprintf("config: nil pointer for setting %q", key))
	}
	if !validKey(key) {
		panic(fmt.Sprintf("config: invalid key %q: want dot-separated names of letters, digits, '-' and '_'", key))
	}
	if flag == "" && !st.envOnly {
		panic(fmt.Sprintf("config: setting %q has no flag name; use EnvOnly for settings without a flag", key))
	}
	if flag != "" && (strings.HasPrefix(flag, "-") || strings.ContainsAny(flag, "= \t\n")) {
		panic(fmt.Sprintf("config: invalid flag name %q for setting %q", flag, key))
	}
	if strings.ContainsAny(env, "= \t\n") {
		panic(fmt.Sprintf("config: invalid environment variable %q for setting %q", env, key))
	}
	if s.byKey[key] != nil {
		panic(fmt.Sprintf("config: key %q registered twice", key))
	}
	for _, other := range s.settings {
		// A key cannot be both a value and a mapping in the YAML file.
		if strings.HasPrefix(other.key, key+".") || strings.HasPrefix(key, other.key+".") {
			panic(fmt.Sprintf("config: key %q conflicts with key %q", key, other.key))
		}
	}
	if flag != "" {
		if flag == configFlag || flag == "help" || flag == "h" {
			panic(fmt.Sprintf("config: flag --%s is built in", flag))
		}
		if s.byFlag[flag] != nil {
			panic(fmt.Sprintf("config: flag --%s registered twice", flag))
		}
	}
	if env != "" {
		if env == configEnv {
			panic(fmt.Sprintf("config: environment variable %s is built in", env))
		}
		if s.byEnv[env] != nil {
			panic(fmt.Sprintf("config: environment variable %s registered twice", env))
		}
	}
	v, ok := parseValue(k, def)
	if !ok {
		shown := strconv.Quote(def)
		if st.secret {
			shown = "(secret)"
		}
		panic(fmt.Sprintf("config: invalid default %s for setting %q: %s", shown, key, k.expected()))
	}
	st.defVal = v
	st.source, st.origin = sourceDefault, sourceDefault
	// Filling the target now lets commands use a Set's defaults, and Print
	// them, without loading.
	st.assign(v)

	s.settings = append(s.settings, st)
	s.byKey[key] = st
	if flag != "" {
		s.byFlag[flag] = st
	}
	if env != "" {
		s.byEnv[env] = st
	}
}

func isNilPointer(target any) bool {
	switch p := target.(type) {
	case *string:
		return p == nil
	case *bool:
		return p == nil
	case *int:
		return p == nil
	case *time.Duration:
		return p == nil
	case *[]string:
		return p == nil
	}
	return true
}

func validKey(key string) bool {
	for part := range strings.SplitSeq(key, ".") {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Args returns the positional arguments found by Load.
func (s *Set) Args() []string { return slices.Clone(s.args) }

// Source reports where the value of the setting with the given key came
// from: "default", "flag", "env" or "file"; "" if no such key is registered.
func (s *Set) Source(key string) string {
	if st := s.byKey[key]; st != nil {
		return st.source
	}
	if fs := s.fileByKey[key]; fs != nil {
		return fs.source
	}
	return ""
}
