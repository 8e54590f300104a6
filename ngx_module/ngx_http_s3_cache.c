
/*
 * Copyright (C) ngx_s3 developers
 *
 * A per-worker cache of user and bucket records.  Every request needs its
 * user's record and its bucket's; reading each costs an open, an fstat, a
 * pread and a close.  A cached record is used for as long as stat() finds
 * the same file (device, inode, size, mtime): records are only ever
 * replaced by rename, so any change of a record is a change of the file's
 * identity.  One stat() instead of four system calls.
 *
 * The stat() itself is skipped while the worker's clock (ngx_current_msec,
 * updated once per turn of the event loop) still reads the millisecond of
 * the last check and the worker has finished no task since: under load,
 * the requests of one turn share one check per record.  So a change made
 * by another worker or by s3ctl is seen by every request this worker
 * reads from the next millisecond on (from the next turn of its event
 * loop when a turn takes longer; with timer_resolution, when its clock
 * next moves).  A change made by this worker's own tasks is seen at once.
 *
 * A miss reads the file through the store's own reader,
 * s3_store_read_record_at(), relative to the root's directory, into the
 * cache's buffer, which holds any bucket or user record.  Most records fit
 * in an entry; a larger one (a bucket with CORS rules or tags) goes to a
 * buffer on the heap that the entry owns and keeps for the next large
 * record, freed with the cycle's pool.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


#define NGX_HTTP_S3_CACHE_SIZE     256    /* entries, direct-mapped */
#define NGX_HTTP_S3_CACHE_PATH     256    /* longer paths are not cached */
#define NGX_HTTP_S3_CACHE_RECORD   512    /* larger ones go to e->large */
#define NGX_HTTP_S3_CACHE_LARGE    16384  /* larger records are not cached */


typedef struct {
    u_char                     path[NGX_HTTP_S3_CACHE_PATH];
    size_t                     path_len;      /* 0: a free entry */
    dev_t                      dev;
    ino_t                      ino;
    off_t                      size;
    struct timespec            mtime;
    ngx_msec_t                 checked;       /* ngx_current_msec then */
    ngx_uint_t                 generation;    /* smcf->cache_generation */
    u_char                    *large;         /* NGX_HTTP_S3_CACHE_LARGE
                                                 bytes, or NULL */
    u_char                     record[NGX_HTTP_S3_CACHE_RECORD];
} ngx_http_s3_cache_entry_t;


struct ngx_http_s3_cache_s {
    ngx_http_s3_cache_entry_t  entries[NGX_HTTP_S3_CACHE_SIZE];
    u_char                     buf[S3_STORE_BUCKET_BUF];  /* a miss's */
};


static int ngx_http_s3_cache_read(ngx_http_request_t *r,
    ngx_http_s3_root_t *root, u_char *name, s3_record_kind_e kind,
    s3_record_t *rec);
static int ngx_http_s3_cache_copy(ngx_http_request_t *r,
    ngx_http_s3_cache_entry_t *e, s3_record_t *rec);
static int ngx_http_s3_cache_file(ngx_http_request_t *r, ngx_fd_t dir,
    ngx_http_s3_cache_entry_t *e, u_char *path, size_t len, u_char *name,
    s3_record_kind_e kind, s3_record_t *rec);
static int ngx_http_s3_cache_decode(ngx_http_request_t *r, u_char *record,
    size_t len, s3_record_t *rec);
static void ngx_http_s3_cache_cleanup(void *data);
static ngx_http_s3_cache_entry_t *ngx_http_s3_cache_entry(
    ngx_http_request_t *r, u_char *path, size_t len);
static ngx_uint_t ngx_http_s3_cache_generation(ngx_http_request_t *r);
static ngx_uint_t ngx_http_s3_cache_fresh(ngx_http_request_t *r,
    ngx_http_s3_cache_entry_t *e, u_char *path, size_t len);
static ngx_uint_t ngx_http_s3_cache_same(ngx_http_s3_cache_entry_t *e,
    u_char *path, size_t len, struct stat *st);
static void ngx_http_s3_cache_store(ngx_http_request_t *r,
    ngx_http_s3_cache_entry_t *e, u_char *path, size_t len, struct stat *st,
    u_char *record);


ngx_int_t
ngx_http_s3_cache_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    ngx_pool_cleanup_t  *cln;

    smcf->cache = ngx_pcalloc(cycle->pool, sizeof(ngx_http_s3_cache_t));
    if (smcf->cache == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_cache_cleanup;
    cln->data = smcf->cache;

    return NGX_OK;
}


static void
ngx_http_s3_cache_cleanup(void *data)
{
    ngx_http_s3_cache_t *cache = data;

    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_S3_CACHE_SIZE; i++) {
        if (cache->entries[i].large != NULL) {
            ngx_free(cache->entries[i].large);
        }
    }
}


/*
 * A task of this worker has finished: it may have changed a record, which
 * the requests that follow must see without waiting for the clock.
 */

void
ngx_http_s3_cache_changed(ngx_http_request_t *r)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    smcf->cache_generation++;
}


int
ngx_http_s3_read_user(ngx_http_request_t *r, ngx_http_s3_root_t *root,
    u_char *ak, size_t len, s3_record_t *rec)
{
    u_char   name[S3_PLACE_MAX_LEN];
    ssize_t  n;

    n = s3_place_user((char *) name, sizeof(name), (char *) ak, len);
    if (n == -1) {
        return S3_ERR;
    }

    return ngx_http_s3_cache_read(r, root, name, S3_RECORD_USER, rec);
}


int
ngx_http_s3_read_bucket(ngx_http_request_t *r, ngx_http_s3_root_t *root,
    u_char *bucket, size_t len, s3_record_t *rec)
{
    int      rc;
    u_char   name[S3_PLACE_MAX_LEN];
    ssize_t  n;

    n = s3_place_bucket_record((char *) name, sizeof(name), (char *) bucket,
                               len);
    if (n == -1) {
        return S3_ERR;
    }

    rc = ngx_http_s3_cache_read(r, root, name, S3_RECORD_BUCKET, rec);

    return (rc == S3_STORE_NOT_FOUND) ? S3_STORE_NO_BUCKET : rc;
}


/*
 * Returns S3_OK with rec decoded from a copy in r->pool (the cache entry
 * may be reused while the request waits), S3_STORE_NOT_FOUND, or S3_ERR
 * with errno set.  name is the record's, relative to root's directory,
 * which the system calls take; the cache knows it by its full path.
 */

static int
ngx_http_s3_cache_read(ngx_http_request_t *r, ngx_http_s3_root_t *root,
    u_char *name, s3_record_kind_e kind, s3_record_t *rec)
{
    size_t                      len;
    u_char                      path[NGX_MAX_PATH], *last;
    struct stat                 st;
    ngx_http_s3_cache_entry_t  *e;

    last = ngx_snprintf(path, sizeof(path), "%V/%s%Z", &root->path, name);

    if (last == path + sizeof(path)) {
        ngx_set_errno(NGX_ENAMETOOLONG);
        return S3_ERR;
    }

    len = last - 1 - path;
    e = ngx_http_s3_cache_entry(r, path, len);

    if (e != NULL && ngx_http_s3_cache_fresh(r, e, path, len)) {
        return ngx_http_s3_cache_copy(r, e, rec);
    }

    if (fstatat(root->fd, (char *) name, &st, 0) == -1) {
        return (ngx_errno == NGX_ENOENT || ngx_errno == NGX_ENOTDIR)
               ? S3_STORE_NOT_FOUND : S3_ERR;
    }

    if (e == NULL || !ngx_http_s3_cache_same(e, path, len, &st)) {
        return ngx_http_s3_cache_file(r, root->fd, e, path, len, name, kind,
                                      rec);
    }

    e->checked = ngx_current_msec;
    e->generation = ngx_http_s3_cache_generation(r);

    return ngx_http_s3_cache_copy(r, e, rec);
}


static int
ngx_http_s3_cache_copy(ngx_http_request_t *r, ngx_http_s3_cache_entry_t *e,
    s3_record_t *rec)
{
    return ngx_http_s3_cache_decode(r, (e->size <= NGX_HTTP_S3_CACHE_RECORD)
                                       ? e->record : e->large,
                                    (size_t) e->size, rec);
}


/*
 * Reads the file through the store's reader and, when it is small enough,
 * keeps it in e (NULL: no entry for this path).
 */

static int
ngx_http_s3_cache_file(ngx_http_request_t *r, ngx_fd_t dir,
    ngx_http_s3_cache_entry_t *e, u_char *path, size_t len, u_char *name,
    s3_record_kind_e kind, s3_record_t *rec)
{
    struct stat               st;
    ngx_http_s3_cache_t      *cache;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    cache = smcf->cache;

    /* st: the identity of the file read, not of the one fstatat() saw */

    if (s3_store_read_record_at(dir, (char *) name, kind, cache->buf,
                                sizeof(cache->buf), rec, &st)
        != S3_OK)
    {
        return (ngx_errno == NGX_ENOENT || ngx_errno == NGX_ENOTDIR)
               ? S3_STORE_NOT_FOUND : S3_ERR;
    }

    if (e != NULL && st.st_size <= NGX_HTTP_S3_CACHE_LARGE) {
        ngx_http_s3_cache_store(r, e, path, len, &st, cache->buf);
    }

    return ngx_http_s3_cache_decode(r, cache->buf, (size_t) st.st_size, rec);
}


/*
 * rec decoded from a copy of the record in r->pool: the entry or the
 * cache's buffer may be reused while the request waits
 */

static int
ngx_http_s3_cache_decode(ngx_http_request_t *r, u_char *record, size_t len,
    s3_record_t *rec)
{
    u_char  *buf;
    size_t   need;

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        ngx_set_errno(NGX_ENOMEM);
        return S3_ERR;
    }

    ngx_memcpy(buf, record, len);

    if (s3_record_decode(buf, len, len, rec, &need) != S3_OK) {
        ngx_set_errno(NGX_EINVAL);
        return S3_ERR;
    }

    return S3_OK;
}


/* The entry for path: its slot, or NULL when the path is too long. */

static ngx_http_s3_cache_entry_t *
ngx_http_s3_cache_entry(ngx_http_request_t *r, u_char *path, size_t len)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (len > NGX_HTTP_S3_CACHE_PATH) {
        return NULL;
    }

    return &smcf->cache->entries[ngx_hash_key(path, len)
                                 % NGX_HTTP_S3_CACHE_SIZE];
}


static ngx_uint_t
ngx_http_s3_cache_generation(ngx_http_request_t *r)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    return smcf->cache_generation;
}


/* checked in this millisecond, and no task of the worker finished since */

static ngx_uint_t
ngx_http_s3_cache_fresh(ngx_http_request_t *r, ngx_http_s3_cache_entry_t *e,
    u_char *path, size_t len)
{
    return e->checked == ngx_current_msec
           && e->generation == ngx_http_s3_cache_generation(r)
           && e->path_len == len
           && ngx_memcmp(e->path, path, len) == 0;
}


static ngx_uint_t
ngx_http_s3_cache_same(ngx_http_s3_cache_entry_t *e, u_char *path,
    size_t len, struct stat *st)
{
    return e->path_len == len
           && ngx_memcmp(e->path, path, len) == 0
           && e->dev == st->st_dev
           && e->ino == st->st_ino
           && e->size == st->st_size
           && e->mtime.tv_sec == st->st_mtim.tv_sec
           && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}


static void
ngx_http_s3_cache_store(ngx_http_request_t *r, ngx_http_s3_cache_entry_t *e,
    u_char *path, size_t len, struct stat *st, u_char *record)
{
    size_t   size;
    u_char  *dst;

    size = (size_t) st->st_size;
    dst = e->record;

    if (size > NGX_HTTP_S3_CACHE_RECORD) {
        if (e->large == NULL) {
            e->large = ngx_alloc(NGX_HTTP_S3_CACHE_LARGE, r->connection->log);
            if (e->large == NULL) {
                e->path_len = 0;
                return;
            }
        }

        dst = e->large;
    }

    ngx_memcpy(e->path, path, len);
    e->path_len = len;
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = st->st_size;
    e->mtime = st->st_mtim;
    e->checked = ngx_current_msec;
    e->generation = ngx_http_s3_cache_generation(r);
    ngx_memcpy(dst, record, size);
}
