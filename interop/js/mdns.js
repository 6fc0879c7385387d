// mDNS / DNS-SD peers for the osckit interop tests, with npm
// bonjour-service and multicast-dns. Each prints one JSON object a line.
//
//   node mdns.js browse TYPE PROTO [TYPE PROTO...]
//        bonjour-service browses _TYPE._PROTO: prints {"event":"ready"},
//        then {"event":"up"|"down","type","name","host","port","addresses",
//        "txt"} for each service that appears or leaves; exits when stdin
//        closes.
//   node mdns.js publish NAME TYPE PROTO PORT [NAME TYPE PROTO PORT...]
//        bonjour-service publishes the services, prints {"event":"up","name"}
//        for each once announced ({"event":"log","text"} for what it logs,
//        such as a name already in use); when stdin closes, unpublishes them
//        (goodbyes), prints {"event":"gone"} and exits.
//   node mdns.js query NAME
//        multicast-dns asks for PTR NAME (e.g. _oscjson._tcp.local) once a
//        second, prints every record of every response, answers and
//        additionals, as {"section","name","type","ttl","data"}; exits
//        when stdin closes.
//   node mdns.js respond INSTANCE TYPE PORT HOST ADDR
//        multicast-dns answers PTR queries for TYPE (e.g. _osc._udp.local)
//        with the PTR in the answers and SRV, TXT and A (HOST -> ADDR) only
//        in the additionals; prints {"event":"ready"}; when stdin closes,
//        sends goodbyes (TTL 0) and exits.
"use strict";

const print = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const onStdinEnd = (fn) => {
  process.stdin.on("end", fn);
  process.stdin.on("close", fn);
  process.stdin.resume();
};
const [cmd, ...args] = process.argv.slice(2);

function dataOf(rr) {
  if (Buffer.isBuffer(rr.data)) return rr.data.toString("hex");
  if (Array.isArray(rr.data)) return rr.data.map((b) => (Buffer.isBuffer(b) ? b.toString() : b));
  return rr.data;
}

if (cmd === "browse") {
  const { Bonjour } = require("bonjour-service");
  const bonjour = new Bonjour();
  const browsers = [];
  for (let i = 0; i + 1 < args.length; i += 2) {
    const [type, protocol] = args.slice(i, i + 2);
    const b = bonjour.find({ type, protocol });
    const show = (event) => (s) =>
      print({ event, type: "_" + type + "._" + protocol, name: s.name, host: s.host, port: s.port,
        addresses: s.addresses || [], txt: s.txt || {} });
    b.on("up", show("up"));
    b.on("down", show("down"));
    browsers.push(b);
  }
  print({ event: "ready" });
  onStdinEnd(() => {
    browsers.forEach((b) => b.stop());
    bonjour.destroy();
    process.exit(0);
  });
} else if (cmd === "publish") {
  // bonjour-service reports a name in use by console.log: as a line.
  console.log = (...a) => print({ event: "log", text: a.map(String).join(" ") });
  const { Bonjour } = require("bonjour-service");
  const bonjour = new Bonjour();
  for (let i = 0; i + 3 < args.length; i += 4) {
    const [name, type, protocol, port] = args.slice(i, i + 4);
    const s = bonjour.publish({ name, type, protocol, port: Number(port), txt: { txtvers: "1" } });
    s.on("up", () => print({ event: "up", name }));
    s.on("error", (e) => print({ event: "error", name, error: String(e) }));
  }
  let done = false;
  onStdinEnd(() => {
    if (done) return;
    done = true;
    bonjour.unpublishAll(() => {
      print({ event: "gone" });
      bonjour.destroy();
      process.exit(0);
    });
  });
} else if (cmd === "query") {
  const mdns = require("multicast-dns")();
  const [name] = args;
  mdns.on("response", (res) => {
    for (const [section, rrs] of [["answer", res.answers], ["additional", res.additionals]]) {
      for (const rr of rrs || []) print({ section, name: rr.name, type: rr.type, ttl: rr.ttl, data: dataOf(rr) });
    }
  });
  const ask = () => mdns.query({ questions: [{ name, type: "PTR" }] });
  mdns.on("ready", ask);
  const t = setInterval(ask, 1000);
  onStdinEnd(() => {
    clearInterval(t);
    mdns.destroy();
    process.exit(0);
  });
} else if (cmd === "respond") {
  const mdns = require("multicast-dns")();
  const [instance, type, port, host, addr] = args;
  const full = instance + "." + type;
  const records = (ttl) => ({
    answers: [{ name: type, type: "PTR", ttl, data: full }],
    additionals: [
      { name: full, type: "SRV", ttl, flush: true, data: { port: Number(port), target: host } },
      { name: full, type: "TXT", ttl, flush: true, data: ["txtvers=1"] },
      { name: host, type: "A", ttl, flush: true, data: addr },
    ],
  });
  mdns.on("query", (q) => {
    if ((q.questions || []).some((x) => x.name.toLowerCase() === type.toLowerCase() && (x.type === "PTR" || x.type === "ANY"))) {
      mdns.respond(records(120));
    }
  });
  mdns.on("ready", () => print({ event: "ready" }));
  onStdinEnd(() => {
    mdns.respond(records(0), () => {
      mdns.destroy();
      process.exit(0);
    });
  });
} else {
  process.stderr.write("usage: node mdns.js browse|publish|query|respond ...\n");
  process.exit(2);
}
