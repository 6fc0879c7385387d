//go:build cgo && linux && !nocpeer

// Receivers and round-trip peers in C: bare recvmmsg/sendmmsg loops, and
// liblo's lo_server.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lo/lo.h>

#include "cpeer.h"

enum { batch = 64, bufsize = 2048 };

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// mmsg holds the headers and buffers of one recvmmsg batch, laid out as
// the Go bare loop of package bench lays out its own: 64 buffers of 2 KiB,
// one sender address each.
struct mmsg {
	struct mmsghdr hdrs[batch];
	struct iovec iovs[batch];
	struct sockaddr_in6 names[batch];
	char bufs[batch][bufsize];
};

static void mmsg_reset(struct mmsg *m)
{
	for (int i = 0; i < batch; i++) {
		m->iovs[i].iov_len = bufsize;
		m->hdrs[i].msg_hdr.msg_name = &m->names[i];
		m->hdrs[i].msg_hdr.msg_namelen = sizeof m->names[i];
		m->hdrs[i].msg_hdr.msg_iov = &m->iovs[i];
		m->hdrs[i].msg_hdr.msg_iovlen = 1;
	}
}

static struct mmsg *mmsg_new(void)
{
	struct mmsg *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	for (int i = 0; i < batch; i++)
		m->iovs[i].iov_base = m->bufs[i];
	mmsg_reset(m);
	return m;
}

// The bare C loop: recvmmsg in batches of 64 (sender addresses kept,
// nothing decoded) on a non-blocking socket, poll when it is empty.
long cp_mmsg_drain(int fd, long want, int idle_ms, int64_t *ns)
{
	struct mmsg *m = mmsg_new();
	if (m == NULL)
		return -1;
	long got = 0;
	int64_t start = now_ns(), last = start;
	while (got < want) {
		mmsg_reset(m);
		int n = recvmmsg(fd, m->hdrs, batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				break;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, idle_ms) <= 0)
				break;
			continue;
		}
		got += n;
		last = now_ns();
	}
	*ns = last - start;
	free(m);
	return got;
}

// liblo's receiver: a lo_server with one method that reads its arguments.
struct cp_lo_recv {
	lo_server srv;
	long n, odd;
	int64_t last;
};

static void lo_quiet(int num, const char *msg, const char *where)
{
	(void)num;
	(void)msg;
	(void)where;
}

static int lo_count(const char *path, const char *types, lo_arg **argv, int argc,
                    lo_message msg, void *user)
{
	(void)path;
	(void)msg;
	struct cp_lo_recv *r = user;
	double s = 0;
	for (int i = 0; i < argc; i++) {
		if (types[i] == LO_INT32)
			s += argv[i]->i;
		else if (types[i] == LO_FLOAT)
			s += argv[i]->f;
	}
	if (s < 0)
		r->odd++;
	r->n++;
	return 0;
}

static int set_rcvbuf(int fd, int size)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	int got = 0;
	socklen_t len = sizeof got;
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	return got / 2; // Linux reports twice the usable size
}

// cp_lo_recv_new opens a UDP lo_server on a free port (liblo binds UDP
// servers to every address; the benchmarks send to it on 127.0.0.1 only)
// with a method for path and types "iiffffff", and asks for a receive
// buffer of rcvbuf bytes.
cp_lo_recv *cp_lo_recv_new(const char *path, int rcvbuf, int *port, int *granted)
{
	struct cp_lo_recv *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->srv = lo_server_new_with_proto(NULL, LO_UDP, lo_quiet);
	if (r->srv == NULL) {
		free(r);
		return NULL;
	}
	lo_server_add_method(r->srv, path, "iiffffff", lo_count, r);
	*granted = set_rcvbuf(lo_server_get_socket_fd(r->srv), rcvbuf);
	*port = lo_server_get_port(r->srv);
	return r;
}

// cp_lo_recv_drain runs liblo's receive loop (lo_server_recv_noblock) until
// want messages were handled or nothing came for idle_ms.
long cp_lo_recv_drain(cp_lo_recv *r, long want, int idle_ms, int64_t *ns, long *odd)
{
	int64_t start = now_ns(), end;
	for (;;) {
		if (r->n >= want) {
			end = now_ns();
			break;
		}
		if (lo_server_recv_noblock(r->srv, idle_ms) == 0) {
			end = now_ns() - (int64_t)idle_ms * 1000000;
			break;
		}
	}
	*ns = end - start;
	*odd = r->odd;
	return r->n;
}

void cp_lo_recv_free(cp_lo_recv *r)
{
	lo_server_free(r->srv);
	free(r);
}

// Echo peers: a thread that answers every datagram to its sender until
// stopped.
struct cp_echo {
	pthread_t th;
	volatile int stop;
	int fd;     // the C echo's socket
	int port;
	lo_server srv; // liblo's echo
};

static int udp_socket(int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	*bound = ntohs(a.sin_port);
	return fd;
}

// The C echo: recvmmsg (blocking, batches of up to 64), then sendmmsg of
// the same datagrams back to their senders.
static void *mmsg_echo(void *arg)
{
	struct cp_echo *e = arg;
	struct mmsg *m = mmsg_new();
	if (m == NULL)
		return NULL;
	while (!e->stop) {
		mmsg_reset(m);
		int n = recvmmsg(e->fd, m->hdrs, batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		int k = 0;
		for (int i = 0; i < n; i++) {
			// A zero-length datagram only wakes the thread to stop.
			if (m->hdrs[i].msg_len == 0)
				continue;
			m->iovs[i].iov_len = m->hdrs[i].msg_len;
			if (k != i)
				m->hdrs[k] = m->hdrs[i];
			k++;
		}
		for (int off = 0; off < k;) {
			int s = sendmmsg(e->fd, m->hdrs + off, (unsigned)(k - off), 0);
			if (s <= 0) {
				if (s < 0 && errno == EINTR)
					continue;
				break;
			}
			off += s;
		}
	}
	free(m);
	return NULL;
}

cp_echo *cp_mmsg_echo_start(int *port)
{
	struct cp_echo *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	e->fd = udp_socket(0, &e->port);
	if (e->fd < 0 || pthread_create(&e->th, NULL, mmsg_echo, e) != 0) {
		if (e->fd >= 0)
			close(e->fd);
		free(e);
		return NULL;
	}
	*port = e->port;
	return e;
}

// liblo's echo: a method that sends the message back to its source from
// the server's own socket.
static int lo_echo(const char *path, const char *types, lo_arg **argv, int argc,
                   lo_message msg, void *user)
{
	(void)types;
	(void)argv;
	(void)argc;
	lo_send_message_from(lo_message_get_source(msg), (lo_server)user, path, msg);
	return 0;
}

static void *lo_echo_loop(void *arg)
{
	struct cp_echo *e = arg;
	while (!e->stop)
		lo_server_recv_noblock(e->srv, 50);
	return NULL;
}

cp_echo *cp_lo_echo_start(const char *path, int *port)
{
	struct cp_echo *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	e->fd = -1;
	e->srv = lo_server_new_with_proto(NULL, LO_UDP, lo_quiet);
	if (e->srv == NULL) {
		free(e);
		return NULL;
	}
	lo_server_add_method(e->srv, path, NULL, lo_echo, e->srv);
	e->port = lo_server_get_port(e->srv);
	if (pthread_create(&e->th, NULL, lo_echo_loop, e) != 0) {
		lo_server_free(e->srv);
		free(e);
		return NULL;
	}
	*port = e->port;
	return e;
}

void cp_echo_stop(cp_echo *e)
{
	e->stop = 1;
	if (e->fd >= 0) {
		// Wake the blocked recvmmsg with an empty datagram.
		int b;
		int fd = udp_socket(0, &b);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd >= 0) {
			sendto(fd, "", 0, 0, (struct sockaddr *)&a, sizeof a);
			close(fd);
		}
	}
	pthread_join(e->th, NULL);
	if (e->fd >= 0)
		close(e->fd);
	if (e->srv != NULL)
		lo_server_free(e->srv);
	free(e);
}

// The C pinger: a connected UDP socket, send then recv, one at a time.
long cp_udp_ping(int port, const void *msg, long size, long n, int timeout_ms, int64_t *rtt)
{
	int b;
	int fd = udp_socket(0, &b);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
		close(fd);
		return -1;
	}
	char buf[bufsize];
	long i;
	for (i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		if (send(fd, msg, (size_t)size, 0) != size)
			break;
		ssize_t r;
		do
			r = recv(fd, buf, sizeof buf, 0);
		while (r < 0 && errno == EINTR);
		if (r != size)
			break;
		rtt[i] = now_ns() - t0;
	}
	close(fd);
	return i;
}

// liblo's pinger: its own lo_server (the echo answers to it), a prebuilt
// message sent with lo_send_message_from, lo_server_recv_noblock for the
// reply.
struct lo_pinger {
	int got;
};

static int lo_pong(const char *path, const char *types, lo_arg **argv, int argc,
                   lo_message msg, void *user)
{
	(void)path;
	(void)types;
	(void)argv;
	(void)argc;
	(void)msg;
	((struct lo_pinger *)user)->got = 1;
	return 0;
}

long cp_lo_ping(int port, const char *path, long n, int timeout_ms, int64_t *rtt)
{
	struct lo_pinger pg = {0};
	lo_server s = lo_server_new_with_proto(NULL, LO_UDP, lo_quiet);
	if (s == NULL)
		return -1;
	lo_server_add_method(s, path, NULL, lo_pong, &pg);
	char ports[16];
	snprintf(ports, sizeof ports, "%d", port);
	lo_address to = lo_address_new("127.0.0.1", ports);
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 1);
	lo_message_add_int32(m, 1);
	lo_message_add_float(m, 0.5f);
	lo_message_add_float(m, 0.25f);
	lo_message_add_float(m, 0.125f);
	lo_message_add_float(m, 1);
	lo_message_add_float(m, 2);
	lo_message_add_float(m, 4);
	long i;
	for (i = 0; i < n; i++) {
		pg.got = 0;
		int64_t t0 = now_ns();
		if (lo_send_message_from(to, s, path, m) < 0)
			break;
		while (!pg.got)
			if (lo_server_recv_noblock(s, timeout_ms) == 0)
				break;
		if (!pg.got)
			break;
		rtt[i] = now_ns() - t0;
	}
	lo_message_free(m);
	lo_address_free(to);
	lo_server_free(s);
	return i;
}
