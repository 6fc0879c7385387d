//go:build cgo && linux && !nocpeer

// Counting allocator: malloc, calloc and realloc defined in the executable
// take precedence over glibc's for liblo and oscpack too (ELF symbol
// interposition), count the calls and bytes of the calling thread, and
// hand the work to glibc. The C columns of the benchmarks report allocs/op
// and B/op from these counts, as Go's columns do from the runtime's.
#include <stddef.h>
#include <stdint.h>

#include "cpeer.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static __thread int64_t cp_nallocs, cp_nbytes;

void *malloc(size_t n)
{
	cp_nallocs++;
	cp_nbytes += (int64_t)n;
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	cp_nallocs++;
	cp_nbytes += (int64_t)(k * n);
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	cp_nallocs++;
	cp_nbytes += (int64_t)n;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void cp_allocs(int64_t *n, int64_t *bytes)
{
	*n = cp_nallocs;
	*bytes = cp_nbytes;
}
