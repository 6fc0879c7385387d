package main

import (
	"crypto/tls"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
)

// wsFlags are the flags of the commands that listen (dump, echo, relay)
// for their osc.ws:// and osc.wss:// endpoints.
type wsFlags struct {
	cert, key string
	json      bool
	tls       *tls.Config // loaded by check
}

func addWSFlags(fs *flagSet) *wsFlags {
	w := &wsFlags{}
	fs.StringVar(&w.cert, "cert", "", "osc.wss://: the certificate chain, a PEM `FILE` (with -key)")
	fs.StringVar(&w.key, "key", "", "osc.wss://: the private key of -cert, a PEM `FILE`")
	fs.BoolVar(&w.json, "ws-json", false, "osc.ws://: take text messages in osc.js's JSON form (as dump -json prints) and answer them in it")
	return w
}

// check loads the certificate, if any, and refuses flags that do not fit
// the endpoints eps: -cert and -key go together, and with an osc.wss://
// endpoint only.
func (w *wsFlags) check(eps ...netio.Endpoint) error {
	wss := false
	for _, ep := range eps {
		wss = wss || ep.TLS
	}
	switch {
	case (w.cert == "") != (w.key == ""):
		return usagef("-cert and -key go together")
	case w.cert != "" && !wss:
		return usagef("-cert and -key are for an osc.wss:// endpoint")
	case w.cert == "" && wss:
		return usagef("osc.wss:// needs -cert and -key")
	case w.cert == "":
		return nil
	}
	c, err := tls.LoadX509KeyPair(w.cert, w.key)
	if err != nil {
		return usagef("-cert/-key: %v", err)
	}
	w.tls = &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}
	return nil
}

// apply sets srv's WebSocket configuration for listening on eps, before
// any is opened (the server reads it for every connection): pages of any
// origin may connect when every endpoint is on a loopback host, only
// pages of the host otherwise.
func (w *wsFlags) apply(srv *osc.Server, eps ...netio.Endpoint) {
	loopback := true
	for _, ep := range eps {
		loopback = loopback && isLoopback(ep.Host())
	}
	srv.WebSocket.AnyOrigin = loopback
	srv.WebSocket.TLS = w.tls
	srv.WebSocket.JSON = w.json
}
