
/*
 * Copyright (C) ngx_s3 developers
 *
 * A small in-place tokenizer and, over it, one parser per request
 * document.  Nothing here recurses on what the input controls: nesting is
 * an explicit stack of S3_XML_MAX_DEPTH names, unknown elements are
 * skipped by a loop, and each document parser knows its own fixed shape.
 */


#include <errno.h>
#include <string.h>
#include <strings.h>

#include "s3_digest.h"
#include "s3_xml.h"


#define S3_XML_DONE       1          /* s3_xml_child(): the parent closed */

#define S3_XML_ONCE       0x01       /* a second one is EINVAL */
#define S3_XML_REQUIRED   0x02       /* none is EINVAL */

#define S3_XML_REF_MAX    12         /* between '&' and ';': "#x0010FFFF" */

#define s3_xml_space(c)                                                       \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')


typedef struct {
    char                 *p;
    char                 *last;
    size_t                depth;
    s3_str_t              open[S3_XML_MAX_DEPTH];   /* qualified names */
} s3_xml_t;


typedef struct {
    s3_str_t              name;       /* local name */
    s3_str_t              type;       /* a "type" (xsi:type) attribute */
    int                   empty;      /* <name/> */
    size_t                arg;        /* the arg of the rule it matched */
} s3_xml_elt_t;


typedef int (*s3_xml_handler_pt)(s3_xml_t *x, s3_xml_elt_t *e, void *data);

typedef struct {
    const char           *name;
    s3_xml_handler_pt     handler;
    size_t                arg;        /* to the handler in e->arg */
    unsigned              flags;
} s3_xml_rule_t;


/* what a <Part> holds before it is checked */
typedef struct {
    s3_str_t              number;
    s3_str_t              etag;
    s3_str_t              cksum[S3_CKSUM_SHA256 + 1];   /* by algorithm */
} s3_xml_part_in_t;


static int s3_xml_einval(void);
static int s3_xml_at(s3_xml_t *x, const char *s, size_t n);
static int s3_xml_past(s3_xml_t *x, const char *s, size_t n);
static int s3_xml_is(const s3_str_t *name, const char *s);
static int s3_xml_delim(char c);
static int s3_xml_name(s3_xml_t *x, s3_str_t *name);
static s3_str_t s3_xml_local(s3_str_t qname);
static int s3_xml_misc(s3_xml_t *x);
static char *s3_xml_chars(s3_xml_t *x, char *dst, char stop);
static char *s3_xml_ref(s3_xml_t *x, char *dst);
static uint32_t s3_xml_code(const char *p, size_t n);
static char *s3_xml_utf8(char *dst, uint32_t cp);
static int s3_xml_open(s3_xml_t *x, s3_xml_elt_t *e);
static int s3_xml_attr(s3_xml_t *x, s3_xml_elt_t *e);
static int s3_xml_close(s3_xml_t *x);
static int s3_xml_child(s3_xml_t *x, s3_xml_elt_t *parent, s3_xml_elt_t *e);
static int s3_xml_text(s3_xml_t *x, s3_xml_elt_t *e, s3_str_t *value);
static int s3_xml_skip(s3_xml_t *x, s3_xml_elt_t *e);
static int s3_xml_children(s3_xml_t *x, s3_xml_elt_t *e,
    const s3_xml_rule_t *rules, void *data, unsigned *seen);
static int s3_xml_document(char *buf, size_t len, const char *root,
    const s3_xml_rule_t *rules, void *data);
static s3_str_t s3_xml_trim(const s3_str_t *s);
static int s3_xml_uint(const s3_str_t *s, uint64_t max, uint64_t *n);
static int s3_xml_leaf(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_part(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_quiet(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_object(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_tagset(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_tag(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_cors_rule(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_cors_value(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_owner(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_acl_list(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_grant(s3_xml_t *x, s3_xml_elt_t *e, void *data);
static int s3_xml_grantee(s3_xml_t *x, s3_xml_elt_t *e, void *data);


static const s3_xml_rule_t  s3_xml_complete_rules[] = {
    { "Part", s3_xml_part, 0, 0 },
    { NULL, NULL, 0, 0 }
};


/* bit i of what s3_xml_children() saw is rule i: checksums from bit 2 */

#define S3_XML_PART_CKSUM  2

static const s3_xml_rule_t  s3_xml_part_rules[] = {
    { "PartNumber", s3_xml_leaf, offsetof(s3_xml_part_in_t, number),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { "ETag", s3_xml_leaf, offsetof(s3_xml_part_in_t, etag),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { "ChecksumCRC32", s3_xml_leaf,
      offsetof(s3_xml_part_in_t, cksum[S3_CKSUM_CRC32]), S3_XML_ONCE },
    { "ChecksumCRC32C", s3_xml_leaf,
      offsetof(s3_xml_part_in_t, cksum[S3_CKSUM_CRC32C]), S3_XML_ONCE },
    { "ChecksumCRC64NVME", s3_xml_leaf,
      offsetof(s3_xml_part_in_t, cksum[S3_CKSUM_CRC64NVME]),
      S3_XML_ONCE },
    { "ChecksumSHA1", s3_xml_leaf,
      offsetof(s3_xml_part_in_t, cksum[S3_CKSUM_SHA1]), S3_XML_ONCE },
    { "ChecksumSHA256", s3_xml_leaf,
      offsetof(s3_xml_part_in_t, cksum[S3_CKSUM_SHA256]), S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_delete_rules[] = {
    { "Quiet", s3_xml_quiet, 0, S3_XML_ONCE },
    { "Object", s3_xml_object, 0, 0 },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_object_rules[] = {
    { "Key", s3_xml_leaf, offsetof(s3_xml_object_t, key),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { "VersionId", s3_xml_leaf, offsetof(s3_xml_object_t, version_id),
      S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_tagging_rules[] = {
    { "TagSet", s3_xml_tagset, 0, S3_XML_ONCE|S3_XML_REQUIRED },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_tagset_rules[] = {
    { "Tag", s3_xml_tag, 0, 0 },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_tag_rules[] = {
    { "Key", s3_xml_leaf, offsetof(s3_xml_tag_t, key),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { "Value", s3_xml_leaf, offsetof(s3_xml_tag_t, value),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_cors_rules[] = {
    { "CORSRule", s3_xml_cors_rule, 0, S3_XML_REQUIRED },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_cors_rule_rules[] = {
    { "ID", s3_xml_cors_value, S3_XML_CORS_ID, S3_XML_ONCE },
    { "AllowedOrigin", s3_xml_cors_value, S3_XML_CORS_ORIGIN,
      S3_XML_REQUIRED },
    { "AllowedMethod", s3_xml_cors_value, S3_XML_CORS_METHOD,
      S3_XML_REQUIRED },
    { "AllowedHeader", s3_xml_cors_value, S3_XML_CORS_HEADER, 0 },
    { "ExposeHeader", s3_xml_cors_value, S3_XML_CORS_EXPOSE, 0 },
    { "MaxAgeSeconds", s3_xml_cors_value, S3_XML_CORS_MAX_AGE,
      S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_acl_rules[] = {
    { "Owner", s3_xml_owner, 0, S3_XML_ONCE },
    { "AccessControlList", s3_xml_acl_list, 0, S3_XML_ONCE|S3_XML_REQUIRED },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_owner_rules[] = {
    { "ID", s3_xml_leaf, offsetof(s3_xml_acl_t, owner_id), S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_acl_list_rules[] = {
    { "Grant", s3_xml_grant, 0, 0 },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_grant_rules[] = {
    { "Grantee", s3_xml_grantee, 0, S3_XML_ONCE|S3_XML_REQUIRED },
    { "Permission", s3_xml_leaf, offsetof(s3_xml_grant_t, permission),
      S3_XML_ONCE|S3_XML_REQUIRED },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_grantee_rules[] = {
    { "ID", s3_xml_leaf, offsetof(s3_xml_grant_t, id), S3_XML_ONCE },
    { "URI", s3_xml_leaf, offsetof(s3_xml_grant_t, uri), S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


static const s3_xml_rule_t  s3_xml_create_bucket_rules[] = {
    { "LocationConstraint", s3_xml_leaf,
      offsetof(s3_xml_create_bucket_t, location), S3_XML_ONCE },
    { NULL, NULL, 0, 0 }
};


int
s3_xml_parse_complete(char *buf, size_t len, s3_xml_complete_t *doc)
{
    doc->nparts = 0;

    if (s3_xml_document(buf, len, "CompleteMultipartUpload",
                        s3_xml_complete_rules, doc)
        != S3_OK)
    {
        return S3_ERR;
    }

    return (doc->nparts > 0) ? S3_OK : s3_xml_einval();
}


int
s3_xml_parse_delete(char *buf, size_t len, s3_xml_delete_t *doc)
{
    doc->nobjects = 0;
    doc->quiet = 0;

    if (s3_xml_document(buf, len, "Delete", s3_xml_delete_rules, doc)
        != S3_OK)
    {
        return S3_ERR;
    }

    return (doc->nobjects > 0) ? S3_OK : s3_xml_einval();
}


int
s3_xml_parse_tagging(char *buf, size_t len, s3_xml_tagging_t *doc)
{
    doc->ntags = 0;

    return s3_xml_document(buf, len, "Tagging", s3_xml_tagging_rules, doc);
}


int
s3_xml_parse_cors(char *buf, size_t len, s3_xml_cors_t *doc)
{
    doc->nrules = 0;
    doc->nvalues = 0;

    return s3_xml_document(buf, len, "CORSConfiguration", s3_xml_cors_rules,
                           doc);
}


int
s3_xml_parse_acl(char *buf, size_t len, s3_xml_acl_t *doc)
{
    doc->owner_id.len = 0;
    doc->owner_id.data = NULL;
    doc->ngrants = 0;

    return s3_xml_document(buf, len, "AccessControlPolicy", s3_xml_acl_rules,
                           doc);
}


int
s3_xml_parse_create_bucket(char *buf, size_t len,
    s3_xml_create_bucket_t *doc)
{
    doc->location.len = 0;
    doc->location.data = NULL;

    if (len == 0) {
        return S3_OK;
    }

    return s3_xml_document(buf, len, "CreateBucketConfiguration",
                           s3_xml_create_bucket_rules, doc);
}


/* <Part>: PartNumber and ETag, at most one Checksum* */

static int
s3_xml_part(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    uint64_t            n;
    unsigned            seen, sums;
    s3_xml_part_t      *part;
    s3_cksum_algo_e     algo;
    s3_xml_part_in_t    in;
    s3_xml_complete_t  *doc;

    doc = data;

    if (doc->nparts == doc->max) {
        errno = E2BIG;
        return S3_ERR;
    }

    if (s3_xml_children(x, e, s3_xml_part_rules, &in, &seen) != S3_OK
        || s3_xml_uint(&in.number, UINT32_MAX, &n) != S3_OK)
    {
        return S3_ERR;
    }

    sums = seen >> S3_XML_PART_CKSUM;

    if (sums & (sums - 1)) {
        return s3_xml_einval();
    }

    part = &doc->parts[doc->nparts++];

    part->number = (uint32_t) n;
    part->etag = in.etag;
    part->cksum_algo = S3_CKSUM_NONE;
    part->cksum.len = 0;
    part->cksum.data = NULL;

    for (algo = S3_CKSUM_CRC32; algo <= S3_CKSUM_SHA256; algo++) {
        if (sums & (1u << (algo - S3_CKSUM_CRC32))) {
            part->cksum_algo = algo;
            part->cksum = in.cksum[algo];
        }
    }

    return S3_OK;
}


/* <Quiet>: xs:boolean as S3 takes it, true or false in any case */

static int
s3_xml_quiet(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    s3_str_t          v;
    s3_xml_delete_t  *doc;

    doc = data;

    if (s3_xml_text(x, e, &v) != S3_OK) {
        return S3_ERR;
    }

    v = s3_xml_trim(&v);

    if (v.len == 4 && strncasecmp(v.data, "true", 4) == 0) {
        doc->quiet = 1;
        return S3_OK;
    }

    if (v.len == 5 && strncasecmp(v.data, "false", 5) == 0) {
        doc->quiet = 0;
        return S3_OK;
    }

    return s3_xml_einval();
}


static int
s3_xml_object(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned          seen;
    s3_xml_object_t  *o;
    s3_xml_delete_t  *doc;

    doc = data;

    if (doc->nobjects == doc->max) {
        errno = E2BIG;
        return S3_ERR;
    }

    o = &doc->objects[doc->nobjects];
    o->version_id.len = 0;
    o->version_id.data = NULL;

    if (s3_xml_children(x, e, s3_xml_object_rules, o, &seen) != S3_OK) {
        return S3_ERR;
    }

    doc->nobjects++;

    return S3_OK;
}


static int
s3_xml_tagset(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned  seen;

    return s3_xml_children(x, e, s3_xml_tagset_rules, data, &seen);
}


static int
s3_xml_tag(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned           seen;
    s3_xml_tagging_t  *doc;

    doc = data;

    if (doc->ntags == doc->max) {
        errno = E2BIG;
        return S3_ERR;
    }

    if (s3_xml_children(x, e, s3_xml_tag_rules, &doc->tags[doc->ntags],
                        &seen)
        != S3_OK)
    {
        return S3_ERR;
    }

    doc->ntags++;

    return S3_OK;
}


static int
s3_xml_cors_rule(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned             seen;
    s3_xml_cors_t       *doc;
    s3_xml_cors_rule_t  *r;

    doc = data;

    if (doc->nrules == doc->max_rules) {
        errno = E2BIG;
        return S3_ERR;
    }

    r = &doc->rules[doc->nrules];
    r->first = doc->nvalues;

    if (s3_xml_children(x, e, s3_xml_cors_rule_rules, doc, &seen) != S3_OK) {
        return S3_ERR;
    }

    r->n = doc->nvalues - r->first;
    doc->nrules++;

    return S3_OK;
}


static int
s3_xml_cors_value(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    uint64_t              n;
    s3_str_t              v;
    s3_xml_cors_t        *doc;
    s3_xml_cors_value_t  *cv;

    doc = data;

    if (doc->nvalues == doc->max_values) {
        errno = E2BIG;
        return S3_ERR;
    }

    if (s3_xml_text(x, e, &v) != S3_OK) {
        return S3_ERR;
    }

    if (e->arg == S3_XML_CORS_MAX_AGE) {
        if (s3_xml_uint(&v, INT32_MAX, &n) != S3_OK) {
            return S3_ERR;
        }

        v = s3_xml_trim(&v);
    }

    cv = &doc->values[doc->nvalues++];
    cv->kind = (s3_xml_cors_kind_e) e->arg;
    cv->value = v;

    return S3_OK;
}


static int
s3_xml_owner(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned  seen;

    return s3_xml_children(x, e, s3_xml_owner_rules, data, &seen);
}


static int
s3_xml_acl_list(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned  seen;

    return s3_xml_children(x, e, s3_xml_acl_list_rules, data, &seen);
}


static int
s3_xml_grant(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned         seen;
    s3_xml_acl_t    *doc;
    s3_xml_grant_t  *g;

    doc = data;

    if (doc->ngrants == doc->max) {
        errno = E2BIG;
        return S3_ERR;
    }

    g = &doc->grants[doc->ngrants];
    memset(g, 0, sizeof(s3_xml_grant_t));

    if (s3_xml_children(x, e, s3_xml_grant_rules, g, &seen) != S3_OK) {
        return S3_ERR;
    }

    doc->ngrants++;

    return S3_OK;
}


static int
s3_xml_grantee(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    unsigned         seen;
    s3_xml_grant_t  *g;

    g = data;
    g->type = e->type;

    return s3_xml_children(x, e, s3_xml_grantee_rules, g, &seen);
}


/* the text of an element into the s3_str_t at e->arg in data */

static int
s3_xml_leaf(s3_xml_t *x, s3_xml_elt_t *e, void *data)
{
    return s3_xml_text(x, e, (s3_str_t *) ((char *) data + e->arg));
}


/*
 * Parses a whole document whose root is named root: its children go to
 * rules with data, then only whitespace, comments and processing
 * instructions may follow.
 */

static int
s3_xml_document(char *buf, size_t len, const char *root,
    const s3_xml_rule_t *rules, void *data)
{
    unsigned      seen;
    s3_xml_t      x;
    s3_xml_elt_t  e;

    if (len == 0 || memchr(buf, '\0', len) != NULL) {
        return s3_xml_einval();
    }

    x.p = buf;
    x.last = buf + len;
    x.depth = 0;

    if (s3_xml_at(&x, "\xef\xbb\xbf", 3)) {
        x.p += 3;
    }

    if (s3_xml_misc(&x) != S3_OK) {
        return S3_ERR;
    }

    if (x.p == x.last || *x.p != '<' || s3_xml_at(&x, "</", 2)) {
        return s3_xml_einval();
    }

    if (s3_xml_open(&x, &e) != S3_OK) {
        return S3_ERR;
    }

    if (!s3_xml_is(&e.name, root)) {
        return s3_xml_einval();
    }

    if (s3_xml_children(&x, &e, rules, data, &seen) != S3_OK
        || s3_xml_misc(&x) != S3_OK)
    {
        return S3_ERR;
    }

    return (x.p == x.last) ? S3_OK : s3_xml_einval();
}


/*
 * Reads the children of e, a start tag just read, to its end tag: each
 * goes to the handler of the rule with its name, or is skipped.  Bit i of
 * *seen is set when rules[i] matched; a rule's flags are checked.
 */

static int
s3_xml_children(s3_xml_t *x, s3_xml_elt_t *e, const s3_xml_rule_t *rules,
    void *data, unsigned *seen)
{
    int                   rc;
    unsigned              bit;
    s3_xml_elt_t          c;
    const s3_xml_rule_t  *rule;

    *seen = 0;

    while ((rc = s3_xml_child(x, e, &c)) == S3_OK) {

        for (rule = rules; rule->name != NULL; rule++) {
            if (s3_xml_is(&c.name, rule->name)) {
                break;
            }
        }

        if (rule->name == NULL) {
            if (s3_xml_skip(x, &c) != S3_OK) {
                return S3_ERR;
            }

            continue;
        }

        bit = 1u << (rule - rules);

        if ((rule->flags & S3_XML_ONCE) && (*seen & bit)) {
            return s3_xml_einval();
        }

        *seen |= bit;
        c.arg = rule->arg;

        if (rule->handler(x, &c, data) != S3_OK) {
            return S3_ERR;
        }
    }

    if (rc != S3_XML_DONE) {
        return S3_ERR;
    }

    for (rule = rules; rule->name != NULL; rule++) {
        if ((rule->flags & S3_XML_REQUIRED)
            && !(*seen & (1u << (rule - rules))))
        {
            return s3_xml_einval();
        }
    }

    return S3_OK;
}


/*
 * Reads up to the next child of parent, the innermost open element:
 * S3_OK with its start tag in e, S3_XML_DONE when parent's end tag comes
 * instead, S3_ERR (EINVAL).  Only whitespace, comments and processing
 * instructions may come between children.
 */

static int
s3_xml_child(s3_xml_t *x, s3_xml_elt_t *parent, s3_xml_elt_t *e)
{
    if (parent->empty) {
        return S3_XML_DONE;
    }

    if (s3_xml_misc(x) != S3_OK) {
        return S3_ERR;
    }

    if (x->p == x->last || *x->p != '<') {
        return s3_xml_einval();
    }

    if (!s3_xml_at(x, "</", 2)) {
        return s3_xml_open(x, e);
    }

    return (s3_xml_close(x) == S3_OK) ? S3_XML_DONE : S3_ERR;
}


/*
 * Reads the text of e, a start tag just read, to its end tag: references
 * resolved in place, comments dropped; a child element is EINVAL.
 */

static int
s3_xml_text(s3_xml_t *x, s3_xml_elt_t *e, s3_str_t *value)
{
    char  *dst;

    value->data = x->p;
    value->len = 0;

    if (e->empty) {
        return S3_OK;
    }

    dst = x->p;

    for ( ;; ) {
        dst = s3_xml_chars(x, dst, '<');
        if (dst == NULL) {
            return S3_ERR;
        }

        if (s3_xml_at(x, "</", 2)) {
            break;
        }

        if (!s3_xml_at(x, "<!--", 4)) {
            return s3_xml_einval();
        }

        x->p += 4;

        if (s3_xml_past(x, "-->", 3) != S3_OK) {
            return S3_ERR;
        }
    }

    value->len = dst - value->data;

    return s3_xml_close(x);
}


/* Skips e, a start tag just read, with everything inside it. */

static int
s3_xml_skip(s3_xml_t *x, s3_xml_elt_t *e)
{
    int           rc;
    size_t        depth;
    s3_xml_elt_t  c;

    if (e->empty) {
        return S3_OK;
    }

    depth = x->depth - 1;

    while (x->depth > depth) {

        /* text is decoded where it is, only to check it */

        if (s3_xml_chars(x, x->p, '<') == NULL || s3_xml_misc(x) != S3_OK) {
            return S3_ERR;
        }

        if (x->p == x->last) {
            return s3_xml_einval();
        }

        if (*x->p != '<') {
            continue;
        }

        rc = s3_xml_at(x, "</", 2) ? s3_xml_close(x) : s3_xml_open(x, &c);

        if (rc != S3_OK) {
            return S3_ERR;
        }
    }

    return S3_OK;
}


/* x->p is at "<name": reads the start tag, "...>" or "... />" */

static int
s3_xml_open(s3_xml_t *x, s3_xml_elt_t *e)
{
    char      *sp;
    s3_str_t   qname;

    x->p++;

    if (s3_xml_name(x, &qname) != S3_OK) {
        return S3_ERR;
    }

    e->name = s3_xml_local(qname);
    e->type.len = 0;
    e->type.data = NULL;
    e->empty = 0;
    e->arg = 0;

    for ( ;; ) {
        sp = x->p;

        while (x->p < x->last && s3_xml_space(*x->p)) {
            x->p++;
        }

        if (x->p == x->last) {
            return s3_xml_einval();
        }

        if (*x->p == '>') {
            x->p++;
            break;
        }

        if (s3_xml_at(x, "/>", 2)) {
            x->p += 2;
            e->empty = 1;
            break;
        }

        /* an attribute, after whitespace */

        if (x->p == sp || s3_xml_attr(x, e) != S3_OK) {
            return s3_xml_einval();
        }
    }

    if (x->depth == S3_XML_MAX_DEPTH) {
        return s3_xml_einval();
    }

    if (!e->empty) {
        x->open[x->depth++] = qname;
    }

    return S3_OK;
}


/* name="value" or name='value'; keeps the value of a "type" in e */

static int
s3_xml_attr(s3_xml_t *x, s3_xml_elt_t *e)
{
    char      quote, *end;
    s3_str_t  name, value;

    if (s3_xml_name(x, &name) != S3_OK) {
        return S3_ERR;
    }

    while (x->p < x->last && s3_xml_space(*x->p)) {
        x->p++;
    }

    if (x->p == x->last || *x->p++ != '=') {
        return s3_xml_einval();
    }

    while (x->p < x->last && s3_xml_space(*x->p)) {
        x->p++;
    }

    if (x->p == x->last || (*x->p != '"' && *x->p != '\'')) {
        return s3_xml_einval();
    }

    quote = *x->p++;
    value.data = x->p;

    end = s3_xml_chars(x, x->p, quote);

    if (end == NULL || x->p == x->last) {
        return s3_xml_einval();
    }

    x->p++;
    value.len = end - value.data;

    name = s3_xml_local(name);

    if (s3_xml_is(&name, "type")) {
        e->type = value;
    }

    return S3_OK;
}


/* x->p is at "</name": reads the end tag of the innermost open element */

static int
s3_xml_close(s3_xml_t *x)
{
    s3_str_t   name, *open;

    x->p += 2;

    if (s3_xml_name(x, &name) != S3_OK) {
        return S3_ERR;
    }

    while (x->p < x->last && s3_xml_space(*x->p)) {
        x->p++;
    }

    if (x->p == x->last || *x->p != '>' || x->depth == 0) {
        return s3_xml_einval();
    }

    x->p++;
    open = &x->open[--x->depth];

    if (name.len != open->len || memcmp(name.data, open->data, name.len) != 0)
    {
        return s3_xml_einval();
    }

    return S3_OK;
}


/*
 * Decodes the characters at x->p up to stop ('<' for text, the quote of
 * an attribute value) or the end, writing them at dst <= x->p: references
 * resolved, line ends made "\n" as XML parsers do.  Returns where it
 * stopped writing, or NULL (EINVAL) for a bad reference, a control
 * character, or a '<' in an attribute value.
 */

static char *
s3_xml_chars(s3_xml_t *x, char *dst, char stop)
{
    unsigned char  c;

    while (x->p < x->last && *x->p != stop) {
        c = (unsigned char) *x->p;

        if (c == '&') {
            dst = s3_xml_ref(x, dst);
            if (dst == NULL) {
                return NULL;
            }

            continue;
        }

        if (c == '\r') {
            x->p++;

            if (x->p < x->last && *x->p == '\n') {
                x->p++;
            }

            *dst++ = '\n';
            continue;
        }

        if (c == '<' || (c < 0x20 && c != '\t' && c != '\n')) {
            errno = EINVAL;
            return NULL;
        }

        *dst++ = *x->p++;
    }

    return dst;
}


/*
 * x->p is at '&': resolves the reference to dst.  A reference is never
 * shorter than the UTF-8 it stands for, so dst stays behind x->p.
 */

static char *
s3_xml_ref(s3_xml_t *x, char *dst)
{
    char      *p, *semi;
    size_t     n;
    uint32_t   cp;

    p = x->p + 1;

    for (semi = p; semi < x->last && *semi != ';'; semi++) {
        if (semi - p == S3_XML_REF_MAX) {
            break;
        }
    }

    if (semi == x->last || *semi != ';') {
        errno = EINVAL;
        return NULL;
    }

    n = semi - p;

    if (n == 3 && memcmp(p, "amp", 3) == 0) {
        cp = '&';

    } else if (n == 2 && memcmp(p, "lt", 2) == 0) {
        cp = '<';

    } else if (n == 2 && memcmp(p, "gt", 2) == 0) {
        cp = '>';

    } else if (n == 4 && memcmp(p, "quot", 4) == 0) {
        cp = '"';

    } else if (n == 4 && memcmp(p, "apos", 4) == 0) {
        cp = '\'';

    } else if (n > 1 && p[0] == '#') {
        cp = s3_xml_code(p + 1, n - 1);

    } else {
        cp = 0;
    }

    if (cp == 0) {
        errno = EINVAL;
        return NULL;
    }

    x->p = semi + 1;

    return s3_xml_utf8(dst, cp);
}


/*
 * "65" or "x41" to a code point; 0 for anything else, surrogates and
 * what is above U+10FFFF.  Control characters are let through: S3 keys
 * may hold them, and S3 writes them as references in listings.
 */

static uint32_t
s3_xml_code(const char *p, size_t n)
{
    int       d;
    uint32_t  base, cp;

    base = 10;

    if (p[0] == 'x') {
        base = 16;
        p++;
        n--;
    }

    if (n == 0) {
        return 0;
    }

    for (cp = 0; n; n--, p++) {
        d = s3_hex_digit((unsigned char) *p);

        if (d < 0 || (uint32_t) d >= base) {
            return 0;
        }

        cp = cp * base + d;

        if (cp > 0x10ffff) {
            return 0;
        }
    }

    if (cp >= 0xd800 && cp <= 0xdfff) {
        return 0;
    }

    return cp;
}


static char *
s3_xml_utf8(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        *dst++ = (char) cp;

    } else if (cp < 0x800) {
        *dst++ = (char) (0xc0 | (cp >> 6));
        *dst++ = (char) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *dst++ = (char) (0xe0 | (cp >> 12));
        *dst++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *dst++ = (char) (0x80 | (cp & 0x3f));

    } else {
        *dst++ = (char) (0xf0 | (cp >> 18));
        *dst++ = (char) (0x80 | ((cp >> 12) & 0x3f));
        *dst++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *dst++ = (char) (0x80 | (cp & 0x3f));
    }

    return dst;
}


/* skips whitespace, comments and processing instructions (<?xml ...?>) */

static int
s3_xml_misc(s3_xml_t *x)
{
    for ( ;; ) {
        while (x->p < x->last && s3_xml_space(*x->p)) {
            x->p++;
        }

        if (s3_xml_at(x, "<!--", 4)) {
            x->p += 4;

            if (s3_xml_past(x, "-->", 3) != S3_OK) {
                return S3_ERR;
            }

            continue;
        }

        if (s3_xml_at(x, "<?", 2)) {
            x->p += 2;

            if (s3_xml_past(x, "?>", 2) != S3_OK) {
                return S3_ERR;
            }

            continue;
        }

        /* DOCTYPE and CDATA: S3 clients never send them */

        if (s3_xml_at(x, "<!", 2)) {
            return s3_xml_einval();
        }

        return S3_OK;
    }
}


static int
s3_xml_name(s3_xml_t *x, s3_str_t *name)
{
    name->data = x->p;

    while (x->p < x->last && !s3_xml_delim(*x->p)) {
        x->p++;
    }

    name->len = x->p - name->data;

    return (name->len > 0) ? S3_OK : s3_xml_einval();
}


static int
s3_xml_delim(char c)
{
    return s3_xml_space(c) || c == '/' || c == '>' || c == '<' || c == '='
           || c == '"' || c == '\'' || c == '&' || c == '?' || c == '!';
}


/* "s3:Key" to "Key" */

static s3_str_t
s3_xml_local(s3_str_t qname)
{
    size_t  i;

    for (i = qname.len; i > 0; i--) {
        if (qname.data[i - 1] == ':') {
            qname.data += i;
            qname.len -= i;
            break;
        }
    }

    return qname;
}


/* moves x->p past the next s, n bytes long; EINVAL when there is none */

static int
s3_xml_past(s3_xml_t *x, const char *s, size_t n)
{
    for ( ;; ) {
        if (s3_xml_at(x, s, n)) {
            x->p += n;
            return S3_OK;
        }

        if (x->p == x->last) {
            return s3_xml_einval();
        }

        x->p++;
    }
}


static int
s3_xml_at(s3_xml_t *x, const char *s, size_t n)
{
    return (size_t) (x->last - x->p) >= n && memcmp(x->p, s, n) == 0;
}


static int
s3_xml_is(const s3_str_t *name, const char *s)
{
    size_t  n;

    n = strlen(s);

    return name->len == n && memcmp(name->data, s, n) == 0;
}


static s3_str_t
s3_xml_trim(const s3_str_t *s)
{
    s3_str_t  t;

    t = *s;

    while (t.len > 0 && s3_xml_space(t.data[0])) {
        t.data++;
        t.len--;
    }

    while (t.len > 0 && s3_xml_space(t.data[t.len - 1])) {
        t.len--;
    }

    return t;
}


/* a decimal number up to max, whitespace around it allowed */

static int
s3_xml_uint(const s3_str_t *s, uint64_t max, uint64_t *n)
{
    size_t    i;
    s3_str_t  t;

    t = s3_xml_trim(s);

    if (t.len == 0) {
        return s3_xml_einval();
    }

    for (*n = 0, i = 0; i < t.len; i++) {
        if (t.data[i] < '0' || t.data[i] > '9') {
            return s3_xml_einval();
        }

        *n = *n * 10 + (t.data[i] - '0');

        if (*n > max) {
            return s3_xml_einval();
        }
    }

    return S3_OK;
}


static int
s3_xml_einval(void)
{
    errno = EINVAL;
    return S3_ERR;
}
