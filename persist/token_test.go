package persist

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Decode's generated code must know every field Encode writes: a field
// added to Token without `go generate` would be dropped on every load.
func TestDecodeReadsEveryField(t *testing.T) {
	var want Token
	v := reflect.ValueOf(&want).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("v-" + v.Type().Field(i).Name)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"a", "b"}))
		case reflect.Struct: // time.Time
			f.Set(reflect.ValueOf(time.Date(2026, 12, 2, 10, 0, i, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %s: teach this test to set it", v.Type().Field(i).Name, f.Kind())
		}
	}
	data, err := want.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Decode(Encode(t)) differs; run go generate ./persist\n got %+v\nwant %+v", *got, want)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"access_token": "a"`, "not valid JSON"},
		{`{"access_token": "a"} x`, "not valid JSON"},
		{`{"access_token": 5}`, "not valid JSON"},
		{`[]`, "not valid JSON"},
		{`{"scope": "x"}`, "neither an access token nor a refresh token"},
		{`{"expiry": "yesterday", "access_token": "a"}`, "not valid JSON"},
		{"{\"access_token\": \"\x83\"}", "not UTF-8"},
	} {
		if _, err := Decode([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s): %v, want %q", tc.data, err, tc.want)
		}
	}
}
