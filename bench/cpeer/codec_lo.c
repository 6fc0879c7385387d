//go:build cgo && linux && !nocpeer

// liblo's side of the codec benchmarks, through its public API only.
#include <stdint.h>
#include <string.h>

#include <lo/lo.h>

#include "cpeer.h"

// The benchmark message of package bench: /synth/1/freq with int32 440,
// float32 0.5, "hello" and a 16-byte blob.
static const char bench_addr[] = "/synth/1/freq";
static const char bench_blob[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                    '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

static lo_message lo_bench_message(lo_blob blob)
{
	lo_message m = lo_message_new();
	if (m == NULL)
		return NULL;
	if (lo_message_add_int32(m, 440) || lo_message_add_float(m, 0.5f) ||
	    lo_message_add_string(m, "hello") || lo_message_add_blob(m, blob)) {
		lo_message_free(m);
		return NULL;
	}
	return m;
}

// Builds the message and serialises it into out, n times: liblo's way of
// encoding (a message is built argument by argument, then serialised).
long cp_lo_encode(long n, void *out, long cap)
{
	lo_blob blob = lo_blob_new(sizeof bench_blob, bench_blob);
	long last = -1;
	for (long i = 0; i < n; i++) {
		lo_message m = lo_bench_message(blob);
		if (m == NULL) {
			last = -1;
			break;
		}
		size_t size = (size_t)cap;
		if (lo_message_serialise(m, bench_addr, out, &size) == NULL)
			last = -1;
		else
			last = (long)size;
		lo_message_free(m);
		if (last < 0)
			break;
	}
	lo_blob_free(blob);
	return last;
}

// Builds a bundle of eight such messages, timed "immediately", and
// serialises it.
long cp_lo_encode_bundle8(long n, void *out, long cap)
{
	lo_blob blob = lo_blob_new(sizeof bench_blob, bench_blob);
	long last = -1;
	for (long i = 0; i < n; i++) {
		lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
		if (b == NULL)
			break;
		int ok = 1;
		for (int k = 0; k < 8 && ok; k++) {
			lo_message m = lo_bench_message(blob);
			if (m == NULL || lo_bundle_add_message(b, bench_addr, m) != 0) {
				if (m != NULL)
					lo_message_free(m);
				ok = 0;
			}
		}
		size_t size = (size_t)cap;
		if (!ok || lo_bundle_serialise(b, out, &size) == NULL)
			last = -1;
		else
			last = (long)size;
		lo_bundle_free_recursive(b);
		if (last < 0)
			break;
	}
	lo_blob_free(blob);
	return last;
}

// lo_read reads every argument of a deserialised message, as a method
// handler would with its types and argv.
static long lo_read(lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	int argc = lo_message_get_argc(m);
	long s = 0;
	for (int i = 0; i < argc; i++) {
		switch (types[i]) {
		case LO_INT32:
			s += argv[i]->i;
			break;
		case LO_FLOAT:
			s += (long)argv[i]->f;
			break;
		case LO_STRING:
			s += (long)strlen(&argv[i]->s);
			break;
		case LO_BLOB:
			s += (long)lo_blob_datasize((lo_blob)argv[i]);
			break;
		}
	}
	return s;
}

// Deserialises (validates and copies) the message and reads every
// argument, n times.
long cp_lo_decode(const void *pkt, long size, long n)
{
	long sum = 0;
	for (long i = 0; i < n; i++) {
		int err = 0;
		lo_message m = lo_message_deserialise((void *)pkt, (size_t)size, &err);
		if (m == NULL)
			return -1;
		sum += lo_read(m);
		lo_message_free(m);
	}
	return sum;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// lo_walk checks a bundle's framing and hands each element to
// lo_message_deserialise, or to itself for a nested bundle. liblo has no
// public bundle parser (its server walks bundles internally and dispatches
// at once), so this framing walk is ours; it checks what osckit's Walk
// checks of the framing: the header, every element size against what is
// left, sizes that are multiples of four.
static long lo_walk(const unsigned char *p, long size, int depth)
{
	if (size < 16 || size % 4 != 0 || memcmp(p, "#bundle", 8) != 0 || depth > 8)
		return -1;
	long s = 0;
	long off = 16;
	while (off < size) {
		if (size - off < 4)
			return -1;
		uint32_t len = be32(p + off);
		off += 4;
		if (len % 4 != 0 || (long)len > size - off || len == 0)
			return -1;
		if (p[off] == '#') {
			long r = lo_walk(p + off, (long)len, depth + 1);
			if (r < 0)
				return -1;
			s += r;
		} else {
			int err = 0;
			lo_message m = lo_message_deserialise((void *)(p + off), len, &err);
			if (m == NULL)
				return -1;
			s += lo_read(m);
			lo_message_free(m);
		}
		off += (long)len;
	}
	return s;
}

// Walks the bundle and reads every argument of every message, n times.
long cp_lo_decode_bundle(const void *pkt, long size, long n)
{
	long sum = 0;
	for (long i = 0; i < n; i++) {
		long r = lo_walk((const unsigned char *)pkt, size, 0);
		if (r < 0)
			return -1;
		sum += r;
	}
	return sum;
}
