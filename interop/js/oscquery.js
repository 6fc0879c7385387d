// An OSCQuery WebSocket client made of npm ws and osc.js, for the osckit
// interop tests:
//
//   node oscquery.js BASE PATH N
//
// reads BASE?HOST_INFO (BASE is http://HOST:PORT) and prints "hostinfo"
// with its EXTENSIONS' LISTEN; opens the WebSocket at WS_IP:WS_PORT (the
// HTTP host and port where absent), sends {"COMMAND":"LISTEN","DATA":PATH}
// and prints "listening"; prints each OSC message that arrives in a binary
// message as {"address":...,"args":[{"type":...,"value":...}]} and each
// text message as "notice TEXT". After N messages it sends, as binary
// messages, PATH with the float 0.75 and /from/js with the int 42, then
// IGNOREs PATH, waits 300 ms (time for an echo to show), prints "done" and
// closes.
"use strict";

const http = require("http");
const osc = require("osc");
const WebSocket = require("ws");

const [base, path, nArg] = process.argv.slice(2);
const n = Number(nArg);

function fail(msg) {
    console.error("oscquery.js: " + msg);
    process.exit(1);
}

http.get(base + "/?HOST_INFO", (res) => {
    let body = "";
    res.on("data", (d) => { body += d; });
    res.on("end", () => {
        let hi;
        try {
            hi = JSON.parse(body);
        } catch (e) {
            fail("HOST_INFO: " + e.message);
        }
        const listen = !!(hi.EXTENSIONS && hi.EXTENSIONS.LISTEN);
        console.log("hostinfo LISTEN=" + listen);
        const u = new URL(base);
        const host = hi.WS_IP || u.hostname;
        const port = hi.WS_PORT || u.port;
        connect("ws://" + host + ":" + port + "/");
    });
}).on("error", (e) => fail("GET HOST_INFO: " + e.message));

function connect(url) {
    const ws = new WebSocket(url);
    // osc.js 2.4.5 reads b, m and r at the wrong offset from a Buffer.
    ws.binaryType = "arraybuffer";
    let got = 0;
    ws.on("open", () => {
        ws.send(JSON.stringify({ COMMAND: "LISTEN", DATA: path }));
        console.log("listening");
    });
    ws.on("message", (data, isBinary) => {
        if (!isBinary) {
            console.log("notice " + data.toString());
            return;
        }
        const p = osc.readPacket(new Uint8Array(data), { metadata: true });
        console.log(JSON.stringify({ address: p.address, args: p.args }));
        got++;
        if (got === n) {
            ws.send(osc.writePacket({ address: path, args: [{ type: "f", value: 0.75 }] }));
            ws.send(osc.writePacket({ address: "/from/js", args: [{ type: "i", value: 42 }] }));
            ws.send(JSON.stringify({ COMMAND: "IGNORE", DATA: path }));
            setTimeout(() => {
                console.log("done");
                ws.close(1000);
            }, 300);
        }
    });
    ws.on("error", (e) => fail("WebSocket: " + e.message));
}
