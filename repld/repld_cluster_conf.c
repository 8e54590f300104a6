
/*
 * Copyright (C) ngx_s3 developers
 *
 * The cluster part of repld.conf: "cluster NAME", "node ID NAME
 * ADDRESS" for this node, one "peer ID NAME ADDRESS" per other node.
 *
 * ID is the node id the store's FORMAT file holds (s3ctl node id): the
 * one the HLC tie-break and a version's identity use.  It must be unique
 * in the cluster and stable, so the configuration names it rather than
 * repld choosing one: every node's configuration lists every id, a
 * duplicate is refused here, and repld refuses to start on a data
 * directory whose id is not the configured one (a copied directory).
 * NAME is what operators and the Redis keys use.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_place.h"
#include "repld_cluster.h"


static int repld_cluster_name_valid(const char *s, size_t max);
static int repld_cluster_addr_valid(const char *s);


void
repld_cluster_conf_init(repld_cluster_conf_t *conf)
{
    memset(conf, 0, sizeof(repld_cluster_conf_t));

    conf->nnodes = 1;                /* nodes[0] is this node's */
    conf->heartbeat = REPLD_CLUSTER_HEARTBEAT;
    conf->lease_ttl = REPLD_CLUSTER_LEASE_TTL;
}


int
repld_cluster_conf_name(repld_cluster_conf_t *conf, const char *value,
    char *err, size_t size)
{
    if (!repld_cluster_name_valid(value, REPLD_CLUSTER_NAME_MAX)) {
        snprintf(err, size, "invalid cluster name \"%s\" (1 to %d of "
                 "A-Z a-z 0-9 . _ -)", value, REPLD_CLUSTER_NAME_MAX);
        return REPLD_ERR;
    }

    strcpy(conf->name, value);

    return REPLD_OK;
}


int
repld_cluster_conf_node(repld_cluster_conf_t *conf, int self,
    const char *value, char *err, size_t size)
{
    int                 n;
    char                id[16], name[64], addr[256], extra[2];
    uint32_t            v;
    repld_node_conf_t  *node;

    n = sscanf(value, "%15s %63s %255s %1s", id, name, addr, extra);

    if (n != 3) {
        snprintf(err, size, "\"%s\" must be ID NAME ADDRESS", value);
        return REPLD_ERR;
    }

    if (s3_node_id_parse(id, strlen(id), &v) != S3_OK || v == 0) {
        snprintf(err, size, "invalid node id \"%s\" (8 hex digits, not 0: "
                 "\"s3ctl node id\" prints the data directory's)", id);
        return REPLD_ERR;
    }

    if (!repld_cluster_name_valid(name, REPLD_CLUSTER_NAME_MAX)) {
        snprintf(err, size, "invalid node name \"%s\" (1 to %d of "
                 "A-Z a-z 0-9 . _ -)", name, REPLD_CLUSTER_NAME_MAX);
        return REPLD_ERR;
    }

    if (!repld_cluster_addr_valid(addr)) {
        snprintf(err, size, "invalid node address \"%s\" (tcp://HOST:PORT)",
                 addr);
        return REPLD_ERR;
    }

    if (self) {
        if (conf->nodes[0].id != 0) {
            snprintf(err, size, "\"node\" given twice");
            return REPLD_ERR;
        }

        node = &conf->nodes[0];

    } else {
        if (conf->nnodes == REPLD_CLUSTER_NODES_MAX) {
            snprintf(err, size, "more than %d nodes",
                     REPLD_CLUSTER_NODES_MAX);
            return REPLD_ERR;
        }

        node = &conf->nodes[conf->nnodes++];
        conf->npeers++;
    }

    node->id = v;
    strcpy(node->name, name);
    strcpy(node->addr, addr);

    return REPLD_OK;
}


int
repld_cluster_conf_check(const repld_cluster_conf_t *conf, char *err,
    size_t size)
{
    int                       i, j;
    const repld_node_conf_t  *a, *b;

    if (conf->name[0] == '\0' && conf->nodes[0].id == 0
        && conf->npeers == 0)
    {
        return REPLD_OK;             /* no cluster */
    }

    if (conf->name[0] == '\0' || conf->nodes[0].id == 0) {
        snprintf(err, size, "a cluster needs \"cluster\" and \"node\"");
        return REPLD_ERR;
    }

    if (conf->redis_host[0] == '\0') {
        snprintf(err, size, "a cluster needs \"redis\"");
        return REPLD_ERR;
    }

    if (conf->lease_ttl < 4 * conf->heartbeat) {
        snprintf(err, size, "lease_ttl_ms %d must be at least 4 times "
                 "heartbeat_ms %d", conf->lease_ttl, conf->heartbeat);
        return REPLD_ERR;
    }

    for (i = 0; i < conf->nnodes; i++) {
        for (j = i + 1; j < conf->nnodes; j++) {
            a = &conf->nodes[i];
            b = &conf->nodes[j];

            if (a->id == b->id) {
                snprintf(err, size, "nodes \"%s\" and \"%s\" share the node "
                         "id %08x", a->name, b->name, a->id);
                return REPLD_ERR;
            }

            if (strcmp(a->name, b->name) == 0) {
                snprintf(err, size, "two nodes are called \"%s\"", a->name);
                return REPLD_ERR;
            }

            if (strcmp(a->addr, b->addr) == 0) {
                snprintf(err, size, "nodes \"%s\" and \"%s\" share the "
                         "address %s", a->name, b->name, a->addr);
                return REPLD_ERR;
            }
        }
    }

    return REPLD_OK;
}


static int
repld_cluster_name_valid(const char *s, size_t max)
{
    size_t  len;

    len = strlen(s);

    return len > 0 && len <= max
           && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789._-")
              == len;
}


/* tcp://HOST:PORT, HOST a name, an IPv4 address or [IPv6] */

static int
repld_cluster_addr_valid(const char *s)
{
    long         port;
    char        *end;
    size_t       hlen;
    const char  *host, *colon;

    if (strncmp(s, "tcp://", 6) != 0
        || strlen(s) > REPLD_CLUSTER_ADDR_MAX)
    {
        return 0;
    }

    host = s + 6;
    colon = strrchr(host, ':');

    if (colon == NULL || colon == host) {
        return 0;
    }

    hlen = colon - host;

    if (host[0] == '[') {
        if (host[hlen - 1] != ']'
            || strspn(host + 1, "0123456789abcdefABCDEF:.") != hlen - 2)
        {
            return 0;
        }

    } else if (strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "abcdefghijklmnopqrstuvwxyz0123456789.-")
               != hlen)
    {
        return 0;
    }

    errno = 0;
    port = strtol(colon + 1, &end, 10);

    return errno == 0 && *end == '\0' && end != colon + 1 && port >= 1
           && port <= 65535;
}
