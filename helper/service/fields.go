package service

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A service's fields are described once, by Definition's toml tags: the
// tag is the config key, and the flag is the key with "-" for "_" (a few
// read better otherwise: FlagName). Flags fill a Definition through
// FromFlags, and the command lines of hints are made by Args, so a field
// added to Definition is a key, a flag (flagTable in main must list it:
// a test holds them together) and part of every hint at once.

// FlagName is the flag of the config key key.
func FlagName(key string) string {
	switch key {
	case "scopes":
		return "scope"
	case "hosts":
		return "host"
	case "auth_params":
		return "param"
	case "insecure":
		return "insecure-skip-tls-verify"
	}
	return strings.ReplaceAll(key, "_", "-")
}

// FlagValues are the flags one call was given.
type FlagValues interface {
	Names() []string // the flags given
	String(flag string) string
	StringSlice(flag string) []string
	Bool(flag string) bool
	Int(flag string) int
}

// FromFlags is the Definition the flags given define. It looks at the
// flags given only: a cached call gives a few of the ~45.
func FromFlags(v FlagValues) (Definition, error) {
	var d Definition
	dv := reflect.ValueOf(&d).Elem()
	for _, flag := range v.Names() {
		// A scan, not a map: a call gives a few flags, and a map of the
		// 45 keys cost more to build than the scans do.
		i := slices.Index(fieldKeys(), keyOf(flag))
		if i < 0 || flag == "" {
			continue // a flag of the call, not of the service
		}
		f := dv.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.String(flag))
		case reflect.Bool:
			f.SetBool(v.Bool(flag))
		case reflect.Int:
			f.SetInt(int64(v.Int(flag)))
		case reflect.Slice:
			f.Set(reflect.ValueOf(v.StringSlice(flag)).Convert(f.Type()))
		case reflect.Map:
			params, err := ParseParams(v.StringSlice(flag))
			if err != nil {
				return Definition{}, err
			}
			f.Set(reflect.ValueOf(params))
		}
	}
	return d, nil
}

// fromTable is the Definition a service's table in the config file
// defines: each key sets the field it names, in Definition's order, and a
// key that names none is an error that suggests the closest.
func fromTable(table any) (Definition, error) {
	t, ok := table.(map[string]any)
	if !ok {
		return Definition{}, fmt.Errorf("a service is a table ([services.NAME]), not %s", kindOf(table))
	}
	var d Definition
	dv := reflect.ValueOf(&d).Elem()
	known := fieldKeys()
	for i, key := range known {
		v, ok := t[key]
		if !ok || key == "" {
			continue
		}
		if err := setField(dv.Field(i), v); err != nil {
			return Definition{}, fmt.Errorf("%s: %v", key, err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(t)) {
		if key == "" || !slices.Contains(known, key) {
			return Definition{}, fmt.Errorf("unknown key %q%s; see 'oauth2cred help config' for the keys", key, DidYouMean(key, Keys()))
		}
	}
	return d, nil
}

// setField sets f to the TOML value v, of the type f's kind takes.
func setField(f reflect.Value, v any) error {
	switch f.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("a string in double quotes, not %s", kindOf(v))
		}
		f.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("true or false, not %s", kindOf(v))
		}
		f.SetBool(b)
	case reflect.Pointer: // *bool: unset, true or false
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("true or false, not %s", kindOf(v))
		}
		f.Set(reflect.ValueOf(&b))
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("a whole number, not %s", kindOf(v))
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return fmt.Errorf("%d is out of range", n)
		}
		f.SetInt(n)
	case reflect.Slice:
		l, err := listOf(v)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(l))
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("a table of strings, not %s", kindOf(v))
		}
		params := make(map[string]string, len(m))
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("%s: a string in double quotes, not %s", k, kindOf(e))
			}
			params[k] = s
		}
		f.Set(reflect.ValueOf(params))
	}
	return nil
}

// listOf is a list the config file gives either as a list of strings or,
// like the flag, as one string of space- or comma-separated items.
func listOf(v any) (stringList, error) {
	switch v := v.(type) {
	case string:
		return SplitList([]string{v}), nil
	case []any:
		var l stringList
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("a list of strings, not %s", kindOf(e))
			}
			l = append(l, s)
		}
		return l, nil
	}
	return nil, fmt.Errorf("a string or a list of strings, not %s", kindOf(v))
}

// kindOf names the kind of a TOML value. An error says it instead of the
// value, which may be a secret written without quotes.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "a whole number"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// keyOf is the config key of flag (FlagName's inverse).
func keyOf(flag string) string {
	switch flag {
	case "scope", "host":
		return flag + "s"
	case "param":
		return "auth_params"
	case "insecure-skip-tls-verify":
		return "insecure"
	}
	return strings.ReplaceAll(flag, "-", "_")
}

// fieldKeys are Definition's config keys, by field: read once per process,
// as the flags, the config file and every hint need them.
var fieldKeys = sync.OnceValue(func() []string { return keys(reflect.TypeFor[Definition]()) })

// keys are the config keys of t's fields, "" for a field that is none.
// Every tag starts with toml:"…", read directly: reflect's tag parser cost
// a cached call more than the rest of its flags.
func keys(t reflect.Type) []string {
	out := make([]string, t.NumField())
	for i := range out {
		tag := string(t.Field(i).Tag)
		v, ok := strings.CutPrefix(tag, `toml:"`)
		if !ok {
			v = reflect.StructTag(tag).Get("toml") + `"`
		}
		if key := v[:strings.IndexAny(v, `,"`)]; key != "-" {
			out[i] = key
		}
	}
	return out
}

// hintOrder puts what identifies a service first in a hint's command line.
var hintOrder = [...]string{"preset", "issuer", "auth_url", "token_url", "refresh_url", "device_url", "client_id"}

// Args are the flags that define d, as a command line's words: what
// identifies the service first, then the rest in Definition's order. A
// secret is never among them (client_secret_file names where it is).
func (d Definition) Args() []string {
	dv := reflect.ValueOf(d)
	ks := fieldKeys()
	index := func(key string) int {
		for i, k := range ks {
			if k == key {
				return i
			}
		}
		return -1
	}
	var order []int
	for _, key := range hintOrder {
		order = append(order, index(key))
	}
	for i, key := range ks {
		if key != "" && !slices.Contains(hintOrder[:], key) {
			order = append(order, i)
		}
	}
	var out []string
	for _, i := range order {
		if ks[i] == "client_secret" {
			continue
		}
		out = append(out, fieldArgs(FlagName(ks[i]), dv.Field(i))...)
	}
	return out
}

// fieldArgs are the words that give field f as flag.
func fieldArgs(flag string, f reflect.Value) []string {
	if f.IsZero() {
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		return []string{"--" + flag, f.String()}
	case reflect.Bool:
		return []string{"--" + flag}
	case reflect.Int:
		return []string{"--" + flag, strconv.Itoa(int(f.Int()))}
	case reflect.Slice:
		if flag == "scope" { // one word, as people write it
			return []string{"--" + flag, strings.Join(SplitList(f.Interface().(stringList)), " ")}
		}
		var out []string
		for j := range f.Len() {
			out = append(out, "--"+flag, f.Index(j).String())
		}
		return out
	case reflect.Map:
		var out []string
		params := f.Interface().(map[string]string)
		for _, k := range slices.Sorted(maps.Keys(params)) {
			out = append(out, "--"+flag, k+"="+params[k])
		}
		return out
	}
	return nil
}

// Layer is one source of a service's definition, by name.
type Layer struct {
	Name string
	Def  Definition
}

// Sources says which layer gave each field that is set, in Definition's
// order ("client_id: git config, scopes: config file, …"); a preset named
// by any layer is the first one.
func Sources(layers []Layer) string {
	all := layers
	for _, l := range layers {
		if p, ok := preset(l.Def.Preset); ok {
			all = append([]Layer{{Name: "preset " + l.Def.Preset, Def: p}}, layers...)
		}
	}
	from := map[string]string{}
	for _, l := range all {
		dv := reflect.ValueOf(l.Def)
		for i, key := range fieldKeys() {
			if key != "" && !dv.Field(i).IsZero() {
				from[key] = l.Name
			}
		}
	}
	var out []string
	for _, key := range fieldKeys() {
		if src, ok := from[key]; ok && key != "" {
			out = append(out, key+": "+src)
		}
	}
	return strings.Join(out, ", ")
}
