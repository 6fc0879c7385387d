//go:build cgo && linux && !nocpeer

// Counting allocator: malloc, calloc and realloc defined in the executable
// take precedence over glibc's for liblo and oscpack too (ELF symbol
// interposition); they count the calls and the bytes asked for, and hand
// the work to glibc. Each thread counts in a slot of its own (no atomic
// read-modify-write on the hot path); cp_allocs sums the slots of every
// thread. The C columns of the benchmarks report allocs/op and B/op from
// these counts, as Go's columns do from the runtime's.
#include <stddef.h>
#include <stdint.h>

#include "cpeer.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

enum { nslots = 1024 };

static struct slot {
	int64_t n, bytes;
	char pad[48]; // a cache line each
} slots[nslots];

static int nused;              // slots handed out
static __thread int myslot = -1; // this thread's slot

static struct slot *mine(void)
{
	if (myslot < 0) {
		int i = __atomic_fetch_add(&nused, 1, __ATOMIC_RELAXED);
		myslot = i < nslots ? i : nslots - 1; // past the end threads share the last
	}
	return &slots[myslot];
}

static void count(size_t n)
{
	struct slot *s = mine();
	__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bytes, s->bytes + (int64_t)n, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	count(n);
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	count(k * n);
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	count(n);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void cp_allocs(int64_t *n, int64_t *bytes)
{
	int used = __atomic_load_n(&nused, __ATOMIC_RELAXED);
	if (used > nslots)
		used = nslots;
	int64_t tn = 0, tb = 0;
	for (int i = 0; i < used; i++) {
		tn += __atomic_load_n(&slots[i].n, __ATOMIC_RELAXED);
		tb += __atomic_load_n(&slots[i].bytes, __ATOMIC_RELAXED);
	}
	*n = tn;
	*bytes = tb;
}
