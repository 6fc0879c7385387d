// Package bench compares osckit with other OSC implementations: the Go
// libraries hypebeast/go-osc and chabad360/go-osc, and through cgo (package
// cpeer) liblo (C), oscpack (C++) and bare C socket loops. It is a separate
// module so that the libraries it compares against never enter osckit's
// own go.sum, and osckit itself stays pure Go. Run it with
// `make bench-compare` from the repository root; README.md in this
// directory holds the latest table.
package bench
