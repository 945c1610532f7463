package protocol

import (
	"strings"
	"testing"
)

func TestDockerServer(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com\n":        "https registry.example.com",
		"127.0.0.1:5000":                "https 127.0.0.1:5000",
		"https://index.docker.io/v1/":   "https index.docker.io",
		"http://127.0.0.1:5000/v2/":     "http 127.0.0.1:5000",
		"  gitlab.example.com:8443  \n": "https gitlab.example.com:8443",
	} {
		s, err := ReadDockerServer(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		scheme, host, err := DockerHost(s)
		if err != nil || scheme+" "+host != want {
			t.Errorf("%q: %s %s %v, want %s", in, scheme, host, err, want)
		}
	}
	for _, bad := range []string{"", "\n", "a\nb", strings.Repeat("x", 70<<10), "https://user:pw@r.example.com"} {
		s, err := ReadDockerServer(strings.NewReader(bad))
		if err == nil {
			_, _, err = DockerHost(s)
		}
		if err == nil {
			t.Errorf("%.20q accepted", bad)
		}
	}
}
