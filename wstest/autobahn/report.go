package autobahn

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Categories names the case categories, as Autobahn|Testsuite does.
var Categories = []struct{ ID, Name string }{
	{"1", "Framing"},
	{"2", "Pings/Pongs"},
	{"3", "Reserved Bits"},
	{"4", "Opcodes"},
	{"5", "Fragmentation"},
	{"6", "UTF-8 Handling"},
	{"7", "Close Handling"},
	{"9", "Limits/Performance"},
	{"10", "Misc"},
	{"12", "WebSocket Compression (different payloads)"},
	{"13", "WebSocket Compression (different parameters)"},
}

// verdictOrder is the order verdicts are listed in.
var verdictOrder = []string{OK, NonStrict, Informational, Unimplemented, Failed}

// Summary counts the verdicts of one category for one agent.
type Summary struct {
	// Category is the category's number ("6") and Name its name.
	Category string `json:"category"`
	Name     string `json:"name"`
	// Cases is how many cases of the category the agent ran.
	Cases int `json:"cases"`
	// Behavior counts the behaviour verdicts, Close the close behaviour
	// verdicts (which add WRONG CODE and UNCLEAN).
	Behavior map[string]int `json:"behavior"`
	Close    map[string]int `json:"close"`
	// Failed lists the ids of the cases whose behaviour or close behaviour
	// is FAILED (WRONG CODE and UNCLEAN are not: Autobahn shows them apart).
	Failed []string `json:"failed,omitempty"`
}

// Summarize counts results by category, in category order.
func Summarize(results []*Result) []Summary {
	var out []Summary
	for _, c := range Categories {
		s := Summary{Category: c.ID, Name: c.Name, Behavior: map[string]int{}, Close: map[string]int{}}
		for _, r := range results {
			if cat, _, _ := strings.Cut(r.ID, "."); cat != c.ID {
				continue
			}
			s.Cases++
			s.Behavior[r.Behavior]++
			s.Close[r.BehaviorClose]++
			if r.Behavior == Failed || r.BehaviorClose == Failed {
				s.Failed = append(s.Failed, r.ID)
			}
		}
		if s.Cases > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Failures returns the results whose behaviour or close behaviour is
// FAILED.
func Failures(results []*Result) []*Result {
	var out []*Result
	for _, r := range results {
		if r.Behavior == Failed || r.BehaviorClose == Failed {
			out = append(out, r)
		}
	}
	return out
}

// Cell formats the behaviour counts of a summary for a table: "16 OK" or
// "14 OK, 2 NON-STRICT".
func (s Summary) Cell() string {
	var parts []string
	for _, v := range verdictOrder {
		if n := s.Behavior[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	for v, n := range s.Behavior {
		if !slices.Contains(verdictOrder, v) {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	if n := s.Cases - s.Close[OK] - s.Close[Informational]; n > 0 {
		parts = append(parts, fmt.Sprintf("close: %d not OK", n))
	}
	return strings.Join(parts, ", ")
}

// Table formats a Markdown table: one row per category, one column per
// agent (summaries[agent] from Summarize).
func Table(agents []string, summaries map[string][]Summary) string {
	var b strings.Builder
	b.WriteString("| category |")
	for _, a := range agents {
		b.WriteString(" " + a + " |")
	}
	b.WriteString("\n|---|")
	for range agents {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, c := range Categories {
		fmt.Fprintf(&b, "| %s %s |", c.ID, c.Name)
		for _, a := range agents {
			cell := "—"
			for _, s := range summaries[a] {
				if s.Category == c.ID {
					cell = s.Cell()
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// indexEntry is one case of index.json, as Autobahn writes it.
type indexEntry struct {
	Behavior        string `json:"behavior"`
	BehaviorClose   string `json:"behaviorClose"`
	RemoteCloseCode *int   `json:"remoteCloseCode"`
	Duration        int64  `json:"duration"`
	ReportFile      string `json:"reportfile"`
}

// WriteReports writes what Autobahn's /updateReports writes, in JSON, to
// dir: index.json (agent → case id → verdicts), one AGENT_case_X_Y_Z.json
// per case, and report.md, the per-category table of every agent with the
// cases that failed.
func (s *Server) WriteReports(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	index := map[string]map[string]indexEntry{}
	summaries := map[string][]Summary{}
	agents := s.Agents()
	for _, agent := range agents {
		results := s.Results(agent)
		index[agent] = map[string]indexEntry{}
		for _, r := range results {
			name := reportName(agent, r.ID)
			index[agent][r.ID] = indexEntry{r.Behavior, r.BehaviorClose, r.RemoteCloseCode, r.Duration, name}
			if err := writeJSON(filepath.Join(dir, name), r); err != nil {
				return err
			}
		}
		summaries[agent] = Summarize(results)
	}
	if err := writeJSON(filepath.Join(dir, "index.json"), index); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Autobahn-compatible fuzzing server report (%s profile)\n\n", s.cfg.Profile)
	b.WriteString(Table(agents, summaries))
	for _, agent := range agents {
		for _, r := range Failures(s.Results(agent)) {
			fmt.Fprintf(&b, "\n- %s %s: %s / %s: %s; %s", agent, r.ID, r.Behavior, r.BehaviorClose, r.Result, r.ResultClose)
		}
	}
	b.WriteString("\n")
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(b.String()), 0o644)
}

// reportName is Autobahn's name for a case report.
func reportName(agent, id string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(agent)) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + "_case_" + strings.ReplaceAll(id, ".", "_") + ".json"
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "   ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
