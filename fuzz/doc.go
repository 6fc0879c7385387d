// Package fuzz holds fuzz targets that cross package boundaries: they feed
// arbitrary bytes through the whole receiving path, decoding, scheduling
// and dispatch, and through a live server, and check that nothing panics,
// that memory stays bounded and that the server keeps serving.
//
// Run them with `make fuzz` (FUZZTIME sets the duration of each target);
// `make test` runs their committed seed corpora.
package fuzz
