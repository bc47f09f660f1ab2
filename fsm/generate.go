package fsm

// wsfsm.Conn is this machine's Conn: -conn=false, as package wsfsm imports this one.
//go:generate go run ../gen -spec ../vocab/states.yaml -out . -pkg fsm -conn=false -readme ../README.md
