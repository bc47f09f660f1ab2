package conformance

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wsfsm/wsfsm/internal/interop"
	"github.com/wsfsm/wsfsm/internal/testkit"
	"github.com/wsfsm/wsfsm/wstest/autobahn"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// unit is Autobahn's second in these runs. A client that behaves waits for
// it only in 5.19, 5.20 and 6.4 (about 12 units in all); one that must act
// (echo, fail the connection) has one unit to do so, ample on loopback
// even under -race on a loaded machine.
const unit = 500 * time.Millisecond

func startFuzzer(t *testing.T) (*autobahn.Server, string) {
	t.Helper()
	s := autobahn.NewServer(autobahn.Config{Profile: autobahn.Quick, Unit: unit})
	return s, testkit.Serve(t, s)
}

// report logs the per-category table and fails on every FAILED case.
func report(t *testing.T, s *autobahn.Server, agent string) {
	t.Helper()
	res := s.Results(agent)
	if len(res) != len(s.Cases()) {
		t.Errorf("%s: %d results for %d cases", agent, len(res), len(s.Cases()))
	}
	t.Logf("\n%s", autobahn.Table([]string{agent}, map[string][]autobahn.Summary{agent: autobahn.Summarize(res)}))
	for _, r := range autobahn.Failures(res) {
		t.Errorf("%s %s: %s / %s: %s; %s (received %d events, remote close code %v)",
			agent, r.ID, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose, len(r.Received), codeOf(r.RemoteCloseCode))
	}
}

func codeOf(c *int) any {
	if c == nil {
		return "none"
	}
	return *c
}

// Every case of the fuzzing server (categories 1-7, 9, 10, 12 and 13, the
// quick profile's sizes) against wsfsm's echo client: none may be FAILED.
// About 11 s; 75 s under -race on a 2-core machine.
func TestWsfsmClientPassesEveryCase(t *testing.T) {
	s, base := startFuzzer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := autobahn.RunAgent(ctx, base, "wsfsm", WsfsmEcho, nil); err != nil {
		t.Fatal(err)
	}
	report(t, s, "wsfsm")
}

// The peers' harness scripts run against the fuzzing server (a few cases:
// the five-client table runs them all). A missing runtime or library skips,
// except under CI=true.
func TestPeerHarnesses(t *testing.T) {
	for _, peer := range Peers {
		t.Run(peer, func(t *testing.T) {
			s, base := startFuzzer(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var nums []int
			for _, c := range s.Cases() {
				switch c.ID {
				case "1.1.1", "2.10", "6.3.1", "12.1.3", "13.7.5":
					nums = append(nums, c.N)
				}
			}
			err := RunPeer(ctx, peer, base, peer, nums...)
			switch {
			case errors.Is(err, interop.ErrPeerMissing) && os.Getenv("CI") != "true":
				t.Skipf("%v (internal/interop/peers/install.sh installs it)", err)
			case err != nil:
				t.Fatal(err)
			}
			res := s.Results(peer)
			if len(res) != 5 {
				t.Fatalf("%d results, want 5", len(res))
			}
			for _, r := range res {
				if r.Behavior != autobahn.OK || r.BehaviorClose != autobahn.OK {
					t.Errorf("%s %s: %s / %s: %s; %s", peer, r.ID, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose)
				}
			}
		})
	}
}
