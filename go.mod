module github.com/wsfsm/wsfsm

go 1.25

require (
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/goccy/go-yaml v1.19.2
	github.com/gorilla/websocket v1.5.3
	github.com/looplab/fsm v1.0.3
	go.uber.org/goleak v1.3.0
)
