package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrowseUsage(t *testing.T) {
	code, out, errOut := oscli(t, "", "browse", "-h")
	require.Zero(t, code, errOut)
	for _, s := range []string{"Usage: oscli browse", "-timeout", "-json", "-interface", "_oscjson._tcp", "VRChat-Client-XXXXXX", "HOST_INFO"} {
		require.Contains(t, out, s)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"browse", "extra"}, "no arguments expected"},
		{[]string{"browse", "-timeout", "0s"}, "want a positive duration"},
		{[]string{"browse", "-interface", "nosuchif0"}, `-interface "nosuchif0"`},
	} {
		code, _, errOut := oscli(t, "", c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.msg)
	}
	code, out, _ = oscli(t, "", "advertise", "-h")
	require.Zero(t, code)
	for _, s := range []string{"-announce", "-vrchat", "-interface", "_oscjson._tcp", "goodbyes"} {
		require.Contains(t, out, s)
	}
}
