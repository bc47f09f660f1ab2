package fsm

//go:generate go run ../gen -spec ../states.yaml -out . -pkg fsm -readme ../README.md
