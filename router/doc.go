// Package router matches OSC address patterns and dispatches messages to
// the handlers bound to method addresses.
//
// OSC turns HTTP routing around: the address a message carries is a
// pattern, and the receiver's methods are literal addresses. A Router binds
// handlers to method addresses with Handle or HandleFunc (which return an
// error for a bad address, never panic) and serves a message by running every handler
// whose address the message's pattern matches. A Router is itself a
// Handler, so routers nest and middleware is plain composition:
//
//	var rt router.Router
//	rt.HandleFunc("/synth/1/freq", setFreq)
//	rt.Handle("/synth/1/freq", logger, router.Types(",f"))
//	rt.Handle("/synth/*/gate", gate) // matched against literal incoming addresses
//	rt.NotFound(unhandled)
//
// A handler receives the message view, the effective timetag of its bundle,
// the sender's address and a ResponseWriter that answers the sender from
// the socket the message came in on. Package routertest records what a
// handler writes, for tests.
//
// # Where the handler contract lives
//
// Handler, HandlerFunc, Request and ResponseWriter are defined here, beside
// the Router that dispatches them, because the dependency runs wire <-
// router <- osc: the Router cannot import the server, and a package of the
// contract alone would be one more import for every program. Package osc
// names the four as aliases, so a program that serves or sends without
// routing of its own imports osc alone, as a net/http program imports
// net/http alone; one that routes, nests routers or tests handlers with
// routertest imports router too. The ResponseWriter interface is
// implemented by osc's endpoints and by routertest.Recorder.
//
// # Pattern matching
//
// Match implements the semantics of OSC 1.0 with the OSC 1.1 '//', with
// the resolutions below where the specifications are vague and peers
// disagree (the vectors in testdata/patterns.json hold each case, with
// what liblo and python-osc do). Pattern and address
// are split at '/' and compared part by part; a trailing '/' is one more,
// empty, part. Within a part, '?' matches one byte, '*' any number of
// bytes, [abc] one byte of the set, [a-z] one byte of the inclusive byte
// range, [!...] one byte outside the set, and {foo,bar} one of the
// comma-separated literal strings (an empty alternative matches the empty
// string, so {} is one empty alternative). '!' is special only first in a
// set and '-' only between two members; a reversed range such as [z-a] is
// empty (liblo matches its two ends, python-osc nothing). No operator ever
// matches '/' (liblo's '*' crosses it). "//" matches zero or more whole
// levels, as XPath's: "//bar" matches /bar and /x/y/bar but not /foobar.
// Matching is byte-wise and case-sensitive; there is no escape character.
//
// A malformed pattern matches nothing: an empty set [] or [!], an
// unterminated [ or {, nested braces, a '/' inside braces, a ']' or '}'
// outside a set or braces, and anything longer than MaxLen (1 KiB).
// Handle's error says what is wrong and where. Match runs in time bounded by
// the product of the lengths: sets and stars are matched with a glob that
// remembers the last star, parts with braces run as an automaton over
// positions, and "//" is a star over whole parts, so hostile patterns such
// as /*a*a*a*a*a*b or {a,aa}{a,aa}... do not backtrack exponentially.
//
// An address given to Handle is literal unless it holds one of * ? [ ] { }
// or "//": a literal method address must not hold the other bytes OSC 1.0
// reserves (space # , and NUL) nor empty parts (ValidAddress). An address
// with pattern characters binds the handler to a pattern that is matched
// against the literal addresses of incoming messages (python-osc and
// oscpy call this advanced matching); it must be a valid pattern. Pattern
// bindings are kept in a short list and each is matched with Match against
// every incoming address, read as literal bytes: an incoming address
// that contains * ? [ ] { } reaches a pattern binding when its bytes match
// the pattern as they would in a method address (oscpy's advanced
// matching: /prefix* takes /prefix?? and /?* as well as /prefixab, and
// /? takes /?), never by comparing pattern with pattern.
//
// # Dispatch
//
// An incoming address without pattern characters and without "//" costs
// one map lookup whatever the number of methods. A pattern walks a trie of
// address parts: a literal part indexes straight to one child, an operator
// part is matched against each child's name, and "//" runs the pattern as
// an automaton over parts so that every method is reached at most once. A
// malformed incoming pattern runs only the NotFound handler. Dispatch
// takes no lock and does not allocate: the routing table is copied on
// write and published through an atomic pointer, and registration and
// removal may run while messages are being dispatched. The Request is
// reused for every handler of a message, with Method set before each call
// to the registered address or pattern that matched.
//
// # Precedence
//
// Every matching binding runs; none hides another. Several handlers may be
// bound to one address. Binding the same handler to the same address or
// pattern with the same Types a second time is not an error and keeps one
// binding (oscpy's test_reuse_callback): the registration returns the
// Binding made first. Handlers are the same when they are equal comparable
// values (the same pointer, say) or the same function value; a closure
// made anew for each registration counts as a new handler. For one
// message, in this order:
//
//   - a literal incoming address runs the handlers bound to that address,
//     in registration order, then the matching pattern bindings, in
//     registration order;
//   - an incoming pattern runs the handlers of the matched addresses, the
//     addresses in byte order of their parts (an address before the ones
//     below it: /a, /a/b, /b), each address's handlers in registration
//     order, then the pattern bindings that its bytes match as a literal
//     address, in registration order.
//
// A binding made with a Types option runs only for messages whose type
// tag string is exactly the filter (liblo's typespec), so Types(",if")
// sees only messages typed "if" and Types("") only messages without
// arguments. If no handler runs, because nothing matched or every match
// was filtered out by type, the NotFound handler runs, with Method "".
//
// A handler's panic is not recovered by the Router: it ends that
// message's dispatch and propagates to whoever called ServeOSC. osc.Server
// (and osc.Client.Serve) is the one recovery layer, as net/http's server
// is: it recovers, counts and logs the panic whatever the Handler is.
// Setup errors are the caller's: Handle and HandleFunc return them,
// naming the caller's file:line, and bind nothing. Nothing that arrives
// from the network makes the Router panic.
//
// # Arguments
//
// A handler reads r.Message's arguments in one of the three ways package
// wire offers: the cursor r.Message.Args(), for a message read piece by
// piece; r.Message.AppendArgs, which collects them in one pass into a
// slice to index; or r.Message.AnyArgs(), plain Go values that allocate.
// AppendArgs into an array declared in the handler costs no allocation:
// the array stays on the handler's stack (a message with more arguments
// than it holds makes AppendArgs allocate a larger slice).
//
//	var argv [8]wire.Arg
//	args := r.Message.AppendArgs(argv[:0])
//	if len(args) == 2 {
//		ch, _ := args[0].Int32()
//		level, _ := args[1].Float32()
//	}
//
// # Lifetime
//
// A Request and everything reachable from it, the Message above all, are
// valid only until ServeOSC returns: the server reuses its receive buffers
// and the Router reuses the Request for every handler of a message. A
// handler that keeps a message, or hands it to another goroutine, calls
// r.Message.Clone() or r.Clone() first.
package router
