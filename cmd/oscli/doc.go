// Oscli is a terminal tool for Open Sound Control: it sends messages with
// the argument grammar of liblo's oscsend, prints what arrives on a port as
// liblo's oscdump does, encodes and decodes packets, reflects packets,
// generates load, shows the traffic on a port live, forwards packets
// between transports, reads, serves, announces and finds OSCQuery
// namespaces (HTTP, mDNS), and
// records packets to pcapng or JSON lines and replays them with their timing.
//
// Usage:
//
//	oscli send [flags] HOST PORT|URL /address [TYPES] [VALUES...]
//	oscli send - /address [TYPES] [VALUES...]      (packet bytes to stdout)
//	oscli send [-H HOST] [-P PORT] [-r N] [-s] /address [VALUES...]   (oscpy's grammar)
//	oscli dump [-json] [-src] [-filter P] [-count N] [-timeout D] [-cert F -key F] [-ws-json] PORT|URL
//	oscli dump [-H HOST] [-P PORT]                                     (oscpy's grammar)
//	oscli echo [-cert F -key F] [-ws-json] PORT|URL
//	oscli monitor [-filter P] [-src] [-group P] [-sort K] [-plain] [-interval D] PORT|URL...
//	oscli relay [-filter P] [-rewrite /A=/B] [-flatten[=due]] [-bidirectional [-routes N]] [-queue N] [-stats D] -from URL... -to URL...
//	oscli bench [-rate R|max] [-duration D|-count N] [-profile P|-size N] PORT|URL
//	oscli encode [-hex] [JSON...]
//	oscli decode [-hex] [-text] [FILE|HEX...]
//	oscli query [-json] [-hostinfo] [-listen PATH... [-count N]] [-timeout D] URL[/path]
//	oscli advertise [-name N] [-http ADDR] [-namespace FILE.json] [-max-conns N] [-announce=false] [-vrchat] [-interface I] PORT|URL
//	oscli browse [-timeout D] [-json] [-interface I]
//	oscli record [-o FILE] [-format pcapng|jsonl|oscdump] [-count N] [-duration D] [-filter P] [-rcvbuf N] PORT|URL...
//	oscli replay [-speed X] [-loop N] [-from D] [-to D] [-filter P] [-timetags keep|rebase|immediate] [-realtime] [-rewrite /A=/B] [-src SOURCE=URL] FILE [URL...]
//
// Every subcommand prints its flags with -h. URLs are liblo's:
// osc.udp://HOST:PORT (a bare PORT or HOST PORT means UDP),
// osc.tcp://HOST:PORT (size-prefixed frames on send, as liblo;
// osc.tcp+slip:// for SLIP), osc.unix:///PATH, and osc.ws://HOST:PORT/PATH
// for OSC over WebSocket (one binary message a packet, as osc.js sends;
// with -ws-json also text messages in osc.js's JSON form, answered in it;
// osc.wss:// with -cert and -key).
// send and dump also take oscpy's flags -H/--host and -P/--port
// (localhost:8000 when no target is given), and send -r/--repeat, which
// prints what it sent as oscpy does.
//
// # Dump
//
// oscli dump prints one line a message, "SSSSSSSS.FFFFFFFF /address types
// values...". A bare message is printed with its arrival time, as liblo's
// oscdump prints it; the messages of a bundle with the bundle's timetag,
// after a "#bundle TIMETAG" line indented two spaces a nesting level.
// Floats print in the shortest form that reads back to the same bits (not
// oscdump's six decimals). On TCP the framing (SLIP or size prefix) is
// detected on each connection. A packet that does not decode prints one
// line on standard error, with the sender, the reason, the byte offset and
// the bytes in hex, and dumping goes on. Standard output is flushed after
// each batch of packets read, so a pipe sees the lines as they come.
//
// # Monitor
//
// oscli monitor shows the traffic on one or more endpoints, refreshed
// live: a row per address (or -group pattern) with its rates over the
// last second and ten, count, the range and a sparkline of its first
// numeric argument, its last arguments in dump's layout and, with -src,
// its senders; a header with the totals, malformed packets and what the
// server and the kernel dropped. On a terminal it is a full-screen view
// with keys (filter, sort, pause, a row's history, clear, quit); otherwise,
// or with -plain, the table is printed as text every -interval.
//
// # Bench
//
// oscli bench stamps every message with a worker number, a sequence number
// and its send time. Against oscli echo it reports the messages lost and
// reordered on the round trip and the round-trip latency from an HDR
// histogram; against oscli dump -stats the receiver answers the bench's
// final message with what it counted.
//
// # OSCQuery
//
// oscli query fetches an OSCQuery namespace (or the subtree at /path) over
// HTTP and prints one line a node: full path, TYPE, ACCESS (r, w, rw),
// VALUE in the layout of dump's arguments, RANGE and DESCRIPTION; with
// -json the JSON as served, and with -hostinfo the server's HOST_INFO.
// With -listen PATH (repeatable) it LISTENs to those nodes over the
// server's WebSocket and prints the messages streamed, as dump prints
// them, until interrupted or -count messages; notices of namespace changes
// go to standard error.
//
// oscli advertise listens for OSC on a UDP or TCP port and serves its
// namespace over HTTP (on a free port of 127.0.0.1 unless -http says
// otherwise; the URL is printed to standard error), with a HOST_INFO
// that gives NAME, OSC_IP, OSC_PORT and OSC_TRANSPORT. The nodes come from
// a JSON file (-namespace), their values following the messages that
// arrive, or are learnt from what arrives: each new address a read-write
// node whose TYPE is its type tags and whose VALUE its last arguments.
// The HTTP port also serves the OSCQuery WebSocket (at most -max-conns
// clients): LISTENed values, PATH_ADDED and PATH_CHANGED as nodes are
// learnt, and OSC packets in binary messages, served as those of the OSC
// port.
//
// advertise also announces the endpoint by mDNS (DNS-SD): _oscjson._tcp
// with the HTTP port and _osc._udp (or _osc._tcp) with the OSC port, where
// the HTTP server can be reached (the loopback interface for the default
// 127.0.0.1; every interface with multicast, or -interface, otherwise),
// and withdraws it on exit. -vrchat makes it an application VRChat on the
// same machine finds and sends to: /avatar nodes, IPv4, 127.0.0.1, one
// interface. oscli browse lists the applications announced for -timeout:
// name, host, addresses, ports and the HOST_INFO each one serves (-json:
// one object a line); VRChat clients show as VRChat-Client-XXXXXX.
//
// # Record and replay
//
// oscli record writes every packet arriving on its endpoints (UDP, TCP,
// UNIX, WebSocket) to pcapng (the default), JSON lines or oscdump's text:
// the bytes untouched, malformed packets marked, with the arrival time in
// nanoseconds, the sender, the transport and the receiving endpoint. In
// pcapng, UDP and TCP packets carry synthesized IP headers; UNIX and
// WebSocket ones are Wireshark exported PDUs for the osc_udp heuristic,
// a WebSocket message with its connection's addresses and ports in the
// PDU's tags (see internal/capture). tshark decodes all of them:
//
//	tshark -r FILE --enable-heuristic osc_udp -d tcp.port==PORT,osc
//
// A bounded queue (-queue) stands between the sockets and the file, and
// -rcvbuf (default 4 MiB) sizes the datagram sockets' receive buffers;
// whatever is lost (queue full, write errors, the kernel's drops) is
// counted, reported and makes the exit status 1. TestRecordRate
// (OSCKIT_RECORD_SECONDS=10, -rcvbuf 32 MiB) recorded oscli bench's
// 2,000,000 messages at 199,976 a second with none lost and a peak heap of
// 8.8 MiB at a load average of 2.4 on 2 cores. A busier machine starves
// the reader: at 11 to 12 the kernel dropped 0.67%, all counted; at 16 to
// 19, 9.1%, of which 8.7% were counted (the kernel reports its drops with
// the next datagram read, so those after the last one go uncounted).
//
// oscli replay reads a recording (its own, a tcpdump or Wireshark capture,
// oscdump's text) into memory and sends every packet at its recorded
// offset after one absolute start: it sleeps (clock_nanosleep, 1 ns timer
// slack) until a window before the packet is due,
// then polls the clock. The window is -spin (1 ms), widened up to 4 ms
// while sleeps end late. Nothing is read, parsed or allocated between
// packets, so no garbage collection interrupts a replay. -realtime runs
// the process in SCHED_FIFO (Linux, root or CAP_SYS_NICE), as chrt -f
// would. -src SOURCE=URL sends a recorded sender's packets (HOST:PORT,
// HOST or a UNIX path) to their own destination; packets of other senders
// go to the URL arguments or, without any, are skipped and counted.
// -rewrite /FROM=/TO replaces address prefixes as oscli relay does (once,
// as the recording is loaded); -timetags rebase shifts bundle timetags
// with the replay.
//
// Accuracy, from BenchmarkReplayAccuracy (10,000 packets, gaps 0.1 to 50
// ms, arrival times from the kernel's receive timestamps, errors against
// the recorded offsets, on 2 cores shared with other builds), p50 / p99 /
// drift from start to end, at load averages of 1.8 to 3.3 and 9 to 16:
//
//	oscli replay               26 us / 929 us / -4 us   88 us / 40.9 ms / 1.5 ms
//	oscli replay -realtime     16 us / 95 us / 3 us     20 us / 146 us / -2 us
//	liblo oscsendfile          29 us / 2.8 ms / 0 us    67 us / 28.2 ms / 36 us
//	oscsendfile under chrt -f  28 us / 2.0 ms / 0 us    32 us / 1.8 ms / 24 us
//
// At normal priority the other processes of a busy machine delay some
// packets by milliseconds whatever the sender does; with -realtime p99
// stayed between 140 and 250 us in four runs at load averages of 11 to
// 16.
//
// # Arguments of send
//
// TYPES is a type tag string, with or without a leading comma, from
// i h f d s S c m T F N I (oscsend's set) and b t r [ ]. Each type but
// T F N I [ ] takes one value: i and h decimal integers (or 0x hex), f and
// d numbers (nan, inf and -inf included; -0 stays -0), s and S text, c one
// character, m and r 8 hex digits in wire order, b hex bytes, t an NTP
// time SSSSSSSS.FFFFFFFF in hex, an RFC 3339 time, or "immediate".
//
// Without TYPES each value is typed by its form: a decimal integer is i (h
// when it does not fit in 32 bits), another decimal number f, true and
// false T and F, nil N, and anything else s. The second argument is read
// as TYPES when it is a comma followed by type tags, or when it is made of
// type tags only and the values after it are exactly as many as they need;
// made of type tags with the wrong number of values, it is an error rather
// than a guess (send "hi" as a string with: /chat s hi).
//
// # JSON
//
// encode, decode and send -json use the JSON form of internal/oscjson,
// which follows osc.js: {"address":"/a","args":[{"type":"i","value":1}]}
// and {"timetag":{"sec":S,"frac":F},"elements":[...]}.
package main
