// Package apisurface counts osckit's exported API (types, functions,
// variables, constants, and the exported methods and fields of exported
// types) in the public packages, so that its size is a figure a test
// checks rather than an impression, and checks that no exported
// declaration names a type of an internal package. It has no code outside
// its test.
package apisurface
