
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld: the per-node sidecar.  It reads its configuration, opens the
 * LevelDB catalog, tails the change journal into it (repld_journal.c),
 * reconciles it with the disk (repld_reconcile.c), answers the workers'
 * listings and admin requests on a Unix socket (repld_server.c), binds
 * the nanomsg socket for peers, holds its lease in Redis when it is part
 * of a cluster (repld_cluster.c; otherwise it checks Redis once), and
 * runs the event loop until SIGTERM or SIGINT.
 */


#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>

#include "s3_listproto.h"
#include "s3_store.h"
#include "repld_catalog.h"
#include "repld_cluster.h"
#include "repld_metrics.h"
#include "repld_event.h"
#include "repld_journal.h"
#include "repld_log.h"
#include "repld_reconcile.h"
#include "repld_server.h"
#include "repld_stream.h"


#define REPLD_VERSION        "0.2.0"
#define REPLD_SETSIZE        4096
#define REPLD_TICK_MS        200
#define REPLD_STATS_MS       60000
#define REPLD_CONN_TIMEOUT   30000
#define REPLD_LINE_MAX       4096
#define REPLD_ADDR_MAX       (PATH_MAX + 16)
#define REPLD_CATALOG        "catalog"
#define REPLD_REDIS_TIMEOUT  1
#define REPLD_CONF_DECLINED  1
#define REPLD_NN_RCVMAX      (4 * 1024 * 1024)  /* a batch of changes */


typedef struct {
    char                  data_dir[PATH_MAX];
    char                  listen[REPLD_ADDR_MAX];
    char                  log_file[PATH_MAX];     /* empty: stderr */
    int                   log_level;
    char                  redis_host[256];        /* empty: no redis */
    int                   redis_port;
    int                   reconcile_interval;     /* seconds; 0: start only */
    int                   reconcile_step;         /* work per tick */
    int                   reconcile_start;        /* a full pass at start */
    repld_cluster_conf_t  cluster;
} repld_conf_t;


typedef struct {
    repld_conf_t        conf;
    repld_loop_t       *loop;
    repld_catalog_t    *catalog;
    repld_journal_t    *journal;
    repld_reconcile_t  *reconcile;
    repld_server_t     *server;
    repld_cluster_t    *cluster;                /* NULL: no cluster */
    repld_stream_t     *stream;                 /* NULL: no peers */
    int                 nn_sock;
    int                 sig_fd;
    int                 wake;                   /* a hint: ingest */
    uint32_t            node_id;
    uint64_t            hints;                  /* nanomsg messages */
    int64_t             next_pass;              /* monotonic ms */
    int64_t             next_stats;
} repld_t;


static void repld_usage(FILE *out);
static int repld_parse_args(int argc, char **argv, const char **conf_file,
    int *check);
static int repld_conf_read(const char *file, repld_conf_t *conf);
static int repld_conf_line(repld_conf_t *conf, char *line, char *err,
    size_t size);
static int repld_conf_value(repld_conf_t *conf, const char *key,
    const char *value, char *err, size_t size);
static int repld_conf_number(const char *key, const char *value, int min,
    int max, int *n, char *err, size_t size);
static int repld_conf_flag(const char *key, const char *value, int *flag,
    char *err, size_t size);
static int repld_conf_redis(repld_conf_t *conf, const char *value);
static int repld_conf_cluster(repld_conf_t *conf, const char *key,
    const char *value, char *err, size_t size);
static int repld_conf_finish(repld_conf_t *conf, char *err, size_t size);
static int repld_start(repld_t *rd);
static void repld_stop(repld_t *rd);
static int repld_catalog_start(repld_t *rd);
static int repld_fence(void *data);
static int repld_catch_up(void *data);
static void repld_wake(void *data);
static int repld_admin_log_level(repld_t *rd, s3_str_t *cmd,
    repld_buf_t *out, unsigned *status);
static int repld_admin(void *data, const char *payload, size_t len,
    repld_buf_t *out);
static int repld_listen(repld_t *rd);
static void repld_hint_handler(repld_loop_t *loop, int fd, void *data,
    int mask);
static int repld_signals(repld_t *rd);
static void repld_signal_handler(repld_loop_t *loop, int fd, void *data,
    int mask);
static int64_t repld_tick(repld_loop_t *loop, void *data);
static void repld_before_sleep(repld_loop_t *loop, void *data);
static void repld_lag(repld_t *rd);
static void repld_stats(repld_t *rd, int level);
static void repld_redis_check(const repld_conf_t *conf);


int
main(int argc, char **argv)
{
    int          check, rc;
    repld_t      rd;
    const char  *conf_file;

    rc = repld_parse_args(argc, argv, &conf_file, &check);
    if (rc != -1) {
        return rc;
    }

    memset(&rd, 0, sizeof(repld_t));
    rd.nn_sock = -1;
    rd.sig_fd = -1;

    if (repld_conf_read(conf_file, &rd.conf) != REPLD_OK) {
        return 1;
    }

    if (check) {
        fprintf(stderr, "repld: configuration file %s test is successful\n",
                conf_file);
        return 0;
    }

    if (repld_log_open(rd.conf.log_file, rd.conf.log_level) != 0) {
        fprintf(stderr, "repld: cannot open log file \"%s\": %s\n",
                rd.conf.log_file, strerror(errno));
        return 1;
    }

    rc = 1;

    if (repld_start(&rd) == REPLD_OK) {
        repld_log(REPLD_LOG_NOTICE, "repld " REPLD_VERSION " started: "
                  "node %08x, data \"%s\", listen \"%s\"", rd.node_id,
                  rd.conf.data_dir, rd.conf.listen);

        if (repld_loop_run(rd.loop) == REPLD_OK) {
            rc = 0;

        } else {
            repld_log(REPLD_LOG_ERR, "epoll_wait() failed: %s",
                      strerror(errno));
        }
    }

    if (rd.journal != NULL) {
        repld_stats(&rd, REPLD_LOG_NOTICE);
    }

    repld_stop(&rd);
    repld_log(REPLD_LOG_NOTICE, "repld exited (%d hints received)",
              (int) rd.hints);

    return rc;
}


static void
repld_usage(FILE *out)
{
    fprintf(out,
        "usage: repld -c FILE [--check-config]\n"
        "\n"
        "  -c FILE               configuration file (see conf/repld.conf)\n"
        "  -t, --check-config    check the configuration and exit\n"
        "  -v, --version         print the version and exit\n"
        "  -h, --help            print this help and exit\n");
}


/* Returns -1 to go on, or the exit code. */

static int
repld_parse_args(int argc, char **argv, const char **conf_file, int *check)
{
    int  i;

    *conf_file = NULL;
    *check = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            *conf_file = argv[++i];

        } else if (strcmp(argv[i], "-t") == 0
                   || strcmp(argv[i], "--check-config") == 0)
        {
            *check = 1;

        } else if (strcmp(argv[i], "-v") == 0
                   || strcmp(argv[i], "--version") == 0)
        {
            printf("repld " REPLD_VERSION "\n");
            return 0;

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            repld_usage(stdout);
            return 0;

        } else {
            fprintf(stderr, "repld: invalid argument \"%s\"\n", argv[i]);
            repld_usage(stderr);
            return 1;
        }
    }

    if (*conf_file == NULL) {
        fprintf(stderr, "repld: no configuration file (-c FILE)\n");
        repld_usage(stderr);
        return 1;
    }

    return -1;
}


static int
repld_conf_read(const char *file, repld_conf_t *conf)
{
    int     n;
    FILE   *f;
    char    line[REPLD_LINE_MAX], err[3 * REPLD_LINE_MAX];

    conf->log_level = REPLD_LOG_NOTICE;
    conf->reconcile_interval = 300;
    conf->reconcile_step = 1000;
    conf->reconcile_start = 1;
    repld_cluster_conf_init(&conf->cluster);

    f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "repld: cannot open \"%s\": %s\n", file,
                strerror(errno));
        return REPLD_ERR;
    }

    for (n = 1; fgets(line, sizeof(line), f) != NULL; n++) {
        if (repld_conf_line(conf, line, err, sizeof(err)) != REPLD_OK) {
            fprintf(stderr, "repld: %s:%d: %s\n", file, n, err);
            fclose(f);
            return REPLD_ERR;
        }
    }

    fclose(f);

    if (repld_conf_finish(conf, err, sizeof(err)) != REPLD_OK) {
        fprintf(stderr, "repld: %s: %s\n", file, err);
        return REPLD_ERR;
    }

    return REPLD_OK;
}


static int
repld_conf_line(repld_conf_t *conf, char *line, char *err, size_t size)
{
    char    *key, *value, *end;
    size_t   len;

    len = strlen(line);

    if (len == REPLD_LINE_MAX - 1 && line[len - 1] != '\n') {
        snprintf(err, size, "line too long");
        return REPLD_ERR;
    }

    key = line + strspn(line, " \t");

    if (*key == '#' || *key == '\n' || *key == '\r' || *key == '\0') {
        return REPLD_OK;
    }

    end = key + strcspn(key, " \t\r\n");
    value = end + strspn(end, " \t");
    *end = '\0';

    len = strlen(value);
    while (len > 0 && strchr(" \t\r\n", value[len - 1]) != NULL) {
        value[--len] = '\0';
    }

    if (len == 0) {
        snprintf(err, size, "\"%s\" needs a value", key);
        return REPLD_ERR;
    }

    return repld_conf_value(conf, key, value, err, size);
}


static int
repld_conf_value(repld_conf_t *conf, const char *key, const char *value,
    char *err, size_t size)
{
    int      n, rc;
    char    *dst;
    size_t   len;

    if (strcmp(key, "reconcile_interval") == 0) {
        return repld_conf_number(key, value, 0, 86400 * 365,
                                 &conf->reconcile_interval, err, size);
    }

    if (strcmp(key, "reconcile_step") == 0) {
        return repld_conf_number(key, value, 1, 1000000,
                                 &conf->reconcile_step, err, size);
    }

    if (strcmp(key, "reconcile_at_start") == 0) {
        return repld_conf_flag(key, value, &conf->reconcile_start, err, size);
    }

    if (strcmp(key, "log_level") == 0) {
        conf->log_level = repld_log_level(value);

        if (conf->log_level == -1) {
            snprintf(err, size, "invalid log_level \"%s\" (error, warn, "
                     "notice, info, debug)", value);
            return REPLD_ERR;
        }

        return REPLD_OK;
    }

    if (strcmp(key, "redis") == 0) {
        if (repld_conf_redis(conf, value) != REPLD_OK) {
            snprintf(err, size, "invalid redis \"%s\" (HOST:PORT)", value);
            return REPLD_ERR;
        }

        return REPLD_OK;
    }

    rc = repld_conf_cluster(conf, key, value, err, size);
    if (rc != REPLD_CONF_DECLINED) {
        return rc;
    }

    if (strcmp(key, "data_dir") == 0) {
        dst = conf->data_dir;
        len = sizeof(conf->data_dir);

    } else if (strcmp(key, "listen") == 0) {
        dst = conf->listen;
        len = sizeof(conf->listen);

    } else if (strcmp(key, "log_file") == 0) {
        dst = conf->log_file;
        len = sizeof(conf->log_file);

    } else {
        snprintf(err, size, "unknown directive \"%s\"", key);
        return REPLD_ERR;
    }

    n = snprintf(dst, len, "%s", value);

    if (n < 0 || (size_t) n >= len) {
        snprintf(err, size, "value of \"%s\" too long", key);
        return REPLD_ERR;
    }

    return REPLD_OK;
}


static int
repld_conf_number(const char *key, const char *value, int min, int max,
    int *n, char *err, size_t size)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(value, &end, 10);

    if (errno || *end != '\0' || end == value || v < min || v > max) {
        snprintf(err, size, "invalid %s \"%s\" (%d to %d)", key, value, min,
                 max);
        return REPLD_ERR;
    }

    *n = (int) v;

    return REPLD_OK;
}


static int
repld_conf_flag(const char *key, const char *value, int *flag, char *err,
    size_t size)
{
    if (strcmp(value, "on") == 0) {
        *flag = 1;

    } else if (strcmp(value, "off") == 0) {
        *flag = 0;

    } else {
        snprintf(err, size, "invalid %s \"%s\" (on or off)", key, value);
        return REPLD_ERR;
    }

    return REPLD_OK;
}


/* Returns REPLD_CONF_DECLINED for a key that is not the cluster's. */

static int
repld_conf_cluster(repld_conf_t *conf, const char *key, const char *value,
    char *err, size_t size)
{
    if (strcmp(key, "cluster") == 0) {
        return repld_cluster_conf_name(&conf->cluster, value, err, size);
    }

    if (strcmp(key, "node") == 0 || strcmp(key, "peer") == 0) {
        return repld_cluster_conf_node(&conf->cluster, key[0] == 'n', value,
                                       err, size);
    }

    if (strcmp(key, "heartbeat_ms") == 0) {
        return repld_conf_number(key, value, 100, 60000,
                                 &conf->cluster.heartbeat, err, size);
    }

    if (strcmp(key, "lease_ttl_ms") == 0) {
        return repld_conf_number(key, value, 400, 600000,
                                 &conf->cluster.lease_ttl, err, size);
    }

    return REPLD_CONF_DECLINED;
}


static int
repld_conf_redis(repld_conf_t *conf, const char *value)
{
    long         port;
    char        *end;
    const char  *colon;

    colon = strrchr(value, ':');

    if (colon == NULL || colon == value
        || (size_t) (colon - value) >= sizeof(conf->redis_host))
    {
        return REPLD_ERR;
    }

    errno = 0;
    port = strtol(colon + 1, &end, 10);

    if (errno || *end != '\0' || end == colon + 1 || port < 1
        || port > 65535)
    {
        return REPLD_ERR;
    }

    memcpy(conf->redis_host, value, colon - value);
    conf->redis_host[colon - value] = '\0';
    conf->redis_port = (int) port;

    return REPLD_OK;
}


static int
repld_conf_finish(repld_conf_t *conf, char *err, size_t size)
{
    int          n;
    char         real[PATH_MAX];
    struct stat  sb;

    if (conf->data_dir[0] == '\0') {
        snprintf(err, size, "no data_dir");
        return REPLD_ERR;
    }

    if (stat(conf->data_dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, size, "data_dir \"%s\" is not a directory",
                 conf->data_dir);
        return REPLD_ERR;
    }

    if (realpath(conf->data_dir, real) == NULL) {
        snprintf(err, size, "realpath(\"%s\") failed: %s", conf->data_dir,
                 strerror(errno));
        return REPLD_ERR;
    }

    memcpy(conf->data_dir, real, sizeof(real));

    strcpy(conf->cluster.redis_host, conf->redis_host);
    conf->cluster.redis_port = conf->redis_port;

    if (repld_cluster_conf_check(&conf->cluster, err, size) != REPLD_OK) {
        return REPLD_ERR;
    }

    /* a node listens for its peers where they are told to find it */

    if (conf->listen[0] == '\0' && conf->cluster.name[0] != '\0') {
        strcpy(conf->listen, conf->cluster.nodes[0].addr);
    }

    if (conf->listen[0] == '\0') {
        n = snprintf(conf->listen, sizeof(conf->listen), "ipc://%s/repld.sock",
                     conf->data_dir);

        if (n < 0 || (size_t) n >= sizeof(conf->listen)) {
            snprintf(err, size, "data_dir too long for the default listen");
            return REPLD_ERR;
        }
    }

    if (strncmp(conf->listen, "ipc://", 6) != 0
        && strncmp(conf->listen, "tcp://", 6) != 0)
    {
        snprintf(err, size, "listen \"%s\" must start with ipc:// or tcp://",
                 conf->listen);
        return REPLD_ERR;
    }

    return REPLD_OK;
}


static int
repld_start(repld_t *rd)
{
    if (s3_store_init(rd->conf.data_dir, &rd->node_id) != S3_OK) {
        repld_log(REPLD_LOG_ERR, "cannot initialize the store in \"%s\": %s",
                  rd->conf.data_dir, strerror(errno));
        return REPLD_ERR;
    }

    rd->loop = repld_loop_create(REPLD_SETSIZE);
    if (rd->loop == NULL) {
        repld_log(REPLD_LOG_ERR, "cannot create the event loop: %s",
                  strerror(errno));
        return REPLD_ERR;
    }

    /* first: it refuses a data directory that is not this node's */

    if (rd->conf.cluster.name[0] != '\0') {
        rd->cluster = repld_cluster_start(rd->loop, &rd->conf.cluster,
                                          rd->node_id);
        if (rd->cluster == NULL) {
            return REPLD_ERR;
        }
    }

    if (repld_signals(rd) != REPLD_OK
        || repld_catalog_start(rd) != REPLD_OK)
    {
        return REPLD_ERR;
    }

    if (rd->cluster != NULL && rd->conf.cluster.npeers > 0) {
        rd->stream = repld_stream_create(&rd->conf.cluster, rd->node_id,
                                         rd->conf.data_dir, rd->catalog,
                                         rd->journal);
        if (rd->stream == NULL) {
            return REPLD_ERR;
        }
    }

    rd->server = repld_server_open(rd->loop, rd->conf.data_dir, rd->catalog,
                                   repld_fence, repld_wake, repld_admin, rd);
    if (rd->server == NULL || repld_listen(rd) != REPLD_OK) {
        return REPLD_ERR;
    }

    if (rd->cluster == NULL && rd->conf.redis_host[0] != '\0') {
        repld_redis_check(&rd->conf);
    }

    rd->next_pass = repld_time_ms() + rd->conf.reconcile_interval * 1000LL;
    rd->next_stats = repld_time_ms() + REPLD_STATS_MS;

    repld_timer_set(rd->loop, REPLD_TICK_MS, repld_tick, rd);
    repld_loop_before_sleep(rd->loop, repld_before_sleep, rd);

    return REPLD_OK;
}


static void
repld_stop(repld_t *rd)
{
    if (rd->cluster != NULL) {
        repld_cluster_stop(rd->cluster);
    }

    if (rd->server != NULL) {
        repld_server_close(rd->server);
    }

    if (rd->nn_sock != -1) {
        nn_close(rd->nn_sock);
    }

    if (rd->stream != NULL) {
        repld_stream_free(rd->stream);
    }

    if (rd->journal != NULL) {
        (void) repld_journal_commit(rd->journal);
        repld_journal_free(rd->journal);
    }

    if (rd->reconcile != NULL) {
        repld_reconcile_free(rd->reconcile);
    }

    if (rd->catalog != NULL) {
        repld_catalog_close(rd->catalog);
    }

    if (rd->sig_fd != -1) {
        close(rd->sig_fd);
    }

    if (rd->loop != NULL) {
        repld_loop_free(rd->loop);
    }
}


/*
 * Opens the catalog, applies the journal and, unless disabled, runs a
 * whole reconciliation pass before anything is served.
 */

static int
repld_catalog_start(repld_t *rd)
{
    int   created;
    char  path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/" REPLD_CATALOG, rd->conf.data_dir);

    rd->catalog = repld_catalog_open(path, &created);
    if (rd->catalog == NULL) {
        return REPLD_ERR;
    }

    repld_log(REPLD_LOG_INFO, "catalog \"%s\" opened%s", path,
              created ? " (new)" : "");

    rd->journal = repld_journal_create(rd->conf.data_dir, rd->catalog);
    rd->reconcile = repld_reconcile_create(rd->conf.data_dir, rd->catalog,
                                           rd->conf.reconcile_step,
                                           repld_catch_up, rd);

    if (rd->journal == NULL || rd->reconcile == NULL) {
        repld_log(REPLD_LOG_ERR, "out of memory");
        return REPLD_ERR;
    }

    /* from the first frame on: those applied at start-up are shipped too */

    if (rd->cluster != NULL && rd->conf.cluster.npeers > 0) {
        repld_journal_ship(rd->journal);
    }

    if (repld_fence(rd) != REPLD_OK) {
        return REPLD_ERR;
    }

    /*
     * The journal fence above makes the catalog complete for every change
     * that was journaled; the first reconciliation pass, which only
     * repairs what a lost frame left behind, runs in the timer's steps so
     * that listings are served from the start, even on a large store.
     */

    if (rd->conf.reconcile_start) {
        repld_reconcile_start(rd->reconcile);
    }

    return REPLD_OK;
}


/* Catches up with every journal file and makes it durable. */

static int
repld_fence(void *data)
{
    repld_t  *rd;

    rd = data;
    rd->wake = 0;

    if (repld_journal_ingest(rd->journal) == -1) {
        (void) repld_journal_commit(rd->journal);
        return REPLD_ERR;
    }

    return (repld_journal_commit(rd->journal) == 0) ? REPLD_OK : REPLD_ERR;
}


static int
repld_catch_up(void *data)
{
    repld_t  *rd;

    rd = data;

    return (repld_journal_ingest(rd->journal) == -1) ? REPLD_ERR : REPLD_OK;
}


static void
repld_wake(void *data)
{
    repld_t  *rd;

    rd = data;
    rd->wake = 1;
}


/*
 * "cluster status [json]" and "log-level [LEVEL]" from s3ctl, "metrics"
 * from the module
 */

static int
repld_admin(void *data, const char *payload, size_t len, repld_buf_t *out)
{
    int        rc, json;
    size_t     start;
    s3_str_t   cmd;
    repld_t   *rd;
    unsigned   status;

    rd = data;

    if (s3_listproto_decode_admin(&cmd, payload, len) != S3_OK
        || repld_buf_frame_open(out, &start) != 0)
    {
        return -1;
    }

    json = (cmd.len == sizeof("cluster status json") - 1
            && memcmp(cmd.data, "cluster status json", cmd.len) == 0);

    if (json || (cmd.len == sizeof("cluster status") - 1
                 && memcmp(cmd.data, "cluster status", cmd.len) == 0))
    {
        rc = repld_cluster_status(rd->cluster, rd->node_id, json, out);
        repld_buf_frame_close(out, start, 200);

    } else if (cmd.len >= sizeof("log-level") - 1
               && memcmp(cmd.data, "log-level", sizeof("log-level") - 1)
                  == 0)
    {
        rc = repld_admin_log_level(rd, &cmd, out, &status);
        repld_buf_frame_close(out, start, status);

    } else if (cmd.len == sizeof("metrics") - 1
               && memcmp(cmd.data, "metrics", cmd.len) == 0)
    {
        rc = repld_metrics(rd->catalog, rd->journal, rd->reconcile, out);
        repld_buf_frame_close(out, start, 200);

    } else {
        rc = repld_buf_printf(out, "unknown command \"%.*s\"\n",
                              (int) cmd.len, cmd.data);
        repld_buf_frame_close(out, start, 400);
    }

    return rc;
}


/*
 * "log-level" prints the level; "log-level LEVEL" sets it until the next
 * one (SIGHUP keeps it: the configuration's level is changed too).
 */

static int
repld_admin_log_level(repld_t *rd, s3_str_t *cmd, repld_buf_t *out,
    unsigned *status)
{
    int          level;
    char         name[16];
    size_t       len;
    const char  *was;

    *status = 200;

    if (cmd->len == sizeof("log-level") - 1) {
        return repld_buf_printf(out, "%s\n", repld_log_level_name());
    }

    len = cmd->len - sizeof("log-level");

    level = -1;

    if (cmd->data[sizeof("log-level") - 1] == ' ' && len < sizeof(name)) {
        memcpy(name, cmd->data + sizeof("log-level"), len);
        name[len] = '\0';
        level = repld_log_level(name);
    }

    if (level == -1) {
        *status = 400;
        return repld_buf_printf(out, "invalid log level \"%.*s\" (error, "
                                "warn, notice, info or debug)\n",
                                (int) len, cmd->data + sizeof("log-level"));
    }

    was = repld_log_level_name();

    repld_log_set_level(level);
    rd->conf.log_level = level;

    repld_log(REPLD_LOG_NOTICE, "log level %s (was %s), asked by s3ctl",
              name, was);

    return repld_buf_printf(out, "%s\n", name);
}


static int
repld_listen(repld_t *rd)
{
    int     fd, max;
    size_t  len;

    rd->nn_sock = nn_socket(AF_SP, NN_PULL);
    if (rd->nn_sock == -1) {
        repld_log(REPLD_LOG_ERR, "nn_socket() failed: %s",
                  nn_strerror(nn_errno()));
        return REPLD_ERR;
    }

    max = REPLD_NN_RCVMAX;

    if (nn_setsockopt(rd->nn_sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max,
                      sizeof(max)) < 0)
    {
        repld_log(REPLD_LOG_ERR, "nn_setsockopt(NN_RCVMAXSIZE) failed: %s",
                  nn_strerror(nn_errno()));
        return REPLD_ERR;
    }

    if (nn_bind(rd->nn_sock, rd->conf.listen) < 0) {
        repld_log(REPLD_LOG_ERR, "nn_bind(\"%s\") failed: %s",
                  rd->conf.listen, nn_strerror(nn_errno()));
        return REPLD_ERR;
    }

    len = sizeof(fd);

    if (nn_getsockopt(rd->nn_sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &len) < 0) {
        repld_log(REPLD_LOG_ERR, "nn_getsockopt(NN_RCVFD) failed: %s",
                  nn_strerror(nn_errno()));
        return REPLD_ERR;
    }

    if (repld_file_add(rd->loop, fd, REPLD_READABLE, repld_hint_handler, rd)
        != REPLD_OK)
    {
        repld_log(REPLD_LOG_ERR, "cannot watch the nanomsg socket: %s",
                  strerror(errno));
        return REPLD_ERR;
    }

    return REPLD_OK;
}


/*
 * Every message is a hint that a journal grew, and in a cluster it may
 * be a peer's changes or acknowledgement (repld_stream.c): drain them
 * all.  The journal and the peers' cursors are the truth, so a message
 * lost here is only sent again.
 */

static void
repld_hint_handler(repld_loop_t *loop, int fd, void *data, int mask)
{
    int       n;
    void     *msg;
    repld_t  *rd;

    (void) loop;
    (void) fd;
    (void) mask;

    rd = data;

    for ( ;; ) {
        n = nn_recv(rd->nn_sock, &msg, NN_MSG, NN_DONTWAIT);

        if (n < 0) {
            if (nn_errno() != EAGAIN && nn_errno() != EINTR) {
                repld_log(REPLD_LOG_ERR, "nn_recv() failed: %s",
                          nn_strerror(nn_errno()));
            }

            return;
        }

        rd->hints++;
        rd->wake = 1;

        if (rd->stream != NULL) {
            repld_stream_recv(rd->stream, msg, n);
        }

        nn_freemsg(msg);
    }
}


static int
repld_signals(repld_t *rd)
{
    sigset_t  set;

    signal(SIGPIPE, SIG_IGN);

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        repld_log(REPLD_LOG_ERR, "sigprocmask() failed: %s", strerror(errno));
        return REPLD_ERR;
    }

    rd->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (rd->sig_fd == -1) {
        repld_log(REPLD_LOG_ERR, "signalfd() failed: %s", strerror(errno));
        return REPLD_ERR;
    }

    if (repld_file_add(rd->loop, rd->sig_fd, REPLD_READABLE,
                       repld_signal_handler, rd)
        != REPLD_OK)
    {
        repld_log(REPLD_LOG_ERR, "cannot watch the signalfd: %s",
                  strerror(errno));
        return REPLD_ERR;
    }

    return REPLD_OK;
}


static void
repld_signal_handler(repld_loop_t *loop, int fd, void *data, int mask)
{
    repld_t                  *rd;
    struct signalfd_siginfo   si;

    (void) mask;

    rd = data;

    while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {

        if (si.ssi_signo == SIGHUP) {
            repld_log(REPLD_LOG_NOTICE, "SIGHUP: reopening the log file");

            if (repld_log_open(rd->conf.log_file, rd->conf.log_level) != 0) {
                repld_log(REPLD_LOG_ERR, "cannot reopen \"%s\": %s",
                          rd->conf.log_file, strerror(errno));
            }

            continue;
        }

        if (si.ssi_signo == SIGUSR1) {
            repld_stats(rd, REPLD_LOG_NOTICE);
            continue;
        }

        repld_log(REPLD_LOG_NOTICE, "%s: shutting down",
                  si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        repld_loop_stop(loop);
    }
}


/*
 * Every 200 ms: catch up with the journal (hints only make it sooner),
 * one reconciliation step, connection time-outs, the cluster's heartbeat
 * and Redis retries, the stats line.
 */

static int64_t
repld_tick(repld_loop_t *loop, void *data)
{
    int64_t   now;
    repld_t  *rd;

    (void) loop;

    rd = data;
    now = repld_time_ms();

    (void) repld_journal_ingest(rd->journal);

    if (rd->conf.reconcile_interval > 0 && now >= rd->next_pass) {
        repld_reconcile_start(rd->reconcile);
        rd->next_pass = now + rd->conf.reconcile_interval * 1000LL;
    }

    (void) repld_reconcile_step(rd->reconcile);

    repld_server_expire(rd->server, REPLD_CONN_TIMEOUT);

    if (rd->cluster != NULL) {
        repld_lag(rd);
        repld_cluster_tick(rd->cluster, now);
    }

    if (now >= rd->next_stats) {
        repld_stats(rd, REPLD_LOG_INFO);
        rd->next_stats = now + REPLD_STATS_MS;
    }

    return REPLD_TICK_MS;
}


/*
 * The turn's changes are written once, synced, before anything is
 * answered: the listings waiting are answered after their fence.
 */

static void
repld_before_sleep(repld_loop_t *loop, void *data)
{
    repld_t  *rd;

    (void) loop;

    rd = data;

    if (rd->wake) {
        rd->wake = 0;
        (void) repld_journal_ingest(rd->journal);
    }

    repld_server_answer(rd->server);

    (void) repld_journal_commit(rd->journal);

    /* acknowledgements only of what the batch above made durable */

    if (rd->stream != NULL) {
        repld_stream_flushed(rd->stream);
    }
}


/* the stream's figures, for the lease and "cluster status" */

static void
repld_lag(repld_t *rd)
{
    int          i;
    repld_lag_t  lag;

    if (rd->stream == NULL) {
        return;
    }

    for (i = 0; repld_stream_lag(rd->stream, i, &lag) == 0; i++) {
        repld_cluster_lag(rd->cluster, i, &lag);
    }
}


static void
repld_stats(repld_t *rd, int level)
{
    repld_journal_stats_t    js;
    repld_catalog_stats_t    cs;
    repld_server_stats_t     ss;
    repld_reconcile_stats_t  rs;
    repld_stream_stats_t     st;

    repld_journal_stats(rd->journal, &js);
    repld_catalog_stats(rd->catalog, &cs);
    repld_reconcile_stats(rd->reconcile, &rs);

    if (rd->server != NULL) {
        repld_server_stats(rd->server, &ss);

    } else {
        memset(&ss, 0, sizeof(ss));
    }

    repld_log(level, "stats: journal %llu frames, %llu bytes, %llu files "
              "tailed, %llu removed; catalog %llu batches, %llu writes, "
              "%llu ms syncing, %llu failed; reconcile %llu passes, %llu "
              "repaired, %llu entries and %llu files in the last pass "
              "(%lld ms)%s; listings %llu answered, %llu refused, %llu "
              "open; hints %llu",
              (unsigned long long) js.frames, (unsigned long long) js.bytes,
              (unsigned long long) js.files, (unsigned long long) js.trimmed,
              (unsigned long long) cs.flushes, (unsigned long long) cs.writes,
              (unsigned long long) (cs.flush_us / 1000),
              (unsigned long long) cs.failures,
              (unsigned long long) rs.passes,
              (unsigned long long) rs.repaired,
              (unsigned long long) rs.objects, (unsigned long long) rs.files,
              (long long) rs.last_ms, rs.running ? ", one running" : "",
              (unsigned long long) ss.requests,
              (unsigned long long) ss.refused, (unsigned long long) ss.open,
              (unsigned long long) (ss.hints + rd->hints));

    if (rd->stream == NULL) {
        return;
    }

    repld_stream_stats(rd->stream, &st);

    repld_log(level, "stats: stream %llu batches sent, %llu times sent "
              "again; %llu changes applied, %llu of them stale; %llu "
              "messages refused", (unsigned long long) st.batches,
              (unsigned long long) st.resent, (unsigned long long) st.applied,
              (unsigned long long) st.stale, (unsigned long long) st.refused);
}


static void
repld_redis_check(const repld_conf_t *conf)
{
    redisReply      *reply;
    redisContext    *c;
    struct timeval   tv;

    tv.tv_sec = REPLD_REDIS_TIMEOUT;
    tv.tv_usec = 0;

    c = redisConnectWithTimeout(conf->redis_host, conf->redis_port, tv);

    if (c == NULL || c->err) {
        repld_log(REPLD_LOG_WARN, "redis %s:%d: cannot connect: %s "
                  "(going on without redis)", conf->redis_host,
                  conf->redis_port, c ? c->errstr : "out of memory");
        redisFree(c);
        return;
    }

    reply = redisCommand(c, "PING");

    if (reply == NULL) {
        repld_log(REPLD_LOG_WARN, "redis %s:%d: PING failed: %s",
                  conf->redis_host, conf->redis_port, c->errstr);

    } else {
        repld_log(REPLD_LOG_NOTICE, "redis %s:%d: connected, PING: %s",
                  conf->redis_host, conf->redis_port,
                  reply->str ? reply->str : "(no string)");
        freeReplyObject(reply);
    }

    redisFree(c);
}
