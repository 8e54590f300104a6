
/*
 * Copyright (C) ngx_s3 developers
 *
 * Completion of a multipart upload costs no copy: the object record lists
 * the parts, is published as put publishes (temp, fsync, journal,
 * rename), and only then is mpu/<id> renamed to parts/<id>.  A crash
 * between the two leaves a published object whose parts are still in
 * mpu/<id>: readers look there too (s3_store_open_part), and the sweep
 * finishes the rename.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "s3_lock.h"
#include "s3_store_int.h"


/* the object's checksum, made of its parts' as they are checked */
typedef struct {
    s3_cksum_algo_e   algo;           /* the upload's; NONE: none */
    int               full;           /* FULL_OBJECT, else COMPOSITE */
    s3_cksum_t        composite;
    unsigned char     crc[S3_CKSUM_MAX_LEN];  /* FULL_OBJECT so far */
} s3_store_sum_t;


static int s3_store_complete_locked(const s3_store_t *st,
    s3_store_complete_t *c, const char *id);
static int s3_store_check_parts(const char *root, s3_store_complete_t *c,
    const char *id, const s3_record_t *up, uint64_t *total);
static int s3_store_sum_init(s3_store_sum_t *sum, const s3_record_t *up,
    s3_record_t *rec);
static int s3_store_sum_part(s3_store_sum_t *sum,
    const s3_store_part_t *listed, const s3_record_t *part);
static int s3_store_sum_final(s3_store_sum_t *sum, s3_store_complete_t *c);
static int s3_store_part_cksum(const s3_record_t *part, s3_cksum_algo_e algo,
    unsigned char *raw);
static int s3_store_prune_parts(const char *root, const s3_store_complete_t *c,
    const char *id);
static int s3_store_has_part(const s3_store_complete_t *c, uint32_t number);
static int s3_store_old_parts(const char *id, const s3_str_t *keep);


int
s3_store_complete_upload(const s3_store_t *st, s3_store_complete_t *c)
{
    int   lfd, rc;
    char  id[S3_UPLOAD_ID_LEN + 1];

    if (!s3_upload_id_valid(c->upload_id.data, c->upload_id.len)) {
        return S3_STORE_NO_UPLOAD;
    }

    if (c->nparts == 0 || c->nparts > S3_PART_NUMBER_MAX) {
        errno = EINVAL;
        return S3_ERR;
    }

    memcpy(id, c->upload_id.data, S3_UPLOAD_ID_LEN);
    id[S3_UPLOAD_ID_LEN] = '\0';

    lfd = s3_store_lock_key(st->root, &c->bucket, &c->key);
    if (lfd == -1) {
        return S3_ERR;
    }

    if (s3_store_lock_upload(st->root, id, S3_LOCK_EXCLUSIVE, lfd) == -1) {
        s3_store_close(lfd);
        return S3_ERR;
    }

    rc = s3_store_complete_locked(st, c, id);

    s3_store_close(lfd);

    return rc;
}


static int
s3_store_complete_locked(const s3_store_t *st, s3_store_complete_t *c,
    const char *id)
{
    int            rc;
    char           rel[S3_PLACE_MAX_LEN], path[PATH_MAX];
    uint64_t       total;
    s3_record_t    up, *rec;
    unsigned char  buf[S3_STORE_UPLOAD_BUF];

    memset(&c->rec, 0, sizeof(s3_record_t));

    rc = s3_store_bucket_exists(st->root, &c->bucket);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_upload_of(st->root, &c->bucket, &c->key, id, buf,
                            sizeof(buf), &up);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_store_check_parts(st->root, c, id, &up, &total);
    if (rc != S3_OK) {
        return rc;
    }

    if (s3_store_prune_parts(st->root, c, id) != S3_OK
        || s3_place_object(rel, sizeof(rel), c->bucket.data, c->bucket.len,
                           c->key.data, c->key.len) == -1
        || s3_store_path(path, st->root, rel) != S3_OK)
    {
        return S3_ERR;
    }

    rec = &c->rec;
    rec->kind = S3_RECORD_OBJECT;
    rec->size = total;
    rec->bucket = c->bucket;
    rec->key = c->key;
    rec->headers = up.headers;
    rec->acl = up.acl;
    rec->tags = up.tags;
    rec->upload_id.data = id;
    rec->upload_id.len = S3_UPLOAD_ID_LEN;
    rec->parts.data = (const char *) c->table;
    rec->parts.len = c->nparts * S3_RECORD_PART_LEN;
    rec->mtime_ms = s3_hlc_wall_ms();

    rc = s3_store_publish_object(st, rec, path);

    /* only the numbers outlive the call */

    memset(&rec->headers, 0, sizeof(s3_str_t));
    memset(&rec->acl, 0, sizeof(s3_str_t));
    memset(&rec->tags, 0, sizeof(s3_str_t));
    memset(&rec->upload_id, 0, sizeof(s3_str_t));

    if (rc != S3_OK) {
        return rc;
    }

    /* published: a crash from here on is finished by the sweep */

    (void) s3_store_move_upload(st, &c->bucket, id);

    return S3_OK;
}


/* Checks every listed part, fills the table and the ETag's md5. */

static int
s3_store_check_parts(const char *root, s3_store_complete_t *c,
    const char *id, const s3_record_t *up, uint64_t *total)
{
    int             rc;
    char            path[PATH_MAX];
    size_t          i;
    uint32_t        small;
    s3_record_t     part;
    s3_digest_t     md5;
    s3_store_sum_t  sum;
    unsigned char   buf[S3_RECORD_READ_LEN];

    if (s3_store_sum_init(&sum, up, &c->rec) != S3_OK) {
        return S3_ERR;
    }

    if (s3_digest_init(&md5, S3_DIGEST_MD5) != S3_OK) {
        s3_cksum_free(&sum.composite);
        return S3_ERR;
    }

    /* a missing part is reported before a small one, as S3 does */

    *total = 0;
    small = 0;
    rc = S3_OK;

    for (i = 0; i < c->nparts; i++) {
        c->bad_part = c->parts[i].number;

        if (s3_store_upload_path(path, root, &c->bucket, id, 0,
                                 c->parts[i].number)
            != S3_OK)
        {
            rc = (errno == EINVAL) ? S3_STORE_INVALID_PART : S3_ERR;
            break;
        }

        if (s3_store_read_record_file(path, buf, sizeof(buf), &part)
            != S3_OK)
        {
            rc = (errno == ENOENT || errno == EINVAL)
                 ? S3_STORE_INVALID_PART : S3_ERR;
            break;
        }

        if (part.kind != S3_RECORD_PART
            || memcmp(part.md5, c->parts[i].md5, S3_MD5_LEN) != 0)
        {
            rc = S3_STORE_INVALID_PART;
            break;
        }

        rc = s3_store_sum_part(&sum, &c->parts[i], &part);
        if (rc != S3_OK) {
            break;
        }

        if (i + 1 < c->nparts && part.size < S3_STORE_PART_MIN_SIZE
            && small == 0)
        {
            small = c->parts[i].number;
        }

        s3_record_set_part(c->table + i * S3_RECORD_PART_LEN,
                           c->parts[i].number, part.size);
        *total += part.size;

        if (s3_digest_update(&md5, part.md5, S3_MD5_LEN) != S3_OK) {
            rc = S3_ERR;
            break;
        }
    }

    if (rc == S3_OK && small != 0) {
        c->bad_part = small;
        rc = S3_STORE_TOO_SMALL;
    }

    if (rc == S3_OK) {
        c->bad_part = 0;
        rc = s3_digest_final(&md5, c->rec.md5);
    }

    if (rc == S3_OK) {
        rc = s3_store_sum_final(&sum, c);
    }

    s3_digest_free(&md5);
    s3_cksum_free(&sum.composite);

    return rc;
}


/* The upload's algorithm, named in rec->checksum from now on. */

static int
s3_store_sum_init(s3_store_sum_t *sum, const s3_record_t *up,
    s3_record_t *rec)
{
    memset(sum, 0, sizeof(s3_store_sum_t));

    sum->algo = s3_cksum_algo(up->checksum.data, up->checksum.len);
    sum->full = (up->checksum_type.len == sizeof("FULL_OBJECT") - 1
                 && memcmp(up->checksum_type.data, "FULL_OBJECT",
                           sizeof("FULL_OBJECT") - 1) == 0);

    rec->checksum.data = s3_cksum_name(sum->algo);
    rec->checksum.len = strlen(rec->checksum.data);

    if (sum->algo == S3_CKSUM_NONE || sum->full) {
        return S3_OK;
    }

    return s3_cksum_init(&sum->composite, sum->algo);
}


/*
 * A listed checksum must be the part's; a COMPOSITE upload's parts must
 * all be listed with one.  Returns S3_OK, S3_STORE_INVALID_PART,
 * S3_STORE_NO_CHECKSUM, or S3_ERR.
 */

static int
s3_store_sum_part(s3_store_sum_t *sum, const s3_store_part_t *listed,
    const s3_record_t *part)
{
    unsigned char  raw[S3_CKSUM_MAX_LEN];

    if (listed->cksum_algo != S3_CKSUM_NONE
        && (s3_store_part_cksum(part, listed->cksum_algo, raw) != S3_OK
            || memcmp(raw, listed->cksum, s3_cksum_len(listed->cksum_algo))
               != 0))
    {
        return S3_STORE_INVALID_PART;
    }

    if (sum->algo == S3_CKSUM_NONE) {
        return S3_OK;
    }

    if (listed->cksum_algo == S3_CKSUM_NONE && !sum->full) {
        return S3_STORE_NO_CHECKSUM;
    }

    if (s3_store_part_cksum(part, sum->algo, raw) != S3_OK) {
        return S3_STORE_INVALID_PART;
    }

    if (sum->full) {
        return s3_cksum_combine(sum->algo, sum->crc, raw, part->size);
    }

    return s3_cksum_update(&sum->composite, raw, s3_cksum_len(sum->algo));
}


/* The object's checksum into c->rec, its value in c->checksum. */

static int
s3_store_sum_final(s3_store_sum_t *sum, s3_store_complete_t *c)
{
    size_t          n;
    unsigned char  *raw, composite[S3_CKSUM_MAX_LEN];

    if (sum->algo == S3_CKSUM_NONE) {
        return S3_OK;
    }

    raw = sum->crc;

    if (!sum->full) {
        if (s3_cksum_final(&sum->composite, composite) != S3_OK) {
            return S3_ERR;
        }

        raw = composite;
    }

    n = s3_base64_encode(c->checksum, raw, s3_cksum_len(sum->algo));

    if (!sum->full) {
        n += snprintf(c->checksum + n, sizeof(c->checksum) - n, "-%zu",
                      c->nparts);
    }

    c->rec.checksum_type.data = sum->full ? "FULL_OBJECT" : "COMPOSITE";
    c->rec.checksum_type.len = strlen(c->rec.checksum_type.data);
    c->rec.checksum_value.data = c->checksum;
    c->rec.checksum_value.len = n;

    return S3_OK;
}


/* The part's raw checksum, if it has one of algo. */

static int
s3_store_part_cksum(const s3_record_t *part, s3_cksum_algo_e algo,
    unsigned char *raw)
{
    if (s3_cksum_algo(part->checksum.data, part->checksum.len) != algo) {
        errno = ENOENT;
        return S3_ERR;
    }

    return s3_cksum_decode(algo, part->checksum_value.data,
                           part->checksum_value.len, raw);
}


/* Removes the part files the completion does not list. */

static int
s3_store_prune_parts(const char *root, const s3_store_complete_t *c,
    const char *id)
{
    int             rc;
    DIR            *d;
    char            path[PATH_MAX];
    uint32_t        number;
    struct dirent  *de;

    if (s3_store_upload_path(path, root, &c->bucket, id, 0, 0) != S3_OK) {
        return S3_ERR;
    }

    d = opendir(path);
    if (d == NULL) {
        return S3_ERR;
    }

    rc = S3_OK;

    while ((de = readdir(d)) != NULL) {
        number = s3_store_part_name(de->d_name);

        if (number == 0 || s3_store_has_part(c, number)) {
            continue;
        }

        if (unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT) {
            rc = S3_ERR;
            break;
        }
    }

    s3_store_closedir(d);

    return rc;
}


/* c->parts is ascending: a binary search */

static int
s3_store_has_part(const s3_store_complete_t *c, uint32_t number)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = c->nparts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (c->parts[mid].number == number) {
            return 1;
        }

        if (c->parts[mid].number < number) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


/*
 * Publishes an object record with no data at path, as a put does: temp
 * file, fsync, journal (one complete-upload frame), rename, fsync of the
 * directory; then removes the parts of the multipart object it replaced.
 */

int
s3_store_publish_object(const s3_store_t *st, s3_record_t *rec,
    const char *path)
{
    char      old[S3_UPLOAD_ID_LEN + 1];
    uint64_t  floor;

    if (s3_store_object_hlc(path, &floor, old) == S3_ERR) {
        return S3_ERR;
    }

    rec->hlc = s3_hlc_next(st->clock, floor);
    rec->origin = st->node_id;

    return s3_store_publish_record(st, rec, path, old);
}


int
s3_store_publish_record(const s3_store_t *st, const s3_record_t *rec,
    const char *path, const char *old)
{
    int                 rc;
    char                tmp[PATH_MAX], dir[PATH_MAX], *slash;
    ssize_t             n;
    s3_journal_entry_t  e;
    unsigned char       buf[S3_STORE_OBJECT_BUF];

    n = s3_record_encode(rec, buf, sizeof(buf));

    if (n == -1
        || s3_store_tmp_path(tmp, st->root) != S3_OK
        || s3_store_write_file(tmp, buf, n, st->fsync) != S3_OK)
    {
        return S3_ERR;
    }

    /* a record-only single-part object (its bytes elsewhere) is a put */

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = (rec->parts.len != 0) ? S3_JOURNAL_COMPLETE_UPLOAD
                                 : S3_JOURNAL_PUT_OBJECT;
    e.hlc = rec->hlc;
    e.size = rec->size;
    memcpy(e.md5, rec->md5, S3_MD5_LEN);
    e.bucket = rec->bucket;
    e.key = rec->key;
    e.upload_id = rec->upload_id;
    e.parts = s3_record_nparts(rec);

    strcpy(dir, path);
    slash = strrchr(dir, '/');
    *slash = '\0';

    rc = S3_OK;

    if (s3_store_settle_parts(st, &rec->bucket, old, &rec->upload_id)
        != S3_OK
        || s3_store_journal(st, &e) != S3_OK
        || s3_store_mkdir_p(dir, strlen(st->root), st->fsync) != S3_OK)
    {
        rc = S3_ERR;
    }

    if (rc != S3_OK || s3_store_publish(st, tmp, path) != S3_OK) {
        (void) s3_store_remove_tree(AT_FDCWD, tmp, 0);
        return S3_ERR;
    }

    s3_store_remove_parts(st, &rec->bucket, old, &rec->upload_id);

    return S3_OK;
}


/* Whether id names parts of an old version: not "", not keep's. */

static int
s3_store_old_parts(const char *id, const s3_str_t *keep)
{
    return id[0] != '\0'
           && (keep == NULL || keep->len != S3_UPLOAD_ID_LEN
               || memcmp(keep->data, id, S3_UPLOAD_ID_LEN) != 0);
}


/* Renames mpu/<id> to parts/<id>. */

int
s3_store_move_upload(const s3_store_t *st, const s3_str_t *bucket,
    const char *id)
{
    int   rc;
    char  from[PATH_MAX], to[PATH_MAX], *slash;

    if (s3_store_upload_path(from, st->root, bucket, id, 0, 0) != S3_OK
        || s3_store_upload_path(to, st->root, bucket, id, 1, 0) != S3_OK)
    {
        return S3_ERR;
    }

    slash = strrchr(to, '/');

    *slash = '\0';
    rc = s3_store_mkdir(to, st->fsync);
    *slash = '/';

    if (rc != S3_OK || rename(from, to) == -1) {
        return S3_ERR;
    }

    if (st->fsync
        && (s3_store_fsync_parent(to) != S3_OK
            || s3_store_fsync_parent(from) != S3_OK))
    {
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_store_settle_parts(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, const s3_str_t *keep)
{
    if (!s3_store_old_parts(id, keep)) {
        return S3_OK;
    }

    if (s3_store_move_upload(st, bucket, id) != S3_OK && errno != ENOENT) {
        return S3_ERR;
    }

    return S3_OK;
}


void
s3_store_remove_parts(const s3_store_t *st, const s3_str_t *bucket,
    const char *id, const s3_str_t *keep)
{
    char  path[PATH_MAX];

    if (!s3_store_old_parts(id, keep)) {
        return;
    }

    /* no mpu/<id>: s3_store_settle_parts() moved it before the change */

    if (s3_store_upload_path(path, st->root, bucket, id, 1, 0) == S3_OK) {
        (void) s3_store_unpublish(st, path, 1);
    }
}
