// SPDX-License-Identifier: GPL-2.0
/*
 * portsel-tool - the socket workloads of portsel's test VM.
 *
 * One static binary with a subcommand per workload, shared by the VM tests
 * (scripts/vmtest.sh) and by the comparisons and benchmarks that boot the
 * same VM. Built with: gcc -static -O2 -Wall -Wextra -pthread.
 *
 * Output is for machines: data lines hold whitespace-separated numbers,
 * and each command ends with one summary line "# <command> key=value ...".
 * Errors are printed by errno name (EADDRNOTAVAIL), never as prose.
 * Exit status: 0 when the command ran (a connect() failing is data, not a
 * failure of the tool), 1 when "write" was refused, 2 on bad usage or setup.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

#define MAX_ERRNO 256
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog = "portsel-tool";

static const char *errname(int e)
{
	static __thread char buf[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Workloads hold tens of thousands of sockets: take what root may. */
static void raise_nofile(void)
{
	struct rlimit rl = { .rlim_cur = 1 << 20, .rlim_max = 1 << 20 };

	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static unsigned long parse_num(const char *s, unsigned long max,
			       const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad %s '%s'", what, s);
	return v;
}

/*
 * An address: "127.0.0.1", "::1", "[::1]"; with want_port also ":PORT"
 * ("127.0.0.1:5001", "[::1]:5001"). The family follows the address.
 */
static socklen_t parse_addr(const char *arg, bool want_port,
			    struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon;
	size_t len;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close)
			die("bad address '%s'", arg);
		len = close - arg - 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			die("bad address '%s'", arg);
		arg++;
	} else {
		colon = strrchr(arg, ':');
		/* one colon: IPv4 with a port; more: a bare IPv6 address */
		if (colon && colon == strchr(arg, ':')) {
			len = colon - arg;
			port = colon + 1;
		} else {
			len = strlen(arg);
		}
	}
	if (len >= sizeof(host))
		die("bad address '%s'", arg);
	memcpy(host, arg, len);
	host[len] = '\0';
	if (want_port != !!port)
		die("address '%s': %s", arg,
		    want_port ? "needs :PORT" : "takes no port");

	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			die("bad IPv6 address '%s'", host);
		if (port)
			s6->sin6_port = htons(parse_num(port, 65535, "port"));
		return sizeof(*s6);
	}

	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		die("bad IPv4 address '%s'", host);
	if (port)
		s4->sin_port = htons(parse_num(port, 65535, "port"));
	return sizeof(*s4);
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* "LO-HI" for IP_LOCAL_PORT_RANGE: the u32 lo | hi << 16. */
static uint32_t parse_range(const char *arg)
{
	const char *dash = strchr(arg, '-');
	size_t len = dash ? (size_t)(dash - arg) : 0;
	char lo[8];

	if (!dash || len >= sizeof(lo))
		die("bad range '%s' (want LO-HI)", arg);
	memcpy(lo, arg, len);
	lo[len] = '\0';
	return parse_num(lo, 65535, "range") |
	       parse_num(dash + 1, 65535, "range") << 16;
}

/* Close without TIME_WAIT: the next run gets the port back at once. */
static void close_rst(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* What a connecting or binding socket is given before it asks for a port. */
struct sock_opts {
	bool dccp;		/* DCCP instead of TCP */
	uint32_t range;		/* IP_LOCAL_PORT_RANGE, 0 = none */
	struct sockaddr_storage src;
	socklen_t srclen;	/* 0 = no source address */
	const char *dev;	/* SO_BINDTODEVICE, NULL = none */
	bool reuseaddr;		/* SO_REUSEADDR */
};

/* What an option of a subcommand sets. */
enum opt_kind {
	OPT_FLAG,	/* bool = true */
	OPT_NUM,	/* unsigned long, 0..max */
	OPT_RANGE,	/* struct sock_opts: IP_LOCAL_PORT_RANGE "LO-HI" */
	OPT_SRC,	/* struct sock_opts: source address, no port */
	OPT_STR,	/* const char *, the argument itself */
};

struct opt {
	char name;
	enum opt_kind kind;
	void *to;
	unsigned long max;	/* OPT_NUM */
	const char *what;	/* OPT_NUM: named in the error */
};

/*
 * Every subcommand's options, from its table of struct opt ended by a
 * zero name: one parser, so that each takes and refuses values alike.
 * Returns 0, or 2 (bad usage) after getopt has said why.
 */
static int parse_opts(int argc, char **argv, const struct opt *opts)
{
	char spec[64];
	size_t n = 0;
	const struct opt *o;
	int c;

	for (o = opts; o->name && n + 2 < sizeof(spec); o++) {
		spec[n++] = o->name;
		if (o->kind != OPT_FLAG)
			spec[n++] = ':';
	}
	spec[n] = '\0';
	while ((c = getopt(argc, argv, spec)) != -1) {
		for (o = opts; o->name && o->name != c; o++)
			;
		if (!o->name)
			return 2;
		switch (o->kind) {
		case OPT_FLAG:
			*(bool *)o->to = true;
			break;
		case OPT_NUM:
			*(unsigned long *)o->to = parse_num(optarg, o->max, o->what);
			break;
		case OPT_RANGE:
			((struct sock_opts *)o->to)->range = parse_range(optarg);
			break;
		case OPT_SRC: {
			struct sock_opts *so = o->to;

			so->srclen = parse_addr(optarg, false, &so->src);
			break;
		}
		case OPT_STR:
			*(const char **)o->to = optarg;
			break;
		}
	}
	return 0;
}

/* A socket ready to connect(), or -errno. */
static int client_socket(int family, int type, const struct sock_opts *o)
{
	int one = 1;
	int fd;

	fd = socket(family, type | SOCK_CLOEXEC,
		    type == SOCK_DCCP ? IPPROTO_DCCP : 0);
	if (fd < 0)
		return -errno;
	if (o->range && setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE,
				   &o->range, sizeof(o->range)))
		goto err;
	if (o->dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev,
				 strlen(o->dev)))
		goto err;
	if (o->reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)))
		goto err;
	if (o->srclen) {
		/* the port is still chosen by connect(), not by bind() */
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			       sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&o->src, o->srclen))
			goto err;
	}
	return fd;
err:
	one = -errno;
	close(fd);
	return one;
}

/*
 * One connect() of a new client socket to @dst. Returns 0 with *fdp set,
 * an errno when connect() failed, or a negated errno when the socket could
 * not be made: callers treat those two differently. *nsp is the time
 * connect() took, success or not (0 when it was not called).
 */
static int connect_one(const struct sockaddr_storage *dst, socklen_t dlen,
		       const struct sock_opts *o, int *fdp, uint64_t *nsp)
{
	int fd = o->dccp ?
		 client_socket(dst->ss_family, SOCK_DCCP, o) :
		 client_socket(dst->ss_family, SOCK_STREAM, o);
	uint64_t t0;
	int e = 0;

	*nsp = 0;
	if (fd < 0)
		return fd;
	t0 = now_ns();
	if (connect(fd, (const struct sockaddr *)dst, dlen))
		e = errno;
	*nsp = now_ns() - t0;
	if (e) {
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* Run a shell command while the caller still holds its sockets. */
static void run_exec(const char *cmd)
{
	int rc;

	if (!cmd)
		return;
	fflush(stdout);
	rc = system(cmd);
	printf("# exec status=%d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : 128);
}

/* run_exec, telling CMD how many connections are held ($PORTSEL_HELD). */
static void run_exec_held(const char *cmd, unsigned long held)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", held);
	setenv("PORTSEL_HELD", buf, 1);
	run_exec(cmd);
}

struct fd_list {
	int *fd;
	size_t n, cap;
};

static void fd_push(struct fd_list *l, int fd)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->fd = realloc(l->fd, l->cap * sizeof(*l->fd));
		if (!l->fd)
			die("out of memory");
	}
	l->fd[l->n++] = fd;
}

static void fd_close_all(struct fd_list *l)
{
	while (l->n)
		close_rst(l->fd[--l->n]);
	free(l->fd);
}

/* Close with a FIN: each port goes to TIME_WAIT once the peer closes. */
static void fd_close_all_fin(struct fd_list *l)
{
	while (l->n)
		close(l->fd[--l->n]);
	free(l->fd);
}

/* ------------------------------------------------------------------ */

static int cmd_listen(int argc, char **argv)
{
	unsigned long backlog = 4096;
	bool daemonize = false, close_now = false, dccp = false;
	const struct opt opts[] = {
		{ 'b', OPT_NUM, &backlog, 1 << 20, "backlog" },
		{ .name = 'c', .kind = OPT_FLAG, .to = &close_now },
		{ .name = 'd', .kind = OPT_FLAG, .to = &daemonize },
		{ .name = 'D', .kind = OPT_FLAG, .to = &dccp },
		{ 0 }
	};
	struct epoll_event ev, evs[64];
	int ep, n = 0;

	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind == argc)
		die("listen: no ADDR:PORT");

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1: %s", errname(errno));
	for (; optind < argc; optind++) {
		struct sockaddr_storage ss;
		socklen_t len = parse_addr(argv[optind], true, &ss);
		int one = 1, fd;

		fd = socket(ss.ss_family,
			    (dccp ? SOCK_DCCP : SOCK_STREAM) | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, dccp ? IPPROTO_DCCP : 0);
		if (fd < 0)
			die("socket: %s", errname(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) ||
		    listen(fd, backlog))
			die("listen %s: %s", argv[optind], errname(errno));
		ev.events = EPOLLIN;
		ev.data.u64 = (1ull << 32) | fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl: %s", errname(errno));
		n++;
	}

	if (daemonize) {
		pid_t pid = fork();
		int null;

		if (pid < 0)
			die("fork: %s", errname(errno));
		if (pid) {
			printf("%d\n", (int)pid);
			return 0;
		}
		setsid();
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	} else {
		printf("# listen sockets=%d\n", n);
		fflush(stdout);
	}

	/*
	 * Accept everything at once so the backlog never fills, and keep each
	 * connection until its peer closes it: the client's port stays in use
	 * exactly as long as the client holds its socket.
	 */
	for (;;) {
		int i, k = epoll_wait(ep, evs, 64, -1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("epoll_wait: %s", errname(errno));
		for (i = 0; i < k; i++) {
			int fd = (int)evs[i].data.u64;

			if (!(evs[i].data.u64 >> 32)) {
				close(fd);	/* peer closed or reset */
				continue;
			}
			for (;;) {
				int a = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

				if (a < 0) {
					if (errno == EAGAIN ||
					    errno == ECONNABORTED ||
					    errno == EINTR)
						break;
					die("accept: %s", errname(errno));
				}
				if (close_now) {
					close(a);
					continue;
				}
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.u64 = a;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev))
					die("epoll_ctl: %s", errname(errno));
			}
		}
	}
}

/* ------------------------------------------------------------------ */

static int cmd_fill(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct sockaddr_storage dst;
	struct fd_list held = { 0 };
	unsigned long n = 0, ok = 0, every = 0;
	bool lat = false, quiet = false, fin = false;
	const char *exec_cmd = NULL;
	const struct opt opts[] = {
		{ 'n', OPT_NUM, &n, 1 << 24, "count" },
		{ 'e', OPT_NUM, &every, 1 << 24, "count" },
		{ .name = 'r', .kind = OPT_RANGE, .to = &o },
		{ .name = 's', .kind = OPT_SRC, .to = &o },
		{ .name = 'b', .kind = OPT_STR, .to = &o.dev },
		{ .name = 'l', .kind = OPT_FLAG, .to = &lat },
		{ .name = 'q', .kind = OPT_FLAG, .to = &quiet },
		{ .name = 'x', .kind = OPT_STR, .to = &exec_cmd },
		{ .name = 'D', .kind = OPT_FLAG, .to = &o.dccp },
		{ .name = 'F', .kind = OPT_FLAG, .to = &fin },
		{ 0 }
	};
	uint64_t ns, fail_ns = 0;
	socklen_t dlen;
	int fd, err = 0;

	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind + 1 != argc)
		die("fill: want one ADDR:PORT");
	dlen = parse_addr(argv[optind], true, &dst);

	while (!n || ok < n) {
		err = connect_one(&dst, dlen, &o, &fd, &ns);
		if (err) {
			fail_ns = ns;
			err = abs(err);
			break;
		}
		fd_push(&held, fd);
		ok++;
		if (!quiet && lat)
			printf("%u %llu\n", local_port(fd),
			       (unsigned long long)ns);
		else if (!quiet)
			printf("%u\n", local_port(fd));
		/* -e: the -x command also runs at every N-th connection */
		if (every && ok % every == 0)
			run_exec_held(exec_cmd, ok);
	}

	printf("# fill ok=%lu err=%s", ok, err ? errname(err) : "none");
	if (err)
		printf(" err_ns=%llu", (unsigned long long)fail_ns);
	printf("\n");
	run_exec_held(exec_cmd, ok);
	if (fin)
		fd_close_all_fin(&held);
	else
		fd_close_all(&held);
	return 0;
}

/* ------------------------------------------------------------------ */

static int cmd_bind0(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct sockaddr_storage addr;
	struct fd_list held = { 0 };
	const char *exec_cmd = NULL;
	unsigned long n = 1, ok = 0, failed = 0;
	bool keep = false, udp = false, lat = false;
	const struct opt opts[] = {
		{ 'n', OPT_NUM, &n, 1 << 24, "count" },
		{ .name = 'a', .kind = OPT_FLAG, .to = &o.reuseaddr },
		{ .name = 'k', .kind = OPT_FLAG, .to = &keep },
		{ .name = 'l', .kind = OPT_FLAG, .to = &lat },
		{ .name = 'r', .kind = OPT_RANGE, .to = &o },
		{ .name = 'u', .kind = OPT_FLAG, .to = &udp },
		{ .name = 'x', .kind = OPT_STR, .to = &exec_cmd },
		{ 0 }
	};
	int err = 0, type;
	socklen_t alen;

	if (parse_opts(argc, argv, opts))
		return 2;
	type = udp ? SOCK_DGRAM : SOCK_STREAM;
	if (optind + 1 < argc)
		die("bind0: at most one ADDR");
	if (keep && !n)
		die("bind0: -k wants -n N");
	alen = parse_addr(optind < argc ? argv[optind] : "127.0.0.1", false,
			  &addr);

	while (!n || ok + failed < n) {
		int fd = client_socket(addr.ss_family, type, &o);
		uint64_t t0, ns;
		int r;

		if (fd < 0) {
			err = -fd;
			break;
		}
		t0 = now_ns();
		r = bind(fd, (struct sockaddr *)&addr, alen);
		ns = now_ns() - t0;
		if (r) {
			err = errno;
			close(fd);
			/* -k: every one of the N attempts is made */
			if (keep) {
				failed++;
				/* -l: a failed attempt as port 0, with its time */
				if (lat)
					printf("0 %llu\n", (unsigned long long)ns);
				continue;
			}
			break;
		}
		fd_push(&held, fd);
		ok++;
		if (lat)
			printf("%u %llu\n", local_port(fd), (unsigned long long)ns);
		else
			printf("%u\n", local_port(fd));
	}
	printf("# bind0 ok=%lu err=%s", ok, err ? errname(err) : "none");
	if (keep)
		printf(" failed=%lu", failed);
	printf("\n");
	run_exec(exec_cmd);
	fd_close_all(&held);
	return 0;
}

/* ------------------------------------------------------------------ */

/*
 * Connections spread over several destinations, taken in turn: N
 * connects (default: one per destination), all held. Prints "PORT INDEX"
 * for each, INDEX being the destination's place in the list from 0.
 */
static int cmd_spread(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct sockaddr_storage *dst;
	struct fd_list held = { 0 };
	unsigned long n = 0, ok = 0, ndst, k;
	const struct opt opts[] = {
		{ 'n', OPT_NUM, &n, 1 << 24, "count" },
		{ .name = 'r', .kind = OPT_RANGE, .to = &o },
		{ 0 }
	};
	socklen_t *dlen;
	int err = 0;

	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind == argc)
		die("spread: no ADDR:PORT");
	ndst = argc - optind;
	dst = calloc(ndst, sizeof(*dst));
	dlen = calloc(ndst, sizeof(*dlen));
	if (!dst || !dlen)
		die("out of memory");
	for (k = 0; k < ndst; k++)
		dlen[k] = parse_addr(argv[optind + k], true, &dst[k]);
	if (!n)
		n = ndst;

	while (ok < n) {
		uint64_t ns;
		int fd;

		k = ok % ndst;
		err = abs(connect_one(&dst[k], dlen[k], &o, &fd, &ns));
		if (err)
			break;
		fd_push(&held, fd);
		ok++;
		printf("%u %lu\n", local_port(fd), k);
	}
	printf("# spread ok=%lu err=%s destinations=%lu\n", ok,
	       err ? errname(err) : "none", ndst);
	fd_close_all(&held);
	free(dst);
	free(dlen);
	return 0;
}

/* ------------------------------------------------------------------ */

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median of @n sorted values as scripts/report.py defines it: the
 * nearest-rank 50th percentile, the ceil(n/2)-th smallest, so the lower
 * middle value of an even count.
 */
#define MEDIAN(sorted, n) ((sorted)[((n) + 1) / 2 - 1])

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * How soon a port comes back to one destination: N connects, each closed
 * at once with SO_LINGER 0 so that no TIME_WAIT holds its port. A port
 * handed out again has a reuse distance: the connects since its last use.
 * -c: how often each port came, as "PORT COUNT" lines. -D N: the connects
 * go to N IPv4 addresses from ADDR on in turn, so that each starts its
 * scan somewhere else (a host that talks to many servers).
 */
static int cmd_reuse(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct sockaddr_storage dst, to;
	unsigned long n = 10000, ok = 0, errors = 0, run = 0, every = 0;
	unsigned long distinct = 0, reuses = 0, *last, *dist, *count;
	unsigned long ndst = 1;
	bool counts = false;
	const struct opt opts[] = {
		{ 'n', OPT_NUM, &n, 1 << 26, "count" },
		{ 'p', OPT_NUM, &every, 1 << 26, "count" },
		{ 'D', OPT_NUM, &ndst, 1 << 24, "count" },
		{ .name = 'c', .kind = OPT_FLAG, .to = &counts },
		{ .name = 'r', .kind = OPT_RANGE, .to = &o },
		{ 0 }
	};
	uint64_t sum = 0, lat = 0, ns;
	socklen_t dlen;
	unsigned int i;
	int fd, err = 0;

	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind + 1 != argc || !n || !ndst)
		die("reuse: want -n N (N > 0), -D N (N > 0) and one ADDR:PORT");
	dlen = parse_addr(argv[optind], true, &dst);
	if (ndst > 1 && dst.ss_family != AF_INET)
		die("reuse: -D wants an IPv4 ADDR");
	last = calloc(65536, sizeof(*last));	/* connect number, 0 = never */
	count = calloc(65536, sizeof(*count));
	dist = calloc(n, sizeof(*dist));
	if (!last || !count || !dist)
		die("out of memory");

	while (ok < n) {
		uint16_t port;
		int r;

		to = dst;
		if (ndst > 1) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&to;

			s4->sin_addr.s_addr = htonl(ntohl(s4->sin_addr.s_addr) +
						    (ok + errors) % ndst);
		}
		r = connect_one(&to, dlen, &o, &fd, &ns);
		if (r < 0)
			die("socket: %s", errname(-r));
		if (r) {
			err = r;
			errors++;
			if (++run >= 100)	/* not a passing hiccup */
				break;
			continue;
		}
		lat += ns;
		run = 0;
		port = local_port(fd);
		close_rst(fd);
		ok++;
		if (last[port]) {
			dist[reuses++] = ok - last[port];
			sum += ok - last[port];
		} else {
			distinct++;
		}
		last[port] = ok;
		count[port]++;
		if (every && ok % every == 0 && ok < n)
			fprintf(stderr, "reuse %lu/%lu\n", ok, n);
	}

	if (counts)
		for (i = 0; i < 65536; i++)
			if (count[i])
				printf("%u %lu\n", i, count[i]);
	qsort(dist, reuses, sizeof(*dist), cmp_ulong);
	printf("# reuse connects=%lu errors=%lu err=%s distinct=%lu reuses=%lu",
	       ok, errors, err ? errname(err) : "none", distinct, reuses);
	if (reuses)
		printf(" min=%lu median=%lu mean=%.1f max=%lu", dist[0],
		       MEDIAN(dist, reuses), (double)sum / reuses,
		       dist[reuses - 1]);
	printf(" avg_ns=%llu\n", (unsigned long long)(ok ? lat / ok : 0));
	free(last);
	free(count);
	free(dist);
	return 0;
}

/* ------------------------------------------------------------------ */

static atomic_bool churn_stop;	/* set by SIGTERM/SIGINT */
static atomic_ulong churn_tries;	/* connect attempts started, for -n */

struct churn_ctl {
	struct sock_opts o;
	struct sockaddr_storage dst;
	socklen_t dlen;
	uint64_t deadline;	/* 0: until SIGTERM/SIGINT */
	unsigned long limit;	/* -n: attempts in all threads, 0 = no limit */
};

struct churn_thread {
	pthread_t tid;
	const struct churn_ctl *ctl;
	unsigned long connects, errors;
	uint64_t sum_ns, max_ns;
	unsigned long err_count[MAX_ERRNO];
	uint64_t *lat;		/* each connect's time, for the median */
	size_t cap;
	unsigned long fails;	/* connect() called and failed */
	uint64_t fail_sum_ns, fail_max_ns;
	uint64_t *fail_lat;	/* the time of each of those */
	size_t fail_cap;
};

/* Keep @d in a growing array *@a of *@cap, at index @n. */
static void lat_push(uint64_t **a, size_t *cap, size_t n, uint64_t d)
{
	if (n == *cap) {
		*cap = *cap ? 2 * *cap : 4096;
		*a = realloc(*a, *cap * sizeof(**a));
		if (!*a)
			die("out of memory");
	}
	(*a)[n] = d;
}

/* Append the @m times of @b (freed) to the @n of *@a. */
static void lat_append(uint64_t **a, size_t n, uint64_t *b, size_t m)
{
	*a = realloc(*a, (n + m + 1) * sizeof(**a));
	if (!*a)
		die("out of memory");
	memcpy(*a + n, b, m * sizeof(**a));
	free(b);
}

static void churn_signal(int sig)
{
	(void)sig;
	atomic_store(&churn_stop, true);
}

static void *churn_run(void *arg)
{
	struct churn_thread *t = arg;
	const struct churn_ctl *ctl = t->ctl;
	unsigned long i;

	for (i = 0; !atomic_load(&churn_stop); i++) {
		uint64_t d;
		int fd, e;

		if (ctl->deadline && !(i & 63) && now_ns() >= ctl->deadline)
			break;
		if (ctl->limit &&
		    atomic_fetch_add(&churn_tries, 1) >= ctl->limit)
			break;
		e = connect_one(&ctl->dst, ctl->dlen, &ctl->o, &fd, &d);
		if (e < 0) {
			e = -e;
			goto error;
		}
		if (e) {
			if (e == EINTR && atomic_load(&churn_stop))
				break;
			/* a refused connect() took time too: keep it apart */
			lat_push(&t->fail_lat, &t->fail_cap, t->fails++, d);
			t->fail_sum_ns += d;
			if (d > t->fail_max_ns)
				t->fail_max_ns = d;
			goto error;
		}
		lat_push(&t->lat, &t->cap, t->connects++, d);
		t->sum_ns += d;
		if (d > t->max_ns)
			t->max_ns = d;
		close_rst(fd);
		continue;
error:
		t->errors++;
		t->err_count[e < MAX_ERRNO ? e : 0]++;
	}
	return NULL;
}

static int cmd_churn(int argc, char **argv)
{
	struct churn_ctl ctl = { 0 };
	struct churn_thread *th, sum = { 0 };
	unsigned long nthreads = 2, secs = 10, i, e;
	struct sigaction sa = { .sa_handler = churn_signal };
	const struct opt opts[] = {
		{ 't', OPT_NUM, &nthreads, 1024, "threads" },
		{ 'd', OPT_NUM, &secs, 1 << 20, "duration" },
		{ 'n', OPT_NUM, &ctl.limit, 1ul << 40, "count" },
		{ .name = 'r', .kind = OPT_RANGE, .to = &ctl.o },
		{ .name = 's', .kind = OPT_SRC, .to = &ctl.o },
		{ 0 }
	};
	uint64_t start, elapsed;

	/* a count alone runs until it is reached; -d sets a time limit */
	secs = ULONG_MAX;
	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind + 1 != argc || !nthreads)
		die("churn: want one ADDR:PORT and at least one thread");
	if (secs == ULONG_MAX)
		secs = ctl.limit ? 0 : 10;
	ctl.dlen = parse_addr(argv[optind], true, &ctl.dst);

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	start = now_ns();
	ctl.deadline = secs ? start + secs * 1000000000ull : 0;

	th = calloc(nthreads, sizeof(*th));
	if (!th)
		die("out of memory");
	for (i = 0; i < nthreads; i++) {
		th[i].ctl = &ctl;
		if (pthread_create(&th[i].tid, NULL, churn_run, &th[i]))
			die("pthread_create failed");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i].tid, NULL);
		lat_append(&sum.lat, sum.connects, th[i].lat, th[i].connects);
		lat_append(&sum.fail_lat, sum.fails, th[i].fail_lat,
			   th[i].fails);
		sum.fails += th[i].fails;
		sum.fail_sum_ns += th[i].fail_sum_ns;
		if (th[i].fail_max_ns > sum.fail_max_ns)
			sum.fail_max_ns = th[i].fail_max_ns;
		sum.connects += th[i].connects;
		sum.errors += th[i].errors;
		sum.sum_ns += th[i].sum_ns;
		if (th[i].max_ns > sum.max_ns)
			sum.max_ns = th[i].max_ns;
		for (e = 0; e < MAX_ERRNO; e++)
			sum.err_count[e] += th[i].err_count[e];
	}

	qsort(sum.lat, sum.connects, sizeof(*sum.lat), cmp_u64);
	elapsed = now_ns() - start;
	printf("# churn connects=%lu errors=%lu avg_ns=%llu p50_ns=%llu max_ns=%llu ms=%llu ns=%llu",
	       sum.connects, sum.errors,
	       (unsigned long long)(sum.connects ?
				    sum.sum_ns / sum.connects : 0),
	       (unsigned long long)(sum.connects ?
				    MEDIAN(sum.lat, sum.connects) : 0),
	       (unsigned long long)sum.max_ns,
	       (unsigned long long)(elapsed / 1000000),
	       (unsigned long long)elapsed);
	if (sum.fails) {
		qsort(sum.fail_lat, sum.fails, sizeof(*sum.fail_lat), cmp_u64);
		printf(" fails=%lu fail_avg_ns=%llu fail_p50_ns=%llu fail_max_ns=%llu",
		       sum.fails,
		       (unsigned long long)(sum.fail_sum_ns / sum.fails),
		       (unsigned long long)MEDIAN(sum.fail_lat, sum.fails),
		       (unsigned long long)sum.fail_max_ns);
	}
	for (e = 0; e < MAX_ERRNO; e++)
		if (sum.err_count[e])
			printf(" err_%s=%lu", e ? errname(e) : "other",
			       sum.err_count[e]);
	printf("\n");
	free(sum.lat);
	free(sum.fail_lat);
	free(th);
	return 0;
}

/* ------------------------------------------------------------------ */

/* C escapes \n \r \t \\ \0 \xHH, so any bytes can be written. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case '0':
			out[n++] = '\0';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case 'x': {
			char hex[3] = { 0 };

			if (!s[1] || !s[2])
				die("bad \\x escape");
			memcpy(hex, s + 1, 2);
			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 2;
			break;
		}
		default:
			die("bad escape '\\%c'", *s ? *s : ' ');
		}
		s++;
	}
	return n;
}

/* One write(2) of exactly the given bytes: how a sysctl judges a value. */
static int cmd_write(int argc, char **argv)
{
	ssize_t r;
	size_t len;
	char *buf;
	int fd;

	if (argc != 3)
		die("write: want FILE DATA");
	buf = malloc(strlen(argv[2]) + 1);
	if (!buf)
		die("out of memory");
	len = unescape(argv[2], buf);
	fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", argv[1], errname(errno));
	r = write(fd, buf, len);
	if (r < 0) {
		printf("# write err=%s\n", errname(errno));
		return 1;
	}
	if ((size_t)r != len) {
		printf("# write short=%zd of %zu\n", r, len);
		return 1;
	}
	printf("# write ok=%zd\n", r);
	close(fd);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------ */

struct race_writer {
	int fd;
	uint32_t range;		/* what it sets */
	unsigned long delay_us;
	uint64_t t_start;	/* when its setsockopt() began */
	int err;
};

static void *race_write(void *arg)
{
	struct race_writer *w = arg;

	usleep(w->delay_us);
	w->t_start = now_ns();
	if (setsockopt(w->fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &w->range,
		       sizeof(w->range)))
		w->err = errno;
	return NULL;
}

/*
 * IP_LOCAL_PORT_RANGE set by another thread while connect() runs (since
 * 6.7 it takes no socket lock): the user's write must stand, whatever the
 * connect did with the field meanwhile. Each round connects a socket with
 * range -r while a thread sets -R after -d microseconds, then reads the
 * option back: "lost" counts rounds where it is not -R; "during" those
 * whose write began while connect() ran (else the round tested nothing).
 */
static int cmd_rangerace(int argc, char **argv)
{
	struct sock_opts o = { 0 }, r2 = { 0 };
	unsigned long rounds = 20, delay = 200, i;
	unsigned long lost = 0, during = 0, errors = 0, werr = 0;
	const struct opt opts[] = {
		{ 'n', OPT_NUM, &rounds, 1 << 20, "count" },
		{ 'd', OPT_NUM, &delay, 10000000, "delay" },
		{ .name = 'r', .kind = OPT_RANGE, .to = &o },
		{ .name = 'R', .kind = OPT_RANGE, .to = &r2 },
		{ 0 }
	};
	struct sockaddr_storage dst;
	socklen_t dlen;
	int err = 0;

	if (parse_opts(argc, argv, opts))
		return 2;
	if (optind + 1 != argc || !o.range || !r2.range)
		die("rangerace: want -r LO-HI -R LO-HI and one ADDR:PORT");
	dlen = parse_addr(argv[optind], true, &dst);

	for (i = 0; i < rounds; i++) {
		struct race_writer w = { .range = r2.range, .delay_us = delay };
		uint32_t got = 0;
		socklen_t len = sizeof(got);
		uint64_t t0, t1;
		pthread_t tid;
		int e = 0;

		w.fd = client_socket(dst.ss_family, SOCK_STREAM, &o);
		if (w.fd < 0)
			die("socket: %s", errname(-w.fd));
		if (pthread_create(&tid, NULL, race_write, &w))
			die("pthread_create failed");
		t0 = now_ns();
		if (connect(w.fd, (struct sockaddr *)&dst, dlen))
			e = errno;
		t1 = now_ns();
		pthread_join(tid, NULL);
		if (e) {
			errors++;
			err = e;
		}
		if (w.err)
			werr++;
		if (w.t_start > t0 && w.t_start < t1)
			during++;
		if (getsockopt(w.fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &got,
			       &len) || got != r2.range)
			lost++;
		close_rst(w.fd);
	}
	printf("# rangerace rounds=%lu lost=%lu during=%lu errors=%lu err=%s write_errors=%lu\n",
	       rounds, lost, during, errors, err ? errname(err) : "none", werr);
	return 0;
}

/* Serial ports as byte channels: no newline translation, no echo. */
static int cmd_ttyraw(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		struct termios t;
		int fd = open(argv[i], O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0 || tcgetattr(fd, &t))
			die("%s: %s", argv[i], errname(errno));
		cfmakeraw(&t);
		if (tcsetattr(fd, TCSANOW, &t))
			die("%s: %s", argv[i], errname(errno));
		close(fd);
	}
	return 0;
}

/* Wait until everything written to the ports has left them. */
static int cmd_drain(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		int fd = open(argv[i], O_WRONLY | O_NOCTTY | O_CLOEXEC);

		if (fd < 0 || tcdrain(fd))
			die("%s: %s", argv[i], errname(errno));
		close(fd);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "listen", cmd_listen,
	  "[-d] [-c] [-D] [-b BACKLOG] ADDR:PORT...\n"
	  "\taccept on each address until killed, holding each connection\n"
	  "\tuntil its peer closes (-c: close at once); -d: go to the\n"
	  "\tbackground once listening and print the pid; -D: DCCP" },
	{ "fill", cmd_fill,
	  "[-n N] [-r LO-HI] [-s SRC] [-b DEV] [-l] [-q] [-D] [-F]\n"
	  "\t[-x CMD [-e N]] ADDR:PORT\n"
	  "\tconnect N times (0/default: until one fails), holding every\n"
	  "\tsocket; print each local port (-l: and the connect() time in\n"
	  "\tns), then '# fill ok=N err=ERRNO|none'; -r: IP_LOCAL_PORT_RANGE;\n"
	  "\t-s: source address (IP_BIND_ADDRESS_NO_PORT); -b: bind each\n"
	  "\tsocket to device DEV (SO_BINDTODEVICE); -q: summary only;\n"
	  "\t-x: run CMD with sh while the sockets are held (-e: also after\n"
	  "\tevery N-th connect); CMD finds the count in $PORTSEL_HELD;\n"
	  "\t-D: DCCP; -F: close with a FIN at the end (TIME_WAIT), not a RST" },
	{ "bind0", cmd_bind0,
	  "[-n N] [-a] [-k] [-l] [-r LO-HI] [-u] [-x CMD] [ADDR]\n"
	  "\tbind N sockets (TCP; -u: UDP) to ADDR port 0 (default\n"
	  "\t127.0.0.1), holding them; print each port, then a summary;\n"
	  "\t-a: SO_REUSEADDR on each socket first; -l: and the bind()\n"
	  "\ttime in ns; -k: go on after a failed bind (the summary adds\n"
	  "\tfailed=N; with -l each failure prints as port 0)" },
	{ "spread", cmd_spread,
	  "[-n N] [-r LO-HI] ADDR:PORT...\n"
	  "\tconnect N times (default: once per destination) to the\n"
	  "\tdestinations in turn, holding every socket; print 'PORT INDEX'\n"
	  "\tfor each, then '# spread ok=N err=ERRNO|none destinations=N'" },
	{ "reuse", cmd_reuse,
	  "[-n N] [-p N] [-c] [-D N] [-r LO-HI] ADDR:PORT\n"
	  "\tconnect and close (SO_LINGER 0) N times (default 10000); for\n"
	  "\teach port handed out again, the connects since its last use:\n"
	  "\t'# reuse connects= errors= err= distinct= reuses= min= median=\n"
	  "\tmean= max= avg_ns=' (min..max only when a port came back);\n"
	  "\t-p: 'reuse K/N' on stderr every N connects; -c: first 'PORT\n"
	  "\tCOUNT' for every port handed out; -D: to N IPv4 addresses\n"
	  "\tfrom ADDR on in turn" },
	{ "churn", cmd_churn,
	  "[-t THREADS] [-d SECS] [-n N] [-r LO-HI] [-s SRC] ADDR:PORT\n"
	  "\tconnect and close (SO_LINGER 0) in a loop in THREADS threads\n"
	  "\t(default 2) for SECS seconds (default 10; 0: until SIGTERM),\n"
	  "\tthen '# churn connects=N errors=N avg_ns= p50_ns= max_ns= ms= ns=\n\t[fails=N fail_avg_ns= fail_p50_ns= fail_max_ns=] err_X=N' (p50:\n\tthe median, nearest rank: the lower middle time; fail_*: the connect() calls that failed);\n"
	  "\t-n: stop after N attempts in all (no time limit unless -d)" },
	{ "rangerace", cmd_rangerace,
	  "[-n ROUNDS] [-d US] -r LO-HI -R LO-HI ADDR:PORT\n"
	  "\tconnect ROUNDS sockets (default 20) with IP_LOCAL_PORT_RANGE -r\n"
	  "\twhile another thread sets -R on each after US microseconds\n"
	  "\t(default 200); read it back: '# rangerace rounds= lost=\n"
	  "\tduring= errors= err= write_errors=' (lost: -R did not stand;\n"
	  "\tduring: the write began while connect() ran)" },
	{ "write", cmd_write,
	  "FILE DATA\n"
	  "\tone write(2) of DATA (escapes \\n \\r \\t \\0 \\\\ \\xHH) to\n"
	  "\tFILE; print '# write ok=N' (exit 0) or '# write err=ERRNO'\n"
	  "\t(exit 1)" },
	{ "ttyraw", cmd_ttyraw, "TTY...\n\tput serial ports in raw mode" },
	{ "drain", cmd_drain,
	  "TTY...\n\twait until all output written to the ports is sent" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [OPTIONS] [ARGS]\n\n", prog);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "%s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\nAddresses: 127.0.0.1:5001, [::1]:5001; "
		"ADDR/SRC without port.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	raise_nofile();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		prog = cmds[i].name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
