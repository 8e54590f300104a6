
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "s3_listproto.h"

#include "repld_list.h"
#include "repld_log.h"
#include "repld_server.h"


#define REPLD_SERVER_BACKLOG   511
#define REPLD_FRAME_MAX        (S3_LISTPROTO_HEADER_LEN                    \
                                + S3_LISTPROTO_MAX_REQUEST)


typedef enum {
    REPLD_CONN_READ = 0,             /* reading the request frame */
    REPLD_CONN_READY,                /* complete: answered before sleep */
    REPLD_CONN_WRITE                 /* writing the response frame */
} repld_conn_state_e;


typedef struct repld_conn_s  repld_conn_t;

struct repld_conn_s {
    repld_conn_t             *next;
    repld_conn_t             *prev;
    repld_server_t           *srv;
    int                       fd;
    repld_conn_state_e        state;
    int64_t                   start;
    size_t                    len;          /* bytes of in[] read */
    size_t                    need;         /* frame length, header incl. */
    size_t                    sent;
    repld_buf_t               out;
    char                      in[REPLD_FRAME_MAX];
};


struct repld_server_s {
    repld_loop_t             *loop;
    repld_catalog_t          *cat;
    repld_fence_pt            fence;
    repld_wake_pt             wake;
    repld_admin_pt            admin;
    void                     *data;
    int                       list_fd;
    int                       hint_fd;
    repld_conn_t             *conns;
    size_t                    ready;
    repld_server_stats_t      stats;
    char                      list_path[PATH_MAX];
    char                      hint_path[PATH_MAX];
};


static int repld_server_bind(const char *path, int type);
static void repld_server_accept(repld_loop_t *loop, int fd, void *data,
    int mask);
static void repld_server_read(repld_loop_t *loop, int fd, void *data,
    int mask);
static int repld_server_frame(repld_conn_t *c);
static void repld_server_reply(repld_server_t *srv, repld_conn_t *c,
    int fenced);
static void repld_server_write(repld_loop_t *loop, int fd, void *data,
    int mask);
static void repld_server_drop(repld_conn_t *c);
static void repld_server_hint(repld_loop_t *loop, int fd, void *data,
    int mask);


repld_server_t *
repld_server_open(repld_loop_t *loop, const char *root, repld_catalog_t *cat,
    repld_fence_pt fence, repld_wake_pt wake, repld_admin_pt admin,
    void *data)
{
    repld_server_t  *srv;

    srv = calloc(1, sizeof(repld_server_t));
    if (srv == NULL) {
        repld_log(REPLD_LOG_ERR, "server: out of memory");
        return NULL;
    }

    srv->loop = loop;
    srv->cat = cat;
    srv->fence = fence;
    srv->wake = wake;
    srv->admin = admin;
    srv->data = data;
    srv->hint_fd = -1;

    snprintf(srv->list_path, sizeof(srv->list_path), "%s/%s", root,
             S3_LISTPROTO_LIST_SOCK);
    snprintf(srv->hint_path, sizeof(srv->hint_path), "%s/%s", root,
             S3_LISTPROTO_HINT_SOCK);

    srv->list_fd = repld_server_bind(srv->list_path, SOCK_STREAM);

    if (srv->list_fd != -1) {
        srv->hint_fd = repld_server_bind(srv->hint_path, SOCK_DGRAM);
    }

    if (srv->hint_fd == -1
        || repld_file_add(loop, srv->list_fd, REPLD_READABLE,
                          repld_server_accept, srv)
           != REPLD_OK
        || repld_file_add(loop, srv->hint_fd, REPLD_READABLE,
                          repld_server_hint, srv)
           != REPLD_OK)
    {
        if (srv->list_fd != -1 && srv->hint_fd != -1) {
            repld_log(REPLD_LOG_ERR, "server: cannot watch the sockets: %s",
                      strerror(errno));
        }

        repld_server_close(srv);
        return NULL;
    }

    return srv;
}


void
repld_server_close(repld_server_t *srv)
{
    while (srv->conns != NULL) {
        repld_server_drop(srv->conns);
    }

    if (srv->list_fd != -1) {
        repld_file_del(srv->loop, srv->list_fd, REPLD_READABLE);
        close(srv->list_fd);
        (void) unlink(srv->list_path);
    }

    if (srv->hint_fd != -1) {
        repld_file_del(srv->loop, srv->hint_fd, REPLD_READABLE);
        close(srv->hint_fd);
        (void) unlink(srv->hint_path);
    }

    free(srv);
}


void
repld_server_answer(repld_server_t *srv)
{
    int            fenced;
    repld_conn_t  *c, *next;

    if (srv->ready == 0) {
        return;
    }

    fenced = (srv->fence(srv->data) == REPLD_OK);

    for (c = srv->conns; c != NULL; c = next) {
        next = c->next;

        if (c->state == REPLD_CONN_READY) {
            repld_server_reply(srv, c, fenced);
        }
    }
}


void
repld_server_expire(repld_server_t *srv, int64_t timeout_ms)
{
    int64_t        now;
    repld_conn_t  *c, *next;

    now = repld_time_ms();

    for (c = srv->conns; c != NULL; c = next) {
        next = c->next;

        if (c->state != REPLD_CONN_READY && now - c->start > timeout_ms) {
            repld_log(REPLD_LOG_INFO, "server: connection %d timed out",
                      c->fd);
            repld_server_drop(c);
        }
    }
}


void
repld_server_stats(const repld_server_t *srv, repld_server_stats_t *stats)
{
    *stats = srv->stats;
}


static int
repld_server_bind(const char *path, int type)
{
    int                 fd;
    struct sockaddr_un  sa;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        repld_log(REPLD_LOG_ERR, "server: socket path \"%s\" is longer than "
                  "%d bytes", path, (int) sizeof(sa.sun_path) - 1);
        return -1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));

    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        repld_log(REPLD_LOG_ERR, "server: socket() failed: %s",
                  strerror(errno));
        return -1;
    }

    /* the catalog's lock already proved that no other repld owns it */

    if (unlink(path) == -1 && errno != ENOENT) {
        repld_log(REPLD_LOG_ERR, "server: unlink(\"%s\") failed: %s", path,
                  strerror(errno));
        close(fd);
        return -1;
    }

    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || chmod(path, 0666) == -1
        || (type == SOCK_STREAM && listen(fd, REPLD_SERVER_BACKLOG) == -1))
    {
        repld_log(REPLD_LOG_ERR, "server: cannot listen on \"%s\": %s", path,
                  strerror(errno));
        close(fd);
        return -1;
    }

    return fd;
}


static void
repld_server_accept(repld_loop_t *loop, int fd, void *data, int mask)
{
    int              s;
    repld_conn_t    *c;
    repld_server_t  *srv;

    (void) mask;

    srv = data;

    for ( ;; ) {
        s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (s == -1) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }

            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                repld_log(REPLD_LOG_WARN, "server: accept() failed: %s",
                          strerror(errno));
            }

            return;
        }

        c = calloc(1, sizeof(repld_conn_t));

        if (c == NULL
            || repld_file_add(loop, s, REPLD_READABLE, repld_server_read, c)
               != REPLD_OK)
        {
            repld_log(REPLD_LOG_WARN, "server: connection refused: %s",
                      strerror(errno));
            free(c);
            close(s);
            continue;
        }

        c->srv = srv;
        c->fd = s;
        c->start = repld_time_ms();
        c->next = srv->conns;

        if (srv->conns != NULL) {
            srv->conns->prev = c;
        }

        srv->conns = c;
        srv->stats.open++;
    }
}


static void
repld_server_read(repld_loop_t *loop, int fd, void *data, int mask)
{
    ssize_t        n;
    repld_conn_t  *c;

    (void) loop;
    (void) mask;

    c = data;

    for ( ;; ) {
        n = read(fd, c->in + c->len,
                 (c->need ? c->need : S3_LISTPROTO_HEADER_LEN) - c->len);

        if (n > 0) {
            c->len += n;

            if (repld_server_frame(c) != REPLD_OK) {
                c->srv->stats.refused++;
                repld_server_drop(c);
                return;
            }

            if (c->state == REPLD_CONN_READY) {
                return;
            }

            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }

        /* the end or an error before a complete frame */

        repld_server_drop(c);
        return;
    }
}


/* Checks the header once it is in; marks a complete frame ready. */

static int
repld_server_frame(repld_conn_t *c)
{
    size_t                len;
    const unsigned char  *p;

    if (c->need == 0 && c->len == S3_LISTPROTO_HEADER_LEN) {
        p = (const unsigned char *) c->in;
        len = p[0] | p[1] << 8 | p[2] << 16 | (size_t) p[3] << 24;

        if (len == 0 || len > S3_LISTPROTO_MAX_REQUEST) {
            repld_log(REPLD_LOG_INFO, "server: request of %zu bytes refused",
                      len);
            return REPLD_ERR;
        }

        c->need = S3_LISTPROTO_HEADER_LEN + len;
    }

    if (c->need != 0 && c->len == c->need) {
        repld_file_del(c->srv->loop, c->fd, REPLD_READABLE);
        c->state = REPLD_CONN_READY;
        c->srv->ready++;
    }

    return REPLD_OK;
}


static void
repld_server_reply(repld_server_t *srv, repld_conn_t *c, int fenced)
{
    int          rc, admin;
    size_t       len;
    const char  *payload;

    c->state = REPLD_CONN_WRITE;
    srv->ready--;

    payload = c->in + S3_LISTPROTO_HEADER_LEN;
    len = c->len - S3_LISTPROTO_HEADER_LEN;
    admin = (payload[0] == S3_LISTPROTO_ADMIN);

    if (!fenced && !admin) {
        srv->stats.refused++;
        repld_server_drop(c);
        return;
    }

    rc = admin ? srv->admin(srv->data, payload, len, &c->out)
               : repld_list_answer(srv->cat, payload, len, &c->out);

    if (rc != 0) {
        repld_log(REPLD_LOG_INFO, "server: request not answered: %s",
                  strerror(errno));
        srv->stats.refused++;
        repld_server_drop(c);
        return;
    }

    srv->stats.requests++;

    repld_server_write(srv->loop, c->fd, c, REPLD_WRITABLE);
}


static void
repld_server_write(repld_loop_t *loop, int fd, void *data, int mask)
{
    ssize_t        n;
    repld_conn_t  *c;

    (void) mask;

    c = data;

    while (c->sent < c->out.len) {
        n = write(fd, c->out.data + c->sent, c->out.len - c->sent);

        if (n > 0) {
            c->sent += n;
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (repld_file_add(loop, fd, REPLD_WRITABLE, repld_server_write,
                               c)
                != REPLD_OK)
            {
                repld_server_drop(c);
            }

            return;
        }

        /* the worker went away */

        repld_server_drop(c);
        return;
    }

    repld_server_drop(c);
}


static void
repld_server_drop(repld_conn_t *c)
{
    repld_server_t  *srv;

    srv = c->srv;

    repld_file_del(srv->loop, c->fd, REPLD_READABLE | REPLD_WRITABLE);
    close(c->fd);

    if (c->state == REPLD_CONN_READY) {
        srv->ready--;
    }

    if (c->prev != NULL) {
        c->prev->next = c->next;

    } else {
        srv->conns = c->next;
    }

    if (c->next != NULL) {
        c->next->prev = c->prev;
    }

    srv->stats.open--;

    free(c->out.data);
    free(c);
}


/* A datagram only says "a journal grew": drain them, wake up once. */

static void
repld_server_hint(repld_loop_t *loop, int fd, void *data, int mask)
{
    char             buf[64];
    ssize_t          n;
    uint64_t         hints;
    repld_server_t  *srv;

    (void) loop;
    (void) mask;

    srv = data;
    hints = 0;

    for ( ;; ) {
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n >= 0) {
            hints++;
            continue;
        }

        if (errno == EINTR) {
            continue;
        }

        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            repld_log(REPLD_LOG_WARN, "server: recv() failed: %s",
                      strerror(errno));
        }

        break;
    }

    if (hints) {
        srv->stats.hints += hints;
        srv->wake(srv->data);
    }
}
