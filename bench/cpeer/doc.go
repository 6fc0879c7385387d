// Package cpeer runs the C and C++ OSC implementations that the benchmarks
// of package bench compare osckit with, through their public APIs: liblo
// (C) and oscpack (C++), and bare recvmmsg/sendmmsg loops written in C.
//
// Every loop runs in C, so a cgo call is paid once per run, not once per
// operation. The package needs cgo, Linux and the Debian packages
// liblo-dev and liboscpack-dev (.ci/install-peers.sh installs them). Built
// without cgo, off Linux, or with the build tag nocpeer, Available is false
// and every function panics; the benchmarks then skip the C columns.
package cpeer
