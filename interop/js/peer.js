// Runs osc.js's packet codec for the osckit interop tests, converting
// between osckit's JSON form (oscli decode/encode) and osc.js packet objects.
//
//   node peer.js write   stdin: packets in osckit's JSON form, one a line
//                        stdout: hex of osc.writePacket, one line each
//   node peer.js read    stdin: packets in hex, one a line
//                        stdout: osc.readPacket's result in osckit's JSON form,
//                        or {"error":"..."} when osc.js throws
//
//   node peer.js send udp|tcp HOST PORT
//                        stdin: packets in osckit's JSON form, one a line;
//                        sends each with an osc.js UDPPort or TCPSocketPort
//                        (SLIP framing), then exits
//   node peer.js recv udp|tcp N
//                        listens on 127.0.0.1 (a free port), prints
//                        "listening PORT", then each packet an osc.js port
//                        decodes, as "read" prints it; exits after N packets
//
//   node peer.js send ws URL
//                        sends each packet with an osc.js WebSocketPort
//                        (one binary message a packet) to URL (ws://...)
//   node peer.js recv ws N [echo]
//                        a WebSocket server (npm ws) on 127.0.0.1, each
//                        connection an osc.js WebSocketPort; with "echo",
//                        it also sends every packet back on its WebSocket
//   node peer.js echo ws
//                        an osc.js WebSocketPort server (npm ws) on
//                        127.0.0.1 that sends every packet back, printing
//                        only "listening PORT"; runs until killed (for
//                        benchmarks)
//   node peer.js roundtrip ws URL
//                        sends each packet to URL and prints each packet
//                        that comes back on the WebSocket, as "read" prints
//                        it; exits once as many came back as were sent
//   node peer.js roundtrip wsjson URL
//                        the same in text messages, with npm ws alone:
//                        each packet as osc.js's packet object in JSON
//                        (blobs as hex); prints each text message that
//                        comes back, as it came
//
// In the output of "read", f and d values are given by their exact bits and
// h values as {"high":H,"low":L}, so that nothing is lost to JSON numbers.
"use strict";

const osc = require("osc");
const readline = require("readline");
const net = require("net");
const WebSocket = require("ws");

function hexToBytes(h) {
    return Uint8Array.from(Buffer.from(h, "hex"));
}

function bytesToHex(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function number(v) {
    switch (v) {
    case "NaN": return NaN;
    case "Infinity": return Infinity;
    case "-Infinity": return -Infinity;
    }
    return v;
}

// osckit JSON form -> osc.js

function argToOscjs(a) {
    switch (a.type) {
    case "array":
        return a.value.map(argToOscjs);
    case "h": {
        const v = BigInt(a.value);
        return {type: "h", value: {
            high: Number(BigInt.asIntN(32, v >> 32n)),
            low: Number(BigInt.asIntN(32, v & 0xffffffffn)),
        }};
    }
    case "f":
    case "d":
        return {type: a.type, value: number(a.value)};
    case "b":
    case "m":
        return {type: a.type, value: hexToBytes(a.value)};
    case "r": {
        const c = hexToBytes(a.value);
        return {type: "r", value: {r: c[0], g: c[1], b: c[2], a: c[3] / 255}};
    }
    case "t":
        return {type: "t", value: {raw: [a.value.sec, a.value.frac]}};
    case "T":
        return {type: "T", value: true};
    case "F":
        return {type: "F", value: false};
    case "N":
        return {type: "N", value: null};
    case "I":
        return {type: "I", value: 1};
    }
    return {type: a.type, value: a.value}; // i s S c
}

function packetToOscjs(p) {
    if (p.timetag !== undefined) {
        return {
            timeTag: {raw: [p.timetag.sec, p.timetag.frac]},
            packets: p.elements.map(packetToOscjs),
        };
    }
    return {address: p.address, args: p.args.map(argToOscjs)};
}

// osc.js -> osckit JSON form

function argFromOscjs(a) {
    if (Array.isArray(a)) {
        return {type: "array", value: a.map(argFromOscjs)};
    }
    const v = a.value;
    switch (a.type) {
    case "h":
        return {type: "h", value: {high: v.high, low: v.low}};
    case "f": {
        const dv = new DataView(new ArrayBuffer(4));
        dv.setFloat32(0, v);
        return {type: "f", bits: dv.getUint32(0).toString(16).padStart(8, "0")};
    }
    case "d": {
        const dv = new DataView(new ArrayBuffer(8));
        dv.setFloat64(0, v);
        return {type: "d", bits: dv.getBigUint64(0).toString(16).padStart(16, "0")};
    }
    case "b":
    case "m":
        return {type: a.type, value: bytesToHex(v)};
    case "r":
        return {type: "r", value: bytesToHex(Uint8Array.from([v.r, v.g, v.b, Math.round(v.a * 255)]))};
    case "t":
        return {type: "t", value: {sec: v.raw[0], frac: v.raw[1]}};
    case "T":
    case "F":
    case "N":
    case "I":
        return {type: a.type};
    }
    return {type: a.type, value: v}; // i s S c
}

function packetFromOscjs(p) {
    if (p.timeTag !== undefined) {
        return {
            timetag: {sec: p.timeTag.raw[0], frac: p.timeTag.raw[1]},
            elements: p.packets.map(packetFromOscjs),
        };
    }
    return {address: p.address, args: p.args.map(argFromOscjs)};
}

// JSON.parse would round h values beyond 2^53: quote them first.
function parseOsckitJSON(line) {
    return JSON.parse(line.replace(/("type":"h","value":)(-?\d+)/g, "$1\"$2\""));
}

function readLines(done) {
    const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
    const lines = [];
    rl.on("line", (line) => {
        line = line.trim();
        if (line !== "") {
            lines.push(line);
        }
    });
    rl.on("close", () => done(lines));
}

function fail(err) {
    process.stderr.write("peer.js: " + String(err && err.message || err) + "\n");
    process.exit(1);
}

// Under node, osc.js's WebSocketPort receives ws's Buffers, which are views
// into a larger ArrayBuffer: its readers of b, m and r values index that
// ArrayBuffer without the view's offset and return the wrong bytes (osc.js
// 2.4.5, readBlob, readMIDIBytes and readColor). Taking messages as
// ArrayBuffers, as in a browser, avoids it.
function asArrayBuffers(socket) {
    socket.binaryType = "arraybuffer";
}

function wsPort(url) {
    const p = new osc.WebSocketPort({url: url, metadata: true});
    p.on("error", fail);
    return p;
}

function sendWS(url, roundtrip) {
    readLines((lines) => {
        const pkts = lines.map((l) => packetToOscjs(parseOsckitJSON(l)));
        const p = wsPort(url);
        const timer = setTimeout(() => fail("timed out"), 20000);
        timer.unref();
        let left = pkts.length;
        p.on("osc", (packet) => {
            if (!roundtrip) {
                return;
            }
            process.stdout.write(JSON.stringify(packetFromOscjs(packet)) + "\n");
            if (--left === 0) {
                process.stdout.write("", () => process.exit(0));
            }
        });
        p.on("close", () => {
            if (!roundtrip) {
                process.exit(0);
            }
        });
        p.on("ready", () => {
            asArrayBuffers(p.socket);
            for (const pkt of pkts) {
                p.send(pkt);
            }
            if (!roundtrip) {
                p.socket.close(1000); // after what is queued
            }
        });
        p.open();
    });
}

// osc.js packet objects as JSON text: its Uint8Arrays (b, m) as hex.
function oscjsJSON(pkt) {
    return JSON.stringify(pkt, (k, v) => (v instanceof Uint8Array ? bytesToHex(v) : v));
}

function roundtripWSJSON(url) {
    readLines((lines) => {
        const texts = lines.map((l) => oscjsJSON(packetToOscjs(parseOsckitJSON(l))));
        const sock = new WebSocket(url);
        const timer = setTimeout(() => fail("timed out"), 20000);
        timer.unref();
        let left = texts.length;
        sock.on("error", fail);
        sock.on("close", (code, reason) => fail("closed: " + code + " " + reason));
        sock.on("message", (data, isBinary) => {
            if (isBinary) {
                fail("a binary reply to a text message");
            }
            process.stdout.write(data.toString() + "\n");
            if (--left === 0) {
                process.stdout.write("", () => process.exit(0));
            }
        });
        sock.on("open", () => {
            for (const t of texts) {
                sock.send(t);
            }
        });
    });
}

function send(proto, host, port) {
    if (proto === "ws") {
        sendWS(host, false);
        return;
    }
    readLines((lines) => {
        const pkts = lines.map((l) => packetToOscjs(parseOsckitJSON(l)));
        if (proto === "udp") {
            const p = new osc.UDPPort({localAddress: "127.0.0.1", localPort: 0, metadata: true});
            p.on("error", fail);
            p.on("ready", () => {
                for (const pkt of pkts) {
                    p.send(pkt, host, port);
                }
                setTimeout(() => { p.close(); process.exit(0); }, 200);
            });
            p.open();
            return;
        }
        const sock = net.connect(port, host);
        const p = new osc.TCPSocketPort({socket: sock, metadata: true});
        p.on("error", fail);
        sock.on("connect", () => {
            for (const pkt of pkts) {
                p.send(pkt);
            }
            sock.end();
        });
        sock.on("close", () => process.exit(0));
    });
}

function recv(proto, n, echo) {
    let left = n;
    const got = (packet) => {
        process.stdout.write(JSON.stringify(packetFromOscjs(packet)) + "\n");
        if (--left === 0) {
            // An echo gets a moment to write the last packet back.
            process.stdout.write("", () => setTimeout(() => process.exit(0), echo ? 500 : 0));
        }
    };
    const timer = setTimeout(() => fail("timed out waiting for packets"), 20000);
    timer.unref();
    if (proto === "udp") {
        const p = new osc.UDPPort({localAddress: "127.0.0.1", localPort: 0, metadata: true});
        p.on("error", fail);
        p.on("osc", got);
        p.on("ready", () => {
            process.stdout.write("listening " + p.socket.address().port + "\n");
        });
        p.open();
        return;
    }
    if (proto === "ws") {
        const wss = new WebSocket.Server({host: "127.0.0.1", port: 0}, () => {
            process.stdout.write("listening " + wss.address().port + "\n");
        });
        wss.on("connection", (sock) => {
            const p = new osc.WebSocketPort({socket: sock, metadata: true});
            asArrayBuffers(sock);
            p.on("error", fail);
            p.on("osc", (packet) => {
                if (echo) {
                    p.send(packet);
                }
                got(packet);
            });
        });
        return;
    }
    const server = net.createServer((sock) => {
        const p = new osc.TCPSocketPort({socket: sock, metadata: true});
        p.on("error", fail);
        p.on("osc", got);
    });
    server.listen(0, "127.0.0.1", () => {
        process.stdout.write("listening " + server.address().port + "\n");
    });
}

function echoWS() {
    const wss = new WebSocket.Server({host: "127.0.0.1", port: 0}, () => {
        process.stdout.write("listening " + wss.address().port + "\n");
    });
    wss.on("connection", (sock) => {
        const p = new osc.WebSocketPort({socket: sock, metadata: true});
        asArrayBuffers(sock);
        p.on("error", fail);
        p.on("osc", (packet) => p.send(packet));
    });
}

function main() {
    const mode = process.argv[2];
    if (mode === "echo") {
        echoWS();
        return;
    }
    if (mode === "send") {
        send(process.argv[3], process.argv[4], Number(process.argv[5]));
        return;
    }
    if (mode === "recv") {
        recv(process.argv[3], Number(process.argv[4]), process.argv[5] === "echo");
        return;
    }
    if (mode === "roundtrip") {
        if (process.argv[3] === "wsjson") {
            roundtripWSJSON(process.argv[4]);
            return;
        }
        sendWS(process.argv[4], true);
        return;
    }
    if (mode !== "read" && mode !== "write") {
        process.stderr.write("usage: node peer.js read|write|send|recv|roundtrip\n");
        process.exit(2);
    }
    const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
    const out = [];
    rl.on("line", (line) => {
        line = line.trim();
        if (line === "") {
            return;
        }
        if (mode === "write") {
            const bytes = osc.writePacket(packetToOscjs(parseOsckitJSON(line)), {metadata: true});
            out.push(bytesToHex(bytes));
            return;
        }
        try {
            const p = osc.readPacket(hexToBytes(line), {metadata: true});
            out.push(JSON.stringify(packetFromOscjs(p)));
        } catch (e) {
            out.push(JSON.stringify({error: String(e && e.message || e)}));
        }
    });
    rl.on("close", () => {
        process.stdout.write(out.map((l) => l + "\n").join(""));
    });
}

main();
