
/*
 * Copyright (C) ngx_s3 developers
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "s3_hlc.h"
#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store.h"

#include "repld_event.h"
#include "repld_log.h"
#include "repld_upload.h"


#define REPLD_UPLOAD_RECORD_BUF  8192


typedef struct {
    const char           *root;
    repld_catalog_t      *cat;
    repld_catch_up_pt     catch_up;
    void                 *data;
    uint64_t              repaired;
    uint64_t              now_ms;
} repld_upass_t;


static int repld_upload_read(const char *root, const s3_str_t *bucket,
    const s3_str_t *id, s3_record_t *rec, unsigned char **buf);
static int repld_upload_read_file(const char *path, s3_record_t *rec,
    unsigned char **buf);
static int repld_upload_from(repld_upload_t *u, const s3_record_t *rec);
static int repld_upload_disk(repld_upass_t *p, const char *bucket);
static int repld_upload_disk_one(repld_upass_t *p, const s3_record_t *rec);
static int repld_upload_live(repld_upass_t *p, const s3_record_t *rec);
static int repld_upload_named(const char *root, const s3_record_t *rec);
static int repld_upload_entry(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_upload_gone(repld_upass_t *p, const s3_str_t *b,
    const s3_str_t *k, const s3_str_t *id);
static int repld_upload_tomb(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);


int
repld_upload_create(repld_catalog_t *cat, const char *root,
    const s3_journal_entry_t *e)
{
    int             rc;
    uint64_t        hlc;
    s3_record_t     rec;
    unsigned char  *buf;
    repld_upload_t  u;

    rc = repld_catalog_upload_get(cat, &e->bucket, &e->key, &e->upload_id,
                                  &u);
    if (rc != 0) {
        return (rc == 1 && u.hlc >= e->hlc) ? 0 : rc;
    }

    /* an ended upload never comes back: ids are not reused */

    rc = repld_catalog_upload_tomb_get(cat, &e->bucket, &e->key,
                                       &e->upload_id, &hlc);
    if (rc != 0) {
        return rc == -1 ? -1 : 0;
    }

    u.hlc = e->hlc;
    u.initiated_ms = s3_hlc_ms(e->hlc);
    u.owner_len = 0;

    buf = NULL;

    if (repld_upload_read(root, &e->bucket, &e->upload_id, &rec, &buf) == 1
        && rec.key.len == e->key.len
        && memcmp(rec.key.data, e->key.data, e->key.len) == 0)
    {
        (void) repld_upload_from(&u, &rec);
        u.hlc = e->hlc;
    }

    free(buf);

    return repld_catalog_upload_put(cat, &e->bucket, &e->key, &e->upload_id,
                                    &u);
}


int
repld_upload_end(repld_catalog_t *cat, const s3_journal_entry_t *e)
{
    int             rc;
    uint64_t        hlc;
    repld_upload_t  u;

    rc = repld_catalog_upload_get(cat, &e->bucket, &e->key, &e->upload_id,
                                  &u);
    if (rc == -1) {
        return -1;
    }

    /*
     * An end is final whatever the hlcs: a completion takes its hlc above
     * the key's current version, not above the upload's creation, which
     * another worker's clock may have stamped a little higher.
     */

    if (rc == 1
        && repld_catalog_upload_del(cat, &e->bucket, &e->key, &e->upload_id)
           != 0)
    {
        return -1;
    }

    rc = repld_catalog_upload_tomb_get(cat, &e->bucket, &e->key,
                                       &e->upload_id, &hlc);
    if (rc == -1 || (rc == 1 && hlc >= e->hlc)) {
        return rc == -1 ? -1 : 0;
    }

    return repld_catalog_upload_tomb_put(cat, &e->bucket, &e->key,
                                         &e->upload_id, e->hlc);
}


/*
 * Reads buckets/<bucket>/mpu/<id>/upload.  Returns 1 with rec pointing
 * into *buf (free it), 0 when there is no such upload record, -1 on an
 * I/O error (logged).
 */

static int
repld_upload_read(const char *root, const s3_str_t *bucket,
    const s3_str_t *id, s3_record_t *rec, unsigned char **buf)
{
    int   rc, n;
    char  rel[S3_PLACE_MAX_LEN], path[PATH_MAX];

    *buf = NULL;

    if (s3_place_upload(rel, sizeof(rel), bucket->data, bucket->len,
                        id->data, id->len, 0, 0)
        == -1)
    {
        return 0;
    }

    n = snprintf(path, sizeof(path), "%s/%s/" S3_PLACE_UPLOAD_RECORD, root,
                 rel);
    if (n < 0 || n >= (int) sizeof(path)) {
        return 0;
    }

    rc = repld_upload_read_file(path, rec, buf);

    if (rc == 1
        && (rec->kind != S3_RECORD_UPLOAD
            || rec->bucket.len != bucket->len
            || memcmp(rec->bucket.data, bucket->data, bucket->len) != 0
            || rec->upload_id.len != id->len
            || memcmp(rec->upload_id.data, id->data, id->len) != 0))
    {
        free(*buf);
        *buf = NULL;
        rc = 0;
    }

    return rc;
}


/*
 * Reads the record of the file at path, whatever its kind.  Returns 1
 * with rec pointing into *buf (free it), 0 when there is no file or no
 * record in it, -1 on an I/O error (logged).
 */

static int
repld_upload_read_file(const char *path, s3_record_t *rec,
    unsigned char **buf)
{
    int          fd, rc;
    size_t       need, size;
    struct stat  sb;

    *buf = NULL;

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return 0;
        }

        repld_log(REPLD_LOG_WARN, "upload: open(\"%s\") failed: %s", path,
                  strerror(errno));
        return -1;
    }

    rc = S3_ERR;
    size = REPLD_UPLOAD_RECORD_BUF;

    if (fstat(fd, &sb) == 0) {
        do {
            free(*buf);
            *buf = malloc(size);

            if (*buf == NULL) {
                break;
            }

            rc = s3_store_read_record(fd, sb.st_size, *buf, size, rec,
                                      &need);
            size = need;
        } while (rc == S3_AGAIN);
    }

    close(fd);

    if (rc != S3_OK) {
        free(*buf);
        *buf = NULL;
        return 0;
    }

    return 1;
}


/* Fills u from an upload record; returns 1 when u changed. */

static int
repld_upload_from(repld_upload_t *u, const s3_record_t *rec)
{
    size_t    olen;
    uint64_t  ms;

    olen = rec->owner.len <= REPLD_OWNER_MAX ? rec->owner.len : 0;
    ms = rec->mtime_ms ? rec->mtime_ms : s3_hlc_ms(rec->hlc);

    if (u->hlc == rec->hlc && u->initiated_ms == ms && u->owner_len == olen
        && memcmp(u->owner, rec->owner.data, olen) == 0)
    {
        return 0;
    }

    u->hlc = rec->hlc;
    u->initiated_ms = ms;
    u->owner_len = olen;
    memcpy(u->owner, rec->owner.data, olen);

    return 1;
}


int
repld_upload_reconcile(const char *root, repld_catalog_t *cat,
    repld_catch_up_pt catch_up, void *data, uint64_t *repaired)
{
    DIR            *d;
    char            path[PATH_MAX];
    int             rc;
    repld_upass_t   p;
    struct dirent  *de;

    p.root = root;
    p.cat = cat;
    p.catch_up = catch_up;
    p.data = data;
    p.repaired = 0;
    p.now_ms = s3_hlc_wall_ms();

    snprintf(path, sizeof(path), "%s/" S3_PLACE_BUCKETS, root);

    d = opendir(path);
    if (d == NULL) {
        repld_log(REPLD_LOG_ERR, "reconcile: opendir(\"%s\") failed: %s",
                  path, strerror(errno));
        return -1;
    }

    rc = 0;

    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (s3_bucket_name_valid(de->d_name, strlen(de->d_name))) {
            rc = repld_upload_disk(&p, de->d_name);
        }
    }

    closedir(d);

    if (rc != 0
        || repld_catalog_scan(cat, "u", 1, NULL, 0, repld_upload_entry, &p)
           == -1
        || repld_catalog_scan(cat, "x", 1, NULL, 0, repld_upload_tomb, &p)
           == -1)
    {
        return -1;
    }

    *repaired += p.repaired;

    return 0;
}


/* The upload records of one bucket against their "u" entries. */

static int
repld_upload_disk(repld_upass_t *p, const char *bucket)
{
    DIR            *d;
    int             rc;
    char            path[PATH_MAX];
    s3_str_t        b, id;
    s3_record_t     rec;
    unsigned char  *buf;
    struct dirent  *de;

    snprintf(path, sizeof(path), "%s/" S3_PLACE_BUCKETS "/%s/"
             S3_PLACE_UPLOADS, p->root, bucket);

    d = opendir(path);
    if (d == NULL) {
        return 0;
    }

    b.data = bucket;
    b.len = strlen(bucket);
    rc = 0;

    while (rc == 0 && (de = readdir(d)) != NULL) {
        id.data = de->d_name;
        id.len = strlen(de->d_name);

        if (!s3_upload_id_valid(id.data, id.len)) {
            continue;
        }

        rc = repld_upload_read(p->root, &b, &id, &rec, &buf);

        if (rc == 1) {
            rc = repld_upload_disk_one(p, &rec);
        }

        free(buf);
    }

    closedir(d);

    return rc == -1 ? -1 : 0;
}


static int
repld_upload_disk_one(repld_upass_t *p, const s3_record_t *rec)
{
    int             rc, pass;
    uint64_t        hlc;
    repld_upload_t  u;

    for (pass = 0; pass < 2; pass++) {
        rc = repld_catalog_upload_get(p->cat, &rec->bucket, &rec->key,
                                      &rec->upload_id, &u);
        if (rc == -1) {
            return -1;
        }

        if (rc == 0) {
            memset(&u, 0, sizeof(repld_upload_t));

        } else if (repld_upload_from(&u, rec) == 0) {
            return 0;
        }

        if (pass == 0 && p->catch_up(p->data) != REPLD_OK) {
            return -1;
        }
    }

    rc = repld_catalog_upload_tomb_get(p->cat, &rec->bucket, &rec->key,
                                       &rec->upload_id, &hlc);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1) {
        if (!repld_upload_live(p, rec)) {
            return 0;
        }

        repld_log(REPLD_LOG_NOTICE, "reconcile: upload \"%.*s\" %.*s listed "
                  "again: its end was journaled, not done",
                  (int) rec->bucket.len, rec->bucket.data,
                  (int) rec->upload_id.len, rec->upload_id.data);

        if (repld_catalog_upload_tomb_del(p->cat, &rec->bucket, &rec->key,
                                          &rec->upload_id)
            != 0)
        {
            return -1;
        }

    } else {
        repld_log(REPLD_LOG_NOTICE, "reconcile: upload \"%.*s\" %.*s added "
                  "or fixed from disk", (int) rec->bucket.len,
                  rec->bucket.data, (int) rec->upload_id.len,
                  rec->upload_id.data);
    }

    p->repaired++;

    (void) repld_upload_from(&u, rec);

    return repld_catalog_upload_put(p->cat, &rec->bucket, &rec->key,
                                    &rec->upload_id, &u);
}


/*
 * An upload whose end (abort or completion) was journaled, the "x" entry,
 * while its directory is still in mpu/: the end is in flight, or its
 * worker was killed between the journal append and the rename, which
 * leaves the upload whole (it aborts and completes by its id).  The disk
 * tells which, read under the key's stripe and the upload's, both
 * shared: an abort or completion holds them exclusive from before its
 * append until its rename is done, and a put over a multipart object
 * holds the key's until it has removed the old upload's directory.  The
 * upload is live when its record is still in mpu/ and the object's record
 * does not name it (a completion killed after publishing is finished by
 * the sweep).  Returns 1 when live; 0 when not, or when it cannot be
 * told now (the next pass tries again).
 */

static int
repld_upload_live(repld_upass_t *p, const s3_record_t *rec)
{
    int             fd, rc;
    s3_record_t     up;
    unsigned char  *buf;

    fd = s3_lock_open(p->root);
    if (fd == -1) {
        return 0;
    }

    rc = 0;

    if (s3_lock_key(fd, rec->bucket.data, rec->bucket.len, rec->key.data,
                    rec->key.len, S3_LOCK_SHARED)
        == S3_OK
        && s3_lock_upload(fd, rec->upload_id.data, rec->upload_id.len,
                          S3_LOCK_SHARED)
           == S3_OK)
    {
        rc = repld_upload_read(p->root, &rec->bucket, &rec->upload_id, &up,
                               &buf);
        free(buf);

        if (rc == 1) {
            rc = (repld_upload_named(p->root, rec) == 0);
        }
    }

    close(fd);

    return rc == 1;
}


/*
 * Returns 1 when the current record of the upload's key names the
 * upload (a completed multipart object), 0 when there is none or it
 * names another, -1 on an I/O error.
 */

static int
repld_upload_named(const char *root, const s3_record_t *rec)
{
    int             rc;
    char            path[PATH_MAX];
    s3_record_t     obj;
    unsigned char  *buf;

    if (repld_reconcile_object_path(path, root, &rec->bucket, &rec->key)
        == -1)
    {
        return -1;
    }

    rc = repld_upload_read_file(path, &obj, &buf);

    if (rc == 1) {
        rc = (obj.kind == S3_RECORD_OBJECT
              && obj.upload_id.len == rec->upload_id.len
              && memcmp(obj.upload_id.data, rec->upload_id.data,
                        rec->upload_id.len)
                 == 0);
    }

    free(buf);

    return rc;
}


/* A "u" entry against its upload record. */

static int
repld_upload_entry(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    int             rc;
    s3_str_t        b, k, id;
    s3_record_t     rec;
    unsigned char  *buf;
    repld_upload_t  u;
    repld_upass_t  *p;

    p = data;

    if (repld_catalog_split_upload_key(key, key_len, &b, &k, &id) != 0
        || repld_catalog_decode_upload(value, value_len, &u) != 0)
    {
        return 0;
    }

    rc = repld_upload_read(p->root, &b, &id, &rec, &buf);
    free(buf);

    if (rc != 0) {
        return (rc == -1) ? -1 : 0;
    }

    /* a creation in flight journals before it renames its directory */

    if (s3_hlc_ms(u.hlc) + REPLD_UPLOAD_YOUNG_MS > p->now_ms) {
        return 0;
    }

    return repld_upload_gone(p, &b, &k, &id);
}


/*
 * No upload record: decide after a catch-up and under the upload's
 * stripe, which an abort or completion holds until it is done.
 */

static int
repld_upload_gone(repld_upass_t *p, const s3_str_t *b, const s3_str_t *k,
    const s3_str_t *id)
{
    int             rc, fd;
    uint64_t        hlc;
    s3_record_t     rec;
    unsigned char  *buf;
    repld_upload_t  u;

    if (p->catch_up(p->data) != REPLD_OK) {
        return -1;
    }

    rc = repld_catalog_upload_get(p->cat, b, k, id, &u);
    if (rc != 1) {
        return rc;
    }

    fd = s3_lock_open(p->root);
    if (fd == -1) {
        return 0;
    }

    rc = -1;

    if (s3_lock_upload(fd, id->data, id->len, S3_LOCK_SHARED) == S3_OK) {
        rc = repld_upload_read(p->root, b, id, &rec, &buf);
        free(buf);
    }

    close(fd);

    if (rc != 0) {
        return 0;
    }

    repld_log(REPLD_LOG_NOTICE, "reconcile: upload \"%.*s\" %.*s removed "
              "(no upload record)", (int) b->len, b->data, (int) id->len,
              id->data);

    p->repaired++;

    rc = repld_catalog_upload_tomb_get(p->cat, b, k, id, &hlc);
    if (rc == -1) {
        return -1;
    }

    if (repld_catalog_upload_del(p->cat, b, k, id) != 0
        || ((rc == 0 || hlc < u.hlc)
            && repld_catalog_upload_tomb_put(p->cat, b, k, id, u.hlc) != 0))
    {
        return -1;
    }

    return 0;
}


/*
 * An "x" entry only has to outlive a create frame applied late, which
 * was appended before the abort's: after the grace period it goes.
 */

static int
repld_upload_tomb(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    uint64_t        hlc;
    s3_str_t        b, k, id;
    repld_upass_t  *p;

    (void) value;

    p = data;

    if (value_len != 8
        || repld_catalog_split_upload_key(key, key_len, &b, &k, &id) != 0)
    {
        return 0;
    }

    if (repld_catalog_upload_tomb_get(p->cat, &b, &k, &id, &hlc) != 1
        || s3_hlc_ms(hlc) + REPLD_UPLOAD_TOMB_GRACE_MS > p->now_ms)
    {
        return 0;
    }

    return (repld_catalog_upload_tomb_del(p->cat, &b, &k, &id) == 0)
           ? 0 : -1;
}
