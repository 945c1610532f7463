package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
)

// Our answer decodes strictly into client-go's own types.
func TestExecCredentialDecodesWithClientGo(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range []string{ExecV1, ExecV1beta1} {
		b, err := EncodeExecCredential(v, "tok", exp)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var token string
		var got time.Time
		if v == ExecV1 {
			var c clientauthv1.ExecCredential
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("%s: %v\n%s", v, err, b)
			}
			if c.APIVersion != v || c.Kind != "ExecCredential" || c.Status == nil {
				t.Fatalf("%s: %+v", v, c)
			}
			token, got = c.Status.Token, c.Status.ExpirationTimestamp.Time
		} else {
			var c clientauthv1beta1.ExecCredential
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("%s: %v\n%s", v, err, b)
			}
			if c.APIVersion != v || c.Kind != "ExecCredential" || c.Status == nil {
				t.Fatalf("%s: %+v", v, c)
			}
			token, got = c.Status.Token, c.Status.ExpirationTimestamp.Time
		}
		if token != "tok" || !got.Equal(exp) {
			t.Fatalf("%s: token %q expiry %v", v, token, got)
		}
	}
	// No expiry: the field is left out, as client-go allows.
	b, _ := EncodeExecCredential(ExecV1, "tok", time.Time{})
	if strings.Contains(string(b), "expirationTimestamp") {
		t.Fatalf("zero expiry encoded: %s", b)
	}
}

// What client-go sends in KUBERNETES_EXEC_INFO parses.
func TestParseExecInfoFromClientGo(t *testing.T) {
	in := clientauthv1.ExecCredential{Spec: clientauthv1.ExecCredentialSpec{
		Interactive: true,
		Cluster: &clientauthv1.Cluster{Server: "https://k.example.com", CertificateAuthorityData: []byte("pem"),
			Config: runtimeRaw(`{"audience":"x"}`)},
	}}
	in.Kind, in.APIVersion = "ExecCredential", ExecV1
	b, _ := json.Marshal(in)
	info, err := ParseExecInfo(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if !info.Spec.Interactive || info.APIVersion != ExecV1 || info.Spec.Cluster == nil || info.Spec.Cluster.Server != "https://k.example.com" || string(info.Spec.Cluster.CertificateAuthorityData) != "pem" {
		t.Fatalf("%+v", info)
	}
}

func TestParseExecInfo(t *testing.T) {
	for _, tc := range []struct {
		in, version, err string
		interactive      bool
	}{
		{"", ExecV1, "", false},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}`, ExecV1beta1, "", true},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, ExecV1, "", false},
		{`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, "", "apiVersion", false},
		{`{"kind":"Pod"}`, "", "kind", false},
		{`{`, "", "not valid JSON", false},
		{strings.Repeat(" ", MaxInputBytes+1), "", "larger than", false},
	} {
		info, err := ParseExecInfo(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("%.40q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || info.APIVersion != tc.version || info.Spec.Interactive != tc.interactive {
			t.Fatalf("%.40q: %+v %v", tc.in, info, err)
		}
	}
}

func FuzzParseExecInfo(f *testing.F) {
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false,"cluster":{"server":"https://x","config":{"a":1}}}}`)
	f.Add(`{"apiVersion":""}`)
	f.Fuzz(func(t *testing.T, in string) {
		info, err := ParseExecInfo(in)
		if err != nil {
			return
		}
		if info.APIVersion != ExecV1 && info.APIVersion != ExecV1beta1 {
			t.Fatalf("accepted apiVersion %q", info.APIVersion)
		}
		if _, err := EncodeExecCredential(info.APIVersion, "t", time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}
