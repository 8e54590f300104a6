
/*
 * Copyright (C) ngx_s3 developers
 *
 * headload: the HEAD load of `make bench`.  wrk 4.1 (Debian 12) cannot
 * measure HEAD: its HTTP parser waits for the body that Content-Length
 * announces (wg/wrk issue #198), so every HEAD ends in a read timeout.
 * This replays the same request file as t/bench/replay.lua (one request
 * per line: METHOD, PATH, "Name: value" headers, tab-separated), with
 * THREADS threads of one epoll loop each and CONNECTIONS keep-alive
 * connections, one request in flight per connection, for SECONDS, and
 * prints its result in wrk's words, so that the bench reads both alike:
 *
 *     headload HOST PORT SECONDS THREADS CONNECTIONS REQUESTS
 *
 * A response is its header block (up to the empty line): it must have no
 * body, as HEAD responses do.
 *
 * Build: cc -O2 -pthread t/bench/headload.c -o build/bench-headload
 */


#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#define HL_BUF      16384
#define HL_SAMPLES  (4 * 1024 * 1024)


typedef struct {
    int             fd;
    size_t          req;             /* index of the request in flight */
    size_t          sent;            /* bytes of it sent */
    size_t          have;            /* bytes of the response read */
    double          start;
    char            buf[HL_BUF];
} hl_conn_t;


typedef struct {
    int             id;
    int             nconns;
    double          until;
    unsigned long   done;
    unsigned long   non2xx;
    unsigned long   read_errors;
    unsigned long   connect_errors;
    size_t          nsamples;
    float          *samples;         /* latencies, ms */
    pthread_t       tid;
} hl_thread_t;


static struct sockaddr_in   hl_addr;
static char               **hl_reqs;
static size_t              *hl_lens;
static size_t               hl_nreqs;


static double hl_now(void);
static int hl_connect(hl_conn_t *c, int ep);
static void hl_send(hl_thread_t *t, hl_conn_t *c);
static int hl_read(hl_thread_t *t, hl_conn_t *c);
static void *hl_thread(void *arg);
static int hl_load(const char *path);
static int hl_cmp(const void *a, const void *b);


int
main(int argc, char **argv)
{
    int             i, nthreads, nconns;
    double          seconds, start, elapsed;
    size_t          n, k;
    float          *all;
    hl_thread_t    *threads;
    unsigned long   done, non2xx, rerr, cerr;

    if (argc != 7) {
        fprintf(stderr, "usage: headload HOST PORT SECONDS THREADS "
                "CONNECTIONS REQUESTS\n");
        return 2;
    }

    memset(&hl_addr, 0, sizeof(hl_addr));
    hl_addr.sin_family = AF_INET;
    hl_addr.sin_port = htons(atoi(argv[2]));

    if (inet_pton(AF_INET, argv[1], &hl_addr.sin_addr) != 1) {
        fprintf(stderr, "headload: bad address %s\n", argv[1]);
        return 2;
    }

    (void) signal(SIGPIPE, SIG_IGN);

    seconds = atof(argv[3]);
    nthreads = atoi(argv[4]);
    nconns = atoi(argv[5]);

    if (nthreads < 1 || nconns < nthreads || hl_load(argv[6]) != 0) {
        return 2;
    }

    threads = calloc(nthreads, sizeof(hl_thread_t));
    if (threads == NULL) {
        return 1;
    }

    start = hl_now();

    for (i = 0; i < nthreads; i++) {
        threads[i].id = i;
        threads[i].nconns = nconns / nthreads
                            + (i < nconns % nthreads ? 1 : 0);
        threads[i].until = start + seconds;
        threads[i].samples = malloc(HL_SAMPLES * sizeof(float));

        if (threads[i].samples == NULL
            || pthread_create(&threads[i].tid, NULL, hl_thread, &threads[i])
               != 0)
        {
            fprintf(stderr, "headload: cannot start a thread\n");
            return 1;
        }
    }

    done = non2xx = rerr = cerr = 0;
    n = 0;

    for (i = 0; i < nthreads; i++) {
        (void) pthread_join(threads[i].tid, NULL);
        done += threads[i].done;
        non2xx += threads[i].non2xx;
        rerr += threads[i].read_errors;
        cerr += threads[i].connect_errors;
        n += threads[i].nsamples;
    }

    elapsed = hl_now() - start;

    all = malloc((n + 1) * sizeof(float));
    if (all == NULL) {
        return 1;
    }

    k = 0;
    for (i = 0; i < nthreads; i++) {
        memcpy(all + k, threads[i].samples,
               threads[i].nsamples * sizeof(float));
        k += threads[i].nsamples;
    }

    qsort(all, n, sizeof(float), hl_cmp);

    printf("  Latency Distribution\n");
    printf("     50%%  %.3fms\n", n ? all[n / 2] : 0.0);
    printf("     99%%  %.3fms\n", n ? all[(size_t) (n * 0.99)] : 0.0);
    printf("  %lu requests in %.2fs\n", done, elapsed);
    printf("  Socket errors: connect %lu, read %lu, write 0, timeout 0\n",
           cerr, rerr);

    if (non2xx) {
        printf("  Non-2xx or 3xx responses: %lu\n", non2xx);
    }

    printf("Requests/sec: %.2f\n", done / elapsed);

    return 0;
}


static double
hl_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
hl_connect(hl_conn_t *c, int ep)
{
    int                 one;
    struct epoll_event  ev;

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd == -1) {
        return -1;
    }

    one = 1;
    (void) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (connect(c->fd, (struct sockaddr *) &hl_addr, sizeof(hl_addr)) == -1)
    {
        (void) close(c->fd);
        c->fd = -1;
        return -1;
    }

    ev.events = EPOLLIN;
    ev.data.ptr = c;

    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
        (void) close(c->fd);
        c->fd = -1;
        return -1;
    }

    return 0;
}


/* blocking send of the (small) request: the socket buffer takes it */

static void
hl_send(hl_thread_t *t, hl_conn_t *c)
{
    ssize_t  n;

    c->req = (c->req + 1) % hl_nreqs;
    c->have = 0;
    c->start = hl_now();

    for (c->sent = 0; c->sent < hl_lens[c->req]; c->sent += n) {
        n = write(c->fd, hl_reqs[c->req] + c->sent,
                  hl_lens[c->req] - c->sent);
        if (n <= 0) {
            t->read_errors++;
            return;
        }
    }
}


/* returns 1 when a whole response was read, 0 for more, -1 on EOF/error */

static int
hl_read(hl_thread_t *t, hl_conn_t *c)
{
    char     *end;
    ssize_t   n;

    n = read(c->fd, c->buf + c->have, HL_BUF - 1 - c->have);

    if (n <= 0) {
        return -1;
    }

    c->have += n;
    c->buf[c->have] = '\0';

    end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL) {
        return (c->have < HL_BUF - 1) ? 0 : -1;
    }

    if (strncmp(c->buf, "HTTP/1.1 2", 10) != 0) {
        t->non2xx++;
    }

    if (end + 4 != c->buf + c->have) {
        /* a body, or a second response: not a HEAD answer */
        t->non2xx++;
    }

    if (t->nsamples < HL_SAMPLES) {
        t->samples[t->nsamples++] = (hl_now() - c->start) * 1000;
    }

    t->done++;

    return 1;
}


static void *
hl_thread(void *arg)
{
    hl_thread_t *t = arg;

    int                 ep, i, n, rc;
    hl_conn_t          *conns, *c;
    struct epoll_event  evs[256];

    ep = epoll_create1(0);
    conns = calloc(t->nconns, sizeof(hl_conn_t));

    if (ep == -1 || conns == NULL) {
        return NULL;
    }

    for (i = 0; i < t->nconns; i++) {
        conns[i].req = (t->id * 7919 + i * 31) % hl_nreqs;

        if (hl_connect(&conns[i], ep) != 0) {
            t->connect_errors++;
            continue;
        }

        hl_send(t, &conns[i]);
    }

    while (hl_now() < t->until) {
        n = epoll_wait(ep, evs, 256, 100);

        for (i = 0; i < n; i++) {
            c = evs[i].data.ptr;
            rc = hl_read(t, c);

            if (rc == 0) {
                continue;
            }

            if (rc == -1) {
                /* closed by the server (keepalive_requests) or broken */
                if (c->have != 0) {
                    t->read_errors++;
                }

                (void) close(c->fd);

                if (hl_connect(c, ep) != 0) {
                    t->connect_errors++;
                    continue;
                }

                c->req--;
            }

            if (hl_now() < t->until) {
                hl_send(t, c);
            }
        }
    }

    return NULL;
}


static int
hl_load(const char *path)
{
    char    *line, *p, *field, *save, *out;
    FILE    *f;
    size_t   cap, len, i;
    ssize_t  n;

    f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }

    line = NULL;
    cap = 0;
    hl_nreqs = 0;
    hl_reqs = NULL;
    hl_lens = NULL;

    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') {
            line[--n] = '\0';
        }

        if (n == 0) {
            continue;
        }

        hl_reqs = realloc(hl_reqs, (hl_nreqs + 1) * sizeof(char *));
        hl_lens = realloc(hl_lens, (hl_nreqs + 1) * sizeof(size_t));
        out = malloc(n + 64);

        if (hl_reqs == NULL || hl_lens == NULL || out == NULL) {
            return -1;
        }

        len = 0;
        i = 0;

        for (p = line; (field = strtok_r(p, "\t", &save)) != NULL; p = NULL)
        {
            if (i == 0) {
                len += sprintf(out + len, "%s ", field);

            } else if (i == 1) {
                len += sprintf(out + len, "%s HTTP/1.1\r\n", field);

            } else {
                len += sprintf(out + len, "%s\r\n", field);
            }

            i++;
        }

        len += sprintf(out + len, "\r\n");

        hl_reqs[hl_nreqs] = out;
        hl_lens[hl_nreqs] = len;
        hl_nreqs++;
    }

    free(line);
    (void) fclose(f);

    if (hl_nreqs == 0) {
        fprintf(stderr, "headload: no requests in %s\n", path);
        return -1;
    }

    return 0;
}


static int
hl_cmp(const void *a, const void *b)
{
    float  x, y;

    x = *(const float *) a;
    y = *(const float *) b;

    return (x > y) - (x < y);
}
