// Package gitserver serves bare repositories over git's smart HTTP protocol
// (git http-backend behind net/http/cgi) and lets through only requests whose
// credential the given check accepts: a resource server for tests and the demo.
package gitserver

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running git server.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Root string // GIT_PROJECT_ROOT
	srv  *http.Server

	mu       sync.Mutex
	rejected int
	accepted int
}

// Start serves the repositories under root. check gets the token from a
// Basic password or a Bearer header.
func Start(root string, check func(token string) bool) (*Server, error) {
	return start(root, func(_, token string) bool { return check(token) }, false)
}

// StartUsers is Start for a forge with accounts: check gets the Basic user
// name too, so a token is accepted only for the user it belongs to.
func StartUsers(root string, check func(user, token string) bool) (*Server, error) {
	return start(root, check, false)
}

// StartBearerOnly is Start for a server that challenges and accepts only
// Authorization: Bearer, as some forges do for OAuth tokens.
func StartBearerOnly(root string, check func(token string) bool) (*Server, error) {
	return start(root, func(_, token string) bool { return check(token) }, true)
}

func start(root string, check func(user, token string) bool, bearerOnly bool) (*Server, error) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git is not installed: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Root: root}
	cgiHandler := &cgi.Handler{
		Path: backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + root},
	}
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, token := "", ""
		if u, pw, ok := r.BasicAuth(); ok && !bearerOnly {
			user, token = u, pw
		} else if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = b
		}
		if token == "" || !check(user, token) {
			s.mu.Lock()
			s.rejected++
			s.mu.Unlock()
			if bearerOnly {
				w.Header().Set("WWW-Authenticate", `Bearer realm="oauth2cred test"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Basic realm="oauth2cred test"`)
			}
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.accepted++
		s.mu.Unlock()
		r.Header.Del("Authorization")
		cgiHandler.ServeHTTP(w, r)
	})}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Host is host:port as git names it in credential requests.
func (s *Server) Host() string { return strings.TrimPrefix(s.URL, "http://") }

// Counts returns accepted and rejected requests so far.
func (s *Server) Counts() (accepted, rejected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, s.rejected
}

// NewRepo creates a bare repository name.git with one commit, open for push.
func (s *Server) NewRepo(name string) error {
	bare := filepath.Join(s.Root, name+".git")
	work, err := os.MkdirTemp("", "gitserver-seed")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	steps := [][]string{
		{"init", "-q", "--bare", "-b", "main", bare},
		{"-C", bare, "config", "http.receivepack", "true"},
		{"init", "-q", "-b", "main", work},
		{"-C", work, "-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "-q", "--allow-empty", "-m", "first"},
		{"-C", work, "add", "README.md"},
		{"-C", work, "-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "-q", "-m", "A file, so that a clone shows something"},
		{"-C", work, "push", "-q", bare, "main"},
	}
	if err := os.WriteFile(filepath.Join(work, "README.md"), []byte("# "+name+"\n\nCloned through oauth2cred's credential helper.\n"), 0o644); err != nil {
		return err
	}
	for _, args := range steps {
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v\n%s", args, err, out)
		}
	}
	return nil
}

// BasicAuth is the header value git sends for user and password.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
