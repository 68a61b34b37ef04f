// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_busyset: the kept busy set's bookkeeping, on sockets made by
 * hand in an established hash of 16 chains. The hook's use of it (one
 * walk per scan, releases from the ftrace of inet_put_port()) is the VM
 * tiers' business; here each rule of what a set holds is checked alone.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/rculist_nulls.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "busyset.h"

#define LOW	40000
#define HIGH	40099
#define CHAINS	16
#define NOW	(INITIAL_JIFFIES + 1000)

/* 192.0.2.1 -> 198.51.100.7:443 */
#define SADDR	htonl(0xc0000201)
#define DADDR	htonl(0xc6336407)
#define DPORT	htons(443)

struct busy_env {
	struct inet_hashinfo hashinfo;
	struct portsel_busy_cache __rcu *slot;
	struct sock *me;	/* the connecting socket */
	struct portsel_busy_dest dest;
};

/* A socket of init_net, 192.0.2.1:@port -> @daddr:@dport, not hashed. */
static struct sock *busy_sock(struct kunit *test, u16 port, __be32 daddr,
			      __be16 dport, int state)
{
	struct sock *sk = kunit_kzalloc(test, sizeof(*sk), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sk);
	sock_net_set(sk, &init_net);
	sk->sk_family = AF_INET;
	sk->sk_rcv_saddr = SADDR;
	sk->sk_daddr = daddr;
	sk->sk_dport = dport;
	sk->sk_num = port;
	sk->sk_state = state;
	refcount_set(&sk->sk_refcnt, 1);
	return sk;
}

static void busy_hash(struct busy_env *env, struct sock *sk)
{
	struct inet_ehash_bucket *head;

	head = &env->hashinfo.ehash[sk->sk_num % CHAINS];
	hlist_nulls_add_head_rcu(&sk->sk_nulls_node, &head->chain);
}

/* A socket hashed with @port towards the env's destination. */
static struct sock *busy_peer(struct kunit *test, struct busy_env *env,
			      u16 port)
{
	struct sock *sk = busy_sock(test, port, DADDR, DPORT, TCP_ESTABLISHED);

	busy_hash(env, sk);
	return sk;
}

static struct busy_env *busy_env_new(struct kunit *test)
{
	struct busy_env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, env);
	env->hashinfo.ehash = kunit_kcalloc(test, CHAINS,
					    sizeof(*env->hashinfo.ehash),
					    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env->hashinfo.ehash);
	env->hashinfo.ehash_mask = CHAINS - 1;
	for (i = 0; i < CHAINS; i++)
		INIT_HLIST_NULLS_HEAD(&env->hashinfo.ehash[i].chain, i);
	env->me = busy_sock(test, 0, DADDR, DPORT, TCP_SYN_SENT);
	portsel_busy_dest_of(&env->dest, &env->me->__sk_common, IPPROTO_TCP);
	return env;
}

static struct portsel_busy_cache *busy_walk(struct kunit *test,
					    struct busy_env *env)
{
	struct portsel_busy_cache *c;

	c = portsel_busy_walk(&env->slot, &env->dest, &init_net,
			      &env->hashinfo, env->me, 0, LOW, HIGH, NOW);
	KUNIT_ASSERT_NOT_NULL(test, c);
	return c;
}

/* The set's ports, as a count, and whether @port is one of them. */
static u32 busy_count(const struct portsel_busy_cache *c)
{
	return bitmap_weight(c->map, HIGH - LOW + 1);
}

static bool busy_has(const struct portsel_busy_cache *c, u16 port)
{
	struct portsel_busyset view;

	portsel_busyset_view(&view, c);
	return portsel_busyset_has(&view, port);
}

static void busy_env_end(struct busy_env *env, struct portsel_busy_cache *c)
{
	portsel_busy_put(c);
	portsel_busy_drop(&env->slot);
}

/*
 * Only live sockets with the connect's 4-tuple less the local port, in
 * the range, are recorded: not TIME_WAIT or request sockets, not one
 * bound by bind(), not another destination's, not another device's.
 */
static void walk_records_only_the_destinations_live_ports(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c;
	struct sock *sk;
	u16 port;

	for (port = LOW; port < LOW + 20; port += 2)
		busy_peer(test, env, port);
	busy_hash(env, busy_sock(test, 40020, DADDR, DPORT, TCP_TIME_WAIT));
	busy_hash(env, busy_sock(test, 40022, DADDR, DPORT, TCP_NEW_SYN_RECV));
	sk = busy_peer(test, env, 40024);
	sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	busy_hash(env, busy_sock(test, 40026, DADDR, htons(80),
				 TCP_ESTABLISHED));
	busy_hash(env, busy_sock(test, 40028, htonl(0xc6336408), DPORT,
				 TCP_ESTABLISHED));
	sk = busy_peer(test, env, 40030);
	sk->sk_bound_dev_if = 5;
	busy_peer(test, env, LOW - 1);
	busy_peer(test, env, HIGH + 1);

	c = busy_walk(test, env);
	KUNIT_EXPECT_TRUE(test, c->ready);
	/* the ten live ones of the destination, and no other port */
	KUNIT_EXPECT_EQ(test, busy_count(c), 10);
	for (port = LOW; port < LOW + 20; port += 2)
		KUNIT_EXPECT_TRUE_MSG(test, busy_has(c, port), "port %u", port);
	busy_env_end(env, c);
}

/* The walk takes the references it reads under, and gives them back. */
static void walk_leaves_the_sockets_references(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c;
	struct sock *sk = busy_peer(test, env, 40000);

	c = busy_walk(test, env);
	KUNIT_EXPECT_TRUE(test, busy_has(c, 40000));
	KUNIT_EXPECT_EQ(test, refcount_read(&sk->sk_refcnt), 1);
	KUNIT_EXPECT_EQ(test, refcount_read(&c->ref), 2);
	busy_env_end(env, c);
}

/*
 * A later connect gets the set only for the same destination, while it
 * is younger than its ten seconds; the walk's own set is in the slot.
 */
static void get_serves_its_destination_while_young(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c, *got;
	struct portsel_busy_dest other;
	struct sock *sk;

	busy_peer(test, env, 40000);
	c = busy_walk(test, env);
	KUNIT_EXPECT_PTR_EQ(test, rcu_access_pointer(env->slot), c);

	got = portsel_busy_get(&env->slot, &env->dest, NOW + 10 * HZ - 1);
	KUNIT_EXPECT_PTR_EQ(test, got, c);
	KUNIT_EXPECT_EQ(test, refcount_read(&c->ref), 3);
	portsel_busy_put(got);

	KUNIT_EXPECT_NULL(test, portsel_busy_get(&env->slot, &env->dest,
						 NOW + 10 * HZ));
	sk = busy_sock(test, 0, DADDR, htons(80), TCP_SYN_SENT);
	portsel_busy_dest_of(&other, &sk->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_NULL(test, portsel_busy_get(&env->slot, &other, NOW));
	portsel_busy_dest_of(&other, &env->me->__sk_common, IPPROTO_DCCP);
	KUNIT_EXPECT_NULL(test, portsel_busy_get(&env->slot, &other, NOW));

	/* a walk still going serves nobody */
	c->ready = false;
	KUNIT_EXPECT_NULL(test, portsel_busy_get(&env->slot, &env->dest, NOW));
	KUNIT_EXPECT_EQ(test, refcount_read(&c->ref), 2);
	busy_env_end(env, c);
}

/* A release clears its port, and only for the set's destination. */
static void release_clears_only_its_destinations_bit(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c;
	struct sock *mine = busy_peer(test, env, 40000);
	struct sock *other;

	busy_peer(test, env, 40002);
	c = busy_walk(test, env);
	KUNIT_EXPECT_EQ(test, busy_count(c), 2);

	other = busy_sock(test, 40002, DADDR, htons(80), TCP_ESTABLISHED);
	portsel_busy_released(&env->slot, &other->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_TRUE(test, busy_has(c, 40002));

	hlist_nulls_del_init_rcu(&mine->sk_nulls_node);
	portsel_busy_released(&env->slot, &mine->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_FALSE(test, busy_has(c, 40000));
	KUNIT_EXPECT_TRUE(test, busy_has(c, 40002));
	KUNIT_EXPECT_EQ(test, busy_count(c), 1);
	busy_env_end(env, c);
}

/*
 * The walk of a device-bound connect records unbound sockets (as the
 * kernel's check does), and a socket may be bound to a device after it
 * connected: a release clears its bit whatever device either names.
 */
static void release_clears_whatever_the_device(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c;
	struct sock *unbound = busy_peer(test, env, 40000);
	struct sock *later = busy_peer(test, env, 40002);

	env->me->sk_bound_dev_if = 1;
	portsel_busy_dest_of(&env->dest, &env->me->__sk_common, IPPROTO_TCP);
	c = busy_walk(test, env);
	KUNIT_EXPECT_EQ(test, busy_count(c), 2);

	hlist_nulls_del_init_rcu(&unbound->sk_nulls_node);
	portsel_busy_released(&env->slot, &unbound->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_FALSE(test, busy_has(c, 40000));

	later->sk_bound_dev_if = 2;
	hlist_nulls_del_init_rcu(&later->sk_nulls_node);
	portsel_busy_released(&env->slot, &later->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_FALSE(test, busy_has(c, 40002));
	busy_env_end(env, c);
}

/*
 * Releases reach only the set in the netns' slot. One that another walk
 * replaced there forgets every port, and takes none again: a connect
 * still holding it asks the kernel rather than trust bits no release
 * clears any more.
 */
static void replaced_set_forgets_every_port(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *old, *c;

	busy_peer(test, env, 40000);
	busy_peer(test, env, 40002);
	old = busy_walk(test, env);
	KUNIT_EXPECT_EQ(test, busy_count(old), 2);

	c = busy_walk(test, env);
	KUNIT_EXPECT_EQ(test, busy_count(c), 2);
	KUNIT_EXPECT_EQ(test, busy_count(old), 0);

	env->me->sk_num = 40050;
	busy_hash(env, env->me);
	portsel_busy_taken(old, env->me);
	KUNIT_EXPECT_EQ(test, busy_count(old), 0);
	portsel_busy_taken(c, env->me);
	KUNIT_EXPECT_TRUE(test, busy_has(c, 40050));
	portsel_busy_put(old);
	busy_env_end(env, c);
}

/*
 * The connect's own port joins the set while its socket holds it; a
 * socket already gone (released before the bit was set) leaves none.
 */
static void taken_adds_a_port_only_while_it_is_held(struct kunit *test)
{
	struct busy_env *env = busy_env_new(test);
	struct portsel_busy_cache *c = busy_walk(test, env);

	KUNIT_EXPECT_EQ(test, busy_count(c), 0);
	env->me->sk_num = 40050;
	busy_hash(env, env->me);
	portsel_busy_taken(c, env->me);
	KUNIT_EXPECT_TRUE(test, busy_has(c, 40050));

	hlist_nulls_del_init_rcu(&env->me->sk_nulls_node);
	portsel_busy_released(&env->slot, &env->me->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_FALSE(test, busy_has(c, 40050));
	/* a connect that learns of its port after it was given back */
	portsel_busy_taken(c, env->me);
	KUNIT_EXPECT_FALSE(test, busy_has(c, 40050));

	/* out of the set's range: nothing to record */
	env->me->sk_num = HIGH + 1;
	busy_hash(env, env->me);
	portsel_busy_taken(c, env->me);
	KUNIT_EXPECT_EQ(test, busy_count(c), 0);
	busy_env_end(env, c);
}

/*
 * A destination compares whole: an IPv4 socket and an IPv6 one connected
 * to the v4-mapped address are one destination, as the kernel hashes them.
 */
#if IS_ENABLED(CONFIG_IPV6)
static void dest_of_a_v4_mapped_socket_is_the_v4_one(struct kunit *test)
{
	struct sock *v4 = busy_sock(test, 0, DADDR, DPORT, TCP_SYN_SENT);
	struct sock *v6 = busy_sock(test, 0, DADDR, DPORT, TCP_SYN_SENT);
	struct portsel_busy_dest a, b;

	v6->sk_family = AF_INET6;
	ipv6_addr_set_v4mapped(DADDR, &v6->sk_v6_daddr);
	ipv6_addr_set_v4mapped(SADDR, &v6->sk_v6_rcv_saddr);
	portsel_busy_dest_of(&a, &v4->__sk_common, IPPROTO_TCP);
	portsel_busy_dest_of(&b, &v6->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);
	KUNIT_EXPECT_FALSE(test, a.v6);

	v6->sk_v6_daddr.s6_addr32[2] = 0;	/* ::198.51.100.7, not mapped */
	portsel_busy_dest_of(&b, &v6->__sk_common, IPPROTO_TCP);
	KUNIT_EXPECT_TRUE(test, b.v6);
	KUNIT_EXPECT_NE(test, memcmp(&a, &b, sizeof(a)), 0);
}
#endif

static struct kunit_case busyset_test_cases[] = {
	KUNIT_CASE(walk_records_only_the_destinations_live_ports),
	KUNIT_CASE(walk_leaves_the_sockets_references),
	KUNIT_CASE(get_serves_its_destination_while_young),
	KUNIT_CASE(release_clears_only_its_destinations_bit),
	KUNIT_CASE(release_clears_whatever_the_device),
	KUNIT_CASE(replaced_set_forgets_every_port),
	KUNIT_CASE(taken_adds_a_port_only_while_it_is_held),
#if IS_ENABLED(CONFIG_IPV6)
	KUNIT_CASE(dest_of_a_v4_mapped_socket_is_the_v4_one),
#endif
	{}
};

static struct kunit_suite busyset_test_suite = {
	.name = "portsel_busyset",
	.test_cases = busyset_test_cases,
};

kunit_test_suite(busyset_test_suite);
