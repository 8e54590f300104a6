
/*
 * Copyright (C) ngx_s3 developers
 *
 * Every heartbeat, in one pipeline on the Redis connection:
 *
 *     SET ngx_s3:{CLUSTER}:node:NAME LEASE PX TTL     this node's lease
 *     GET ngx_s3:{CLUSTER}:node:PEER                  each peer's, with
 *     PTTL ngx_s3:{CLUSTER}:node:PEER                 its time to live
 *
 * A peer's heartbeat age is its TTL minus what is left of it, both in
 * Redis's clock, so the nodes' clocks never meet.  The lease value is a
 * line of words (docs/REPLICATION.md), readable with redis-cli.  The
 * braces keep a cluster's keys in one slot of a Redis Cluster.
 */


#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repld_cluster.h"
#include "repld_log.h"
#include "repld_redis.h"


#define REPLD_CLUSTER_KEY_MAX     (REPLD_CLUSTER_NAME_MAX * 2 + 32)
#define REPLD_CLUSTER_LEASE_MAX   1024
#define REPLD_CLUSTER_LATE        3      /* heartbeats: lagging, behind */
#define REPLD_CLUSTER_TIMEOUT     500    /* ms: Redis replies, at least */


typedef struct {
    uint32_t                  id;
    repld_node_state_e        state;        /* the node's own */
    int64_t                   heartbeat;
    int64_t                   ttl;
    uint64_t                  lag_changes;
    uint64_t                  lag_ms;
    uint64_t                  queue;
    uint64_t                  fetch_bytes;
    int                       nlag;
    repld_lag_t               lag[REPLD_CLUSTER_NODES_MAX - 1];
} repld_lease_t;


typedef struct {
    repld_cluster_t          *cl;
    const repld_node_conf_t  *conf;
    int                       read;         /* a reading came back */
    int                       present;      /* the key was there */
    int                       valid;        /* ... and parsed */
    int                       conflict_logged;
    repld_lease_t             lease;
    int64_t                   age;          /* at read_at */
    int64_t                   read_at;
    char                      key[REPLD_CLUSTER_KEY_MAX];
} repld_peer_t;


struct repld_cluster_s {
    repld_cluster_conf_t      conf;
    repld_redis_t            *redis;
    repld_node_state_e        state;
    int64_t                   started;
    int64_t                   renewed;      /* last lease written, -1 */
    int64_t                   behind_since;
    int64_t                   next_beat;
    int64_t                   beat_sent;
    unsigned                  in_flight;    /* replies of the beat */
    repld_peer_t              peers[REPLD_CLUSTER_NODES_MAX - 1];
    repld_lag_t               lag[REPLD_CLUSTER_NODES_MAX - 1];
    char                      key[REPLD_CLUSTER_KEY_MAX];
};


static void repld_cluster_key(repld_cluster_t *cl, const char *name,
    char *key);
static void repld_cluster_beat(repld_cluster_t *cl, int64_t now);
static int repld_cluster_send(repld_cluster_t *cl, repld_redis_reply_pt h,
    void *data, int argc, const char **argv);
static int repld_cluster_lease(repld_cluster_t *cl, char *buf, size_t size);
static void repld_cluster_on_set(redisReply *reply, void *data);
static void repld_cluster_on_get(redisReply *reply, void *data);
static void repld_cluster_on_pttl(redisReply *reply, void *data);
static void repld_cluster_state(repld_cluster_t *cl, int64_t now);
static int repld_cluster_lease_lag(repld_cluster_t *cl, char *buf,
    size_t size);
static void repld_cluster_count(repld_node_status_t *st, int n,
    const repld_lag_t *lag, int nlag);
static int repld_lease_parse(const char *s, repld_lease_t *lease);
static int repld_lease_lag(const char *key, const char *val,
    repld_lease_t *lease);
static repld_node_state_e repld_peer_state(const repld_cluster_t *cl,
    const repld_peer_t *p, int64_t now, int64_t *age);


static const char  *repld_node_states[] = {
    "starting", "live", "behind", "lagging", "gone", "unknown", "conflict"
};


repld_cluster_t *
repld_cluster_start(repld_loop_t *loop, const repld_cluster_conf_t *conf,
    uint32_t node_id)
{
    int               i;
    int64_t           timeout;
    repld_cluster_t  *cl;

    if (conf->nodes[0].id != node_id) {
        repld_log(REPLD_LOG_ERR, "cluster: the data directory's node id is "
                  "%08x, the configuration says %08x for node \"%s\"",
                  node_id, conf->nodes[0].id, conf->nodes[0].name);
        return NULL;
    }

    cl = calloc(1, sizeof(repld_cluster_t));
    if (cl == NULL) {
        repld_log(REPLD_LOG_ERR, "cluster: out of memory");
        return NULL;
    }

    cl->conf = *conf;

    timeout = conf->heartbeat;
    if (timeout < REPLD_CLUSTER_TIMEOUT) {
        timeout = REPLD_CLUSTER_TIMEOUT;
    }

    cl->redis = repld_redis_create(loop, conf->redis_host, conf->redis_port,
                                   timeout);
    if (cl->redis == NULL) {
        repld_log(REPLD_LOG_ERR, "cluster: out of memory");
        free(cl);
        return NULL;
    }

    cl->state = REPLD_NODE_STARTING;
    cl->started = repld_time_ms();
    cl->renewed = -1;

    repld_cluster_key(cl, conf->nodes[0].name, cl->key);

    for (i = 0; i < conf->npeers; i++) {
        cl->peers[i].cl = cl;
        cl->peers[i].conf = &cl->conf.nodes[i + 1];
        cl->lag[i].id = cl->peers[i].conf->id;
        repld_cluster_key(cl, cl->peers[i].conf->name, cl->peers[i].key);
    }

    repld_log(REPLD_LOG_NOTICE, "cluster \"%s\": node \"%s\" (%08x) at %s, "
              "%d peers, redis %s:%d, heartbeat %d ms, lease %d ms",
              conf->name, conf->nodes[0].name, node_id, conf->nodes[0].addr,
              conf->npeers, conf->redis_host, conf->redis_port,
              conf->heartbeat, conf->lease_ttl);

    return cl;
}


void
repld_cluster_stop(repld_cluster_t *cl)
{
    repld_redis_free(cl->redis);
    free(cl);
}


void
repld_cluster_tick(repld_cluster_t *cl, int64_t now)
{
    repld_redis_tick(cl->redis, now);

    if (repld_redis_up(cl->redis) && cl->in_flight == 0
        && now >= cl->next_beat)
    {
        repld_cluster_beat(cl, now);
    }

    repld_cluster_state(cl, now);
}


int
repld_cluster_redis_up(const repld_cluster_t *cl)
{
    return repld_redis_up(cl->redis);
}


const repld_cluster_conf_t *
repld_cluster_conf(const repld_cluster_t *cl)
{
    return &cl->conf;
}


void
repld_cluster_nodes(const repld_cluster_t *cl, int64_t now,
    repld_node_status_t *st)
{
    int                  i;
    const repld_peer_t  *p;

    memset(st, 0, cl->conf.nnodes * sizeof(repld_node_status_t));

    st[0].conf = &cl->conf.nodes[0];
    st[0].self = 1;
    st[0].state = cl->state;
    st[0].age = (cl->renewed == -1) ? -1 : now - cl->renewed;

    for (i = 0; i < cl->conf.npeers; i++) {
        p = &cl->peers[i];

        st[i + 1].conf = p->conf;
        st[i + 1].state = repld_peer_state(cl, p, now, &st[i + 1].age);

        if (p->valid) {
            st[i + 1].fetch_bytes = p->lease.fetch_bytes;
        }
    }

    /* a node's lag: what every other node says it has not acknowledged */

    repld_cluster_count(st, cl->conf.nnodes, cl->lag, cl->conf.npeers);

    for (i = 0; i < cl->conf.npeers; i++) {
        if (cl->peers[i].valid) {
            repld_cluster_count(st, cl->conf.nnodes, cl->peers[i].lease.lag,
                                cl->peers[i].lease.nlag);
        }
    }
}


void
repld_cluster_lag(repld_cluster_t *cl, int i, const repld_lag_t *lag)
{
    if (i < cl->conf.npeers && lag->id == cl->lag[i].id) {
        cl->lag[i] = *lag;
    }
}


/* changes and queues from several origins add up; the oldest change wins */

static void
repld_cluster_count(repld_node_status_t *st, int n, const repld_lag_t *lag,
    int nlag)
{
    int  i, j;

    for (i = 0; i < nlag; i++) {
        for (j = 0; j < n; j++) {
            if (st[j].conf->id != lag[i].id) {
                continue;
            }

            st[j].lag_changes += lag[i].changes;
            st[j].queue += lag[i].queue;

            if (lag[i].ms > st[j].lag_ms) {
                st[j].lag_ms = lag[i].ms;
            }
        }
    }
}


const char *
repld_node_state_name(repld_node_state_e state)
{
    return repld_node_states[state];
}


/* key and name are in cl too: the key is made aside, then copied */

static void
repld_cluster_key(repld_cluster_t *cl, const char *name, char *key)
{
    char  buf[REPLD_CLUSTER_KEY_MAX];

    snprintf(buf, sizeof(buf), "ngx_s3:{%.32s}:node:%.32s", cl->conf.name,
             name);
    memcpy(key, buf, sizeof(buf));
}


static void
repld_cluster_beat(repld_cluster_t *cl, int64_t now)
{
    int          i;
    char         lease[REPLD_CLUSTER_LEASE_MAX], ttl[16];
    const char  *argv[5];

    /* beats keep their rate on the 200 ms timer */

    cl->next_beat += cl->conf.heartbeat;

    if (cl->next_beat <= now) {
        cl->next_beat = now + cl->conf.heartbeat;
    }

    cl->beat_sent = now;

    (void) repld_cluster_lease(cl, lease, sizeof(lease));
    snprintf(ttl, sizeof(ttl), "%d", cl->conf.lease_ttl);

    argv[0] = "SET";
    argv[1] = cl->key;
    argv[2] = lease;
    argv[3] = "PX";
    argv[4] = ttl;

    if (repld_cluster_send(cl, repld_cluster_on_set, cl, 5, argv)
        != REPLD_OK)
    {
        return;
    }

    for (i = 0; i < cl->conf.npeers; i++) {
        argv[0] = "GET";
        argv[1] = cl->peers[i].key;

        if (repld_cluster_send(cl, repld_cluster_on_get, &cl->peers[i], 2,
                               argv)
            != REPLD_OK)
        {
            return;
        }

        argv[0] = "PTTL";

        if (repld_cluster_send(cl, repld_cluster_on_pttl, &cl->peers[i], 2,
                               argv)
            != REPLD_OK)
        {
            return;
        }
    }
}


static int
repld_cluster_send(repld_cluster_t *cl, repld_redis_reply_pt h, void *data,
    int argc, const char **argv)
{
    int     i;
    size_t  len[5];

    for (i = 0; i < argc; i++) {
        len[i] = strlen(argv[i]);
    }

    if (repld_redis_command(cl->redis, h, data, argc, argv, len)
        != REPLD_OK)
    {
        repld_log(REPLD_LOG_DEBUG, "cluster: %s not sent", argv[0]);
        return REPLD_ERR;
    }

    cl->in_flight++;

    return REPLD_OK;
}


static int
repld_cluster_lease(repld_cluster_t *cl, char *buf, size_t size)
{
    int              n;
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    n = snprintf(buf, size, "v1 id=%08x name=%s addr=%s state=%s "
                 "heartbeat=%d ttl=%d time=%lld", cl->conf.nodes[0].id,
                 cl->conf.nodes[0].name, cl->conf.nodes[0].addr,
                 repld_node_states[cl->state], cl->conf.heartbeat,
                 cl->conf.lease_ttl,
                 (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);

    if (n < 0 || (size_t) n >= size) {
        return -1;
    }

    return repld_cluster_lease_lag(cl, buf + n, size - n);
}


/*
 * The most behind of this node's peers, then each peer:
 * " lag_changes=C lag_ms=MS queue=Q fetch_bytes=0 peer.ID=C/MS/Q ...".
 * Bytes to fetch stay 0 until objects' bytes replicate.
 */

static int
repld_cluster_lease_lag(repld_cluster_t *cl, char *buf, size_t size)
{
    int                 i, n;
    size_t              len;
    repld_lag_t         max;
    const repld_lag_t  *lag;

    memset(&max, 0, sizeof(repld_lag_t));

    for (i = 0; i < cl->conf.npeers; i++) {
        lag = &cl->lag[i];

        max.changes = (lag->changes > max.changes) ? lag->changes
                                                   : max.changes;
        max.ms = (lag->ms > max.ms) ? lag->ms : max.ms;
        max.queue = (lag->queue > max.queue) ? lag->queue : max.queue;
    }

    n = snprintf(buf, size, " lag_changes=%" PRIu64 " lag_ms=%" PRIu64
                 " queue=%" PRIu64 " fetch_bytes=0", max.changes, max.ms,
                 max.queue);

    for (i = 0, len = 0; i < cl->conf.npeers; i++) {
        if (n < 0 || (size_t) n >= size - len) {
            return -1;
        }

        len += n;
        lag = &cl->lag[i];

        n = snprintf(buf + len, size - len, " peer.%08x=%" PRIu64 "/%"
                     PRIu64 "/%" PRIu64, lag->id, lag->changes, lag->ms,
                     lag->queue);
    }

    return (n < 0 || (size_t) n >= size - len) ? -1 : 0;
}


static void
repld_cluster_on_set(redisReply *reply, void *data)
{
    repld_cluster_t  *cl;

    cl = data;
    cl->in_flight--;

    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_STATUS) {
        repld_log(REPLD_LOG_WARN, "cluster: lease not renewed: %s",
                  reply->type == REDIS_REPLY_ERROR ? reply->str
                                                   : "unexpected reply");
        return;
    }

    /* the lease runs from Redis's SET, after the beat was sent */

    cl->renewed = cl->beat_sent;

    if (cl->state == REPLD_NODE_BEHIND) {
        repld_log(REPLD_LOG_NOTICE, "cluster: lease renewed again after "
                  "%lld ms behind", (long long) (repld_time_ms()
                                                 - cl->behind_since));
    }

    if (cl->state != REPLD_NODE_LIVE) {
        repld_log(REPLD_LOG_NOTICE, "cluster: node \"%s\" live",
                  cl->conf.nodes[0].name);
    }

    /* nothing to catch up with yet: the change stream comes next */

    cl->state = REPLD_NODE_LIVE;
}


static void
repld_cluster_on_get(redisReply *reply, void *data)
{
    repld_peer_t  *p;

    p = data;
    p->cl->in_flight--;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        return;
    }

    p->present = (reply->type == REDIS_REPLY_STRING);
    p->valid = p->present && repld_lease_parse(reply->str, &p->lease) == 0;

    if (p->present && !p->valid) {
        repld_log(REPLD_LOG_INFO, "cluster: unreadable lease of \"%s\"",
                  p->conf->name);
    }
}


static void
repld_cluster_on_pttl(redisReply *reply, void *data)
{
    repld_peer_t  *p;

    p = data;
    p->cl->in_flight--;

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        return;
    }

    /* -2: no key; -1: no expiry, which no lease has */

    p->read = 1;
    p->read_at = repld_time_ms();
    p->age = (p->valid && reply->integer >= 0)
             ? p->lease.ttl - reply->integer : -1;

    if (reply->integer == -2) {
        p->present = 0;
        p->valid = 0;
    }

    if (p->valid && p->lease.id != p->conf->id) {
        if (!p->conflict_logged) {
            repld_log(REPLD_LOG_ERR, "cluster: the lease of \"%s\" names "
                      "node id %08x, the configuration %08x", p->conf->name,
                      p->lease.id, p->conf->id);
            p->conflict_logged = 1;
        }

    } else {
        p->conflict_logged = 0;
    }
}


/*
 * This node is behind once its lease went unrenewed for as long as the
 * others take to see it lagging: from then on they may write without
 * waiting for it.
 */

static void
repld_cluster_state(repld_cluster_t *cl, int64_t now)
{
    int64_t  last;

    if (cl->state == REPLD_NODE_BEHIND) {
        return;
    }

    last = (cl->renewed == -1) ? cl->started : cl->renewed;

    if (now - last <= REPLD_CLUSTER_LATE * cl->conf.heartbeat) {
        return;
    }

    repld_log(REPLD_LOG_WARN, "cluster: lease not renewed for %lld ms "
              "(redis %s): this node may be behind", (long long) (now - last),
              repld_redis_up(cl->redis) ? "slow" : "unreachable");

    cl->state = REPLD_NODE_BEHIND;
    cl->behind_since = now;
}


static repld_node_state_e
repld_peer_state(const repld_cluster_t *cl, const repld_peer_t *p,
    int64_t now, int64_t *age)
{
    *age = (p->read && p->age >= 0) ? p->age + (now - p->read_at) : -1;

    if (!p->read || !repld_redis_up(cl->redis)) {
        return REPLD_NODE_UNKNOWN;
    }

    if (!p->present) {
        return REPLD_NODE_GONE;
    }

    if (!p->valid) {
        return REPLD_NODE_LAGGING;
    }

    if (p->lease.id != p->conf->id) {
        return REPLD_NODE_CONFLICT;
    }

    /* late at the last reading, not by how old that reading is */

    if (p->lease.state != REPLD_NODE_LIVE
        || p->age > REPLD_CLUSTER_LATE * p->lease.heartbeat)
    {
        return REPLD_NODE_LAGGING;
    }

    return REPLD_NODE_LIVE;
}


/* "v1 id=... state=... heartbeat=... ttl=... lag_changes=...": 0 or -1 */

static int
repld_lease_parse(const char *s, repld_lease_t *lease)
{
    int           i, found;
    char         *end;
    size_t        klen;
    uint64_t      v;
    const char   *p, *val;

    if (strncmp(s, "v1 ", 3) != 0) {
        return -1;
    }

    memset(lease, 0, sizeof(repld_lease_t));
    lease->state = REPLD_NODE_UNKNOWN;
    found = 0;

    for (p = s + 3; *p != '\0'; p += strcspn(p, " "), p += strspn(p, " ")) {
        val = strchr(p, '=');
        if (val == NULL) {
            return -1;
        }

        klen = val++ - p;

        if (klen == 13 && strncmp(p, "peer.", 5) == 0) {
            if (repld_lease_lag(p + 5, val, lease) != 0) {
                return -1;
            }

            continue;
        }

        if (klen == 5 && strncmp(p, "state", 5) == 0) {
            for (i = 0; i <= REPLD_NODE_CONFLICT; i++) {
                if (strncmp(val, repld_node_states[i],
                            strlen(repld_node_states[i])) == 0)
                {
                    lease->state = i;
                }
            }

            continue;
        }

        errno = 0;
        v = strtoull(val, &end, (klen == 2) ? 16 : 10);

        if (errno || end == val || (*end != ' ' && *end != '\0')) {
            continue;                 /* a name, an address, ... */
        }

#define repld_lease_field(name, field)                                        \
        if (klen == sizeof(name) - 1 && strncmp(p, name, klen) == 0) {        \
            lease->field = v;                                                 \
            found++;                                                          \
        }

        repld_lease_field("id", id);
        repld_lease_field("heartbeat", heartbeat);
        repld_lease_field("ttl", ttl);
        repld_lease_field("lag_changes", lag_changes);
        repld_lease_field("lag_ms", lag_ms);
        repld_lease_field("queue", queue);
        repld_lease_field("fetch_bytes", fetch_bytes);

#undef repld_lease_field
    }

    return (found == 7 && lease->heartbeat > 0) ? 0 : -1;
}


/* "peer.ID=C/MS/Q", key at ID: 0 or -1 */

static int
repld_lease_lag(const char *key, const char *val, repld_lease_t *lease)
{
    int                 n;
    unsigned int        id;
    unsigned long long  changes, ms, queue;
    repld_lag_t        *lag;

    if (lease->nlag == REPLD_CLUSTER_NODES_MAX - 1
        || sscanf(key, "%8x=", &id) != 1
        || sscanf(val, "%llu/%llu/%llu%n", &changes, &ms, &queue, &n) != 3
        || (val[n] != ' ' && val[n] != '\0'))
    {
        return -1;
    }

    lag = &lease->lag[lease->nlag++];
    lag->id = id;
    lag->changes = changes;
    lag->ms = ms;
    lag->queue = queue;

    return 0;
}
