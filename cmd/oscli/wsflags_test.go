package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/wire"
)

// testCert writes a self-signed certificate for 127.0.0.1 and its key as
// PEM files and returns their paths and a pool that trusts it.
func testCert(t *testing.T) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "oscli test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(leaf)
	return cert, key, pool
}

// dialWSS connects to an osc.wss:// URL trusting pool.
func dialWSS(t *testing.T, url string, pool *x509.CertPool) *netio.StreamConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc, err := netio.DialWS(ctx, "wss://"+strings.TrimPrefix(url, "osc.wss://"), netio.TCPConfig{},
		netio.WSConfig{TLS: &tls.Config{RootCAs: pool}})
	require.NoError(t, err)
	t.Cleanup(func() { sc.Close() })
	return sc
}

// TestTLSFlags: dump, echo and relay listen on osc.wss:// with -cert and
// -key; a client that trusts the certificate is served.
func TestTLSFlags(t *testing.T) {
	cert, key, pool := testCert(t)
	msg, err := wire.AppendMessage(nil, "/secure", wire.Int32(7))
	require.NoError(t, err)

	d := start(t, "dump", "-timeout", "20s", "-cert", cert, "-key", key, "osc.wss://127.0.0.1:0/osc")
	durl := d.listening(t)
	require.True(t, strings.HasPrefix(durl, "osc.wss://"), durl)
	sc := dialWSS(t, durl, pool)
	require.NoError(t, sc.WriteFrame(msg))
	require.Contains(t, next(t, d.out, "dump over wss"), " /secure i 7")

	e := start(t, "echo", "-timeout", "20s", "-cert", cert, "-key", key, "osc.wss://127.0.0.1:0/osc")
	sc = dialWSS(t, e.listening(t), pool)
	require.NoError(t, sc.WriteFrame(msg))
	f, err := sc.ReadFrame()
	require.NoError(t, err, "echo's reply over wss")
	require.Equal(t, msg, f)

	du := start(t, "dump", "-timeout", "20s", "osc.udp://127.0.0.1:0")
	r := start(t, "relay", "-timeout", "20s", "-cert", cert, "-key", key,
		"-from", "osc.wss://127.0.0.1:0/osc", "-to", du.listening(t))
	sc = dialWSS(t, relayURL(t, r), pool)
	require.NoError(t, sc.WriteFrame(msg))
	require.Contains(t, next(t, du.out, "relayed from wss"), " /secure i 7")
}

func TestTLSFlagsUsage(t *testing.T) {
	cert, key, _ := testCert(t)
	for _, args := range [][]string{
		{"dump", "osc.wss://127.0.0.1:0/osc"},
		{"dump", "-cert", cert, "osc.wss://127.0.0.1:0/osc"},
		{"echo", "-cert", cert, "-key", key, "osc.udp://127.0.0.1:0"},
		{"echo", "-cert", key, "-key", cert, "osc.wss://127.0.0.1:0/osc"},
		{"relay", "-key", key, "-from", "osc.wss://127.0.0.1:0/", "-to", "9"},
		{"relay", "-from", "osc.wss://127.0.0.1:0/", "-to", "9"},
	} {
		code, _, errOut := oscli(t, "", args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}

// TestRelayOriginEveryEndpoint: a loopback WebSocket endpoint of relay
// does not open its other endpoints to pages of any origin.
func TestRelayOriginEveryEndpoint(t *testing.T) {
	var ws wsFlags
	var srv osc.Server
	lo, err := netio.ParseEndpoint("osc.ws://127.0.0.1:0/")
	require.NoError(t, err)
	all, err := netio.ParseEndpoint("osc.ws://0.0.0.0:0/")
	require.NoError(t, err)
	ws.apply(&srv, all, lo)
	require.False(t, srv.WebSocket.AnyOrigin)
	ws.apply(&srv, lo)
	require.True(t, srv.WebSocket.AnyOrigin)
}
