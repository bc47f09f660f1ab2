// Package wsfsmtest tests a machine the way wsfsm tests its own: a Recorder
// of a Conn's transitions, and the record of which (event, from-state) pairs
// of the machine's generated transition table a suite took, so that the
// suite fails when one was never exercised, and leaks no goroutine. The test
// suites of wsfsm and of its examples use it; an extension's own tests can
// too. In the extension's package, with the generated Table:
//
//	var pairs wsfsmtest.Set
//
//	func TestMain(m *testing.M) {
//		var table []wsfsmtest.Edge
//		for _, e := range mymachine.Table() {
//			table = append(table, wsfsmtest.Edge{Event: e.Event, From: e.From})
//		}
//		os.Exit(wsfsmtest.Main(m, &pairs, table))
//	}
//
// and each test's Conn gets wsfsmtest.NewRecorder[mymachine.State,
// mymachine.Event](&pairs).On as its Options.OnTransition. The wstest
// package is the misbehaving peer the scenarios need.
package wsfsmtest
