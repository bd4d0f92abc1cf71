package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"campus/internal/lazyregexp"
)

// fileSetting is a structured value only the config file can give, such
// as a list of OAuth clients: decoded strictly into a Go value.
type fileSetting struct {
	key, usage     string
	target         reflect.Value // the pointer's element
	source, origin string
}

// File registers a structured setting that only the config file sets:
// the YAML value under key is decoded into *p, strictly (an unknown field
// is a problem naming its line). Without it in the file, *p is its zero
// value.
func (s *Set) File(p any, key, usage string) {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		panic(fmt.Sprintf("config: File(%q) needs a non-nil pointer", key))
	}
	if !validKey(key) || s.byKey[key] != nil || s.fileByKey[key] != nil {
		panic(fmt.Sprintf("config: invalid or duplicate key %q", key))
	}
	if s.fileByKey == nil {
		s.fileByKey = map[string]*fileSetting{}
	}
	fs := &fileSetting{key: key, usage: usage, target: v.Elem(), source: sourceDefault, origin: sourceDefault}
	s.files = append(s.files, fs)
	s.fileByKey[key] = fs
}

var yamlLine = lazyregexp.New(`line (\d+)`)

// decode reads node into a fresh value of the setting's type, strictly.
// The node is re-encoded for a strict decoder; line numbers in its errors
// are mapped back to the file's.
func (fs *fileSetting) decode(node *yaml.Node) (reflect.Value, error) {
	raw, err := yaml.Marshal(node)
	if err != nil {
		return reflect.Value{}, err
	}
	val := reflect.New(fs.target.Type())
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(val.Interface()); err != nil {
		msg := yamlLine.ReplaceAllStringFunc(yamlMessage(err), func(m string) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
			return "line " + strconv.Itoa(n+node.Line-1)
		})
		return reflect.Value{}, fmt.Errorf("%s", strings.ReplaceAll(msg, "\n ", ""))
	}
	return val.Elem(), nil
}

func (s *Set) applyFiles(values map[*fileSetting]reflect.Value, path string) {
	for _, fs := range s.files {
		if v, ok := values[fs]; ok {
			fs.target.Set(v)
			fs.source, fs.origin = sourceFile, "file "+path
			continue
		}
		fs.target.Set(reflect.Zero(fs.target.Type()))
		fs.source, fs.origin = sourceDefault, sourceDefault
	}
}

func (fs *fileSetting) valueNode() *yaml.Node {
	var n yaml.Node
	if err := n.Encode(fs.target.Interface()); err != nil {
		return strNode(fmt.Sprint(fs.target.Interface()))
	}
	return &n
}
