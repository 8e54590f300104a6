
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_xml_parse_*(): the first input byte chooses the document, the rest
 * is the body, parsed in place in a block of its exact size.  Capacities
 * are small so that E2BIG is reached too.  The keys and tags parsed are
 * escaped again by s3_xml_escape() (what the module and repld write back
 * to clients), which must parse back to the same bytes.
 */


#include "s3_xml.h"
#include "s3_xml_escape.h"
#include "fuzz.h"


#define FUZZ_MAX   8
#define FUZZ_HEAD  "<Delete><Object><Key>"
#define FUZZ_TAIL  "</Key></Object></Delete>"


static void fuzz_complete(char *buf, size_t len);
static void fuzz_delete(char *buf, size_t len);
static void fuzz_tagging(char *buf, size_t len);
static void fuzz_cors(char *buf, size_t len);
static void fuzz_acl(char *buf, size_t len);
static void fuzz_create_bucket(char *buf, size_t len);
static void fuzz_escape(s3_str_t *s);


static void (*fuzz_docs[])(char *buf, size_t len) = {
    fuzz_complete,           /* '0' */
    fuzz_delete,             /* '1' */
    fuzz_tagging,            /* '2' */
    fuzz_cors,               /* '3' */
    fuzz_acl,                /* '4' */
    fuzz_create_bucket       /* '5' */
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *buf;
    size_t   n;

    if (size == 0) {
        return 0;
    }

    n = sizeof(fuzz_docs) / sizeof(fuzz_docs[0]);

    buf = fuzz_copy(data + 1, size - 1);
    fuzz_docs[data[0] % n](buf, size - 1);
    free(buf);

    return 0;
}


static void
fuzz_complete(char *buf, size_t len)
{
    size_t             i;
    s3_xml_part_t      parts[FUZZ_MAX];
    s3_xml_complete_t  doc;

    doc.parts = parts;
    doc.max = FUZZ_MAX;

    if (s3_xml_parse_complete(buf, len, &doc) != S3_OK) {
        return;
    }

    for (i = 0; i < doc.nparts; i++) {
        fuzz_inside(parts[i].etag, buf, len);
        fuzz_inside(parts[i].cksum, buf, len);
    }
}


static void
fuzz_delete(char *buf, size_t len)
{
    size_t            i;
    s3_xml_object_t   objects[FUZZ_MAX];
    s3_xml_delete_t   doc;

    doc.objects = objects;
    doc.max = FUZZ_MAX;

    if (s3_xml_parse_delete(buf, len, &doc) != S3_OK) {
        return;
    }

    for (i = 0; i < doc.nobjects; i++) {
        fuzz_inside(objects[i].key, buf, len);
        fuzz_inside(objects[i].version_id, buf, len);
        fuzz_escape(&objects[i].key);
    }
}


static void
fuzz_tagging(char *buf, size_t len)
{
    size_t             i;
    s3_xml_tag_t       tags[FUZZ_MAX];
    s3_xml_tagging_t   doc;

    doc.tags = tags;
    doc.max = FUZZ_MAX;

    if (s3_xml_parse_tagging(buf, len, &doc) != S3_OK) {
        return;
    }

    for (i = 0; i < doc.ntags; i++) {
        fuzz_inside(tags[i].key, buf, len);
        fuzz_inside(tags[i].value, buf, len);
        fuzz_escape(&tags[i].key);
        fuzz_escape(&tags[i].value);
    }
}


static void
fuzz_cors(char *buf, size_t len)
{
    size_t               i;
    s3_xml_cors_t        doc;
    s3_xml_cors_rule_t   rules[FUZZ_MAX];
    s3_xml_cors_value_t  values[4 * FUZZ_MAX];

    doc.rules = rules;
    doc.max_rules = FUZZ_MAX;
    doc.values = values;
    doc.max_values = 4 * FUZZ_MAX;

    if (s3_xml_parse_cors(buf, len, &doc) != S3_OK) {
        return;
    }

    for (i = 0; i < doc.nrules; i++) {
        if (rules[i].first + rules[i].n > doc.nvalues) {
            abort();
        }
    }

    for (i = 0; i < doc.nvalues; i++) {
        fuzz_inside(values[i].value, buf, len);
    }
}


static void
fuzz_acl(char *buf, size_t len)
{
    size_t           i;
    s3_xml_acl_t     doc;
    s3_xml_grant_t   grants[FUZZ_MAX];

    doc.grants = grants;
    doc.max = FUZZ_MAX;

    if (s3_xml_parse_acl(buf, len, &doc) != S3_OK) {
        return;
    }

    fuzz_inside(doc.owner_id, buf, len);

    for (i = 0; i < doc.ngrants; i++) {
        fuzz_inside(grants[i].type, buf, len);
        fuzz_inside(grants[i].id, buf, len);
        fuzz_inside(grants[i].uri, buf, len);
        fuzz_inside(grants[i].permission, buf, len);
    }
}


static void
fuzz_create_bucket(char *buf, size_t len)
{
    s3_xml_create_bucket_t  doc;

    if (s3_xml_parse_create_bucket(buf, len, &doc) == S3_OK) {
        fuzz_inside(doc.location, buf, len);
    }
}


/* s escaped, as the first key of a Delete, parses back to s */

static void
fuzz_escape(s3_str_t *s)
{
    char             *doc, *p;
    size_t            n;
    s3_xml_delete_t   del;
    s3_xml_object_t   object;

    if (s->len == 0) {
        return;
    }

    n = s3_xml_escape(NULL, s->data, s->len);

    if (n < s->len || n > S3_XML_ESCAPE_MAX * s->len) {
        abort();
    }

    doc = malloc(sizeof(FUZZ_HEAD FUZZ_TAIL) - 1 + n);
    if (doc == NULL) {
        abort();
    }

    p = doc;
    memcpy(p, FUZZ_HEAD, sizeof(FUZZ_HEAD) - 1);
    p += sizeof(FUZZ_HEAD) - 1;

    if (s3_xml_escape(p, s->data, s->len) != n) {
        abort();
    }

    p += n;
    memcpy(p, FUZZ_TAIL, sizeof(FUZZ_TAIL) - 1);
    p += sizeof(FUZZ_TAIL) - 1;

    del.objects = &object;
    del.max = 1;

    if (s3_xml_parse_delete(doc, p - doc, &del) != S3_OK
        || del.nobjects != 1
        || object.key.len != s->len
        || memcmp(object.key.data, s->data, s->len) != 0)
    {
        abort();
    }

    free(doc);
}
