package protocol

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// The docker credential-helper protocol (docker/docker-credential-helpers):
// get, erase and list read the server on stdin; store reads a credential
// as JSON; get answers a DockerCredential, and a server the helper has
// nothing for gets DockerNotFound on stdout with exit status 1.

// DockerNotFound is the answer to get for a server the helper has nothing
// for, as docker, podman, skopeo and the rest expect it.
const DockerNotFound = "credentials not found in native keychain"

// DockerCredential is get's answer.
type DockerCredential struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

// maxDockerInput bounds what a helper reads on stdin.
const maxDockerInput = 64 << 10

// ReadDockerServer reads the server a tool asks about.
func ReadDockerServer(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDockerInput+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxDockerInput {
		return "", fmt.Errorf("the server on stdin is longer than %d bytes", maxDockerInput)
	}
	s := strings.TrimSpace(string(b))
	if s == "" || strings.ContainsAny(s, "\n\r\x00") {
		return "", fmt.Errorf("no server on stdin (docker's credential helpers read one line: the registry's host or URL)")
	}
	return s, nil
}

// DockerHost is the registry host[:port] and scheme of a server, which tools
// send as a bare host[:port] (docker, skopeo) or as a URL (podman, older
// docker: https://index.docker.io/v1/). A bare host is https.
func DockerHost(server string) (scheme, host string, err error) {
	if !strings.Contains(server, "://") {
		server = "https://" + server
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || u.User != nil {
		return "", "", fmt.Errorf("%q is not a registry host or URL", server)
	}
	return u.Scheme, u.Host, nil
}

// EncodeDockerList is list's answer: registry host → user name.
func EncodeDockerList(entries map[string]string) ([]byte, error) {
	if entries == nil {
		entries = map[string]string{}
	}
	return json.Marshal(entries)
}
