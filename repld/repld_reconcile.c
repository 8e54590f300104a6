
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

#include "s3_lock.h"
#include "s3_place.h"
#include "s3_store.h"

#include "repld_event.h"
#include "repld_log.h"
#include "repld_reconcile.h"
#include "repld_upload.h"


#define REPLD_FANOUT          256
#define REPLD_RECORD_BUF      (S3_RECORD_MAX_LEN + S3_RECORD_TRAILER_LEN)
#define REPLD_LOG_KEY_MAX     256


typedef enum {
    REPLD_RC_IDLE = 0,
    REPLD_RC_BUCKETS,
    REPLD_RC_DISK,
    REPLD_RC_CATALOG,
    REPLD_RC_UPLOADS
} repld_rc_phase_e;


typedef struct {
    char                      name[S3_BUCKET_MAX_LEN + 1];
} repld_bname_t;


struct repld_reconcile_s {
    const char               *root;
    repld_catalog_t          *cat;
    repld_catch_up_pt         catch_up;
    void                     *data;
    size_t                    step;
    size_t                    budget;         /* left in this step */
    repld_rc_phase_e          phase;
    int64_t                   start;

    /* the walk of the object files: bucket, obj/HH, obj/HH/HH */
    repld_bname_t            *buckets;
    size_t                    nbuckets;
    size_t                    bi;
    int                       level;          /* fan-out levels listed */
    int                       n1, i1, n2, i2;
    char                      hh1[REPLD_FANOUT][3];
    char                      hh2[REPLD_FANOUT][3];

    /* the walk of the "o" entries: the last key checked */
    char                      last[REPLD_CATALOG_KEY_MAX];
    size_t                    last_len;

    uint64_t                  repaired;       /* this pass */
    uint64_t                  objects;
    uint64_t                  files;
    repld_reconcile_stats_t   stats;

    unsigned char             buf[REPLD_RECORD_BUF];
    unsigned char             check[REPLD_RECORD_BUF];
};


static int repld_reconcile_buckets(repld_reconcile_t *r);
static int repld_reconcile_disk_bucket(const s3_record_t *rec, void *data);
static int repld_reconcile_cat_bucket(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_reconcile_list_buckets(repld_reconcile_t *r);
static int repld_reconcile_disk_step(repld_reconcile_t *r);
static int repld_reconcile_fanout(const char *path, char names[][3],
    int *n);
static int repld_reconcile_leaf(repld_reconcile_t *r, const char *bucket);
static int repld_reconcile_file(repld_reconcile_t *r, const char *bucket,
    const char *dir, const char *name);
static int repld_reconcile_disk_object(repld_reconcile_t *r,
    const s3_record_t *rec, const char *path);
static int repld_reconcile_catalog_step(repld_reconcile_t *r);
static int repld_reconcile_entry(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data);
static int repld_reconcile_fix(repld_reconcile_t *r, const s3_str_t *b,
    const s3_str_t *k, const repld_object_t *cur, const char *path);
static int repld_reconcile_set(repld_reconcile_t *r, const s3_record_t *rec,
    const char *what);
static int repld_reconcile_read(const char *path, unsigned char *buf,
    s3_record_t *rec);
static int repld_reconcile_lock_key(const char *root, const s3_str_t *b,
    const s3_str_t *k);
static void repld_reconcile_done(repld_reconcile_t *r);
static const char *repld_reconcile_escape(char *buf, const s3_str_t *s);
static int repld_reconcile_name_cmp(const void *a, const void *b);


repld_reconcile_t *
repld_reconcile_create(const char *root, repld_catalog_t *cat, size_t step,
    repld_catch_up_pt catch_up, void *data)
{
    repld_reconcile_t  *r;

    r = calloc(1, sizeof(repld_reconcile_t));
    if (r == NULL) {
        return NULL;
    }

    r->root = root;
    r->cat = cat;
    r->catch_up = catch_up;
    r->data = data;
    r->step = step ? step : 1;

    return r;
}


void
repld_reconcile_free(repld_reconcile_t *r)
{
    free(r->buckets);
    free(r);
}


void
repld_reconcile_start(repld_reconcile_t *r)
{
    if (r->phase != REPLD_RC_IDLE) {
        return;
    }

    r->phase = REPLD_RC_BUCKETS;
    r->start = repld_time_ms();
    r->repaired = 0;
    r->objects = 0;
    r->files = 0;
    r->stats.running = 1;

    repld_log(REPLD_LOG_INFO, "reconcile: pass started");
}


int
repld_reconcile_step(repld_reconcile_t *r)
{
    int  rc;

    r->budget = r->step;

    switch (r->phase) {

    case REPLD_RC_IDLE:
        return 0;

    case REPLD_RC_BUCKETS:
        rc = repld_reconcile_buckets(r);
        break;

    case REPLD_RC_DISK:
        rc = repld_reconcile_disk_step(r);
        break;

    case REPLD_RC_UPLOADS:
        rc = repld_upload_reconcile(r->root, r->cat, r->catch_up, r->data,
                                    &r->repaired);
        if (rc == 0) {
            repld_reconcile_done(r);
        }

        break;

    default:
        rc = repld_reconcile_catalog_step(r);
        break;
    }

    if (rc == -1) {
        repld_log(REPLD_LOG_ERR, "reconcile: pass abandoned");
        r->phase = REPLD_RC_IDLE;
        r->stats.running = 0;
        return -1;
    }

    return r->phase != REPLD_RC_IDLE;
}


void
repld_reconcile_stats(const repld_reconcile_t *r,
    repld_reconcile_stats_t *stats)
{
    *stats = r->stats;
}


/* (c) bucket records against "b" entries, both ways, in one step */

static int
repld_reconcile_buckets(repld_reconcile_t *r)
{
    if (s3_store_list_buckets(r->root, repld_reconcile_disk_bucket, r)
        != S3_OK)
    {
        repld_log(REPLD_LOG_ERR, "reconcile: cannot list the buckets: %s",
                  strerror(errno));
        return -1;
    }

    if (repld_catalog_scan(r->cat, "b", 1, NULL, 0,
                           repld_reconcile_cat_bucket, r)
        == -1)
    {
        return -1;
    }

    if (repld_reconcile_list_buckets(r) != 0) {
        return -1;
    }

    r->phase = REPLD_RC_DISK;

    return 0;
}


static int
repld_reconcile_disk_bucket(const s3_record_t *rec, void *data)
{
    int                 rc;
    repld_bucket_t      b;
    repld_reconcile_t  *r;

    r = data;

    rc = repld_catalog_bucket_get(r->cat, rec->bucket.data, rec->bucket.len,
                                  &b);
    if (rc == -1) {
        return S3_ERR;
    }

    if ((rc == 1 && b.hlc == rec->hlc && b.owner_len == rec->owner.len
         && memcmp(b.owner, rec->owner.data, b.owner_len) == 0)
        || rec->owner.len > REPLD_OWNER_MAX)
    {
        return S3_OK;
    }

    repld_log(REPLD_LOG_NOTICE, "reconcile: bucket \"%.*s\" %s from disk",
              (int) rec->bucket.len, rec->bucket.data,
              rc ? "updated" : "added");

    b.hlc = rec->hlc;
    b.owner_len = rec->owner.len;
    memcpy(b.owner, rec->owner.data, rec->owner.len);
    r->repaired++;

    return (repld_catalog_bucket_put(r->cat, rec->bucket.data,
                                     rec->bucket.len, &b)
            == 0) ? S3_OK : S3_ERR;
}


/*
 * A "b" entry without a bucket record: read again under the bucket
 * stripe, which a creation in flight holds until it has published.
 */

static int
repld_reconcile_cat_bucket(const char *key, size_t key_len,
    const char *value, size_t value_len, void *data)
{
    int                 rc, fd;
    s3_record_t         rec;
    repld_reconcile_t  *r;
    unsigned char       buf[S3_RECORD_READ_LEN];

    (void) value;
    (void) value_len;

    r = data;
    key++;
    key_len--;

    rc = s3_store_read_bucket(r->root, key, key_len, buf, sizeof(buf), &rec);

    if (rc != S3_STORE_NO_BUCKET) {
        return 0;
    }

    fd = s3_lock_open(r->root);
    if (fd == -1) {
        return 0;
    }

    if (s3_lock_bucket(fd, key, key_len, S3_LOCK_SHARED) == S3_OK) {
        rc = s3_store_read_bucket(r->root, key, key_len, buf, sizeof(buf),
                                  &rec);
    }

    close(fd);

    if (rc != S3_STORE_NO_BUCKET) {
        return 0;
    }

    repld_log(REPLD_LOG_NOTICE, "reconcile: bucket \"%.*s\" removed (no "
              "bucket record)", (int) key_len, key);

    r->repaired++;

    if (repld_catalog_bucket_del(r->cat, key, key_len) != 0
        || repld_catalog_drop_bucket(r->cat, key, key_len, UINT64_MAX) == -1)
    {
        return -1;
    }

    return 0;
}


static int
repld_reconcile_list_buckets(repld_reconcile_t *r)
{
    DIR            *d;
    char            path[PATH_MAX];
    size_t          len;
    repld_bname_t  *b;
    struct dirent  *de;

    r->nbuckets = 0;
    r->bi = 0;
    r->level = 0;

    snprintf(path, sizeof(path), "%s/" S3_PLACE_BUCKETS, r->root);

    d = opendir(path);
    if (d == NULL) {
        repld_log(REPLD_LOG_ERR, "reconcile: opendir(\"%s\") failed: %s",
                  path, strerror(errno));
        return -1;
    }

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        if (!s3_bucket_name_valid(de->d_name, len)) {
            continue;
        }

        if (r->nbuckets % 64 == 0) {
            b = realloc(r->buckets, (r->nbuckets + 64) * sizeof(*b));
            if (b == NULL) {
                closedir(d);
                return -1;
            }

            r->buckets = b;
        }

        memcpy(r->buckets[r->nbuckets++].name, de->d_name, len + 1);
    }

    closedir(d);

    if (r->nbuckets != 0) {
        qsort(r->buckets, r->nbuckets, sizeof(repld_bname_t),
              repld_reconcile_name_cmp);
    }

    return 0;
}


/* (a) object files: one leaf directory after another, within budget */

static int
repld_reconcile_disk_step(repld_reconcile_t *r)
{
    int          rc;
    char         path[PATH_MAX];
    const char  *bucket;

    while (r->budget > 0) {

        if (r->bi >= r->nbuckets) {
            r->phase = REPLD_RC_CATALOG;
            r->last_len = 0;
            return 0;
        }

        bucket = r->buckets[r->bi].name;

        if (r->level == 0) {
            snprintf(path, sizeof(path), "%s/" S3_PLACE_BUCKETS "/%s/"
                     S3_PLACE_OBJECTS, r->root, bucket);
            rc = repld_reconcile_fanout(path, r->hh1, &r->n1);
            r->i1 = 0;
            r->level = 1;
            r->budget--;

        } else if (r->i1 >= r->n1) {
            r->bi++;
            r->level = 0;
            continue;

        } else if (r->level == 1) {
            snprintf(path, sizeof(path), "%s/" S3_PLACE_BUCKETS "/%s/"
                     S3_PLACE_OBJECTS "/%s", r->root, bucket,
                     r->hh1[r->i1]);
            rc = repld_reconcile_fanout(path, r->hh2, &r->n2);
            r->i2 = 0;
            r->level = 2;
            r->budget--;

        } else if (r->i2 >= r->n2) {
            r->i1++;
            r->level = 1;
            continue;

        } else {
            rc = repld_reconcile_leaf(r, bucket);
            r->i2++;
        }

        if (rc == -1) {
            return -1;
        }
    }

    return 0;
}


/* Lists the two-hex-digit entries of a fan-out directory, sorted. */

static int
repld_reconcile_fanout(const char *path, char names[][3], int *n)
{
    DIR            *d;
    struct dirent  *de;

    *n = 0;

    d = opendir(path);
    if (d == NULL) {
        /* a bucket deleted meanwhile, or no object yet */
        return 0;
    }

    while ((de = readdir(d)) != NULL && *n < REPLD_FANOUT) {
        if (strlen(de->d_name) == 2
            && strspn(de->d_name, "0123456789abcdef") == 2)
        {
            memcpy(names[(*n)++], de->d_name, 3);
        }
    }

    closedir(d);

    qsort(names, *n, 3, repld_reconcile_name_cmp);

    return 0;
}


static int
repld_reconcile_leaf(repld_reconcile_t *r, const char *bucket)
{
    DIR            *d;
    char            dir[PATH_MAX];
    struct dirent  *de;

    snprintf(dir, sizeof(dir), "%s/" S3_PLACE_BUCKETS "/%s/" S3_PLACE_OBJECTS
             "/%s/%s", r->root, bucket, r->hh1[r->i1], r->hh2[r->i2]);

    r->budget--;

    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }

    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        if (repld_reconcile_file(r, bucket, dir, de->d_name) != 0) {
            closedir(d);
            return -1;
        }

        if (r->budget > 0) {
            r->budget--;
        }
    }

    closedir(d);

    return 0;
}


static int
repld_reconcile_file(repld_reconcile_t *r, const char *bucket,
    const char *dir, const char *name)
{
    int          w;
    char         path[PATH_MAX], rel[S3_PLACE_MAX_LEN];
    size_t       len;
    ssize_t      n;
    s3_record_t  rec;

    w = snprintf(path, sizeof(path), "%s/%s", dir, name);

    if (w < 0 || w >= (int) sizeof(path)
        || repld_reconcile_read(path, r->buf, &rec) != 1)
    {
        return 0;
    }

    /* the record must belong here: its bucket, its key's hash */

    len = strlen(bucket);

    if (rec.bucket.len != len || memcmp(rec.bucket.data, bucket, len) != 0) {
        return 0;
    }

    n = s3_place_object(rel, sizeof(rel), rec.bucket.data, rec.bucket.len,
                        rec.key.data, rec.key.len);

    if (n < (ssize_t) strlen(name)
        || strcmp(rel + n - strlen(name), name) != 0)
    {
        return 0;
    }

    r->files++;

    return repld_reconcile_disk_object(r, &rec, path);
}


static int
repld_reconcile_disk_object(repld_reconcile_t *r, const s3_record_t *rec,
    const char *path)
{
    int             rc, has, fd;
    uint64_t        hlc;
    s3_record_t     now;
    repld_object_t  cur;

    rc = repld_catalog_object_get(r->cat, rec->bucket.data, rec->bucket.len,
                                  rec->key.data, rec->key.len, &cur);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && cur.hlc >= rec->hlc) {
        return 0;
    }

    if (r->catch_up(r->data) != REPLD_OK) {
        return -1;
    }

    rc = repld_catalog_object_get(r->cat, rec->bucket.data, rec->bucket.len,
                                  rec->key.data, rec->key.len, &cur);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && cur.hlc >= rec->hlc) {
        return 0;
    }

    has = repld_catalog_tombstone_get(r->cat, rec->bucket.data,
                                      rec->bucket.len, rec->key.data,
                                      rec->key.len, &hlc);
    if (has == -1) {
        return -1;
    }

    if (has == 1 && hlc >= rec->hlc) {

        /*
         * A newer delete: in flight (it holds the key's stripe until the
         * unlink), or one whose unlink failed, and then the file stays.
         */

        fd = repld_reconcile_lock_key(r->root, &rec->bucket, &rec->key);

        rc = (fd != -1 && repld_reconcile_read(path, r->check, &now) == 1
              && now.hlc == rec->hlc);

        if (fd != -1) {
            close(fd);
        }

        if (!rc) {
            return 0;
        }
    }

    if (has == 1
        && repld_catalog_tombstone_del(r->cat, rec->bucket.data,
                                       rec->bucket.len, rec->key.data,
                                       rec->key.len)
           != 0)
    {
        return -1;
    }

    return repld_reconcile_set(r, rec, "added from disk");
}


/* (b) "o" entries, from the last one checked, within budget */

static int
repld_reconcile_catalog_step(repld_reconcile_t *r)
{
    int64_t  n;

    n = repld_catalog_scan(r->cat, "o", 1, r->last, r->last_len,
                           repld_reconcile_entry, r);
    if (n == -1) {
        return -1;
    }

    if (r->budget > 0) {
        r->phase = REPLD_RC_UPLOADS;
    }

    return 0;
}


static int
repld_reconcile_entry(const char *key, size_t key_len, const char *value,
    size_t value_len, void *data)
{
    int                 rc;
    char                path[PATH_MAX];
    s3_str_t            b, k;
    s3_record_t         rec;
    repld_object_t      cur;
    repld_reconcile_t  *r;

    (void) value;
    (void) value_len;

    r = data;

    memcpy(r->last, key, key_len);
    r->last_len = key_len;
    r->objects++;

    if (repld_catalog_split_key(key, key_len, &b, &k) != 0
        || repld_reconcile_object_path(path, r->root, &b, &k) != 0)
    {
        return (--r->budget == 0);
    }

    rc = repld_catalog_object_get(r->cat, b.data, b.len, k.data, k.len,
                                  &cur);
    if (rc == -1) {
        return -1;
    }

    if (rc == 1) {
        rc = repld_reconcile_read(path, r->buf, &rec);

        if (rc == 0 || (rc == 1 && rec.hlc != cur.hlc)) {
            if (repld_reconcile_fix(r, &b, &k, &cur, path) != 0) {
                return -1;
            }
        }
    }

    return (--r->budget == 0);
}


/*
 * The entry disagrees with the disk: decide under the key's stripe, held
 * by a commit from its journal append until its rename.
 */

static int
repld_reconcile_fix(repld_reconcile_t *r, const s3_str_t *b,
    const s3_str_t *k, const repld_object_t *cur, const char *path)
{
    int             rc, fd;
    char            ek[REPLD_LOG_KEY_MAX * 4 + 4];
    uint64_t        hlc;
    s3_record_t     rec;
    repld_object_t  now;

    /* what the disk showed is journaled: the entry may follow it now */

    if (r->catch_up(r->data) != REPLD_OK) {
        return -1;
    }

    rc = repld_catalog_object_get(r->cat, b->data, b->len, k->data, k->len,
                                  &now);
    if (rc == -1) {
        return -1;
    }

    if (rc == 0) {
        return 0;
    }

    cur = &now;

    fd = repld_reconcile_lock_key(r->root, b, k);
    if (fd == -1) {
        return 0;
    }

    rc = repld_reconcile_read(path, r->buf, &rec);

    close(fd);

    if (rc == -1 || (rc == 1 && rec.hlc == cur->hlc)) {
        return 0;
    }

    if (rc == 1) {
        return repld_reconcile_set(r, &rec, "fixed from disk");
    }

    repld_log(REPLD_LOG_NOTICE, "reconcile: \"%.*s\" \"%s\" removed (no "
              "object file)", (int) b->len, b->data,
              repld_reconcile_escape(ek, k));

    r->repaired++;

    /* the tombstone keeps an older frame, if any, from adding it back */

    rc = repld_catalog_tombstone_get(r->cat, b->data, b->len, k->data,
                                     k->len, &hlc);
    if (rc == -1) {
        return -1;
    }

    if (repld_catalog_object_del(r->cat, b->data, b->len, k->data, k->len)
        != 0
        || ((rc == 0 || hlc < cur->hlc)
            && repld_catalog_tombstone_put(r->cat, b->data, b->len, k->data,
                                           k->len, cur->hlc)
               != 0))
    {
        return -1;
    }

    return 0;
}


static int
repld_reconcile_set(repld_reconcile_t *r, const s3_record_t *rec,
    const char *what)
{
    char            ek[REPLD_LOG_KEY_MAX * 4 + 4];
    repld_object_t  obj;

    repld_log(REPLD_LOG_NOTICE, "reconcile: \"%.*s\" \"%s\" %s (hlc %llu)",
              (int) rec->bucket.len, rec->bucket.data,
              repld_reconcile_escape(ek, &rec->key), what,
              (unsigned long long) rec->hlc);

    r->repaired++;

    obj.hlc = rec->hlc;
    obj.size = rec->size;
    obj.mtime_ms = rec->mtime_ms;
    memcpy(obj.md5, rec->md5, S3_MD5_LEN);
    obj.parts = (uint32_t) s3_record_nparts(rec);

    return repld_catalog_object_put(r->cat, rec->bucket.data, rec->bucket.len,
                                    rec->key.data, rec->key.len, &obj);
}


/*
 * Reads an object file's record into buf (REPLD_RECORD_BUF bytes).
 * Returns 1, 0 when there is no file or it is not an object record (never
 * served either), or -1 on an I/O error.
 */

static int
repld_reconcile_read(const char *path, unsigned char *buf, s3_record_t *rec)
{
    int          fd, rc;
    size_t       need;
    struct stat  sb;

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return 0;
        }

        repld_log(REPLD_LOG_WARN, "reconcile: open(\"%s\") failed: %s", path,
                  strerror(errno));
        return -1;
    }

    if (fstat(fd, &sb) == -1) {
        close(fd);
        return -1;
    }

    rc = s3_store_read_record(fd, sb.st_size, buf, REPLD_RECORD_BUF, rec,
                              &need);
    close(fd);

    if (rc == S3_OK) {
        return rec->kind == S3_RECORD_OBJECT;
    }

    if (rc == S3_ERR && errno != EINVAL) {
        repld_log(REPLD_LOG_WARN, "reconcile: reading \"%s\" failed: %s",
                  path, strerror(errno));
        return -1;
    }

    return 0;
}


/* Returns a lock descriptor holding the key's stripe shared, or -1. */

static int
repld_reconcile_lock_key(const char *root, const s3_str_t *b,
    const s3_str_t *k)
{
    int  fd;

    fd = s3_lock_open(root);
    if (fd == -1) {
        repld_log(REPLD_LOG_ERR, "reconcile: cannot open the lock file: %s",
                  strerror(errno));
        return -1;
    }

    if (s3_lock_key(fd, b->data, b->len, k->data, k->len, S3_LOCK_SHARED)
        != S3_OK)
    {
        repld_log(REPLD_LOG_ERR, "reconcile: cannot lock a key stripe: %s",
                  strerror(errno));
        close(fd);
        return -1;
    }

    return fd;
}


int
repld_reconcile_object_path(char *path, const char *root, const s3_str_t *b,
    const s3_str_t *k)
{
    int   n;
    char  rel[S3_PLACE_MAX_LEN];

    if (s3_place_object(rel, sizeof(rel), b->data, b->len, k->data, k->len)
        == -1)
    {
        return -1;
    }

    n = snprintf(path, PATH_MAX, "%s/%s", root, rel);

    return (n < 0 || n >= PATH_MAX) ? -1 : 0;
}


static void
repld_reconcile_done(repld_reconcile_t *r)
{
    r->phase = REPLD_RC_IDLE;

    r->stats.running = 0;
    r->stats.passes++;
    r->stats.repaired += r->repaired;
    r->stats.objects = r->objects;
    r->stats.files = r->files;
    r->stats.last_ms = repld_time_ms() - r->start;

    repld_log(r->repaired ? REPLD_LOG_NOTICE : REPLD_LOG_INFO,
              "reconcile: pass done in %lld ms: %llu object files, %llu "
              "entries, %llu repaired", (long long) r->stats.last_ms,
              (unsigned long long) r->files,
              (unsigned long long) r->objects,
              (unsigned long long) r->repaired);
}


/* For the log: printable ASCII as is, other bytes as \xHH; truncated. */

static const char *
repld_reconcile_escape(char *buf, const s3_str_t *s)
{
    char           *p;
    size_t          i;
    unsigned char   c;

    p = buf;

    for (i = 0; i < s->len && i < REPLD_LOG_KEY_MAX; i++) {
        c = (unsigned char) s->data[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *p++ = (char) c;

        } else {
            p += sprintf(p, "\\x%02x", c);
        }
    }

    if (i < s->len) {
        memcpy(p, "...", 3);
        p += 3;
    }

    *p = '\0';

    return buf;
}


static int
repld_reconcile_name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}
