package lifecycle

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"oauth2cred/persist"
)

// A token directory inside a git work tree (`--token-dir .` in a checkout)
// puts the tokens one `git add -A` away from a public repository. On save
// the token files are added to that repository's .git/info/exclude, with
// one warning the first time.

// excludeFromWorkTree adds the service's files to the exclude list of the
// work tree that holds dir, if any.
func (s *Session) excludeFromWorkTree() {
	dir, err := filepath.Abs(s.dir.Path)
	if err != nil {
		return
	}
	top, gitDir := workTreeOf(dir)
	if top == "" {
		return
	}
	rel, err := filepath.Rel(top, dir)
	if err != nil {
		return
	}
	pattern := "/" + filepath.ToSlash(filepath.Join(rel, "."+s.Key()+"-token")) + "*"
	pattern = strings.Replace(pattern, "/./", "/", 1)
	exclude := filepath.Join(gitDir, "info", "exclude")
	if hasLine(exclude, pattern) {
		return
	}
	if err := appendOwned(gitDir, exclude, fmt.Sprintf("# oauth2cred: tokens of %q, never to be committed\n%s\n", s.svc.Name, pattern)); err != nil {
		s.ui.warn("the token file %s is inside the git work tree %s and was not excluded from it (%v); keep it out of commits", s.Location(), top, err)
		return
	}
	s.ui.warn("the token file %s is inside the git work tree %s; added %s to %s so it is never committed (a --token-dir outside any repository is safer)", s.Location(), top, pattern, exclude)
}

// appendOwned appends text to a repository's exclude file only when the
// repository, its info directory and the file are the user's own: another
// user's .git/info/exclude may be a link to any file of ours.
func appendOwned(gitDir, exclude, text string) error {
	if err := persist.OwnedDir(gitDir); err != nil {
		return err
	}
	info := filepath.Dir(exclude)
	if err := os.Mkdir(info, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	if err := persist.OwnedDir(info); err != nil {
		return err
	}
	f, err := persist.OpenOwned(exclude, os.O_APPEND|os.O_CREATE|os.O_WRONLY)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(text)
	return err
}

// workTreeOf finds the work tree holding dir and its git directory, by the
// .git directory (or a worktree's .git file) of dir or a parent.
func workTreeOf(dir string) (top, gitDir string) {
	for d := dir; ; d = filepath.Dir(d) {
		g := filepath.Join(d, ".git")
		if st, err := os.Lstat(g); err == nil {
			switch {
			case st.IsDir():
				return d, g
			case !st.Mode().IsRegular():
				// A FIFO, a device or a link (another user's, in /tmp) is
				// no work tree of ours, and a FIFO would block a read.
				return "", ""
			}
			if p, ok := gitFile(g); ok {
				if !filepath.IsAbs(p) {
					p = filepath.Join(d, p)
				}
				return d, commonDir(p)
			}
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

// gitFile reads a worktree's .git file ("gitdir: PATH"): only the user's
// own regular file, opened without blocking, and only its first line.
func gitFile(path string) (string, bool) {
	f, err := persist.OpenOwned(path, os.O_RDONLY)
	if err != nil {
		return "", false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	return strings.CutPrefix(strings.TrimSpace(line), "gitdir: ")
}

// commonDir is where a linked worktree's shared info/exclude lives.
func commonDir(gitDir string) string {
	f, err := persist.OpenOwned(filepath.Join(gitDir, "commondir"), os.O_RDONLY)
	if err != nil {
		return gitDir
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	p := strings.TrimSpace(line)
	if p == "" {
		return gitDir
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(gitDir, p)
	}
	return filepath.Clean(p)
}

func hasLine(path, line string) bool {
	f, err := persist.OpenOwned(path, os.O_RDONLY)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == line {
			return true
		}
	}
	return false
}
