
/*
 * Copyright (C) ngx_s3 developers
 *
 * The answer to "cluster status" (s3ctl cluster status, docs/CLI.md),
 * rendered by repld from what it holds: no Redis round trip is made for
 * it, so it answers at once even while Redis is away.
 */


#include <stdio.h>
#include <string.h>

#include "repld_cluster.h"


static int repld_status_text(const repld_cluster_t *cl,
    const repld_node_status_t *st, repld_buf_t *out);
static int repld_status_json(const repld_cluster_t *cl,
    const repld_node_status_t *st, repld_buf_t *out);
static int repld_status_json_str(repld_buf_t *out, const char *s);


int
repld_cluster_status(const repld_cluster_t *cl, uint32_t node_id, int json,
    repld_buf_t *out)
{
    repld_node_status_t  st[REPLD_CLUSTER_NODES_MAX];

    if (cl == NULL) {
        return json ? repld_buf_printf(out, "{\"cluster\":null,\"node_id\":"
                                       "\"%08x\",\"redis\":null,"
                                       "\"nodes\":[]}\n", node_id)
                    : repld_buf_printf(out, "no cluster configured "
                                       "(node id %08x)\n", node_id);
    }

    repld_cluster_nodes(cl, repld_time_ms(), st);

    return json ? repld_status_json(cl, st, out)
                : repld_status_text(cl, st, out);
}


static int
repld_status_text(const repld_cluster_t *cl, const repld_node_status_t *st,
    repld_buf_t *out)
{
    int                          i;
    char                         age[32];
    const repld_cluster_conf_t  *conf;

    conf = repld_cluster_conf(cl);

    if (repld_buf_printf(out, "cluster %s, node %s (%08x), redis %s:%d %s\n"
                         "\n%-2s%-16s %-8s  %-28s %-8s  %9s  %11s  %6s  "
                         "%6s  %11s\n", conf->name, conf->nodes[0].name,
                         conf->nodes[0].id, conf->redis_host,
                         conf->redis_port,
                         repld_cluster_redis_up(cl) ? "reachable"
                                                    : "unreachable",
                         "", "NODE", "ID", "ADDRESS", "STATE", "HEARTBEAT",
                         "LAG_CHANGES", "LAG_MS", "QUEUE", "FETCH_BYTES")
        != 0)
    {
        return -1;
    }

    for (i = 0; i < conf->nnodes; i++) {
        if (st[i].age < 0) {
            strcpy(age, "-");

        } else {
            snprintf(age, sizeof(age), "%.1fs ago", st[i].age / 1000.0);
        }

        if (repld_buf_printf(out, "%-2s%-16s %08x  %-28s %-8s  %9s  %11llu  "
                             "%6llu  %6llu  %11llu\n", st[i].self ? "*" : "",
                             st[i].conf->name, st[i].conf->id,
                             st[i].conf->addr,
                             repld_node_state_name(st[i].state), age,
                             (unsigned long long) st[i].lag_changes,
                             (unsigned long long) st[i].lag_ms,
                             (unsigned long long) st[i].queue,
                             (unsigned long long) st[i].fetch_bytes)
            != 0)
        {
            return -1;
        }
    }

    if (!repld_cluster_redis_up(cl)
        && repld_buf_str(out, "\nRedis unreachable: the other nodes' "
                         "states are unknown\n") != 0)
    {
        return -1;
    }

    return repld_buf_str(out, "\n* this node\n");
}


static int
repld_status_json(const repld_cluster_t *cl, const repld_node_status_t *st,
    repld_buf_t *out)
{
    int                          i;
    char                         age[24];
    const repld_cluster_conf_t  *conf;

    conf = repld_cluster_conf(cl);

    if (repld_buf_printf(out, "{\"cluster\":\"%s\",\"node\":\"%s\","
                         "\"node_id\":\"%08x\",\"redis\":{\"address\":",
                         conf->name, conf->nodes[0].name, conf->nodes[0].id)
           != 0
        || repld_status_json_str(out, conf->redis_host) != 0
        || repld_buf_printf(out, ",\"port\":%d,\"reachable\":%s},"
                            "\"nodes\":[", conf->redis_port,
                            repld_cluster_redis_up(cl) ? "true" : "false")
           != 0)
    {
        return -1;
    }

    for (i = 0; i < conf->nnodes; i++) {
        if (st[i].age < 0) {
            strcpy(age, "null");

        } else {
            snprintf(age, sizeof(age), "%lld", (long long) st[i].age);
        }

        if (repld_buf_printf(out, "%s{\"name\":\"%s\",\"id\":\"%08x\","
                             "\"address\":\"%s\",\"self\":%s,\"state\":"
                             "\"%s\",\"heartbeat_age_ms\":%s,"
                             "\"lag_changes\":%llu,\"lag_ms\":%llu,"
                             "\"queue\":%llu,\"fetch_bytes\":%llu}",
                             i ? "," : "", st[i].conf->name, st[i].conf->id,
                             st[i].conf->addr, st[i].self ? "true" : "false",
                             repld_node_state_name(st[i].state), age,
                             (unsigned long long) st[i].lag_changes,
                             (unsigned long long) st[i].lag_ms,
                             (unsigned long long) st[i].queue,
                             (unsigned long long) st[i].fetch_bytes)
            != 0)
        {
            return -1;
        }
    }

    return repld_buf_str(out, "]}\n");
}


/* names and addresses are checked words; the Redis host is any text */

static int
repld_status_json_str(repld_buf_t *out, const char *s)
{
    if (repld_buf_str(out, "\"") != 0) {
        return -1;
    }

    for ( /* void */ ; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\' || (unsigned char) *s < 0x20) {
            if (repld_buf_printf(out, "\\u%04x", (unsigned char) *s) != 0) {
                return -1;
            }

            continue;
        }

        if (repld_buf_add(out, s, 1) != 0) {
            return -1;
        }
    }

    return repld_buf_str(out, "\"");
}
