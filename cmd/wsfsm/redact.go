package main

import (
	"net/url"
	"strings"
)

// redactURL returns raw without its user info, query and fragment, so that
// a token in the URL never reaches a terminal or a log. Text that does not
// parse as a URL is cut at the first '?' or '#', and loses what stands
// before an '@' in its authority.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		start := 0
		if i := strings.Index(raw, "://"); i >= 0 {
			start = i + len("://")
		}
		end := len(raw)
		if i := strings.IndexByte(raw[start:], '/'); i >= 0 {
			end = start + i
		}
		if at := strings.LastIndexByte(raw[start:end], '@'); at >= 0 {
			raw = raw[:start] + raw[start+at+1:]
		}
		return raw
	}
	if u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
		return raw // nothing to hide: as the user wrote it
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// redact removes from text what redactURL removes from raw: the whole URL is
// replaced by its redacted form, then any query string, fragment or password
// of it still left is replaced by "REDACTED". Errors from wsfsm.Dial name the
// URL redacted already; the command's own lines quote it as typed, so every
// line the command prints about a connection goes through here.
func redact(raw, text string) string {
	text = strings.ReplaceAll(text, raw, redactURL(raw))
	u, err := url.Parse(raw)
	if err != nil {
		return text
	}
	for _, secret := range []string{u.RawQuery, u.Fragment, password(u)} {
		if len(secret) > 0 {
			text = strings.ReplaceAll(text, secret, "REDACTED")
		}
	}
	return text
}

func password(u *url.URL) string {
	if u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}
