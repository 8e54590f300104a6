
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "s3_hlc.h"
#include "s3_journal.h"


/* u8 op | u64 hlc | u64 size | md5 | u16 bucket length | u16 key length */
#define S3_JOURNAL_MIN_PAYLOAD  (1 + 8 + 8 + S3_MD5_LEN + 2 + 2)
#define S3_JOURNAL_MAX_BUCKET   255
#define S3_JOURNAL_MAX_KEY      1024


static int s3_journal_create(s3_journal_t *j);
static int s3_journal_rotate(s3_journal_t *j);
static int s3_journal_seal(s3_journal_t *j);
static void s3_journal_sync_dir(const char *root);
static size_t s3_journal_tail_len(const s3_journal_entry_t *e);
static unsigned char *s3_journal_put_str(unsigned char *p,
    const s3_str_t *s);
static int s3_journal_decode_tail(const unsigned char *p, size_t left,
    s3_journal_entry_t *e);
static void s3_journal_w64(unsigned char *p, uint64_t v);
static uint64_t s3_journal_r64(const unsigned char *p);
static void s3_journal_w32(unsigned char *p, uint32_t v);
static uint32_t s3_journal_r32(const unsigned char *p);


int
s3_journal_open(s3_journal_t *j, const char *root, uint64_t limit)
{
    int  err;

    j->fd = -1;
    j->size = 0;
    j->limit = limit;
    j->root = root;

    err = pthread_mutex_init(&j->mutex, NULL);
    if (err != 0) {
        errno = err;
        return S3_ERR;
    }

    if (s3_journal_create(j) != S3_OK) {
        err = errno;
        (void) pthread_mutex_destroy(&j->mutex);
        errno = err;
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_journal_write(s3_journal_t *j, const s3_journal_entry_t *e)
{
    int            rc, err;
    ssize_t        n;
    unsigned char  frame[S3_JOURNAL_MAX_FRAME];

    n = s3_journal_encode(e, frame, sizeof(frame));
    if (n == -1) {
        return S3_ERR;
    }

    (void) pthread_mutex_lock(&j->mutex);

    rc = S3_OK;

    if (j->fd == -1) {
        errno = EBADF;
        rc = S3_ERR;

    } else if (j->limit != 0 && j->size + n > j->limit && j->size != 0) {
        rc = s3_journal_rotate(j);
    }

    if (rc == S3_OK) {
        rc = s3_journal_append(j->fd, frame, n);
    }

    if (rc == S3_OK) {
        j->size += n;
    }

    err = errno;
    (void) pthread_mutex_unlock(&j->mutex);
    errno = err;

    return rc;
}


int
s3_journal_close(s3_journal_t *j)
{
    int  rc, err;

    (void) pthread_mutex_lock(&j->mutex);
    rc = s3_journal_seal(j);
    err = errno;
    (void) pthread_mutex_unlock(&j->mutex);

    (void) pthread_mutex_destroy(&j->mutex);

    errno = err;
    return rc;
}


/*
 * Opens a new file named after the current time; O_EXCL and a later
 * millisecond resolve the rare case of two files in one millisecond.
 */

static int
s3_journal_create(s3_journal_t *j)
{
    int       n, tries;
    uint64_t  ms;

    ms = s3_hlc_wall_ms();

    for (tries = 0; tries < 1000; tries++, ms++) {
        n = snprintf(j->name, sizeof(j->name), "%s/" S3_JOURNAL_DIR
                     "/%ld-%llu" S3_JOURNAL_SUFFIX, j->root, (long) getpid(),
                     (unsigned long long) ms);

        if (n < 0 || (size_t) n >= sizeof(j->name)) {
            errno = ENAMETOOLONG;
            return S3_ERR;
        }

        j->fd = open(j->name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL
                     | O_CLOEXEC, 0600);

        if (j->fd != -1) {
            j->size = 0;
            s3_journal_sync_dir(j->root);
            return S3_OK;
        }

        if (errno != EEXIST) {
            return S3_ERR;
        }
    }

    return S3_ERR;
}


/* Seals the current file and opens the next; called with the mutex held. */

static int
s3_journal_rotate(s3_journal_t *j)
{
    if (s3_journal_seal(j) != S3_OK) {
        return S3_ERR;
    }

    return s3_journal_create(j);
}


/* Appends a SEAL frame and closes the file; called with the mutex held. */

static int
s3_journal_seal(s3_journal_t *j)
{
    int                 rc, err;
    ssize_t             n;
    unsigned char       frame[S3_JOURNAL_MAX_FRAME];
    s3_journal_entry_t  e;

    if (j->fd == -1) {
        errno = EBADF;
        return S3_ERR;
    }

    memset(&e, 0, sizeof(s3_journal_entry_t));
    e.op = S3_JOURNAL_SEAL;

    n = s3_journal_encode(&e, frame, sizeof(frame));

    rc = (n == -1) ? S3_ERR : s3_journal_append(j->fd, frame, n);
    err = errno;

    if (close(j->fd) == -1 && rc == S3_OK) {
        err = errno;
        rc = S3_ERR;
    }

    j->fd = -1;

    errno = err;
    return rc;
}


/* Makes a new file's name durable, so repld always finds the file. */

static void
s3_journal_sync_dir(const char *root)
{
    int   n, dfd;
    char  dir[PATH_MAX];

    n = snprintf(dir, sizeof(dir), "%s/" S3_JOURNAL_DIR, root);

    if (n < 0 || (size_t) n >= sizeof(dir)) {
        return;
    }

    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd != -1) {
        (void) fsync(dfd);
        (void) close(dfd);
    }
}


ssize_t
s3_journal_encode(const s3_journal_entry_t *e, unsigned char *buf,
    size_t size)
{
    size_t          plen;
    unsigned char  *p;

    if (e->bucket.len > S3_JOURNAL_MAX_BUCKET
        || e->key.len > S3_JOURNAL_MAX_KEY
        || (s3_journal_op_upload(e->op)
            && e->upload_id.len > S3_JOURNAL_MAX_UPLOAD_ID))
    {
        errno = ENAMETOOLONG;
        return -1;
    }

    if (s3_journal_op_upload(e->op) && e->upload_id.len == 0) {
        errno = EINVAL;
        return -1;
    }

    plen = S3_JOURNAL_MIN_PAYLOAD + e->bucket.len + e->key.len
           + s3_journal_tail_len(e);

    if (size < S3_JOURNAL_HEADER_LEN + plen) {
        errno = ENOSPC;
        return -1;
    }

    p = buf + S3_JOURNAL_HEADER_LEN;

    *p++ = (unsigned char) e->op;
    s3_journal_w64(p, e->hlc);
    p += 8;
    s3_journal_w64(p, e->size);
    p += 8;
    memcpy(p, e->md5, S3_MD5_LEN);
    p += S3_MD5_LEN;

    p = s3_journal_put_str(p, &e->bucket);
    p = s3_journal_put_str(p, &e->key);

    if (s3_journal_op_upload(e->op)) {
        p = s3_journal_put_str(p, &e->upload_id);
    }

    if (e->op == S3_JOURNAL_COMPLETE_UPLOAD) {
        s3_journal_w32(p, e->parts);
    }

    s3_journal_w32(buf, (uint32_t) plen);
    s3_journal_w32(buf + 4, s3_crc32c(0, buf + S3_JOURNAL_HEADER_LEN, plen));

    return S3_JOURNAL_HEADER_LEN + plen;
}


int
s3_journal_append(int fd, const unsigned char *frame, size_t len)
{
    ssize_t  n;

    do {
        n = write(fd, frame, len);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        return S3_ERR;
    }

    if ((size_t) n != len) {
        errno = EIO;
        return S3_ERR;
    }

    return S3_OK;
}


int
s3_journal_decode(const unsigned char *buf, size_t len,
    s3_journal_entry_t *e, size_t *used)
{
    size_t                plen, blen, klen;
    const unsigned char  *p;

    if (len < S3_JOURNAL_HEADER_LEN) {
        return S3_AGAIN;
    }

    plen = s3_journal_r32(buf);

    if (plen < S3_JOURNAL_MIN_PAYLOAD
        || plen > S3_JOURNAL_MAX_FRAME - S3_JOURNAL_HEADER_LEN)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    if (len < S3_JOURNAL_HEADER_LEN + plen) {
        return S3_AGAIN;
    }

    p = buf + S3_JOURNAL_HEADER_LEN;

    if (s3_crc32c(0, p, plen) != s3_journal_r32(buf + 4)) {
        errno = EINVAL;
        return S3_ERR;
    }

    e->op = (s3_journal_op_e) p[0];
    e->hlc = s3_journal_r64(p + 1);
    e->size = s3_journal_r64(p + 9);
    memcpy(e->md5, p + 17, S3_MD5_LEN);
    p += 17 + S3_MD5_LEN;

    blen = p[0] | p[1] << 8;

    if (blen > S3_JOURNAL_MAX_BUCKET
        || S3_JOURNAL_MIN_PAYLOAD + blen > plen)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    e->bucket.data = (const char *) p + 2;
    e->bucket.len = blen;
    p += 2 + blen;

    klen = p[0] | p[1] << 8;

    if (klen > S3_JOURNAL_MAX_KEY
        || S3_JOURNAL_MIN_PAYLOAD + blen + klen > plen
        || e->op < S3_JOURNAL_PUT_OBJECT
        || e->op > S3_JOURNAL_COMPLETE_UPLOAD)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    e->key.data = (const char *) p + 2;
    e->key.len = klen;
    p += 2 + klen;

    if (s3_journal_decode_tail(p, plen - S3_JOURNAL_MIN_PAYLOAD - blen - klen,
                               e)
        != S3_OK)
    {
        errno = EINVAL;
        return S3_ERR;
    }

    *used = S3_JOURNAL_HEADER_LEN + plen;

    return S3_OK;
}


const char *
s3_journal_op_name(s3_journal_op_e op)
{
    switch (op) {

    case S3_JOURNAL_PUT_OBJECT:
        return "put-object";

    case S3_JOURNAL_DELETE_OBJECT:
        return "delete-object";

    case S3_JOURNAL_CREATE_BUCKET:
        return "create-bucket";

    case S3_JOURNAL_DELETE_BUCKET:
        return "delete-bucket";

    case S3_JOURNAL_PUT_USER:
        return "put-user";

    case S3_JOURNAL_DELETE_USER:
        return "delete-user";

    case S3_JOURNAL_SEAL:
        return "seal";

    case S3_JOURNAL_CREATE_UPLOAD:
        return "create-upload";

    case S3_JOURNAL_ABORT_UPLOAD:
        return "abort-upload";

    case S3_JOURNAL_COMPLETE_UPLOAD:
        return "complete-upload";
    }

    return "unknown";
}


int
s3_journal_op_upload(s3_journal_op_e op)
{
    return op == S3_JOURNAL_CREATE_UPLOAD || op == S3_JOURNAL_ABORT_UPLOAD
           || op == S3_JOURNAL_COMPLETE_UPLOAD;
}


/* The bytes an op's frame has after its key. */

static size_t
s3_journal_tail_len(const s3_journal_entry_t *e)
{
    size_t  len;

    if (!s3_journal_op_upload(e->op)) {
        return 0;
    }

    len = 2 + e->upload_id.len;

    if (e->op == S3_JOURNAL_COMPLETE_UPLOAD) {
        len += 4;
    }

    return len;
}


/* Writes u16 length | bytes; returns the position after them. */

static unsigned char *
s3_journal_put_str(unsigned char *p, const s3_str_t *s)
{
    *p++ = (unsigned char) s->len;
    *p++ = (unsigned char) (s->len >> 8);

    if (s->len != 0) {
        memcpy(p, s->data, s->len);
        p += s->len;
    }

    return p;
}


/*
 * Decodes what follows the key (left bytes at p): nothing for the old
 * ops, the upload id (and the part count of a completion) for the upload
 * ops.  Any other length is S3_ERR.
 */

static int
s3_journal_decode_tail(const unsigned char *p, size_t left,
    s3_journal_entry_t *e)
{
    size_t  ulen, need;

    e->upload_id.data = NULL;
    e->upload_id.len = 0;
    e->parts = 0;

    if (!s3_journal_op_upload(e->op)) {
        return left == 0 ? S3_OK : S3_ERR;
    }

    if (left < 2) {
        return S3_ERR;
    }

    ulen = p[0] | p[1] << 8;
    need = 2 + ulen + (e->op == S3_JOURNAL_COMPLETE_UPLOAD ? 4 : 0);

    if (ulen == 0 || ulen > S3_JOURNAL_MAX_UPLOAD_ID || left != need) {
        return S3_ERR;
    }

    e->upload_id.data = (const char *) p + 2;
    e->upload_id.len = ulen;

    if (e->op == S3_JOURNAL_COMPLETE_UPLOAD) {
        e->parts = s3_journal_r32(p + 2 + ulen);
    }

    return S3_OK;
}


static void
s3_journal_w32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}


static uint32_t
s3_journal_r32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8
           | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}


static void
s3_journal_w64(unsigned char *p, uint64_t v)
{
    s3_journal_w32(p, (uint32_t) v);
    s3_journal_w32(p + 4, (uint32_t) (v >> 32));
}


static uint64_t
s3_journal_r64(const unsigned char *p)
{
    return (uint64_t) s3_journal_r32(p)
           | (uint64_t) s3_journal_r32(p + 4) << 32;
}
