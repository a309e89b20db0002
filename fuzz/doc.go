// Package fuzz holds the native Go fuzz targets for every decoder of the
// module. It has no API; run the targets with `make fuzz` (each for
// FUZZTIME) or one at a time:
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10m
//
// Targets that need unexported code (the backend message reader, the
// replication stream, SCRAM) are in package wire; make fuzz runs them all.
// Seeds are built from the codec's encoders and from the captures in
// testdata/.
package fuzz
