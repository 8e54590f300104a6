
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3_cors_next_rule(), s3_cors_next_item() and s3_cors_match() over a
 * stored cors field: the input is "cors \xff origin \xff method \xff
 * headers" (missing parts are empty), the cors part in a block of its
 * exact size.  Every slice must lie inside the input, and a valid
 * encoding whose values s3_cors_encode() accepts must encode back to the
 * same bytes.
 */


#include "s3_cors.h"
#include "fuzz.h"


#define FUZZ_MAX_VALUES  4096


static void fuzz_split(const char *p, const char *end, s3_str_t *part,
    const char **next);
static void fuzz_walk(const s3_str_t *cors);
static void fuzz_match(const s3_str_t *cors, const s3_cors_request_t *req);


static s3_xml_cors_rule_t   fuzz_rules[S3_CORS_MAX_RULES + 1];
static s3_xml_cors_value_t  fuzz_values[FUZZ_MAX_VALUES];
static char                 fuzz_out[S3_CORS_MAX_LEN];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char               *buf;
    s3_str_t            cors;
    const char         *p, *end;
    s3_cors_request_t   req;

    p = (const char *) data;
    end = p + size;

    fuzz_split(p, end, &cors, &p);
    fuzz_split(p, end, &req.origin, &p);
    fuzz_split(p, end, &req.method, &p);
    fuzz_split(p, end, &req.headers, &p);

    buf = fuzz_copy((const uint8_t *) cors.data, cors.len);
    cors.data = buf;

    fuzz_walk(&cors);
    fuzz_match(&cors, &req);

    free(buf);

    return 0;
}


static void
fuzz_split(const char *p, const char *end, s3_str_t *part, const char **next)
{
    const char  *sep;

    sep = memchr(p, '\xff', end - p);

    part->data = p;
    part->len = (sep ? sep : end) - p;

    *next = sep ? sep + 1 : end;
}


/* Decodes every rule and item, then encodes them again. */

static void
fuzz_walk(const s3_str_t *cors)
{
    int                 rc;
    size_t              pos, ipos, nvalues, nrules, len;
    s3_str_t            value, bad;
    s3_xml_cors_t       doc;
    s3_cors_rule_t      rule;
    s3_xml_cors_kind_e  kind;

    pos = 0;
    nrules = 0;
    nvalues = 0;

    while ((rc = s3_cors_next_rule(cors, &pos, &rule)) == 1) {
        fuzz_inside(rule.items, cors->data, cors->len);

        if (nrules == S3_CORS_MAX_RULES + 1) {
            return;
        }

        fuzz_rules[nrules].first = nvalues;
        ipos = 0;

        while (s3_cors_next_item(&rule, &ipos, &kind, &value)) {
            fuzz_inside(value, cors->data, cors->len);

            if (kind < S3_XML_CORS_ID || kind > S3_XML_CORS_MAX_AGE) {
                fprintf(stderr, "item of kind %d\n", (int) kind);
                abort();
            }

            if (nvalues == FUZZ_MAX_VALUES) {
                return;
            }

            fuzz_values[nvalues].kind = kind;
            fuzz_values[nvalues].value = value;
            nvalues++;
        }

        fuzz_rules[nrules].n = nvalues - fuzz_rules[nrules].first;
        nrules++;
    }

    if (rc != 0) {
        return;
    }

    doc.rules = fuzz_rules;
    doc.max_rules = S3_CORS_MAX_RULES + 1;
    doc.nrules = nrules;
    doc.values = fuzz_values;
    doc.max_values = FUZZ_MAX_VALUES;
    doc.nvalues = nvalues;

    if (s3_cors_encode(&doc, fuzz_out, sizeof(fuzz_out), &len, &bad)
        == S3_OK
        && (len != cors->len || memcmp(fuzz_out, cors->data, len) != 0))
    {
        fprintf(stderr, "%zu bytes encode back to %zu others\n",
                cors->len, len);
        abort();
    }
}


static void
fuzz_match(const s3_str_t *cors, const s3_cors_request_t *req)
{
    s3_cors_rule_t  rule;

    if (s3_cors_match(cors, req, &rule) == 1) {
        fuzz_inside(rule.items, cors->data, cors->len);
        fuzz_inside(rule.origin, cors->data, cors->len);

        if (rule.origin.data == NULL) {
            fprintf(stderr, "a match without its origin\n");
            abort();
        }
    }
}
