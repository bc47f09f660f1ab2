package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// A conns child holds n idle connections of its kind, fresh or after one
// echo each, reports them as one JSON line, and closes them all (TestMain's
// leak check holds it to that).
func TestConnsChild(t *testing.T) {
	url := serveInProcess(t, ServeConfig{Addr: "127.0.0.1:0"}) + "/echo"
	for _, kind := range []string{KindGorilla, KindGorillaPooled, KindConn} {
		for _, echo := range []bool{false, true} {
			var out bytes.Buffer
			if err := ConnsChild(t.Context(), kind, 3, url, echo, &out); err != nil {
				t.Fatalf("%s, echo %v: %v", kind, echo, err)
			}
			var res ConnsResult
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("%s, echo %v: %q is not one JSON object: %v", kind, echo, out.String(), err)
			}
			if res.Kind != kind || res.Conns != 3 {
				t.Errorf("%s, echo %v: reported %+v", kind, echo, res)
			}
		}
	}
	if err := ConnsChild(t.Context(), "nonsense", 1, url, false, &bytes.Buffer{}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
