
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>

#include "s3_hlc.h"
#include "s3_lock.h"
#include "s3_replproto.h"
#include "s3_store.h"

#include "repld_apply.h"
#include "repld_event.h"
#include "repld_log.h"
#include "repld_stream.h"


#define REPLD_STREAM_BATCH       256             /* changes per message */
#define REPLD_STREAM_BATCH_LEN   (1024 * 1024)   /* bytes per message */
#define REPLD_STREAM_WINDOW      (4 * REPLD_STREAM_BATCH)
#define REPLD_STREAM_RESEND_MS   1000
#define REPLD_STREAM_MSG_MAX     (REPLD_STREAM_BATCH_LEN                 \
                                  + S3_REPLPROTO_CHANGE_MAX)
#define REPLD_STREAM_LOG_WARN    1000000         /* log length to warn at */


typedef struct {
    uint32_t                id;
    int                     sock;          /* NN_PUSH to its address */
    uint64_t                acked;
    uint64_t                sent;          /* the last sequence sent */
    int64_t                 since;         /* ms: unacknowledged since */
    unsigned                ack_due:1;     /* its changes were applied */
} repld_peer_t;


/* the batch being built by the log scan's callback */

typedef struct {
    repld_stream_t         *st;
    size_t                  len;
    uint32_t                count;
    uint64_t                last;
} repld_batch_t;


/* the oldest change a peer has not acknowledged, sought in the log */

typedef struct {
    uint64_t                seq;
    uint64_t                ms;            /* its HLC's wall clock, 0 */
} repld_oldest_t;


struct repld_stream_s {
    repld_catalog_t        *cat;
    repld_apply_t          *apply;
    const char             *root;
    uint32_t                node_id;
    uint32_t                cluster;
    int                     npeers;
    repld_peer_t            peers[REPLD_CLUSTER_NODES_MAX];
    uint64_t                trimmed;       /* log entries up to it gone */
    int                     warned;
    repld_stream_stats_t    stats;
    unsigned char          *msg;           /* REPLD_STREAM_MSG_MAX */
    unsigned char          *rec;           /* a record read */
    unsigned char          *enc;           /* a record encoded */
};


static int repld_stream_connect(repld_peer_t *p, const char *addr);
static repld_peer_t *repld_stream_peer(repld_stream_t *st, uint32_t id);
static void repld_stream_changes(repld_stream_t *st, repld_peer_t *p,
    const s3_replproto_msg_t *msg, s3_replproto_iter_t *it);
static void repld_stream_acked(repld_stream_t *st, repld_peer_t *p,
    uint64_t seq);
static void repld_stream_trim(repld_stream_t *st);
static void repld_stream_ack(repld_stream_t *st, repld_peer_t *p);
static void repld_stream_ship(repld_stream_t *st, repld_peer_t *p,
    uint64_t last, int64_t now);
static int repld_stream_add(const repld_logged_t *c, void *data);
static ssize_t repld_stream_change(repld_stream_t *st,
    const repld_logged_t *c, unsigned char *buf, size_t size);
static int repld_stream_object(repld_stream_t *st, const repld_logged_t *c,
    s3_replproto_change_t *out);
static int repld_stream_record(repld_stream_t *st, const repld_logged_t *c,
    s3_replproto_change_t *out);
static int repld_stream_encode(repld_stream_t *st, const s3_record_t *rec,
    s3_replproto_change_t *out);
static int repld_stream_read(repld_stream_t *st, const repld_logged_t *c,
    s3_record_t *rec, int locked);
static int repld_stream_oldest(const repld_logged_t *c, void *data);


repld_stream_t *
repld_stream_create(const repld_cluster_conf_t *conf, uint32_t node_id,
    const char *root, repld_catalog_t *cat, repld_journal_t *journal)
{
    int              i;
    repld_peer_t    *p;
    repld_stream_t  *st;

    st = calloc(1, sizeof(repld_stream_t));
    if (st == NULL) {
        repld_log(REPLD_LOG_ERR, "stream: out of memory");
        return NULL;
    }

    st->cat = cat;
    st->root = root;
    st->node_id = node_id;
    st->cluster = s3_replproto_cluster(conf->name, strlen(conf->name));
    st->msg = malloc(REPLD_STREAM_MSG_MAX);
    st->rec = malloc(S3_STORE_BUCKET_BUF);
    st->enc = malloc(S3_STORE_BUCKET_BUF);
    st->apply = repld_apply_create(root, node_id, cat, journal);

    for (i = 0; i < REPLD_CLUSTER_NODES_MAX; i++) {
        st->peers[i].sock = -1;
    }

    if (st->msg == NULL || st->rec == NULL || st->enc == NULL
        || st->apply == NULL)
    {
        repld_log(REPLD_LOG_ERR, "stream: out of memory");
        repld_stream_free(st);
        return NULL;
    }

    if (repld_catalog_log_last(cat, &st->trimmed) != 0) {
        repld_stream_free(st);
        return NULL;
    }

    for (i = 0; i < conf->npeers; i++) {
        p = &st->peers[i];
        p->id = conf->nodes[i + 1].id;

        if (repld_catalog_cursor_get(cat, 'p', p->id, &p->acked) != 0
            || repld_stream_connect(p, conf->nodes[i + 1].addr) != 0)
        {
            repld_stream_free(st);
            return NULL;
        }

        p->sent = p->acked;
        st->npeers++;

        if (p->acked < st->trimmed) {
            st->trimmed = p->acked;
        }
    }

    /* entries at or below every peer's cursor were trimmed before */

    repld_log(REPLD_LOG_INFO, "stream: %d peers, log from %llu",
              st->npeers, (unsigned long long) st->trimmed);

    return st;
}


void
repld_stream_free(repld_stream_t *st)
{
    int  i;

    for (i = 0; i < REPLD_CLUSTER_NODES_MAX; i++) {
        if (st->peers[i].sock != -1) {
            nn_close(st->peers[i].sock);
        }
    }

    if (st->apply != NULL) {
        repld_apply_free(st->apply);
    }

    free(st->msg);
    free(st->rec);
    free(st->enc);
    free(st);
}


static int
repld_stream_connect(repld_peer_t *p, const char *addr)
{
    int  linger;

    p->sock = nn_socket(AF_SP, NN_PUSH);
    if (p->sock == -1) {
        repld_log(REPLD_LOG_ERR, "stream: nn_socket() failed: %s",
                  nn_strerror(nn_errno()));
        return -1;
    }

    linger = 0;

    if (nn_setsockopt(p->sock, NN_SOL_SOCKET, NN_LINGER, &linger,
                      sizeof(linger)) < 0
        || nn_connect(p->sock, addr) < 0)
    {
        repld_log(REPLD_LOG_ERR, "stream: connecting to \"%s\" failed: %s",
                  addr, nn_strerror(nn_errno()));
        return -1;
    }

    return 0;
}


void
repld_stream_recv(repld_stream_t *st, const unsigned char *buf, size_t len)
{
    repld_peer_t         *p;
    s3_replproto_msg_t    msg;
    s3_replproto_iter_t   it;

    if (s3_replproto_decode(buf, len, &msg, &it) != S3_OK) {
        st->stats.refused++;
        repld_log(REPLD_LOG_WARN, "stream: a message of %zu bytes that is "
                  "not ours, dropped", len);
        return;
    }

    p = repld_stream_peer(st, msg.sender);

    if (msg.cluster != st->cluster || p == NULL) {
        st->stats.refused++;
        repld_log(REPLD_LOG_WARN, "stream: a message from node %08x, not "
                  "a peer of this cluster, dropped", msg.sender);
        return;
    }

    if (msg.type == S3_REPLPROTO_ACK) {
        if (msg.origin == st->node_id) {
            repld_stream_acked(st, p, msg.seq);
        }

        return;
    }

    /* in this step a node ships only its own changes */

    if (msg.origin != msg.sender) {
        st->stats.refused++;
        return;
    }

    repld_stream_changes(st, p, &msg, &it);
}


static repld_peer_t *
repld_stream_peer(repld_stream_t *st, uint32_t id)
{
    int  i;

    for (i = 0; i < st->npeers; i++) {
        if (st->peers[i].id == id) {
            return &st->peers[i];
        }
    }

    return NULL;
}


/*
 * Applies the changes that follow the origin's cursor, in order; a gap
 * (an earlier batch lost) stops at it: the sender sends again.
 */

static void
repld_stream_changes(repld_stream_t *st, repld_peer_t *p,
    const s3_replproto_msg_t *msg, s3_replproto_iter_t *it)
{
    int                    rc;
    uint64_t               seq, applied;
    s3_replproto_change_t  c;

    p->ack_due = 1;

    if (repld_catalog_cursor_get(st->cat, 'r', msg->origin, &applied) != 0) {
        return;
    }

    for (seq = msg->seq; /* void */ ; seq++) {
        rc = s3_replproto_next(it, &c);

        if (rc == S3_REPLPROTO_DONE) {
            break;
        }

        if (rc != S3_OK) {
            st->stats.refused++;
            repld_log(REPLD_LOG_WARN, "stream: a bad change from node %08x "
                      "at sequence %llu, the rest is dropped", msg->origin,
                      (unsigned long long) seq);
            break;
        }

        if (seq <= applied) {
            continue;
        }

        if (seq != applied + 1) {
            repld_log(REPLD_LOG_DEBUG, "stream: node %08x sent %llu, "
                      "%llu expected", msg->origin, (unsigned long long) seq,
                      (unsigned long long) applied + 1);
            break;
        }

        rc = repld_apply_change(st->apply, &c);

        if (rc == -1
            || repld_catalog_cursor_put(st->cat, 'r', msg->origin, seq) != 0)
        {
            break;
        }

        if (rc == 1) {
            st->stats.stale++;
        }

        st->stats.applied++;
        applied = seq;
    }
}


static void
repld_stream_acked(repld_stream_t *st, repld_peer_t *p, uint64_t seq)
{
    if (seq <= p->acked) {
        return;
    }

    if (repld_catalog_cursor_put(st->cat, 'p', p->id, seq) != 0) {
        return;
    }

    p->acked = seq;
    p->since = repld_time_ms();

    if (p->sent < seq) {
        p->sent = seq;
    }

    repld_stream_trim(st);
}


/* the log below the lowest cursor of the configured peers goes */

static void
repld_stream_trim(repld_stream_t *st)
{
    int       i;
    uint64_t  low;

    if (st->npeers == 0) {
        return;
    }

    low = st->peers[0].acked;

    for (i = 1; i < st->npeers; i++) {
        if (st->peers[i].acked < low) {
            low = st->peers[i].acked;
        }
    }

    if (low > st->trimmed
        && repld_catalog_log_trim(st->cat, st->trimmed + 1, low) == 0)
    {
        st->trimmed = low;
    }
}


void
repld_stream_flushed(repld_stream_t *st)
{
    int       i;
    int64_t   now;
    uint64_t  last;

    if (repld_catalog_log_last(st->cat, &last) != 0) {
        return;
    }

    if (last - st->trimmed > REPLD_STREAM_LOG_WARN && !st->warned) {
        repld_log(REPLD_LOG_WARN, "stream: %llu changes wait for a peer",
                  (unsigned long long) (last - st->trimmed));
        st->warned = 1;

    } else if (last - st->trimmed <= REPLD_STREAM_LOG_WARN) {
        st->warned = 0;
    }

    now = repld_time_ms();

    for (i = 0; i < st->npeers; i++) {
        if (st->peers[i].ack_due) {
            repld_stream_ack(st, &st->peers[i]);
        }

        repld_stream_ship(st, &st->peers[i], last, now);
    }
}


/*
 * The figures of the lease (docs/REPLICATION.md): one seek to the oldest
 * change the peer has not acknowledged, whose HLC holds when it was made.
 */

int
repld_stream_lag(repld_stream_t *st, int i, repld_lag_t *lag)
{
    uint64_t         last, now;
    repld_peer_t    *p;
    repld_oldest_t   oldest;

    if (i >= st->npeers || repld_catalog_log_last(st->cat, &last) != 0) {
        return -1;
    }

    p = &st->peers[i];

    memset(lag, 0, sizeof(repld_lag_t));
    lag->id = p->id;
    lag->changes = (last > p->acked) ? last - p->acked : 0;
    lag->queue = (last > p->sent) ? last - p->sent : 0;

    if (lag->changes == 0) {
        return 0;
    }

    /* not found: logged, not yet flushed, so younger than a turn */

    oldest.seq = p->acked + 1;
    oldest.ms = 0;

    if (repld_catalog_log_scan(st->cat, p->acked, repld_stream_oldest,
                               &oldest)
        == -1)
    {
        return -1;
    }

    now = s3_hlc_wall_ms();

    if (oldest.ms != 0 && now > oldest.ms) {
        lag->ms = now - oldest.ms;
    }

    return 0;
}


static int
repld_stream_oldest(const repld_logged_t *c, void *data)
{
    repld_oldest_t  *oldest;

    oldest = data;

    if (c->seq == oldest->seq) {
        oldest->ms = s3_hlc_ms(c->hlc);
    }

    return 1;
}


static void
repld_stream_ack(repld_stream_t *st, repld_peer_t *p)
{
    unsigned char       buf[S3_REPLPROTO_ACK_LEN];
    s3_replproto_msg_t  msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = S3_REPLPROTO_ACK;
    msg.sender = st->node_id;
    msg.cluster = st->cluster;
    msg.origin = p->id;

    if (repld_catalog_cursor_get(st->cat, 'r', p->id, &msg.seq) != 0
        || s3_replproto_encode(&msg, buf, sizeof(buf)) == -1)
    {
        return;
    }

    /* a lost ack is sent again when the batch comes again */

    if (nn_send(p->sock, buf, sizeof(buf), NN_DONTWAIT) >= 0) {
        p->ack_due = 0;
    }
}


static void
repld_stream_ship(repld_stream_t *st, repld_peer_t *p, uint64_t last,
    int64_t now)
{
    int                 rc;
    repld_batch_t       b;
    s3_replproto_msg_t  msg;

    if (p->sent > p->acked && now - p->since > REPLD_STREAM_RESEND_MS) {
        repld_log(REPLD_LOG_DEBUG, "stream: node %08x acknowledged %llu of "
                  "%llu, sending again", p->id,
                  (unsigned long long) p->acked,
                  (unsigned long long) p->sent);
        p->sent = p->acked;
        p->since = now;
        st->stats.resent++;
    }

    while (p->sent < last && p->sent - p->acked < REPLD_STREAM_WINDOW) {
        b.st = st;
        b.len = S3_REPLPROTO_CHANGES_LEN;
        b.count = 0;
        b.last = p->sent;

        if (repld_catalog_log_scan(st->cat, p->sent, repld_stream_add, &b)
            == -1 || b.count == 0)
        {
            return;
        }

        memset(&msg, 0, sizeof(msg));
        msg.type = S3_REPLPROTO_CHANGES;
        msg.sender = st->node_id;
        msg.cluster = st->cluster;
        msg.origin = st->node_id;
        msg.seq = p->sent + 1;
        msg.count = b.count;

        (void) s3_replproto_encode(&msg, st->msg, REPLD_STREAM_MSG_MAX);

        rc = nn_send(p->sock, st->msg, b.len, NN_DONTWAIT);

        if (rc < 0) {
            return;
        }

        if (p->sent == p->acked) {
            p->since = now;
        }

        p->sent = b.last;
        st->stats.batches++;
    }
}


static int
repld_stream_add(const repld_logged_t *c, void *data)
{
    ssize_t         n;
    repld_batch_t  *b;

    b = data;

    if (b->count == REPLD_STREAM_BATCH || b->len >= REPLD_STREAM_BATCH_LEN
        || c->seq != b->last + 1)
    {
        return 1;
    }

    n = repld_stream_change(b->st, c, b->st->msg + b->len,
                            REPLD_STREAM_MSG_MAX - b->len);
    if (n == -1) {
        return -1;
    }

    b->len += n;
    b->count++;
    b->last = c->seq;

    return 0;
}


/*
 * A logged change as it is shipped: what the store holds now of its
 * object, bucket or user (a newer state is harmless under last writer
 * wins: its own change follows), or the deletion.
 */

static ssize_t
repld_stream_change(repld_stream_t *st, const repld_logged_t *c,
    unsigned char *buf, size_t size)
{
    int                    rc;
    s3_replproto_change_t  out;

    memset(&out, 0, sizeof(out));
    out.op = c->op;
    out.hlc = c->hlc;
    out.node = st->node_id;
    out.name = c->name;
    out.key = c->key;

    switch (c->op) {

    case S3_JOURNAL_PUT_OBJECT:
    case S3_JOURNAL_DELETE_OBJECT:
        rc = repld_stream_object(st, c, &out);
        break;

    case S3_JOURNAL_CREATE_BUCKET:
    case S3_JOURNAL_PUT_USER:
        rc = repld_stream_record(st, c, &out);
        break;

    default:
        rc = 0;
    }

    if (rc != 0) {
        return -1;
    }

    return s3_replproto_encode_change(&out, buf, size);
}


static int
repld_stream_object(repld_stream_t *st, const repld_logged_t *c,
    s3_replproto_change_t *out)
{
    int            rc;
    uint64_t       hlc;
    s3_record_t    rec;
    unsigned char  self[S3_RECORD_HOLDER_LEN];

    rc = repld_stream_read(st, c, &rec, 0);

    if (rc == S3_OK && rec.hlc < c->hlc) {
        rc = S3_STORE_NOT_FOUND;
    }

    /*
     * A change is journaled before it is published, holding the stripe
     * of its key (bucket, users) until then: one not there yet may be
     * in flight, and is read again under that stripe.
     */

    if (rc == S3_STORE_NOT_FOUND) {
        rc = repld_stream_read(st, c, &rec, 1);
    }

    if (rc == S3_ERR) {
        repld_log(REPLD_LOG_ERR, "stream: reading \"%.*s/%.*s\" failed: %s",
                  (int) c->name.len, c->name.data, (int) c->key.len,
                  c->key.data, strerror(errno));
        return -1;
    }

    if (rc == S3_STORE_NOT_FOUND) {
        out->op = S3_JOURNAL_DELETE_OBJECT;

        rc = repld_catalog_tombstone_get(st->cat, c->name.data, c->name.len,
                                         c->key.data, c->key.len, &hlc);
        if (rc == -1) {
            return -1;
        }

        if (rc == 1 && hlc > out->hlc) {
            out->hlc = hlc;
        }

        return 0;
    }

    /* a version with its bytes here names this node as their holder */

    if (rec.holders.len == 0) {
        s3_record_set_holder(self, st->node_id);
        rec.holders.data = (const char *) self;
        rec.holders.len = sizeof(self);
    }

    out->op = S3_JOURNAL_PUT_OBJECT;

    return repld_stream_encode(st, &rec, out);
}


/* a bucket's or a user's record as it is, or its deletion */

static int
repld_stream_record(repld_stream_t *st, const repld_logged_t *c,
    s3_replproto_change_t *out)
{
    int            rc;
    s3_record_t    rec;

    rc = repld_stream_read(st, c, &rec, 0);

    if (rc != S3_OK && rc != S3_ERR) {
        rc = repld_stream_read(st, c, &rec, 1);
    }

    if (c->op == S3_JOURNAL_CREATE_BUCKET) {
        out->op = (rc == S3_STORE_NO_BUCKET) ? S3_JOURNAL_DELETE_BUCKET
                                             : S3_JOURNAL_CREATE_BUCKET;

    } else {
        out->op = (rc == S3_STORE_NOT_FOUND) ? S3_JOURNAL_DELETE_USER
                                             : S3_JOURNAL_PUT_USER;
    }

    if (rc == S3_ERR) {
        return -1;
    }

    if (rc != S3_OK) {
        return 0;
    }

    return repld_stream_encode(st, &rec, out);
}


/* the record goes with its version's identity, (hlc, origin) */

static int
repld_stream_encode(repld_stream_t *st, const s3_record_t *rec,
    s3_replproto_change_t *out)
{
    ssize_t  n;

    n = s3_record_encode(rec, st->enc, S3_STORE_BUCKET_BUF);
    if (n == -1) {
        return -1;
    }

    out->hlc = rec->hlc;
    out->node = rec->origin;
    out->record.data = (const char *) st->enc;
    out->record.len = n;

    return 0;
}


/*
 * Reads what c names now: an object, a bucket or a user; with locked
 * set, holding its stripe shared.
 */

static int
repld_stream_read(repld_stream_t *st, const repld_logged_t *c,
    s3_record_t *rec, int locked)
{
    int  fd, rc;

    fd = -1;

    if (locked) {
        fd = s3_lock_open(st->root);
        if (fd == -1) {
            return S3_ERR;
        }

        if (c->op == S3_JOURNAL_CREATE_BUCKET) {
            rc = s3_lock_bucket(fd, c->name.data, c->name.len,
                                S3_LOCK_SHARED);

        } else if (c->op == S3_JOURNAL_PUT_USER) {
            rc = s3_lock_users(fd, S3_LOCK_SHARED);

        } else {
            rc = s3_lock_key(fd, c->name.data, c->name.len, c->key.data,
                             c->key.len, S3_LOCK_SHARED);
        }

        if (rc != S3_OK) {
            close(fd);
            return S3_ERR;
        }
    }

    if (c->op == S3_JOURNAL_CREATE_BUCKET) {
        rc = s3_store_read_bucket(st->root, c->name.data, c->name.len,
                                  st->rec, S3_STORE_BUCKET_BUF, rec);

    } else if (c->op == S3_JOURNAL_PUT_USER) {
        rc = s3_store_read_user(st->root, c->name.data, c->name.len,
                                st->rec, S3_STORE_BUCKET_BUF, rec);

    } else {
        rc = s3_store_read_object(st->root, &c->name, &c->key, st->rec,
                                  S3_STORE_BUCKET_BUF, rec);
    }

    if (fd != -1) {
        close(fd);
    }

    return rc;
}


void
repld_stream_stats(const repld_stream_t *st, repld_stream_stats_t *s)
{
    *s = st->stats;
}
