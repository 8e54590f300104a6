
/*
 * Copyright (C) ngx_s3 developers
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "s3_hlc.h"
#include "s3_lock.h"
#include "s3_replproto.h"
#include "s3_store.h"

#include "repld_event.h"
#include "repld_journal.h"
#include "repld_log.h"
#include "repld_upload.h"


#define REPLD_JOURNAL_BUF        (256 * 1024)
#define REPLD_JOURNAL_BATCH      16384     /* flush past this many changes */
#define REPLD_JOURNAL_NAME_MAX   64
#define REPLD_JOURNAL_LOG_FRAMES 10000     /* log passes that apply more */


typedef struct {
    char                    name[REPLD_JOURNAL_NAME_MAX];
    size_t                  len;
    pid_t                   pid;
    uint64_t                ms;
    int                     fd;
    uint64_t                offset;        /* applied up to */
    uint64_t                saved;         /* the cursor in the batch */
    unsigned                seen:1;
    unsigned                sealed:1;
    unsigned                broken:1;      /* a bad frame: stopped */
    unsigned                trim:1;        /* cursor deleted: unlink */
    unsigned                gone:1;        /* closed, to be forgotten */
} repld_jfile_t;


struct repld_journal_s {
    const char             *root;
    repld_catalog_t        *cat;
    repld_jfile_t          *files;
    size_t                  nfiles;
    size_t                  cap;
    unsigned char          *buf;
    int                     dfd;           /* the journal directory */
    int                     scanned;       /* stale cursors dropped */
    int                     ship;          /* log changes for peers */
    repld_journal_stats_t   stats;
    char                    dir[PATH_MAX];
};


static int repld_journal_scan(repld_journal_t *j);
static int repld_journal_add(repld_journal_t *j, const char *name);
static int repld_journal_stale(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static void repld_journal_forget(repld_journal_t *j);
static int repld_journal_cmp(const void *a, const void *b);
static int64_t repld_journal_tail(repld_journal_t *j, repld_jfile_t *f);
static int repld_journal_save(repld_journal_t *j, repld_jfile_t *f);
static int repld_journal_trim(repld_journal_t *j, repld_jfile_t *f,
    const char *why);
static void repld_journal_reset(repld_journal_t *j);
static int repld_journal_log(repld_journal_t *j, const s3_journal_entry_t *e);
static int repld_journal_put(repld_catalog_t *cat,
    const s3_journal_entry_t *e, int ties);
static int repld_journal_delete(repld_catalog_t *cat,
    const s3_journal_entry_t *e, int ties);
static int repld_journal_create_bucket(repld_journal_t *j,
    const s3_journal_entry_t *e);
static int repld_journal_read_bucket(const char *root, const s3_str_t *b,
    unsigned char *buf, size_t size, s3_record_t *rec);
static int repld_journal_delete_bucket(repld_catalog_t *cat,
    const s3_journal_entry_t *e);
static int repld_journal_dead(pid_t pid);


repld_journal_t *
repld_journal_create(const char *root, repld_catalog_t *cat)
{
    int               n;
    repld_journal_t  *j;

    j = calloc(1, sizeof(repld_journal_t));
    if (j == NULL) {
        return NULL;
    }

    j->root = root;
    j->cat = cat;

    n = snprintf(j->dir, sizeof(j->dir), "%s/" S3_JOURNAL_DIR, root);

    if (n < 0 || (size_t) n >= sizeof(j->dir)) {
        free(j);
        errno = ENAMETOOLONG;
        return NULL;
    }

    j->buf = malloc(REPLD_JOURNAL_BUF);
    if (j->buf == NULL) {
        free(j);
        return NULL;
    }

    j->dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dfd == -1) {
        free(j->buf);
        free(j);
        return NULL;
    }

    return j;
}


void
repld_journal_free(repld_journal_t *j)
{
    repld_journal_reset(j);
    close(j->dfd);
    free(j->files);
    free(j->buf);
    free(j);
}


int64_t
repld_journal_ingest(repld_journal_t *j)
{
    int             dead;
    size_t          i;
    int64_t         n, frames, start, ms;
    repld_jfile_t  *f;

    start = repld_time_ms();

    if (repld_journal_scan(j) != 0) {
        return -1;
    }

    frames = 0;

    for (i = 0; i < j->nfiles; i++) {
        f = &j->files[i];

        if (f->trim || f->broken || f->gone) {
            continue;
        }

        /* before the read: what a dead writer wrote is all there */

        dead = repld_journal_dead(f->pid);

        n = repld_journal_tail(j, f);
        if (n == -1) {
            return -1;
        }

        frames += n;

        if (f->sealed) {
            n = repld_journal_trim(j, f, "sealed");

        } else if (dead && !f->broken) {
            n = repld_journal_trim(j, f, "its writer is gone");

        } else {
            n = repld_journal_save(j, f);
        }

        if (n != 0) {
            return -1;
        }
    }

    j->stats.passes++;
    j->stats.frames += frames;

    if (frames >= REPLD_JOURNAL_LOG_FRAMES) {
        ms = repld_time_ms() - start;
        repld_log(REPLD_LOG_NOTICE, "journal: applied %lld frames in %lld ms "
                  "(%lld frames/s)", (long long) frames, (long long) ms,
                  (long long) (frames * 1000 / (ms ? ms : 1)));
    }

    return frames;
}


int
repld_journal_commit(repld_journal_t *j)
{
    int             removed;
    size_t          i;
    repld_jfile_t  *f;

    if (repld_catalog_flush(j->cat) != 0) {
        repld_log(REPLD_LOG_ERR, "journal: the catalog refused a batch; "
                  "re-reading every journal from its last saved cursor");
        repld_journal_reset(j);
        return -1;
    }

    removed = 0;

    for (i = 0; i < j->nfiles; i++) {
        f = &j->files[i];

        if (!f->trim || f->gone) {
            continue;
        }

        if (unlinkat(j->dfd, f->name, 0) == -1 && errno != ENOENT) {
            repld_log(REPLD_LOG_WARN, "journal: unlink(\"%s/%s\") failed: "
                      "%s", j->dir, f->name, strerror(errno));
        }

        close(f->fd);
        f->fd = -1;
        f->gone = 1;
        removed = 1;
        j->stats.trimmed++;
    }

    /* a removal that came back after a crash would be applied again */

    if (removed) {
        (void) fsync(j->dfd);
    }

    return 0;
}


void
repld_journal_stats(const repld_journal_t *j, repld_journal_stats_t *stats)
{
    size_t        i;
    struct stat   st;

    *stats = j->stats;
    stats->files = j->nfiles;
    stats->backlog = 0;

    for (i = 0; i < j->nfiles; i++) {
        if (j->files[i].fd != -1 && fstat(j->files[i].fd, &st) == 0
            && (uint64_t) st.st_size > j->files[i].offset)
        {
            stats->backlog += st.st_size - j->files[i].offset;
        }
    }
}


/* Picks up new files, forgets vanished ones, orders them by age. */

static int
repld_journal_scan(repld_journal_t *j)
{
    DIR            *d;
    size_t          i, len;
    struct dirent  *de;

    for (i = 0; i < j->nfiles; i++) {
        j->files[i].seen = 0;
    }

    d = opendir(j->dir);
    if (d == NULL) {
        repld_log(REPLD_LOG_ERR, "journal: opendir(\"%s\") failed: %s",
                  j->dir, strerror(errno));
        return -1;
    }

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        if (len <= sizeof(S3_JOURNAL_SUFFIX) - 1
            || strcmp(de->d_name + len - (sizeof(S3_JOURNAL_SUFFIX) - 1),
                      S3_JOURNAL_SUFFIX) != 0)
        {
            continue;
        }

        if (repld_journal_add(j, de->d_name) != 0) {
            closedir(d);
            return -1;
        }
    }

    closedir(d);

    repld_journal_forget(j);

    /* cursors of files removed while repld was down */

    if (!j->scanned) {
        if (repld_catalog_scan(j->cat, "j", 1, NULL, 0, repld_journal_stale,
                               j)
            == -1)
        {
            return -1;
        }

        j->scanned = 1;
    }

    if (j->nfiles > 1) {
        qsort(j->files, j->nfiles, sizeof(repld_jfile_t), repld_journal_cmp);
    }

    return 0;
}


static int
repld_journal_add(repld_journal_t *j, const char *name)
{
    int             fd;
    long            pid;
    char           *end;
    size_t          i, len;
    uint64_t        offset;
    repld_jfile_t  *f, *files;
    unsigned long long  ms;

    len = strlen(name);

    for (i = 0; i < j->nfiles; i++) {
        f = &j->files[i];

        if (f->len == len && memcmp(f->name, name, len) == 0) {
            f->seen = 1;
            return 0;
        }
    }

    /* <pid>-<ms>.jnl; anything else is not ours */

    errno = 0;
    pid = strtol(name, &end, 10);

    if (errno || pid <= 0 || *end != '-' || len >= REPLD_JOURNAL_NAME_MAX) {
        return 0;
    }

    ms = strtoull(end + 1, &end, 10);

    if (errno || strcmp(end, S3_JOURNAL_SUFFIX) != 0) {
        return 0;
    }

    fd = openat(j->dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    offset = 0;

    if (repld_catalog_offset_get(j->cat, name, len, &offset) == -1) {
        close(fd);
        return -1;
    }

    if (j->nfiles == j->cap) {
        files = realloc(j->files, (j->cap ? j->cap * 2 : 16)
                                  * sizeof(repld_jfile_t));
        if (files == NULL) {
            close(fd);
            return -1;
        }

        j->files = files;
        j->cap = j->cap ? j->cap * 2 : 16;
    }

    f = &j->files[j->nfiles++];
    memset(f, 0, sizeof(repld_jfile_t));
    memcpy(f->name, name, len + 1);
    f->len = len;
    f->pid = (pid_t) pid;
    f->ms = ms;
    f->fd = fd;
    f->offset = offset;
    f->saved = offset;
    f->seen = 1;

    repld_log(REPLD_LOG_DEBUG, "journal: tailing %s from offset %llu", name,
              (unsigned long long) offset);

    return 0;
}


static int
repld_journal_stale(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    size_t            i;
    repld_journal_t  *j;

    (void) value;
    (void) value_len;

    j = data;

    for (i = 0; i < j->nfiles; i++) {
        if (j->files[i].len == key_len - 1
            && memcmp(j->files[i].name, key + 1, key_len - 1) == 0)
        {
            return 0;
        }
    }

    repld_log(REPLD_LOG_WARN, "journal: %.*s is gone, its cursor dropped",
              (int) key_len - 1, key + 1);

    return (repld_catalog_offset_del(j->cat, key + 1, key_len - 1) == 0)
           ? 0 : -1;
}


/*
 * Drops the files removed by commits and those that vanished (removed by
 * hand: their cursors go too).
 */

static void
repld_journal_forget(repld_journal_t *j)
{
    size_t          i, n;
    repld_jfile_t  *f;

    n = 0;

    for (i = 0; i < j->nfiles; i++) {
        f = &j->files[i];

        if (!f->gone && !f->seen && !f->trim) {
            repld_log(REPLD_LOG_WARN, "journal: %s vanished at offset %llu",
                      f->name, (unsigned long long) f->offset);
            (void) repld_catalog_offset_del(j->cat, f->name, f->len);
            close(f->fd);
            f->gone = 1;
        }

        if (!f->gone) {
            j->files[n++] = *f;
        }
    }

    j->nfiles = n;
}


static int
repld_journal_cmp(const void *a, const void *b)
{
    const repld_jfile_t  *fa, *fb;

    fa = a;
    fb = b;

    if (fa->ms != fb->ms) {
        return (fa->ms < fb->ms) ? -1 : 1;
    }

    if (fa->pid != fb->pid) {
        return (fa->pid < fb->pid) ? -1 : 1;
    }

    return strcmp(fa->name, fb->name);
}


/*
 * Applies the frames of f from its offset to the end of the file.
 * Returns the number applied, or -1 (the state was reset on a failed
 * commit: f is no longer valid).
 */

static int64_t
repld_journal_tail(repld_journal_t *j, repld_jfile_t *f)
{
    int                 rc;
    size_t              pos, used;
    ssize_t             n;
    int64_t             frames;
    s3_journal_entry_t  e;

    frames = 0;

    for ( ;; ) {
        n = pread(f->fd, j->buf, REPLD_JOURNAL_BUF, f->offset);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            repld_log(REPLD_LOG_ERR, "journal: read of %s failed: %s",
                      f->name, strerror(errno));
            return frames;
        }

        for (pos = 0; /* void */ ; pos += used) {
            rc = s3_journal_decode(j->buf + pos, n - pos, &e, &used);

            if (rc == S3_AGAIN) {
                break;
            }

            if (rc == S3_ERR) {
                repld_log(REPLD_LOG_ERR, "journal: %s: bad frame at offset "
                          "%llu, the rest of the file is skipped", f->name,
                          (unsigned long long) f->offset);
                f->broken = 1;
                return frames;
            }

            f->offset += used;
            j->stats.bytes += used;

            if (e.op == S3_JOURNAL_SEAL) {
                f->sealed = 1;
                return frames;
            }

            if (repld_journal_apply(j, &e, 0) != 0
                || repld_journal_log(j, &e) != 0)
            {
                return -1;
            }

            frames++;

            if (repld_catalog_pending(j->cat) >= REPLD_JOURNAL_BATCH
                && (repld_journal_save(j, f) != 0
                    || repld_journal_commit(j) != 0))
            {
                return -1;
            }
        }

        if (n < REPLD_JOURNAL_BUF || pos == 0) {
            return frames;
        }
    }
}


static int
repld_journal_save(repld_journal_t *j, repld_jfile_t *f)
{
    if (f->offset == f->saved) {
        return 0;
    }

    if (repld_catalog_offset_put(j->cat, f->name, f->len, f->offset) != 0) {
        return -1;
    }

    f->saved = f->offset;

    return 0;
}


static int
repld_journal_trim(repld_journal_t *j, repld_jfile_t *f, const char *why)
{
    repld_log(REPLD_LOG_INFO, "journal: %s applied (%llu bytes, %s), "
              "removing it", f->name, (unsigned long long) f->offset, why);

    if (repld_catalog_offset_del(j->cat, f->name, f->len) != 0) {
        return -1;
    }

    f->trim = 1;

    return 0;
}


static void
repld_journal_reset(repld_journal_t *j)
{
    size_t  i;

    for (i = 0; i < j->nfiles; i++) {
        if (j->files[i].fd != -1) {
            close(j->files[i].fd);
        }
    }

    j->nfiles = 0;
}


void
repld_journal_ship(repld_journal_t *j)
{
    j->ship = 1;
}


/*
 * The frame's change goes to the outbound log, in the batch that applies
 * it.  A completion travels as the object it published; uploads in
 * progress stay on their node.
 */

static int
repld_journal_log(repld_journal_t *j, const s3_journal_entry_t *e)
{
    int       op;
    uint64_t  seq;

    if (!j->ship) {
        return 0;
    }

    op = (e->op == S3_JOURNAL_COMPLETE_UPLOAD) ? S3_JOURNAL_PUT_OBJECT
                                               : (int) e->op;

    if (!s3_replproto_op(op)) {
        return 0;
    }

    return repld_catalog_log_append(j->cat, op, e->hlc, &e->bucket, &e->key,
                                    &seq);
}


int
repld_journal_apply(repld_journal_t *j, const s3_journal_entry_t *e,
    int ties)
{
    switch (e->op) {

    case S3_JOURNAL_PUT_OBJECT:
        return repld_journal_put(j->cat, e, ties);

    case S3_JOURNAL_DELETE_OBJECT:
        return repld_journal_delete(j->cat, e, ties);

    case S3_JOURNAL_CREATE_BUCKET:
        return repld_journal_create_bucket(j, e);

    case S3_JOURNAL_DELETE_BUCKET:
        return repld_journal_delete_bucket(j->cat, e);

    case S3_JOURNAL_CREATE_UPLOAD:
        return repld_upload_create(j->cat, j->root, e);

    case S3_JOURNAL_ABORT_UPLOAD:
        return repld_upload_end(j->cat, e);

    case S3_JOURNAL_COMPLETE_UPLOAD:
        return (repld_journal_put(j->cat, e, ties) == 0)
               ? repld_upload_end(j->cat, e) : -1;

    default:
        /* users are not in the catalog */
        return 0;
    }
}


static int
repld_journal_put(repld_catalog_t *cat, const s3_journal_entry_t *e,
    int ties)
{
    int             rc;
    uint64_t        hlc;
    repld_object_t  obj;

    rc = repld_catalog_object_get(cat, e->bucket.data, e->bucket.len,
                                  e->key.data, e->key.len, &obj);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && (obj.hlc > e->hlc || (obj.hlc == e->hlc && !ties))) {
        return 0;
    }

    rc = repld_catalog_tombstone_get(cat, e->bucket.data, e->bucket.len,
                                     e->key.data, e->key.len, &hlc);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && (hlc > e->hlc || (hlc == e->hlc && !ties))) {
        return 0;
    }

    /*
     * The frame has no mtime: the commit took it right after the hlc,
     * whose upper bits are the same wall clock.
     */

    obj.hlc = e->hlc;
    obj.size = e->size;
    obj.mtime_ms = s3_hlc_ms(e->hlc);
    memcpy(obj.md5, e->md5, S3_MD5_LEN);
    obj.parts = e->parts;

    if (rc == 1 && repld_catalog_tombstone_del(cat, e->bucket.data,
                                               e->bucket.len, e->key.data,
                                               e->key.len)
                   != 0)
    {
        return -1;
    }

    return repld_catalog_object_put(cat, e->bucket.data, e->bucket.len,
                                    e->key.data, e->key.len, &obj);
}


static int
repld_journal_delete(repld_catalog_t *cat, const s3_journal_entry_t *e,
    int ties)
{
    int             rc;
    uint64_t        hlc;
    repld_object_t  obj;

    rc = repld_catalog_object_get(cat, e->bucket.data, e->bucket.len,
                                  e->key.data, e->key.len, &obj);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1) {
        if (obj.hlc > e->hlc || (obj.hlc == e->hlc && !ties)) {
            return 0;
        }

        if (repld_catalog_object_del(cat, e->bucket.data, e->bucket.len,
                                     e->key.data, e->key.len)
            != 0)
        {
            return -1;
        }
    }

    rc = repld_catalog_tombstone_get(cat, e->bucket.data, e->bucket.len,
                                     e->key.data, e->key.len, &hlc);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && hlc >= e->hlc) {
        return 0;
    }

    return repld_catalog_tombstone_put(cat, e->bucket.data, e->bucket.len,
                                       e->key.data, e->key.len, e->hlc);
}


/*
 * The frame carries no owner: the bucket record on disk does.  The frame
 * is appended before the record is published, so a record not there yet
 * may be a creation in flight: it holds the bucket stripe until it has
 * published, so the record is read again under that stripe.
 */

static int
repld_journal_create_bucket(repld_journal_t *j, const s3_journal_entry_t *e)
{
    int             rc;
    s3_record_t     rec;
    repld_bucket_t  b;
    unsigned char   buf[S3_STORE_BUCKET_BUF];

    rc = repld_journal_read_bucket(j->root, &e->bucket, buf, sizeof(buf),
                                   &rec);

    if (rc != S3_OK) {
        repld_log(REPLD_LOG_DEBUG, "journal: bucket \"%.*s\" is gone, "
                  "create-bucket skipped", (int) e->bucket.len,
                  e->bucket.data);
        return 0;
    }

    rc = repld_catalog_bucket_get(j->cat, e->bucket.data, e->bucket.len, &b);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && b.hlc == rec.hlc && b.owner_len == rec.owner.len
        && memcmp(b.owner, rec.owner.data, b.owner_len) == 0)
    {
        return 0;
    }

    if (rec.owner.len > REPLD_OWNER_MAX) {
        return 0;
    }

    b.hlc = rec.hlc;
    b.owner_len = rec.owner.len;
    memcpy(b.owner, rec.owner.data, rec.owner.len);

    return repld_catalog_bucket_put(j->cat, e->bucket.data, e->bucket.len,
                                    &b);
}


/* Returns S3_OK with rec set, or another status (no such bucket). */

static int
repld_journal_read_bucket(const char *root, const s3_str_t *b,
    unsigned char *buf, size_t size, s3_record_t *rec)
{
    int  rc, fd;

    rc = s3_store_read_bucket(root, b->data, b->len, buf, size, rec);

    if (rc != S3_STORE_NO_BUCKET) {
        return rc;
    }

    fd = s3_lock_open(root);
    if (fd == -1) {
        return rc;
    }

    if (s3_lock_bucket(fd, b->data, b->len, S3_LOCK_SHARED) == S3_OK) {
        rc = s3_store_read_bucket(root, b->data, b->len, buf, size, rec);
    }

    close(fd);

    return rc;
}


static int
repld_journal_delete_bucket(repld_catalog_t *cat, const s3_journal_entry_t *e)
{
    int             rc;
    repld_bucket_t  b;

    rc = repld_catalog_bucket_get(cat, e->bucket.data, e->bucket.len, &b);
    if (rc == -1) {
        return -1;
    }

    /* a later incarnation of the bucket stays */

    if (rc == 1 && b.hlc < e->hlc
        && repld_catalog_bucket_del(cat, e->bucket.data, e->bucket.len) != 0)
    {
        return -1;
    }

    return (repld_catalog_drop_bucket(cat, e->bucket.data, e->bucket.len,
                                      e->hlc)
            == -1) ? -1 : 0;
}


static int
repld_journal_dead(pid_t pid)
{
    return kill(pid, 0) == -1 && errno == ESRCH;
}
