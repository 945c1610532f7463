package helper

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"oauth2cred/helper/lifecycle"
)

// kubeloginUsers finds kubelogin's exec blocks in the shapes kubeconfigs
// take (kubectl writes the first; people and other tools the rest), and
// where each block starts, ends and is indented: the rewrite replaces
// exactly those lines.
func TestKubeloginUsersShapes(t *testing.T) {
	args := func(pad string) string {
		return pad + "args:\n" + pad + "- get-token\n" + pad + "- --oidc-issuer-url=https://issuer.example\n" + pad + "- \"--oidc-client-id=kube\"\n"
	}
	for _, tc := range []struct {
		name, yaml string
		want       string // name:first-last@indent of each user found
	}{
		{"kubectl's layout", "apiVersion: v1\nusers:\n- name: a\n  user:\n    exec:\n      command: kubelogin\n" + args("      ") + "kind: Config\n", "a:4-9@4"},
		{"indented list, exec first", "users:\n  - name: b\n    user:\n      exec:\n        command: /usr/local/bin/kubelogin\n" + args("        ") + "      token: x\n", "b:3-8@6"},
		{"the last block of the file, no newline", "users:\n- name: c\n  user:\n    exec:\n      command: kubectl\n      args: [oidc-login, get-token, --oidc-issuer-url=https://i.example, --oidc-client-id=k]", "c:3-5@4"},
		{"comments and a second user", "users:\n# kubelogin\n- name: d\n  user:\n    exec:\n      # the plugin\n      command: kubelogin\n" + args("      ") + "- name: e\n  user:\n    token: static\n", "d:4-10@4"},
		{"flow-style exec on its own line", "users:\n- name: f\n  user:\n    exec: {command: kubelogin, args: [get-token, --oidc-issuer-url=https://i.example, --oidc-client-id=k]}\n", "f:3-3@4"},
		{"another plugin", "users:\n- name: g\n  user:\n    exec:\n      command: gke-gcloud-auth-plugin\n", ""},
		{"one-key documents", "users:\n- user:\n    exec:\n      command: kubelogin\n" + args("      ") + "  name: h\n", "h:2-7@4"},
		{"no users", "apiVersion: v1\nkind: Config\n", ""},
		{"empty", "", ""},
	} {
		set := &lifecycle.Settings{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
		users, err := kubeloginUsers([]byte(tc.yaml), set)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, u := range users {
			got = append(got, fmt.Sprintf("%s:%d-%d@%d", u.name, u.first, u.last, u.indent))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, strings.Join(got, " "), tc.want)
		}
	}
	if _, err := kubeloginUsers([]byte("users: [\n"), &lifecycle.Settings{Stderr: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "not YAML") {
		t.Errorf("broken YAML: %v", err)
	}
}

// FuzzKubeloginUsers: no kubeconfig, however broken, panics the parse.
func FuzzKubeloginUsers(f *testing.F) {
	f.Add("users:\n- name: a\n  user:\n    exec:\n      command: kubelogin\n      args:\n      - get-token\n      - --oidc-issuer-url=https://i.example\n      - --oidc-client-id=k\n")
	f.Add("users: [{name: b, user: {exec: {command: kubelogin}}}]\n")
	f.Add("users:\n- &a\n  name: c\n- *a\n")
	f.Fuzz(func(t *testing.T, yaml string) {
		kubeloginUsers([]byte(yaml), &lifecycle.Settings{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }})
	})
}
