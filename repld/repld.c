
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld: the per-node sidecar.  This first version reads its
 * configuration, opens the LevelDB catalog, binds the nanomsg socket that
 * nginx workers send wake-up hints to, checks Redis once, and runs the
 * event loop until SIGTERM or SIGINT.  It does not tail the journal yet.
 */


#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <leveldb/c.h>
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>

#include "s3_store.h"
#include "repld_event.h"


#define REPLD_VERSION        "0.1.0"
#define REPLD_SETSIZE        1024
#define REPLD_CRON_MS        1000
#define REPLD_LINE_MAX       4096
#define REPLD_ADDR_MAX       (PATH_MAX + 16)
#define REPLD_CATALOG        "catalog"
#define REPLD_CATALOG_FORMAT "repld catalog 1"
#define REPLD_REDIS_TIMEOUT  1

#define REPLD_LOG_ERR        0
#define REPLD_LOG_WARN       1
#define REPLD_LOG_NOTICE     2
#define REPLD_LOG_INFO       3
#define REPLD_LOG_DEBUG      4


typedef struct {
    char                data_dir[PATH_MAX];
    char                listen[REPLD_ADDR_MAX];
    char                log_file[PATH_MAX];     /* empty: stderr */
    int                 log_level;
    char                redis_host[256];        /* empty: no redis */
    int                 redis_port;
} repld_conf_t;


typedef struct {
    repld_conf_t        conf;
    repld_loop_t       *loop;
    leveldb_t          *catalog;
    int                 nn_sock;
    int                 sig_fd;
    uint32_t            node_id;
    uint64_t            hints;                  /* messages received */
} repld_t;


static void repld_usage(FILE *out);
static int repld_parse_args(int argc, char **argv, const char **conf_file,
    int *check);
static int repld_conf_read(const char *file, repld_conf_t *conf);
static int repld_conf_line(repld_conf_t *conf, char *line, char *err,
    size_t size);
static int repld_conf_value(repld_conf_t *conf, const char *key,
    const char *value, char *err, size_t size);
static int repld_conf_level(const char *name);
static int repld_conf_redis(repld_conf_t *conf, const char *value);
static int repld_conf_finish(repld_conf_t *conf, char *err, size_t size);
static int repld_log_open(const repld_conf_t *conf);
static void repld_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int repld_start(repld_t *rd);
static void repld_stop(repld_t *rd);
static int repld_catalog_open(repld_t *rd);
static int repld_listen(repld_t *rd);
static void repld_hint_handler(repld_loop_t *loop, int fd, void *data,
    int mask);
static int repld_signals(repld_t *rd);
static void repld_signal_handler(repld_loop_t *loop, int fd, void *data,
    int mask);
static int64_t repld_cron(repld_loop_t *loop, void *data);
static void repld_redis_check(const repld_conf_t *conf);


static FILE        *repld_log_out;
static int          repld_log_level = REPLD_LOG_NOTICE;
static const char  *repld_log_levels[] = {
    "error", "warn", "notice", "info", "debug", NULL
};


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

    if (repld_log_open(&rd.conf) != REPLD_OK) {
        return 1;
    }

    rc = 1;

    if (repld_start(&rd) == REPLD_OK) {
        repld_log(REPLD_LOG_NOTICE, "repld " REPLD_VERSION " started: "
                  "node %08x, data \"%s\", listen \"%s\"", rd.node_id,
                  rd.conf.data_dir, rd.conf.listen);
        repld_log(REPLD_LOG_NOTICE, "journal tailing is not implemented yet");

        if (repld_loop_run(rd.loop) == REPLD_OK) {
            rc = 0;

        } else {
            repld_log(REPLD_LOG_ERR, "epoll_wait() failed: %s",
                      strerror(errno));
        }
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
    int      n;
    char    *dst;
    size_t   len;

    if (strcmp(key, "log_level") == 0) {
        conf->log_level = repld_conf_level(value);

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
repld_conf_level(const char *name)
{
    int  i;

    for (i = 0; repld_log_levels[i] != NULL; i++) {
        if (strcmp(name, repld_log_levels[i]) == 0) {
            return i;
        }
    }

    return -1;
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
repld_log_open(const repld_conf_t *conf)
{
    FILE  *f;

    repld_log_level = conf->log_level;

    if (conf->log_file[0] == '\0' || strcmp(conf->log_file, "stderr") == 0) {
        repld_log_out = stderr;
        return REPLD_OK;
    }

    f = fopen(conf->log_file, "ae");
    if (f == NULL) {
        fprintf(stderr, "repld: cannot open log file \"%s\": %s\n",
                conf->log_file, strerror(errno));
        return REPLD_ERR;
    }

    setvbuf(f, NULL, _IOLBF, 0);

    if (repld_log_out != NULL && repld_log_out != stderr) {
        fclose(repld_log_out);
    }

    repld_log_out = f;

    return REPLD_OK;
}


static void
repld_log(int level, const char *fmt, ...)
{
    FILE       *out;
    char        date[32];
    time_t      now;
    va_list     args;
    struct tm   tm;

    if (level > repld_log_level) {
        return;
    }

    out = repld_log_out ? repld_log_out : stderr;

    now = time(NULL);
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y/%m/%d %H:%M:%S", &tm);

    fprintf(out, "%s [%s] %d: ", date, repld_log_levels[level],
            (int) getpid());

    va_start(args, fmt);
    vfprintf(out, fmt, args);
    va_end(args);

    fputc('\n', out);
    fflush(out);
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

    if (repld_signals(rd) != REPLD_OK
        || repld_catalog_open(rd) != REPLD_OK
        || repld_listen(rd) != REPLD_OK)
    {
        return REPLD_ERR;
    }

    if (rd->conf.redis_host[0] != '\0') {
        repld_redis_check(&rd->conf);
    }

    repld_timer_set(rd->loop, REPLD_CRON_MS, repld_cron, rd);

    return REPLD_OK;
}


static void
repld_stop(repld_t *rd)
{
    if (rd->nn_sock != -1) {
        nn_close(rd->nn_sock);
    }

    if (rd->catalog != NULL) {
        leveldb_close(rd->catalog);
    }

    if (rd->sig_fd != -1) {
        close(rd->sig_fd);
    }

    if (rd->loop != NULL) {
        repld_loop_free(rd->loop);
    }
}


static int
repld_catalog_open(repld_t *rd)
{
    int                    rc;
    char                  *err, *value, path[PATH_MAX + 16];
    size_t                 len;
    leveldb_options_t     *opts;
    leveldb_readoptions_t *ro;
    leveldb_writeoptions_t *wo;

    snprintf(path, sizeof(path), "%s/" REPLD_CATALOG, rd->conf.data_dir);

    err = NULL;
    opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(opts, 1);
    rd->catalog = leveldb_open(opts, path, &err);
    leveldb_options_destroy(opts);

    if (err != NULL) {
        repld_log(REPLD_LOG_ERR, "cannot open the catalog \"%s\": %s", path,
                  err);
        leveldb_free(err);
        return REPLD_ERR;
    }

    ro = leveldb_readoptions_create();
    value = leveldb_get(rd->catalog, ro, "format", 6, &len, &err);
    leveldb_readoptions_destroy(ro);

    rc = REPLD_OK;

    if (err == NULL && value == NULL) {
        wo = leveldb_writeoptions_create();
        leveldb_writeoptions_set_sync(wo, 1);
        leveldb_put(rd->catalog, wo, "format", 6, REPLD_CATALOG_FORMAT,
                    sizeof(REPLD_CATALOG_FORMAT) - 1, &err);
        leveldb_writeoptions_destroy(wo);
    }

    if (err != NULL) {
        repld_log(REPLD_LOG_ERR, "catalog \"%s\": %s", path, err);
        leveldb_free(err);
        rc = REPLD_ERR;

    } else {
        repld_log(REPLD_LOG_INFO, "catalog \"%s\" opened%s", path,
                  value ? "" : " (new)");
    }

    leveldb_free(value);

    return rc;
}


static int
repld_listen(repld_t *rd)
{
    int     fd;
    size_t  len;

    rd->nn_sock = nn_socket(AF_SP, NN_PULL);
    if (rd->nn_sock == -1) {
        repld_log(REPLD_LOG_ERR, "nn_socket() failed: %s",
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
 * A hint only says "a journal grew": drain every queued message.  The
 * journal itself is the source of truth, so nothing here can be lost.
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
        repld_log(REPLD_LOG_DEBUG, "hint: %d bytes", n);
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
            (void) repld_log_open(&rd->conf);
            continue;
        }

        repld_log(REPLD_LOG_NOTICE, "%s: shutting down",
                  si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        repld_loop_stop(loop);
    }
}


static int64_t
repld_cron(repld_loop_t *loop, void *data)
{
    repld_t  *rd;

    (void) loop;

    rd = data;

    repld_log(REPLD_LOG_DEBUG, "cron: %lu hints so far",
              (unsigned long) rd->hints);

    return REPLD_CRON_MS;
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
