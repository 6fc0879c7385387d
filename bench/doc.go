// Package bench compares osckit with other Go OSC libraries. It is a
// separate module so that the libraries it compares against never enter
// osckit's own go.sum. Run it with `make bench-compare` from the repository
// root; README.md in this directory holds the latest table.
package bench
