package wstest

import "time"

// Path documents one route of the Router: what `wsfsm serve -h` prints and
// what the README lists, kept here beside the code that serves it.
type Path struct {
	// Pattern is the path with its argument in capitals, e.g. "/close/CODE".
	Pattern string
	// Example is a path that works as it is, with query options where the
	// route has some, e.g. "/close/1000?after=1&reason=bye".
	Example string
	// Doc says what the server does on this path, in one sentence.
	Doc string
	// Query lists the query options the route reads, in the order to show.
	Query []Param
}

// Param documents one query option of a Path.
type Param struct {
	// Name is the query key, e.g. "after".
	Name string
	// Doc says what the value means and its default.
	Doc string
}

// Limits of the path arguments; larger values are refused with 400.
const (
	// MaxSize is the largest N of /size/N: 1 GiB.
	MaxSize = 1 << 30
	// MaxFragments is the largest N of /fragments/N.
	MaxFragments = 4096
	// MaxPingFlood is the largest ?count= of /ping-flood.
	MaxPingFlood = 1_000_000
	// DefaultPingFlood is how many pings /ping-flood sends without ?count=.
	DefaultPingFlood = 1000
	// DefaultPingEvery is the interval of /ping without ?every=.
	DefaultPingEvery = time.Second
)

// Paths returns every route of the Router, in the order to list them.
func Paths() []Path {
	return []Path{
		{Pattern: "/echo", Example: "/echo",
			Doc: "echoes every message with its type; answers pings and close frames"},
		{Pattern: "/close/CODE", Example: "/close/1000?after=1&reason=bye",
			Doc: "echoes ?after= messages, then closes with CODE (1000-4999; 1005 sends an empty close frame, 1006 cuts TCP with no close frame)",
			Query: []Param{
				{"after", "messages to echo first (default 0)"},
				{"reason", `the close reason (default "wstest")`},
			}},
		{Pattern: "/ignore-close", Example: "/ignore-close",
			Doc: "echoes, but never answers a close frame and never closes TCP itself"},
		{Pattern: "/drop-after/N", Example: "/drop-after/3",
			Doc: "echoes N messages, then cuts TCP with no close frame"},
		{Pattern: "/silent", Example: "/silent?for=30s",
			Doc: "never reads or writes: no pongs, no close answer",
			Query: []Param{
				{"for", "then cut TCP after this duration (default: stay silent until the client leaves)"},
			}},
		{Pattern: "/reject/STATUS", Example: "/reject/503?retry_after=2",
			Doc: "refuses the upgrade with HTTP STATUS (200-599)",
			Query: []Param{
				{"retry_after", `Retry-After on 429 and 503: seconds, an HTTP-date, or a range LO-HI of seconds drawn anew for every client (default "2")`},
			}},
		{Pattern: "/sink", Example: "/sink",
			Doc: "swallows every message and sends none"},
		{Pattern: "/ack", Example: "/ack?mode=id&every=1&drop=100",
			Doc: `records every message and acknowledges those with an "id" (a JSON string or number: {"id":"7",...}) with {"ack":["7",...]}, or cumulatively with {"upto":"7"}, counting duplicates (AckCounts); with ?drop=N it cuts TCP, unacknowledged, after the N-th message of each connection`,
			Query: []Param{
				{"mode", `"id" (default), "cumulative" (the last id of the batch and everything before it on this connection) or "never"`},
				{"every", "acknowledge every N messages with an id, the batch of them at once; later ones wait for the next batch (default 1)"},
				{"drop", "cut TCP with no close frame and no acknowledgement after every N-th message of a connection (default 0: never)"},
			}},
		{Pattern: "/stall", Example: "/stall?for=30s",
			Doc: "reads the upgrade request and never answers it: the handshake stalls",
			Query: []Param{
				{"for", "then cut TCP after this duration (default: until the client gives up)"},
			}},
		{Pattern: "/subprotocol", Example: "/subprotocol?accept=chat,v2",
			Doc: `selects the first subprotocol the client offers that ?accept= lists, says which in a first text message ("subprotocol: NAME", or "subprotocol: none"), then echoes`,
			Query: []Param{
				{"accept", "comma-separated subprotocols the server accepts (default: whatever the client offers first)"},
			}},
		{Pattern: "/size/N", Example: "/size/1048576?type=text",
			Doc: "sends ?count= messages of exactly N bytes (at most 1 GiB), then echoes",
			Query: []Param{
				{"type", `"binary" (default: bytes 0, 1, ... 255, 0, ...) or "text" (a, b, ... z, a, ...)`},
				{"count", "how many such messages (default 1)"},
			}},
		{Pattern: "/fragments/N", Example: "/fragments/3",
			Doc: "echoes every message split into N frames (1-4096; a text message may be cut inside a UTF-8 character, which RFC 6455 allows)"},
		{Pattern: "/bad-frame/KIND", Example: "/bad-frame/utf8?after=1",
			Doc: "echoes ?after= messages, sends one invalid frame, then echoes: KIND utf8 is a text message that is not UTF-8 (a strict client fails with 1007), rsv a frame with RSV1 set and no extension (1002), opcode a frame with the reserved opcode 3 (1002)",
			Query: []Param{
				{"after", "messages to echo first (default 0)"},
			}},
		{Pattern: "/ping", Example: "/ping?every=1s&count=3",
			Doc: `echoes, and sends a ping every ?every=; each pong that answers one is reported with a text message "pong K"; after ?count= pongs it closes with 1000`,
			Query: []Param{
				{"every", "time between pings (default 1s)"},
				{"count", "close with 1000 once this many pings were answered (default: never)"},
			}},
		{Pattern: "/ping-flood", Example: "/ping-flood?count=1000",
			Doc: `sends ?count= pings back to back, then one more and waits for its pong (RFC 6455 lets a client answer only the latest), sends "ping-flood: sent N pings, received M pongs" and closes with 1000; data from the client is discarded`,
			Query: []Param{
				{"count", "how many pings (default 1000, at most 1000000)"},
			}},
		{Pattern: "/getCaseCount", Example: "/getCaseCount",
			Doc: "Autobahn|Testsuite fuzzing server protocol (an Autobahn client harness runs unchanged): sends the number of cases as a text message, then closes with 1000"},
		{Pattern: "/getCaseInfo", Example: "/getCaseInfo?case=1",
			Doc:   `sends case N's id and description as JSON ({"id": "1.1.1", "description": ...}), then closes with 1000`,
			Query: []Param{{"case", "the case number, 1 to the case count"}}},
		{Pattern: "/runCase", Example: "/runCase?case=1&agent=me",
			Doc:   "runs Autobahn case N on this connection (categories 1-7, 9, 10, 12 and 13; an echo client passes, permessage-deflate negotiated as the case needs) and records the verdict under the agent's name",
			Query: []Param{{"case", "the case number"}, {"agent", "the name the result is recorded under"}}},
		{Pattern: "/getCaseStatus", Example: "/getCaseStatus?case=1&agent=me",
			Doc:   `sends {"behavior": VERDICT} (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED) once case N ran for the agent, then closes with 1000`,
			Query: []Param{{"case", "the case number"}, {"agent", "the agent's name"}}},
		{Pattern: "/updateReports", Example: "/updateReports?agent=me",
			Doc:   "writes the Autobahn reports (index.json, one JSON file per case, report.md with a table per category) where the server was told to (wsfsm serve --reports DIR), then closes with 1000",
			Query: []Param{{"agent", "the agent whose run is over"}}},
	}
}
