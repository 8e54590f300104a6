
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3_hlc.h"
#include "s3_store.h"

#include "repld_apply.h"
#include "repld_log.h"


struct repld_apply_s {
    s3_store_t          store;       /* no journal: changes are not ours */
    s3_hlc_t            clock;
    repld_catalog_t    *cat;
    repld_journal_t    *journal;
};


static int repld_apply_decode(const s3_replproto_change_t *c,
    s3_record_kind_e kind, s3_record_t *rec);
static int repld_apply_object(repld_apply_t *a,
    const s3_replproto_change_t *c);
static int repld_apply_catalog(repld_apply_t *a,
    const s3_replproto_change_t *c, const s3_record_t *rec);
static int repld_apply_result(const s3_replproto_change_t *c, int rc);


repld_apply_t *
repld_apply_create(const char *root, uint32_t node_id, repld_catalog_t *cat,
    repld_journal_t *journal)
{
    repld_apply_t  *a;

    a = calloc(1, sizeof(repld_apply_t));
    if (a == NULL) {
        return NULL;
    }

    a->store.root = root;
    a->store.fsync = 1;
    a->store.journal = NULL;
    a->store.node_id = node_id;
    a->store.clock = &a->clock;
    a->cat = cat;
    a->journal = journal;

    return a;
}


void
repld_apply_free(repld_apply_t *a)
{
    free(a);
}


int
repld_apply_change(repld_apply_t *a, const s3_replproto_change_t *c)
{
    int          rc;
    s3_record_t  rec;

    /* a write that follows a read of this change must win over it */

    (void) s3_hlc_next(&a->clock, c->hlc);

    switch (c->op) {

    case S3_JOURNAL_PUT_OBJECT:
        return repld_apply_object(a, c);

    case S3_JOURNAL_DELETE_OBJECT:
        rc = s3_store_apply_delete(&a->store, &c->name, &c->key, c->hlc,
                                   c->node);
        memset(&rec, 0, sizeof(rec));
        break;

    case S3_JOURNAL_CREATE_BUCKET:
        if (repld_apply_decode(c, S3_RECORD_BUCKET, &rec) != 0) {
            return 1;
        }

        rc = s3_store_apply_bucket(&a->store, &rec);
        break;

    case S3_JOURNAL_DELETE_BUCKET:
        rc = s3_store_apply_bucket_delete(&a->store, &c->name, c->hlc,
                                          c->node);
        memset(&rec, 0, sizeof(rec));
        break;

    case S3_JOURNAL_PUT_USER:
        if (repld_apply_decode(c, S3_RECORD_USER, &rec) != 0) {
            return 1;
        }

        return repld_apply_result(c, s3_store_apply_user(&a->store, &rec));

    case S3_JOURNAL_DELETE_USER:
        return repld_apply_result(c, s3_store_apply_user_delete(&a->store,
                                                                &c->name,
                                                                c->hlc,
                                                                c->node));

    default:
        return 1;
    }

    if (rc != S3_OK) {
        return repld_apply_result(c, rc);
    }

    return repld_apply_catalog(a, c, &rec);
}


/* the change's record, whole, of kind and of the change's names */

static int
repld_apply_decode(const s3_replproto_change_t *c, s3_record_kind_e kind,
    s3_record_t *rec)
{
    size_t     need;
    s3_str_t  *name;

    if (s3_record_decode((const unsigned char *) c->record.data,
                         c->record.len, c->record.len, rec, &need)
        == S3_OK && need == c->record.len && rec->kind == kind)
    {
        name = (kind == S3_RECORD_USER) ? &rec->access_key : &rec->bucket;

        if (s3_str_eq(name, &c->name) && s3_str_eq(&rec->key, &c->key)
            && (kind != S3_RECORD_OBJECT || rec->holders.len != 0))
        {
            return 0;
        }
    }

    repld_log(REPLD_LOG_WARN, "stream: a %s change of \"%.*s\" with a bad "
              "record, dropped", s3_journal_op_name(c->op),
              (int) c->name.len, c->name.data);

    return -1;
}


static int
repld_apply_object(repld_apply_t *a, const s3_replproto_change_t *c)
{
    int          rc;
    s3_record_t  rec;

    if (repld_apply_decode(c, S3_RECORD_OBJECT, &rec) != 0) {
        return 1;
    }

    rc = s3_store_apply_object(&a->store, &rec);

    if (rc != S3_OK) {
        return repld_apply_result(c, rc);
    }

    return repld_apply_catalog(a, c, &rec);
}


/*
 * The store chose this change: the catalog follows, an equal hlc (of
 * another node, which the catalog cannot tell) included.
 */

static int
repld_apply_catalog(repld_apply_t *a, const s3_replproto_change_t *c,
    const s3_record_t *rec)
{
    s3_journal_entry_t  e;

    memset(&e, 0, sizeof(e));
    e.op = c->op;
    e.hlc = c->hlc;
    e.bucket = c->name;
    e.key = c->key;

    if (c->op == S3_JOURNAL_PUT_OBJECT) {
        e.hlc = rec->hlc;
        e.size = rec->size;
        memcpy(e.md5, rec->md5, S3_MD5_LEN);
        e.parts = (uint32_t) s3_record_nparts(rec);
    }

    return (repld_journal_apply(a->journal, &e, 1) == 0) ? 0 : -1;
}


static int
repld_apply_result(const s3_replproto_change_t *c, int rc)
{
    switch (rc) {

    case S3_OK:
        return 0;

    case S3_STORE_STALE:
        return 1;

    case S3_ERR:
        repld_log(REPLD_LOG_ERR, "stream: applying %s of \"%.*s/%.*s\" "
                  "failed: %s", s3_journal_op_name(c->op), (int) c->name.len,
                  c->name.data, (int) c->key.len, c->key.data,
                  strerror(errno));
        return -1;

    default:
        repld_log(REPLD_LOG_WARN, "stream: %s of \"%.*s/%.*s\" not applied "
                  "(store status %d), dropped", s3_journal_op_name(c->op),
                  (int) c->name.len, c->name.data, (int) c->key.len,
                  c->key.data, rc);
        return 1;
    }
}
