
/*
 * Copyright (C) ngx_s3 developers
 *
 * Opening an object file for reading, and the per-worker cache of open
 * object files that GET and HEAD read through (s3_object_cache).
 *
 * Without the cache a GET or HEAD costs nginx's openat, fstat and close,
 * plus a pread of the record at the end of the file.  With the file open
 * in the cache it costs one fstatat of the path: the same device and inode
 * as the cached descriptor mean the same file, because an object file is
 * never written once published (a new version, or new tags, is a new file
 * renamed over the path), and an inode number cannot be given to another
 * file while the cache holds this one open.  The record is kept with the
 * descriptor, so the hit reads nothing.
 *
 * A held descriptor keeps the blocks of a deleted or replaced file in use:
 * only objects up to `size` bytes are held, and an entry lets go of its
 * file when a read finds the path changed, when this worker deletes the
 * key, when it is the least recently used of `max` entries, or `inactive`
 * after its last use.  A request reading through an entry pins it; an
 * entry dropped while pinned closes its file when the last request ends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


/*
 * The first read of an object's tail: a record without user metadata is
 * 120-200 bytes; a larger one costs a second pread().  S3_RECORD_READ_LEN
 * (4 KiB) copied the whole of a 4 KiB object for nothing.  A cache entry
 * holds records up to this size too.
 */
#define NGX_HTTP_S3_RECORD_FIRST_READ  512


typedef struct ngx_http_s3_ocache_entry_s  ngx_http_s3_ocache_entry_t;

struct ngx_http_s3_ocache_entry_s {
    ngx_http_s3_ocache_entry_t  *next;        /* hash chain */
    ngx_queue_t                  queue;       /* LRU, or the free list */
    ngx_http_s3_ocache_t        *cache;
    ngx_http_s3_root_t          *root;
    ngx_uint_t                   hash;
    ngx_fd_t                     fd;
    dev_t                        dev;
    ino_t                        ino;
    off_t                        file_size;
    ngx_msec_t                   used;        /* last access */
    ngx_uint_t                   pins;        /* requests reading fd */
    unsigned                     cached:1;    /* in the hash and the LRU */
    size_t                       name_len;
    size_t                       record_len;
    u_char                       name[S3_PLACE_MAX_LEN];
    u_char                       record[NGX_HTTP_S3_RECORD_FIRST_READ];
};


struct ngx_http_s3_ocache_s {
    ngx_http_s3_ocache_entry_t **hash;
    ngx_uint_t                   nhash;
    ngx_http_s3_ocache_entry_t  *entries;     /* max of them */
    ngx_uint_t                   max;
    ngx_uint_t                   handed;      /* entries[0, handed) used */
    ngx_queue_t                  lru;         /* most recent first */
    ngx_queue_t                  free;
    off_t                        size;        /* largest object held */
    ngx_msec_t                   inactive;
    ngx_event_t                  sweep;
};


static ngx_http_s3_err_e ngx_http_s3_open_error(ngx_http_request_t *r,
    ngx_file_t *file, ngx_err_t err, char *call);
static u_char *ngx_http_s3_object_name(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_file_t *file);
static ngx_http_s3_err_e ngx_http_s3_read_record(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_file_t *file, off_t size,
    s3_record_t *rec, ngx_str_t *raw);
static ngx_http_s3_err_e ngx_http_s3_record_of(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_file_t *file, s3_record_t *rec);
static ngx_http_s3_ocache_entry_t *ngx_http_s3_ocache_find(
    ngx_http_s3_ocache_t *oc, ngx_http_s3_root_t *root, u_char *name,
    size_t len);
static ngx_http_s3_err_e ngx_http_s3_ocache_use(ngx_http_request_t *r,
    ngx_http_s3_ocache_entry_t *e, ngx_str_t *bucket, ngx_str_t *key,
    ngx_file_t *file, s3_record_t *rec);
static void ngx_http_s3_ocache_add(ngx_http_request_t *r,
    ngx_http_s3_ocache_t *oc, ngx_pool_cleanup_t *cln, u_char *name,
    size_t len, ngx_file_t *file, ngx_file_info_t *fi, ngx_str_t *raw);
static ngx_http_s3_ocache_entry_t *ngx_http_s3_ocache_alloc(
    ngx_http_s3_ocache_t *oc);
static void ngx_http_s3_ocache_drop(ngx_http_s3_ocache_entry_t *e);
static void ngx_http_s3_ocache_unpin(void *data);
static void ngx_http_s3_ocache_sweep(ngx_event_t *ev);
static void ngx_http_s3_ocache_cleanup(void *data);


/* s3_object_cache off | max=N [size=S] [inactive=T] */

char *
ngx_http_s3_object_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    off_t       size;
    ngx_int_t   max;
    ngx_str_t  *value, s;
    ngx_msec_t  inactive;
    ngx_uint_t  i;

    if (smcf->ocache_max != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        smcf->ocache_max = 0;
        return NGX_CONF_OK;
    }

    max = 0;
    size = 1024 * 1024;
    inactive = 10000;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max=", 4) == 0) {
            max = ngx_atoi(value[i].data + 4, value[i].len - 4);
            if (max <= 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "size=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            size = ngx_parse_offset(&s);
            if (size < 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "inactive=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            inactive = ngx_parse_time(&s, 0);
            if (inactive == (ngx_msec_t) NGX_ERROR || inactive == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (max == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have the \"max\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    smcf->ocache_max = max;
    smcf->ocache_size = size;
    smcf->ocache_inactive = inactive;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"%V\" parameter \"%V\"",
                       &cmd->name, &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_s3_ocache_init_process(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    ngx_uint_t             max;
    struct rlimit          rlm;
    ngx_pool_cleanup_t    *cln;
    ngx_http_s3_ocache_t  *oc;

    max = smcf->ocache_max;

    /*
     * a quarter of the worker's descriptors at most: the rest are for
     * connections and other files
     */

    if (getrlimit(RLIMIT_NOFILE, &rlm) == 0 && rlm.rlim_cur != RLIM_INFINITY
        && max > rlm.rlim_cur / 4)
    {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "s3_object_cache max=%ui lowered to %ui, a quarter of "
                      "the open files limit (worker_rlimit_nofile)",
                      max, (ngx_uint_t) (rlm.rlim_cur / 4));
        max = rlm.rlim_cur / 4;
    }

    if (max == 0) {
        return NGX_OK;
    }

    oc = ngx_pcalloc(cycle->pool, sizeof(ngx_http_s3_ocache_t));
    if (oc == NULL) {
        return NGX_ERROR;
    }

    /* not zeroed: an entry's pages are touched when it is first used */

    oc->entries = ngx_palloc(cycle->pool,
                             max * sizeof(ngx_http_s3_ocache_entry_t));
    oc->hash = ngx_pcalloc(cycle->pool,
                           max * sizeof(ngx_http_s3_ocache_entry_t *));

    cln = ngx_pool_cleanup_add(cycle->pool, 0);

    if (oc->entries == NULL || oc->hash == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_ocache_cleanup;
    cln->data = oc;

    oc->max = max;
    oc->nhash = max;
    oc->size = smcf->ocache_size;
    oc->inactive = smcf->ocache_inactive;
    ngx_queue_init(&oc->lru);
    ngx_queue_init(&oc->free);

    oc->sweep.handler = ngx_http_s3_ocache_sweep;
    oc->sweep.data = oc;
    oc->sweep.log = cycle->log;
    oc->sweep.cancelable = 1;

    smcf->ocache = oc;

    return NGX_OK;
}


/* the worker exits: the files the cache holds are closed */

static void
ngx_http_s3_ocache_cleanup(void *data)
{
    ngx_http_s3_ocache_t *oc = data;

    ngx_uint_t  i;

    for (i = 0; i < oc->handed; i++) {
        if (oc->entries[i].cached || oc->entries[i].pins) {
            (void) ngx_close_file(oc->entries[i].fd);
        }
    }
}


/*
 * Opens the object file of (bucket, key) and reads its record into rec
 * (slices in r->pool); the descriptor stays open for the request.  With
 * cache set, through the worker's cache: GET and HEAD, which only read
 * with explicit offsets (the other callers hand the descriptor to tasks).
 */

ngx_http_s3_err_e
ngx_http_s3_open_object(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_uint_t cache, ngx_file_t *file, s3_record_t *rec)
{
    u_char                      *name;
    size_t                       len;
    ngx_str_t                    raw;
    ngx_file_info_t              fi;
    ngx_http_s3_err_e            err;
    ngx_http_s3_ctx_t           *ctx;
    ngx_pool_cleanup_t          *cln;
    ngx_http_s3_ocache_t        *oc;
    ngx_pool_cleanup_file_t     *clnf;
    ngx_http_s3_main_conf_t     *smcf;
    ngx_http_s3_ocache_entry_t  *e;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    name = ngx_http_s3_object_name(r, bucket, key, file);
    if (name == NULL) {
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 "s3_place_object()", (char *) bucket->data);
    }

    len = file->name.len - (name - file->name.data);

    oc = cache ? smcf->ocache : NULL;
    e = (oc != NULL) ? ngx_http_s3_ocache_find(oc, ctx->root, name, len)
                     : NULL;

    if (e != NULL) {
        if (fstatat(ctx->root->fd, (char *) name, &fi, 0) == -1) {
            ngx_http_s3_ocache_drop(e);
            return ngx_http_s3_open_error(r, file, ngx_errno, "fstatat()");
        }

        if (fi.st_dev == e->dev && fi.st_ino == e->ino) {
            return ngx_http_s3_ocache_use(r, e, bucket, key, file, rec);
        }

        /* a new version since: read as a miss */

        ngx_http_s3_ocache_drop(e);
    }

    /* allocate the cleanup first, so that the fd never leaks */

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_pool_cleanup_file_t));
    if (cln == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    /* relative to the store's directory: a shorter path walk */

    file->fd = openat(ctx->root->fd, (char *) name, O_RDONLY | O_NONBLOCK);

    if (file->fd == NGX_INVALID_FILE) {
        return ngx_http_s3_open_error(r, file, ngx_errno, ngx_open_file_n);
    }

    cln->handler = ngx_pool_cleanup_file;
    clnf = cln->data;
    clnf->fd = file->fd;
    clnf->name = file->name.data;
    clnf->log = r->pool->log;

    if (ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR) {
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 ngx_fd_info_n, (char *) file->name.data);
    }

    ngx_str_null(&raw);

    err = ngx_http_s3_read_record(r, bucket, key, file, ngx_file_size(&fi),
                                  rec, &raw);

    if (err == NGX_HTTP_S3_OK && oc != NULL
        && rec->size <= (uint64_t) oc->size
        && raw.len <= NGX_HTTP_S3_RECORD_FIRST_READ)
    {
        ngx_http_s3_ocache_add(r, oc, cln, name, len, file, &fi, &raw);
    }

    return err;
}


static ngx_http_s3_err_e
ngx_http_s3_open_error(ngx_http_request_t *r, ngx_file_t *file,
    ngx_err_t err, char *call)
{
    if (err == NGX_ENOENT || err == NGX_ENOTDIR) {
        return NGX_HTTP_S3_NO_SUCH_KEY;
    }

    return ngx_http_s3_errno(r->connection->log, err, call,
                             (char *) file->name.data);
}


/*
 * file->name gets the object file's full path; returns its part relative
 * to the store's directory, which the system calls take, or NULL.
 */

static u_char *
ngx_http_s3_object_name(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_file_t *file)
{
    u_char             *p;
    ssize_t             n;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    file->name.data = ngx_pnalloc(r->pool, ngx_strlen(ctx->store.root) + 1
                                           + S3_PLACE_MAX_LEN);
    if (file->name.data == NULL) {
        ngx_set_errno(NGX_ENOMEM);
        return NULL;
    }

    p = ngx_sprintf(file->name.data, "%s/", ctx->store.root);

    n = s3_place_object((char *) p, S3_PLACE_MAX_LEN,
                        (char *) bucket->data, bucket->len,
                        (char *) key->data, key->len);
    if (n < 0) {
        return NULL;
    }

    file->name.len = (p - file->name.data) + n;
    file->log = r->connection->log;

    return p;
}


/* Reads the record of the open file; raw gets its bytes. */

static ngx_http_s3_err_e
ngx_http_s3_read_record(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_file_t *file, off_t size, s3_record_t *rec,
    ngx_str_t *raw)
{
    int      rc;
    u_char  *buf;
    size_t   len, need;

    len = NGX_HTTP_S3_RECORD_FIRST_READ;

    for ( ;; ) {
        buf = ngx_pnalloc(r->pool, len);
        if (buf == NULL) {
            return NGX_HTTP_S3_INTERNAL_ERROR;
        }

        rc = s3_store_read_record(file->fd, size, buf, len, rec, &need);

        if (rc != S3_AGAIN || need <= len) {
            break;
        }

        len = need;
    }

    if (rc != S3_OK) {
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 "s3_store_read_record()",
                                 (char *) file->name.data);
    }

    /* the bytes read, the file's last min(len, size), end with the record */

    raw->len = need;
    raw->data = buf + ngx_min(len, (size_t) size) - need;

    return ngx_http_s3_record_of(r, bucket, key, file, rec);
}


static ngx_http_s3_err_e
ngx_http_s3_record_of(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_file_t *file, s3_record_t *rec)
{
    if (rec->kind != S3_RECORD_OBJECT
        || rec->key.len != key->len
        || rec->bucket.len != bucket->len
        || ngx_memcmp(rec->key.data, key->data, key->len) != 0
        || ngx_memcmp(rec->bucket.data, bucket->data, bucket->len) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "s3 object file \"%s\" holds another key",
                      file->name.data);
        return NGX_HTTP_S3_NO_SUCH_KEY;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * This worker deleted (bucket, key): its cached file, if any, is let go at
 * once, so that the space comes back without waiting for `inactive`.
 */

void
ngx_http_s3_ocache_forget(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key)
{
    u_char                       name[S3_PLACE_MAX_LEN];
    ssize_t                      n;
    ngx_http_s3_ctx_t           *ctx;
    ngx_http_s3_main_conf_t     *smcf;
    ngx_http_s3_ocache_entry_t  *e;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->ocache == NULL) {
        return;
    }

    n = s3_place_object((char *) name, sizeof(name), (char *) bucket->data,
                        bucket->len, (char *) key->data, key->len);
    if (n < 0) {
        return;
    }

    e = ngx_http_s3_ocache_find(smcf->ocache, ctx->root, name, n);

    if (e != NULL) {
        ngx_http_s3_ocache_drop(e);
    }
}


static ngx_http_s3_ocache_entry_t *
ngx_http_s3_ocache_find(ngx_http_s3_ocache_t *oc, ngx_http_s3_root_t *root,
    u_char *name, size_t len)
{
    ngx_uint_t                   hash;
    ngx_http_s3_ocache_entry_t  *e;

    hash = ngx_hash_key(name, len);

    for (e = oc->hash[hash % oc->nhash]; e != NULL; e = e->next) {
        if (e->hash == hash && e->root == root && e->name_len == len
            && ngx_memcmp(e->name, name, len) == 0)
        {
            return e;
        }
    }

    return NULL;
}


/* A hit: the request reads through the entry's descriptor and record. */

static ngx_http_s3_err_e
ngx_http_s3_ocache_use(ngx_http_request_t *r, ngx_http_s3_ocache_entry_t *e,
    ngx_str_t *bucket, ngx_str_t *key, ngx_file_t *file, s3_record_t *rec)
{
    u_char              *buf;
    size_t               need;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    buf = ngx_pnalloc(r->pool, e->record_len);

    if (cln == NULL || buf == NULL) {
        return NGX_HTTP_S3_INTERNAL_ERROR;
    }

    /* a copy: the entry may be dropped while the request waits */

    ngx_memcpy(buf, e->record, e->record_len);

    if (s3_record_decode(buf, e->record_len, e->file_size, rec, &need)
        != S3_OK)
    {
        return ngx_http_s3_errno(r->connection->log, ngx_errno,
                                 "s3_record_decode()",
                                 (char *) file->name.data);
    }

    e->pins++;
    e->used = ngx_current_msec;
    ngx_queue_remove(&e->queue);
    ngx_queue_insert_head(&e->cache->lru, &e->queue);

    cln->handler = ngx_http_s3_ocache_unpin;
    cln->data = e;

    file->fd = e->fd;

    return ngx_http_s3_record_of(r, bucket, key, file, rec);
}


/*
 * The file just opened and read goes to the cache, which owns the
 * descriptor from now on: the request's cleanup unpins the entry instead
 * of closing it.  No entry free (all pinned): the file is not cached.
 */

static void
ngx_http_s3_ocache_add(ngx_http_request_t *r, ngx_http_s3_ocache_t *oc,
    ngx_pool_cleanup_t *cln, u_char *name, size_t len, ngx_file_t *file,
    ngx_file_info_t *fi, ngx_str_t *raw)
{
    ngx_http_s3_ctx_t           *ctx;
    ngx_http_s3_ocache_entry_t  *e, **slot;

    if (len > S3_PLACE_MAX_LEN) {
        return;
    }

    e = ngx_http_s3_ocache_alloc(oc);
    if (e == NULL) {
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    e->cache = oc;
    e->root = ctx->root;
    e->hash = ngx_hash_key(name, len);
    e->fd = file->fd;
    e->dev = fi->st_dev;
    e->ino = fi->st_ino;
    e->file_size = ngx_file_size(fi);
    e->used = ngx_current_msec;
    e->pins = 1;
    e->cached = 1;
    e->name_len = len;
    e->record_len = raw->len;
    ngx_memcpy(e->name, name, len);
    ngx_memcpy(e->record, raw->data, raw->len);

    slot = &oc->hash[e->hash % oc->nhash];
    e->next = *slot;
    *slot = e;

    ngx_queue_insert_head(&oc->lru, &e->queue);

    cln->handler = ngx_http_s3_ocache_unpin;
    cln->data = e;

    if (!oc->sweep.timer_set) {
        ngx_add_timer(&oc->sweep, oc->inactive);
    }
}


/* a free entry, a new one, or the least recently used if not pinned */

static ngx_http_s3_ocache_entry_t *
ngx_http_s3_ocache_alloc(ngx_http_s3_ocache_t *oc)
{
    ngx_queue_t                 *q;
    ngx_http_s3_ocache_entry_t  *e;

    if (ngx_queue_empty(&oc->free)) {
        if (oc->handed < oc->max) {
            return &oc->entries[oc->handed++];
        }

        if (ngx_queue_empty(&oc->lru)) {
            return NULL;
        }

        e = ngx_queue_data(ngx_queue_last(&oc->lru),
                           ngx_http_s3_ocache_entry_t, queue);

        if (e->pins != 0) {
            return NULL;
        }

        ngx_http_s3_ocache_drop(e);
    }

    q = ngx_queue_head(&oc->free);
    ngx_queue_remove(q);

    return ngx_queue_data(q, ngx_http_s3_ocache_entry_t, queue);
}


/* Takes e out of the cache; its file is closed once no request reads it. */

static void
ngx_http_s3_ocache_drop(ngx_http_s3_ocache_entry_t *e)
{
    ngx_http_s3_ocache_t         *oc;
    ngx_http_s3_ocache_entry_t  **slot;

    oc = e->cache;

    for (slot = &oc->hash[e->hash % oc->nhash]; *slot != e;
         slot = &(*slot)->next)
    {
        /* void */
    }

    *slot = e->next;
    ngx_queue_remove(&e->queue);
    e->cached = 0;

    if (e->pins == 0) {
        (void) ngx_close_file(e->fd);
        ngx_queue_insert_head(&oc->free, &e->queue);
    }
}


static void
ngx_http_s3_ocache_unpin(void *data)
{
    ngx_http_s3_ocache_entry_t *e = data;

    if (--e->pins == 0 && !e->cached) {
        (void) ngx_close_file(e->fd);
        ngx_queue_insert_head(&e->cache->free, &e->queue);
    }
}


/* every `inactive`: the entries not used since are dropped */

static void
ngx_http_s3_ocache_sweep(ngx_event_t *ev)
{
    ngx_http_s3_ocache_t *oc = ev->data;

    ngx_http_s3_ocache_entry_t  *e;

    while (!ngx_queue_empty(&oc->lru)) {
        e = ngx_queue_data(ngx_queue_last(&oc->lru),
                           ngx_http_s3_ocache_entry_t, queue);

        if ((ngx_msec_int_t) (ngx_current_msec - e->used)
            < (ngx_msec_int_t) oc->inactive)
        {
            break;
        }

        ngx_http_s3_ocache_drop(e);
    }

    if (!ngx_queue_empty(&oc->lru)) {
        ngx_add_timer(ev, oc->inactive);
    }
}
