package flow

import (
	"context"
	"crypto/subtle"
	"fmt"
	"html"
	"net/http"
	"time"
)

// The save question in the browser: with no terminal (an editor's git, a
// desktop app), the page the listener shows after the sign-in asks whether
// to keep the sign-in on this computer, as a form that posts to the
// listener itself. A per-sign-in token in the form keeps other sites from
// answering for the person (a post without it gets 403), as does the
// Origin check.

// keepPath is where the page's form posts the answer.
const keepPath = "/oauth2cred/keep"

// keepWait is how long the person has to answer; silence is "only this time".
const keepWait = 2 * time.Minute

// Answers to the save question (Token.Keep).
const (
	KeepYes = "yes"
	KeepNo  = "no"
)

// keepQuestion is the callback's part of the save question.
type keepQuestion struct {
	token    string      // the form's, per sign-in
	answers  chan string // one answer, buffered
	answered bool
	onlyOnce string // said after "only this time"
}

// keepForm is the page's question, with the sign-in's token.
func (cb *callback) keepForm() string {
	return fmt.Sprintf(`<form method="post" action="%s"><input type="hidden" name="token" value="%s">
<p><button name="save" value="yes">Keep me signed in on this computer</button>
<button name="save" value="no">Only this time</button></p></form>`, keepPath, html.EscapeString(cb.keep.token))
}

// serveKeep takes the person's answer from the page's form.
func (cb *callback) serveKeep(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "answer with the page's form", http.StatusMethodNotAllowed)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+cb.host {
		http.Error(w, "forbidden: another site's form", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil || cb.keep == nil ||
		subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(cb.keep.token)) != 1 {
		http.Error(w, "forbidden: this form belongs to no sign-in under way here", http.StatusForbidden)
		return
	}
	answer := r.PostForm.Get("save")
	if answer != KeepYes && answer != KeepNo {
		http.Error(w, "answer yes or no", http.StatusBadRequest)
		return
	}
	cb.mu.Lock()
	first := !cb.keep.answered
	cb.keep.answered = true
	cb.mu.Unlock()
	if !first {
		http.Error(w, "this question has been answered already", http.StatusConflict)
		return
	}
	cb.keep.answers <- answer
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if answer == KeepYes {
		fmt.Fprintf(w, page, "You stay signed in", "Later calls on this computer use and refresh this sign-in. You can close this tab.")
	} else {
		fmt.Fprintf(w, page, "Signed in this time only", html.EscapeString("Nothing was saved. "+cb.keep.onlyOnce+" You can close this tab."))
	}
}

// awaitKeep waits for the answer, at most keepWait and never past ctx's
// end; silence is "" (only this time).
func (cb *callback) awaitKeep(ctx context.Context) string {
	t := time.NewTimer(keepWait)
	defer t.Stop()
	select {
	case a := <-cb.keep.answers:
		return a
	case <-t.C:
	case <-ctx.Done():
	}
	return ""
}
