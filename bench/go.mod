module github.com/osckit/osc/bench

go 1.25.0

replace github.com/osckit/osc => ../

require (
	github.com/chabad360/go-osc v0.0.0-20220502185613-216f362cdf0a
	github.com/hypebeast/go-osc v0.0.0-20220308234300-cec5a8a1e5f5
	github.com/osckit/osc v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.41.0
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
)
