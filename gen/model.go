package main

// model is a validated spec, ready to emit. Slices keep the file's order.
type model struct {
	States  []*mState
	Events  []*mEvent
	Actions []*mDecl
	Guards  []*mDecl
	Timers  []*mDecl
	Edges   []*mEdge // events in file order, then their from-list order
	Initial *mState
	// Subprotocols are the spec's options.subprotocols: the default when the
	// caller's options give none.
	Subprotocols []string
}

type mState struct {
	Name    string // as in the spec: Connecting
	Pos     pos
	Doc     string
	Index   int
	Initial bool
	Final   bool
	Enter   []*mDecl
	Exit    []*mDecl
	Timer   *mTimer
	Then    []*mEdge // the edges `then` tries, in order
	Out     []*mEdge // every edge leaving this state, table order
	In      []*mEdge
}

type mEvent struct {
	Name  string // as in the spec: close_timeout
	Go    string // CloseTimeout
	Pos   pos
	Doc   string
	Index int
	Guard *mDecl
	From  []*mState
	To    *mState
	// Internal: fired only by the spec's own actions and timers; no method.
	Internal bool
	// Complete is false when some from/to state was bad: its edges are
	// missing from the table, and checks that need them are skipped.
	Complete bool
}

// mDecl is a declared action, guard or timer.
type mDecl struct {
	Name string
	Go   string
	Pos  pos
	Doc  string
}

type mTimer struct {
	Decl  *mDecl
	Event *mEvent
	Edge  *mEdge
}

type mEdge struct {
	Index    int
	Event    *mEvent
	From, To *mState
	Guard    *mDecl
	// ThenRank is the 1-based position of this edge's event in From's then
	// list, 0 if the edge is not eventless.
	ThenRank int
	// Timer is the timer of From that fires this edge, if any.
	Timer *mDecl
}
