
/*
 * Copyright (C) ngx_s3 developers
 *
 * Cluster membership (docs/REPLICATION.md): the configured nodes, this
 * node's lease in Redis, renewed every heartbeat, and the leases of the
 * others read at the same time, from which each node is live, lagging
 * or gone.  A node that cannot renew its lease knows it may be behind.
 */


#ifndef _REPLD_CLUSTER_H_INCLUDED_
#define _REPLD_CLUSTER_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "repld_buf.h"
#include "repld_event.h"


#define REPLD_CLUSTER_NODES_MAX    7
#define REPLD_CLUSTER_NAME_MAX     32
#define REPLD_CLUSTER_ADDR_MAX     128
#define REPLD_CLUSTER_HEARTBEAT    1000
#define REPLD_CLUSTER_LEASE_TTL    5000


typedef struct {
    uint32_t          id;            /* the store's node id (FORMAT) */
    char              name[REPLD_CLUSTER_NAME_MAX + 1];
    char              addr[REPLD_CLUSTER_ADDR_MAX + 1];
} repld_node_conf_t;


typedef struct {
    char              name[REPLD_CLUSTER_NAME_MAX + 1];   /* "": none */
    repld_node_conf_t nodes[REPLD_CLUSTER_NODES_MAX];     /* [0]: this */
    int               nnodes;        /* 0 until "node" is read */
    int               npeers;
    int               heartbeat;     /* ms */
    int               lease_ttl;     /* ms */
    char              redis_host[256];
    int               redis_port;
} repld_cluster_conf_t;


/* A node as the status shows it. */

typedef enum {
    REPLD_NODE_STARTING = 0,         /* this node, no lease written yet */
    REPLD_NODE_LIVE,
    REPLD_NODE_BEHIND,               /* this node, lease not renewed */
    REPLD_NODE_LAGGING,
    REPLD_NODE_GONE,
    REPLD_NODE_UNKNOWN,              /* Redis unreachable, never read */
    REPLD_NODE_CONFLICT              /* its lease has another node id */
} repld_node_state_e;


typedef struct {
    const repld_node_conf_t  *conf;
    repld_node_state_e        state;
    int                       self;
    int64_t                   age;          /* ms since its heartbeat, -1 */
    uint64_t                  lag_changes;  /* the replication figures */
    uint64_t                  lag_ms;
    uint64_t                  queue;
    uint64_t                  fetch_bytes;
} repld_node_status_t;


/* How far behind a peer is with one node's changes (docs/REPLICATION.md) */

typedef struct {
    uint32_t                  id;           /* the peer */
    uint64_t                  changes;      /* logged, not acknowledged */
    uint64_t                  ms;           /* age of the oldest of those */
    uint64_t                  queue;        /* logged, not yet sent */
} repld_lag_t;


typedef struct repld_cluster_s  repld_cluster_t;


/* The defaults, before the configuration is read. */
void repld_cluster_conf_init(repld_cluster_conf_t *conf);

/*
 * Parses the value of a "node" (self) or "peer" line: ID NAME ADDRESS.
 * Returns REPLD_OK, or REPLD_ERR with the reason in err.
 */
int repld_cluster_conf_node(repld_cluster_conf_t *conf, int self,
    const char *value, char *err, size_t size);

/* Parses the value of "cluster": the cluster's name. */
int repld_cluster_conf_name(repld_cluster_conf_t *conf, const char *value,
    char *err, size_t size);

/*
 * Checks the whole configuration once read: with a cluster, its name,
 * this node and Redis are required, and ids, names and addresses are
 * unique.  Returns REPLD_OK, or REPLD_ERR with the reason in err.
 */
int repld_cluster_conf_check(const repld_cluster_conf_t *conf, char *err,
    size_t size);

/*
 * Starts membership for conf (copied) in loop; node_id is the store's,
 * which must be the one conf gives this node.  Returns NULL after
 * logging why.
 */
repld_cluster_t *repld_cluster_start(repld_loop_t *loop,
    const repld_cluster_conf_t *conf, uint32_t node_id);

/* Drops the connection to Redis (the lease expires by itself). */
void repld_cluster_stop(repld_cluster_t *cl);

/* From the timer: heartbeats, Redis retries, this node's state. */
void repld_cluster_tick(repld_cluster_t *cl, int64_t now);

/*
 * This node's figures for its i-th peer, from the change stream: put in
 * its lease from the next heartbeat on.
 */
void repld_cluster_lag(repld_cluster_t *cl, int i, const repld_lag_t *lag);

/* 1 while Redis answers. */
int repld_cluster_redis_up(const repld_cluster_t *cl);

const repld_cluster_conf_t *repld_cluster_conf(const repld_cluster_t *cl);

/* Fills st[conf->nnodes], this node first, as of now. */
void repld_cluster_nodes(const repld_cluster_t *cl, int64_t now,
    repld_node_status_t *st);

/*
 * Appends the body of "cluster status" (text, or JSON when json is set)
 * for cl, or for a node outside any cluster when cl is NULL.  Returns 0
 * or -1 (ENOMEM).
 */
int repld_cluster_status(const repld_cluster_t *cl, uint32_t node_id,
    int json, repld_buf_t *out);

/* "live", "lagging", ... */
const char *repld_node_state_name(repld_node_state_e state);


#endif /* _REPLD_CLUSTER_H_INCLUDED_ */
