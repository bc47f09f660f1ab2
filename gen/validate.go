package main

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wsfsm/wsfsm/vocab"
)

// validator collects every problem in a spec, not only the first.
type validator struct {
	diags diagList
	m     *model
	// bad holds names whose declaration was already reported as invalid
	// ("state Open\"..."), so their uses are not reported again as unknown.
	bad map[string]bool
}

func (v *validator) errorf(p pos, format string, args ...any) {
	// A null list entry ("- " alone) has no node of its own, hence no position.
	p.Line, p.Col = max(p.Line, 1), max(p.Col, 1)
	v.diags = append(v.diags, diag{p, fmt.Sprintf(format, args...)})
}

// validate checks the parsed spec and builds the model. It reports every
// problem it finds; the model is nil when there is any.
func validate(s *specFile) (*model, diagList) {
	v := &validator{m: &model{}, bad: map[string]bool{}}
	v.limits(s) // limits.go
	actions := v.decls("action", s.Actions, &v.m.Actions, actionDoc)
	guards := v.decls("guard", s.Guards, &v.m.Guards, guardDoc)
	timers := v.decls("timer", s.Timers, &v.m.Timers, timerDoc)
	v.builtins(s, actions, guards, timers) // builtins.go
	states, stateOf := v.states(s)
	events := v.events(s, states, guards)
	v.stateDetails(s, stateOf, events, actions, timers)
	v.unused(s, actions, guards, timers)
	v.options(s)
	v.collisions()
	v.graph(s)
	if len(v.diags) == 0 {
		v.vocabulary()
	}
	if len(v.diags) > 0 {
		return nil, v.diags
	}
	return v.m, nil
}

// checkDoc requires a non-empty, single-line doc without control characters:
// docs become Go comments, and a newline there would end the comment.
func (v *validator) checkDoc(what string, itemPos pos, d text) string {
	switch {
	case !d.Set || strings.TrimSpace(d.Value) == "":
		v.errorf(itemPos, "%s: missing doc", what)
	case !utf8.ValidString(d.Value) || strings.ContainsFunc(d.Value, unprintable):
		v.errorf(d.Pos, "%s: doc must be one line of printable text", what)
	default:
		return strings.TrimSpace(d.Value)
	}
	return ""
}

// checkName validates a spec name's spelling. kind is "state" (CamelCase) or
// another kind (snake_case or camelCase).
func (v *validator) checkName(kind string, itemPos pos, n ident) bool {
	switch {
	case !n.Set:
		v.errorf(itemPos, "%s: missing name", kind)
	case len(n.Value) > maxNameLen:
		v.errorf(n.Pos, "%s name %q is longer than %d characters", kind, n.Value, maxNameLen)
	case kind == "state" && !stateNameRE.MatchString(n.Value):
		v.errorf(n.Pos, "state name %q is not a CamelCase identifier ([A-Z][A-Za-z0-9]*)", n.Value)
	case kind != "state" && !snakeNameRE.MatchString(n.Value):
		v.errorf(n.Pos, "%s name %q is not a snake_case or camelCase identifier ([A-Za-z][A-Za-z0-9]* words joined by single underscores)", kind, n.Value)
	case isGoKeyword(n.Value):
		v.errorf(n.Pos, "%s name %q is a Go keyword", kind, n.Value)
	case kind == "state" && mermaidKeywords[strings.ToLower(n.Value)]:
		v.errorf(n.Pos, "state name %q is a keyword of Mermaid state diagrams (any case); it would break states.mmd", n.Value)
	default:
		return true
	}
	return false
}

// decls validates the actions, guards or timers section. builtinDoc gives
// the doc of a built-in name, which a declaration of it may leave out.
func (v *validator) decls(kind string, specs []declSpec, out *[]*mDecl, builtinDoc func(string) string) map[string]*mDecl {
	byName := map[string]*mDecl{}
	first := map[string]pos{}
	for _, d := range specs {
		if bd := builtinDoc(d.Name.Value); bd != "" && !d.Doc.Set {
			d.Doc = text{Value: bd, Pos: d.Pos, Set: true}
		}
		doc := v.checkDoc(kind+" "+quoteIfSet(d.Name), d.Pos, d.Doc)
		if !v.checkName(kind, d.Pos, d.Name) {
			v.bad[kind+" "+d.Name.Value] = true
			continue
		}
		if p, dup := first[d.Name.Value]; dup {
			v.errorf(d.Name.Pos, "duplicate %s %q (first declared at %d:%d)", kind, d.Name.Value, p.Line, p.Col)
			continue
		}
		first[d.Name.Value] = d.Name.Pos
		if near := nearBuiltin(kind, d.Name.Value); near != "" {
			v.errorf(d.Name.Pos, "%s %q is not built in, but close to the built-in %s: did you mean %s? (a name of the spec's own must differ more from the built-ins)", kind, d.Name.Value, near, near)
		}
		md := &mDecl{Name: d.Name.Value, Go: goName(d.Name.Value), Pos: d.Name.Pos, Doc: doc}
		byName[md.Name] = md
		*out = append(*out, md)
	}
	return byName
}

func quoteIfSet(n ident) string {
	if !n.Set {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", n.Value)
}

// states validates names, docs and flags of every state.
// stateOf[i] is the model state of s.States[i], nil if that entry was dropped.
func (v *validator) states(s *specFile) (byName map[string]*mState, stateOf []*mState) {
	byName = map[string]*mState{}
	stateOf = make([]*mState, len(s.States))
	first := map[string]pos{}
	if len(s.States) == 0 {
		v.errorf(s.Pos, "no states: the spec needs a `states:` list")
	}
	var initials []stateSpec
	for i, st := range s.States {
		what := "state " + quoteIfSet(st.Name)
		doc := v.checkDoc(what, st.Pos, st.Doc)
		if st.Initial {
			initials = append(initials, st)
		}
		if st.Initial && st.Final {
			v.errorf(st.Pos, "%s: a state cannot be both initial and final", what)
		}
		if !v.checkName("state", st.Pos, st.Name) {
			v.bad["state "+st.Name.Value] = true
			continue
		}
		if p, dup := first[st.Name.Value]; dup {
			v.errorf(st.Name.Pos, "duplicate state %q (first declared at %d:%d)", st.Name.Value, p.Line, p.Col)
			continue
		}
		first[st.Name.Value] = st.Name.Pos
		ms := &mState{Name: st.Name.Value, Pos: st.Name.Pos, Doc: doc, Index: len(v.m.States), Initial: st.Initial, Final: st.Final}
		byName[ms.Name] = ms
		stateOf[i] = ms
		v.m.States = append(v.m.States, ms)
		if st.Initial && len(initials) == 1 {
			v.m.Initial = ms
		}
	}
	switch {
	case len(initials) == 0 && len(s.States) > 0:
		v.errorf(s.States[0].Pos, "no initial state: mark exactly one state with `initial: true`")
	case len(initials) > 1:
		for _, st := range initials[1:] {
			v.errorf(st.Pos, "state %s: second initial state (the first is %s); exactly one state may be initial", quoteIfSet(st.Name), quoteIfSet(initials[0].Name))
		}
	}
	return byName, stateOf
}

// events validates every event and builds the transition table.
func (v *validator) events(s *specFile, states map[string]*mState, guards map[string]*mDecl) map[string]*mEvent {
	byName := map[string]*mEvent{}
	first := map[string]pos{}
	for _, e := range s.Events {
		what := "event " + quoteIfSet(e.Name)
		if b := vocab.EventNamed(e.Name.Value); b != vocab.NoEvent && !e.Doc.Set {
			e.Doc = text{Value: b.Info().Doc, Pos: e.Pos, Set: true}
		}
		doc := v.checkDoc(what, e.Pos, e.Doc)
		okName := v.checkName("event", e.Pos, e.Name)
		if !okName {
			v.bad["event "+e.Name.Value] = true
		}
		if okName {
			if p, dup := first[e.Name.Value]; dup {
				v.errorf(e.Name.Pos, "duplicate event %q (first declared at %d:%d)", e.Name.Value, p.Line, p.Col)
				okName = false
			} else {
				first[e.Name.Value] = e.Name.Pos
			}
		}
		me := &mEvent{Doc: doc, Internal: e.Internal}
		lib := vocab.EventNamed(e.Name.Value)
		if e.Guard.Set {
			me.Guard = resolve(v, "guard", e.Guard, guards, "%s: unknown guard %q (declare it under `guards:`)", what)
			if lib != vocab.NoEvent && me.Guard != nil && vocab.GuardNamed(e.Guard.Value) == vocab.NoGuard {
				v.errorf(e.Guard.Pos, "%s is fired by the library, when the outcome it reports is known: it cannot take guard %q of the spec's own, which could refuse it and lose that outcome (guard an event of the spec's own, or decide in the state it leads to)", what, e.Guard.Value)
			}
		}
		if lib != vocab.NoEvent && e.Internal {
			v.errorf(e.Pos, "%s is fired by the library: it cannot be `internal` (only an event the spec adds can)", what)
		}
		if near := nearBuiltin("event", e.Name.Value); lib == vocab.NoEvent && near != "" {
			v.errorf(e.Name.Pos, "%s is not fired by the library, but close to its event %s: did you mean %s? (an event of the spec's own must differ more from the library's)", what, near, near)
		}
		if !e.To.Set {
			v.errorf(e.Pos, "%s: missing `to` state", what)
		} else if me.To = states[e.To.Value]; me.To == nil && !v.bad["state "+e.To.Value] {
			v.errorf(e.To.Pos, "%s: unknown target state %q", what, e.To.Value)
		}
		if len(e.From) == 0 {
			v.errorf(e.Pos, "%s: missing `from` states", what)
		}
		seen := map[string]pos{}
		for _, f := range e.From {
			st := states[f.Value]
			if p, dup := seen[f.Value]; dup {
				v.errorf(f.Pos, "%s: ambiguous: state %q is listed twice in `from` (first at %d:%d)", what, f.Value, p.Line, p.Col)
				continue
			}
			seen[f.Value] = f.Pos
			if st == nil {
				if !v.bad["state "+f.Value] {
					v.errorf(f.Pos, "%s: unknown source state %q", what, f.Value)
				}
				continue
			}
			if st.Final {
				v.errorf(f.Pos, "%s: final state %q cannot have outgoing events", what, f.Value)
			}
			me.From = append(me.From, st)
		}
		if !okName {
			continue
		}
		me.Complete = me.To != nil && len(me.From) == len(e.From)
		me.Name, me.Go, me.Pos, me.Index = e.Name.Value, goName(e.Name.Value), e.Name.Pos, len(v.m.Events)
		byName[me.Name] = me
		v.m.Events = append(v.m.Events, me)
		if me.To == nil {
			continue
		}
		for _, from := range me.From {
			ed := &mEdge{Index: len(v.m.Edges), Event: me, From: from, To: me.To, Guard: me.Guard}
			v.m.Edges = append(v.m.Edges, ed)
			from.Out = append(from.Out, ed)
			me.To.In = append(me.To.In, ed)
		}
	}
	return byName
}

// edgeFrom returns the edge of event e leaving state s, if any.
func edgeFrom(s *mState, e *mEvent) *mEdge {
	for _, ed := range s.Out {
		if ed.Event == e {
			return ed
		}
	}
	return nil
}

// subprotocolRE is an HTTP token (RFC 7230 section 3.2.6), what
// Sec-WebSocket-Protocol carries.
var subprotocolRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// options validates what the spec's protocol needs of the options.
func (v *validator) options(s *specFile) {
	seen := map[string]bool{}
	for _, p := range s.Options.Subprotocols {
		switch {
		case !p.Set:
			v.errorf(p.Pos, "options: subprotocols: expected a name")
		case len(p.Value) > maxNameLen || !subprotocolRE.MatchString(p.Value):
			v.errorf(p.Pos, "options: subprotocol %q is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~, at most %d)", p.Value, maxNameLen)
		case seen[p.Value]:
			v.errorf(p.Pos, "options: subprotocol %q is listed twice", p.Value)
		default:
			seen[p.Value] = true
			v.m.Subprotocols = append(v.m.Subprotocols, p.Value)
		}
	}
}
