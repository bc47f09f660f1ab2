package autobahn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gorilla/websocket"
)

// Echo runs one case as a client under test: it dials url and echoes
// every message with its type until the connection ends. Its error is
// reported, not judged: the server judges.
type Echo func(ctx context.Context, url string) error

// RunAgent is an Autobahn client harness in Go: it asks the server at base
// ("ws://HOST:PORT") for the case count, runs every case with echo under
// the name agent (only those for which run returns true, when it is not
// nil), then asks the server to update its reports. It returns the first
// error of the harness itself (not of echo, nor of a case).
func RunAgent(ctx context.Context, base, agent string, echo Echo, run func(CaseInfo) bool) error {
	count, err := fetchText(ctx, base+"/getCaseCount")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		return fmt.Errorf("autobahn: case count %q: %w", count, err)
	}
	a := url.QueryEscape(agent)
	for i := 1; i <= n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if run != nil {
			info, err := fetchText(ctx, base+"/getCaseInfo?case="+strconv.Itoa(i))
			if err != nil {
				return err
			}
			if !run(parseInfo(info, i)) {
				continue
			}
		}
		echo(ctx, base+"/runCase?case="+strconv.Itoa(i)+"&agent="+a)
	}
	_, err = fetchText(ctx, base+"/updateReports?agent="+a)
	return err
}

// parseInfo reads /getCaseInfo's answer.
func parseInfo(s string, n int) CaseInfo {
	var v struct{ ID, Description string }
	_ = json.Unmarshal([]byte(s), &v)
	return CaseInfo{ID: v.ID, N: n, Description: v.Description}
}

// fetchText dials u and returns the first text message (empty if the
// server closed without one), then closes.
func fetchText(ctx context.Context, u string) (string, error) {
	var text string
	err := gorillaRead(ctx, u, false, func(_ *websocket.Conn, typ int, b []byte) error {
		if typ == websocket.TextMessage && text == "" {
			text = string(b)
		}
		return nil
	})
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived) {
		return text, nil
	}
	return text, fmt.Errorf("autobahn: %s: %w", u, err)
}

// GorillaEcho is an Echo on raw gorilla/websocket (v1.5.3): the reference
// the other clients are compared with. compress offers permessage-deflate.
func GorillaEcho(compress bool) Echo {
	return func(ctx context.Context, u string) error {
		return gorillaRead(ctx, u, compress, func(ws *websocket.Conn, typ int, b []byte) error {
			return ws.WriteMessage(typ, b)
		})
	}
}

// gorillaRead dials u with gorilla and hands every message to each until
// the connection ends (or each fails), and returns why it ended. ctx ending
// closes the connection.
func gorillaRead(ctx context.Context, u string, compress bool, each func(ws *websocket.Conn, typ int, b []byte) error) error {
	d := websocket.Dialer{EnableCompression: compress}
	ws, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	for {
		typ, b, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		if err := each(ws, typ, b); err != nil {
			return err
		}
	}
}
