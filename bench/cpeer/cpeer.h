// Declarations shared by the C and C++ halves of package cpeer.
#ifndef OSCKIT_BENCH_CPEER_H
#define OSCKIT_BENCH_CPEER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Codec loops: each runs n iterations and returns, for the encoders, the
// size of the last packet written to out (cap bytes) and, for the decoders,
// the sum of everything read from the arguments; -1 on any failure.
long cp_lo_encode(long n, void *out, long cap);
long cp_lo_encode_bundle8(long n, void *out, long cap);
long cp_lo_decode(const void *pkt, long size, long n);
long cp_lo_decode_bundle(const void *pkt, long size, long n);
long cp_opk_encode(long n, void *out, long cap);
long cp_opk_encode_bundle8(long n, void *out, long cap);
long cp_opk_decode(const void *pkt, long size, long n);
long cp_opk_decode_bundle(const void *pkt, long size, long n);

// The count of malloc, calloc and realloc calls made so far by every
// thread, and of the bytes they asked for.
void cp_allocs(int64_t *n, int64_t *bytes);

// Receivers of a pre-filled socket. Each reads until want messages were
// handled or nothing arrived for idle_ms, and returns how many were
// handled; *ns is the time from the call to the last one, and *odd (liblo)
// the number of messages whose arguments did not read back.
long cp_mmsg_drain(int fd, long want, int idle_ms, int64_t *ns);

typedef struct cp_lo_recv cp_lo_recv;
cp_lo_recv *cp_lo_recv_new(const char *path, int rcvbuf, int *port, int *granted);
long cp_lo_recv_drain(cp_lo_recv *r, long want, int idle_ms, int64_t *ns, long *odd);
void cp_lo_recv_free(cp_lo_recv *r);

// Round trips. An echo runs on a thread of its own until stopped; a pinger
// sends n messages of size bytes one after the other to port on 127.0.0.1,
// waiting for each reply, and writes each round trip in nanoseconds to rtt.
// It returns the number of round trips completed (n unless a reply did not
// come within timeout_ms).
typedef struct cp_echo cp_echo;
cp_echo *cp_mmsg_echo_start(int *port);
cp_echo *cp_lo_echo_start(const char *path, int *port);
void cp_echo_stop(cp_echo *e);
long cp_udp_ping(int port, const void *msg, long size, long n, int timeout_ms, int64_t *rtt);
long cp_lo_ping(int port, const char *path, long n, int timeout_ms, int64_t *rtt);

#ifdef __cplusplus
}
#endif

#endif
