package protocol

import (
	"encoding/json"
	"fmt"
	"time"
)

// The ExecCredential API versions client-go speaks.
const (
	ExecV1      = "client.authentication.k8s.io/v1"
	ExecV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// ExecInfo is the KUBERNETES_EXEC_INFO input, with the field names of
// k8s.io/client-go/pkg/apis/clientauthentication.
type ExecInfo struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool     `json:"interactive"`
		Cluster     *Cluster `json:"cluster,omitempty"`
	} `json:"spec"`
}

// Cluster is spec.cluster, present with provideClusterInfo: true.
type Cluster struct {
	Server                   string          `json:"server"`
	TLSServerName            string          `json:"tls-server-name,omitempty"`
	InsecureSkipTLSVerify    bool            `json:"insecure-skip-tls-verify,omitempty"`
	CertificateAuthorityData []byte          `json:"certificate-authority-data,omitempty"`
	ProxyURL                 string          `json:"proxy-url,omitempty"`
	Config                   json.RawMessage `json:"config,omitempty"`
}

// ParseExecInfo decodes KUBERNETES_EXEC_INFO. An empty string means kubectl
// sent none (v1beta1 without it), which is answered as v1.
func ParseExecInfo(s string) (*ExecInfo, error) {
	info := &ExecInfo{APIVersion: ExecV1}
	if s == "" {
		return info, nil
	}
	if len(s) > MaxInputBytes {
		return nil, fmt.Errorf("KUBERNETES_EXEC_INFO is larger than %d bytes", MaxInputBytes)
	}
	if err := json.Unmarshal([]byte(s), info); err != nil {
		return nil, fmt.Errorf("KUBERNETES_EXEC_INFO is not valid JSON: %v", err)
	}
	if info.Kind != "" && info.Kind != "ExecCredential" {
		return nil, fmt.Errorf("KUBERNETES_EXEC_INFO has kind %q, want ExecCredential", truncate(info.Kind))
	}
	switch info.APIVersion {
	case ExecV1, ExecV1beta1:
	case "":
		info.APIVersion = ExecV1
	default:
		return nil, fmt.Errorf("KUBERNETES_EXEC_INFO has apiVersion %q; oauth2cred speaks %s and %s", truncate(info.APIVersion), ExecV1, ExecV1beta1)
	}
	return info, nil
}

// ExecCredential is the plugin's answer.
type ExecCredential struct {
	Kind       string           `json:"kind"`
	APIVersion string           `json:"apiVersion"`
	Spec       struct{}         `json:"spec"`
	Status     ExecCredentialSt `json:"status"`
}

// ExecCredentialSt is status of an ExecCredential.
type ExecCredentialSt struct {
	ExpirationTimestamp *time.Time `json:"expirationTimestamp,omitempty"`
	Token               string     `json:"token"`
}

// EncodeExecCredential returns the JSON answer for apiVersion. A zero expiry
// is left out: client-go then keeps the token until a 401.
func EncodeExecCredential(apiVersion, token string, expiry time.Time) ([]byte, error) {
	c := ExecCredential{Kind: "ExecCredential", APIVersion: apiVersion}
	c.Status.Token = token
	if !expiry.IsZero() {
		e := expiry.UTC().Truncate(time.Second)
		c.Status.ExpirationTimestamp = &e
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
