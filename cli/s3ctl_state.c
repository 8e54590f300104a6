
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl state export FILE, s3ctl state import FILE: a node's metadata
 * (users and buckets, no objects) as lines (core/s3_line.h):
 *
 *     state version=1 node=<node id> exported=<ms>
 *     user name=NAME access_key=AK secret_key=SK
 *     bucket name=B owner=OWNER acl=ACL tags=TAGS cors=CORS
 *     end users=N buckets=N
 *
 * acl is the bucket's canned ACL ("" private, or public-read), tags the
 * record's "key\0value\0" pairs, cors its encoded rules (core/s3_cors.h),
 * both percent-encoded as every value is.  The file holds secret keys:
 * it is written mode 0600.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "s3_cors.h"
#include "s3_line.h"
#include "s3_place.h"
#include "s3ctl.h"


#define S3CTL_STATE_VERSION   "1"
#define S3CTL_STATE_LINE      (4 * S3_CORS_MAX_LEN)


typedef struct {
    s3ctl_t            *ctl;
    FILE               *out;          /* export */
    char               *line;         /* S3CTL_STATE_LINE bytes */
    uint64_t            users;
    uint64_t            buckets;
    uint64_t            created;      /* import */
    uint64_t            updated;
    uint64_t            unchanged;
    uint64_t            failed;
    int                 headed;
    int                 ended;
} s3ctl_state_t;


/* import: finds the access key of a user by name */
typedef struct {
    s3_str_t            name;
    char                ak[S3_ACCESS_KEY_MAX_LEN + 1];
} s3ctl_state_find_t;


static int s3ctl_state_export(s3ctl_state_t *s, const char *file);
static int s3ctl_state_export_user(const s3_record_t *rec, void *data);
static int s3ctl_state_export_bucket(const s3_record_t *rec, void *data);
static int s3ctl_state_put(s3ctl_state_t *s, const char *kind,
    const char *const *names, const s3_str_t *v, size_t n);
static int s3ctl_state_import(s3ctl_state_t *s, const char *file);
static int s3ctl_state_line(s3ctl_state_t *s, char *line, size_t len);
static int s3ctl_state_header(s3ctl_state_t *s, char *pos, char *end);
static int s3ctl_state_user(s3ctl_state_t *s, char *pos, char *end);
static int s3ctl_state_user_set(s3ctl_state_t *s, const s3_str_t *v);
static int s3ctl_state_find(const s3_record_t *rec, void *data);
static int s3ctl_state_bucket(s3ctl_state_t *s, char *pos, char *end);
static int s3ctl_state_bucket_valid(const s3_record_t *rec);
static unsigned s3ctl_state_bucket_diff(const s3_record_t *old,
    const s3_record_t *rec);
static int s3ctl_state_end(s3ctl_state_t *s, char *pos, char *end);
static int s3ctl_state_same(const s3_str_t *a, const s3_str_t *b);
static int s3ctl_state_report(s3ctl_state_t *s, const char *kind,
    const s3_str_t *name, const char *what);


int
s3ctl_state(s3ctl_t *ctl, const char *data, int argc, char **argv)
{
    int             rc, import;
    s3ctl_state_t   s;

    if (argc != 2 || (strcmp(argv[0], "export") != 0
                      && strcmp(argv[0], "import") != 0))
    {
        fprintf(stderr, "s3ctl: invalid \"state\" command\n");
        return s3ctl_usage(stderr, S3CTL_USAGE);
    }

    import = (argv[0][0] == 'i');

    rc = s3ctl_open(ctl, data, import);
    if (rc != S3CTL_OK) {
        return rc;
    }

    memset(&s, 0, sizeof(s3ctl_state_t));
    s.ctl = ctl;

    s.line = malloc(S3CTL_STATE_LINE);
    if (s.line == NULL) {
        return s3ctl_fail("out of memory");
    }

    rc = import ? s3ctl_state_import(&s, argv[1])
                : s3ctl_state_export(&s, argv[1]);

    free(s.line);

    return rc;
}


static int
s3ctl_state_export(s3ctl_state_t *s, const char *file)
{
    int  fd, rc;

    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd == -1 || fchmod(fd, 0600) == -1) {
        return s3ctl_fail("cannot write \"%s\": %s", file, strerror(errno));
    }

    s->out = fdopen(fd, "w");
    if (s->out == NULL) {
        close(fd);
        return s3ctl_fail("cannot write \"%s\": %s", file, strerror(errno));
    }

    fprintf(s->out, "state version=" S3CTL_STATE_VERSION " node=%08x "
            "exported=%llu\n", s->ctl->store.node_id,
            (unsigned long long) (time(NULL) * 1000ULL));

    rc = s3_store_list_users(s->ctl->root, s3ctl_state_export_user, s);

    if (rc == S3_OK) {
        rc = s3_store_list_buckets(s->ctl->root, s3ctl_state_export_bucket,
                                   s);
    }

    if (rc == S3_OK) {
        fprintf(s->out, "end users=%llu buckets=%llu\n",
                (unsigned long long) s->users,
                (unsigned long long) s->buckets);

        if (fflush(s->out) != 0 || fsync(fileno(s->out)) != 0) {
            rc = S3_ERR;
        }
    }

    if (fclose(s->out) != 0 && rc == S3_OK) {
        rc = S3_ERR;
    }

    if (rc != S3_OK) {
        return s3ctl_fail("cannot export to \"%s\": %s", file,
                          strerror(errno));
    }

    printf("exported %llu users and %llu buckets to %s (mode 0600: it "
           "holds the users' secret keys)\n", (unsigned long long) s->users,
           (unsigned long long) s->buckets, file);

    return S3CTL_OK;
}


static int
s3ctl_state_export_user(const s3_record_t *rec, void *data)
{
    s3_str_t        v[3];
    s3ctl_state_t  *s;

    static const char *const  names[] = {
        "name", "access_key", "secret_key"
    };

    s = data;

    v[0] = rec->user;
    v[1] = rec->access_key;
    v[2] = rec->secret_key;

    s->users++;

    return s3ctl_state_put(s, "user", names, v, 3);
}


static int
s3ctl_state_export_bucket(const s3_record_t *rec, void *data)
{
    s3_str_t        v[5];
    s3ctl_state_t  *s;

    static const char *const  names[] = {
        "name", "owner", "acl", "tags", "cors"
    };

    s = data;

    v[0] = rec->bucket;
    v[1] = rec->owner;
    v[2] = rec->acl;
    v[3] = rec->tags;
    v[4] = rec->cors;

    s->buckets++;

    return s3ctl_state_put(s, "bucket", names, v, 5);
}


static int
s3ctl_state_put(s3ctl_state_t *s, const char *kind, const char *const *names,
    const s3_str_t *v, size_t n)
{
    ssize_t  len;

    len = s3_line_format(s->line, S3CTL_STATE_LINE, kind, names, v, n);

    if (len == -1) {
        return S3_ERR;
    }

    return (fwrite(s->line, 1, len, s->out) == (size_t) len) ? S3_OK
                                                              : S3_ERR;
}


static int
s3ctl_state_import(s3ctl_state_t *s, const char *file)
{
    int       rc;
    FILE     *f;
    char     *line;
    size_t    cap;
    ssize_t   n;

    f = fopen(file, "r");
    if (f == NULL) {
        return s3ctl_fail("cannot open \"%s\": %s", file, strerror(errno));
    }

    line = NULL;
    cap = 0;
    rc = S3CTL_OK;

    while (rc == S3CTL_OK && (n = getline(&line, &cap, f)) != -1) {
        if (n > 0 && line[n - 1] == '\n') {
            n--;
        }

        rc = s3ctl_state_line(s, line, n);
    }

    free(line);

    if (rc == S3CTL_OK && ferror(f)) {
        rc = s3ctl_fail("cannot read \"%s\": %s", file, strerror(errno));
    }

    fclose(f);

    if (rc != S3CTL_OK) {
        return rc;
    }

    if (!s->ended) {
        fprintf(stderr, "s3ctl: \"%s\" ends before its end line\n", file);
        s->failed++;
    }

    printf("imported %s: %llu created, %llu updated, %llu unchanged, "
           "%llu failed\n", file, (unsigned long long) s->created,
           (unsigned long long) s->updated,
           (unsigned long long) s->unchanged,
           (unsigned long long) s->failed);

    return s->failed ? S3CTL_FAIL : S3CTL_OK;
}


static int
s3ctl_state_line(s3ctl_state_t *s, char *line, size_t len)
{
    char      *pos, *end;
    s3_str_t   kind;

    end = line + len;
    kind = s3_line_kind(line, end, &pos);

    if (kind.len == 5 && memcmp(kind.data, "state", 5) == 0) {
        return s3ctl_state_header(s, pos, end);
    }

    if (!s->headed) {
        return s3ctl_fail("not a state file of version "
                          S3CTL_STATE_VERSION);
    }

    if (kind.len == 4 && memcmp(kind.data, "user", 4) == 0) {
        return s3ctl_state_user(s, pos, end);
    }

    if (kind.len == 6 && memcmp(kind.data, "bucket", 6) == 0) {
        return s3ctl_state_bucket(s, pos, end);
    }

    if (kind.len == 3 && memcmp(kind.data, "end", 3) == 0) {
        return s3ctl_state_end(s, pos, end);
    }

    return S3CTL_OK;
}


static int
s3ctl_state_header(s3ctl_state_t *s, char *pos, char *end)
{
    s3_str_t  v;

    static const char *const  names[] = { "version" };

    if (s->headed || s3_line_fields(pos, end, names, 1, &v) != 1
        || !s3ctl_state_same(&v, &(s3_str_t) s3_string(S3CTL_STATE_VERSION)))
    {
        return s3ctl_fail("not a state file of version "
                          S3CTL_STATE_VERSION);
    }

    s->headed = 1;

    return S3CTL_OK;
}


/* name, access_key, secret_key */

static int
s3ctl_state_user(s3ctl_state_t *s, char *pos, char *end)
{
    int            rc;
    s3_str_t       v[3];
    s3_record_t    rec;
    unsigned char  buf[S3_RECORD_READ_LEN];

    static const char *const  names[] = {
        "name", "access_key", "secret_key"
    };

    s->users++;

    if (s3_line_fields(pos, end, names, 3, v) != 7
        || !s3ctl_name_valid(v[0].data, v[0].len)
        || !s3_access_key_valid(v[1].data, v[1].len)
        || !s3ctl_secret_valid(v[2].data, v[2].len))
    {
        return s3ctl_state_report(s, "user", NULL, "invalid line");
    }

    rc = s3_store_read_user(s->ctl->root, v[1].data, v[1].len, buf,
                            sizeof(buf), &rec);

    if (rc == S3_OK && s3ctl_state_same(&rec.user, &v[0])
        && s3ctl_state_same(&rec.secret_key, &v[2]))
    {
        return s3ctl_state_report(s, "user", &v[0], "unchanged");
    }

    if (rc == S3_ERR) {
        return s3ctl_state_report(s, "user", &v[0], strerror(errno));
    }

    /* a new user, or one whose name, access key or secret changed */

    if (rc == S3_OK
        && s3_store_remove_user(&s->ctl->store, v[1].data, v[1].len)
           == S3_ERR)
    {
        return s3ctl_state_report(s, "user", &v[0], strerror(errno));
    }

    return s3ctl_state_user_set(s, v);
}


/*
 * Adds the user v (name, access key, secret); a user of that name with
 * another access key has it replaced by this one.
 */

static int
s3ctl_state_user_set(s3ctl_state_t *s, const s3_str_t *v)
{
    int                 rc, replaced;
    s3ctl_state_find_t  find;

    replaced = 0;

    for ( ;; ) {
        rc = s3_store_add_user(&s->ctl->store, v[0].data, v[0].len,
                               v[1].data, v[1].len, v[2].data, v[2].len);

        if (rc != S3_STORE_USER_EXISTS || replaced) {
            break;
        }

        find.name = v[0];
        find.ak[0] = '\0';

        if (s3_store_list_users(s->ctl->root, s3ctl_state_find, &find)
            == S3_ERR
            || find.ak[0] == '\0'
            || s3_store_remove_user(&s->ctl->store, find.ak,
                                    strlen(find.ak)) == S3_ERR)
        {
            break;
        }

        replaced = 1;
    }

    if (rc == S3_OK) {
        return s3ctl_state_report(s, "user", &v[0],
                                  replaced ? "updated" : "created");
    }

    return s3ctl_state_report(s, "user", &v[0],
                              rc == S3_STORE_USER_EXISTS
                              ? "its name or access key is taken"
                              : strerror(errno));
}


static int
s3ctl_state_find(const s3_record_t *rec, void *data)
{
    s3ctl_state_find_t  *find;

    find = data;

    if (s3ctl_state_same(&rec->user, &find->name)
        && rec->access_key.len < sizeof(find->ak))
    {
        memcpy(find->ak, rec->access_key.data, rec->access_key.len);
        find->ak[rec->access_key.len] = '\0';
    }

    return S3_OK;
}


/* name, owner, acl, tags, cors */

static int
s3ctl_state_bucket(s3ctl_state_t *s, char *pos, char *end)
{
    int             rc;
    s3_str_t        v[5];
    unsigned        which;
    s3_record_t     rec, old;
    unsigned char  *buf;

    static const char *const  names[] = {
        "name", "owner", "acl", "tags", "cors"
    };

    s->buckets++;

    memset(v, 0, sizeof(v));
    memset(&rec, 0, sizeof(s3_record_t));

    if (s3_line_fields(pos, end, names, 5, v) == S3_ERR) {
        return s3ctl_state_report(s, "bucket", NULL, "invalid line");
    }

    rec.kind = S3_RECORD_BUCKET;
    rec.bucket = v[0];
    rec.owner = v[1];
    rec.acl = v[2];
    rec.tags = v[3];
    rec.cors = v[4];

    if (!s3ctl_state_bucket_valid(&rec)) {
        return s3ctl_state_report(s, "bucket", &v[0], "invalid line");
    }

    buf = malloc(S3_STORE_BUCKET_BUF);
    if (buf == NULL) {
        return s3ctl_fail("out of memory");
    }

    rc = s3_store_read_bucket(s->ctl->root, v[0].data, v[0].len, buf,
                              S3_STORE_BUCKET_BUF, &old);

    if (rc == S3_STORE_NO_BUCKET) {
        rc = s3_store_create_bucket_rec(&s->ctl->store, &rec);
        free(buf);

        return s3ctl_state_report(s, "bucket", &v[0], (rc == S3_OK)
                                  ? "created" : (rc == S3_ERR)
                                  ? strerror(errno) : "created meanwhile");
    }

    if (rc != S3_OK) {
        free(buf);
        return s3ctl_state_report(s, "bucket", &v[0], strerror(errno));
    }

    if (!s3ctl_state_same(&old.owner, &rec.owner)) {
        free(buf);
        return s3ctl_state_report(s, "bucket", &v[0], "owned by another "
                                  "user here: left as it is");
    }

    which = s3ctl_state_bucket_diff(&old, &rec);

    free(buf);

    if (which == 0) {
        return s3ctl_state_report(s, "bucket", &v[0], "unchanged");
    }

    rc = s3_store_set_bucket_attrs(&s->ctl->store, &rec, which);

    return s3ctl_state_report(s, "bucket", &v[0], (rc == S3_OK) ? "updated"
                              : (rc == S3_ERR) ? strerror(errno)
                              : "deleted meanwhile");
}


/* What s3_store_create_bucket_rec() would store unchecked. */

static int
s3ctl_state_bucket_valid(const s3_record_t *rec)
{
    int             rc;
    size_t          pos, i, nuls;
    s3_cors_rule_t  rule;

    if (!s3_bucket_name_valid(rec->bucket.data, rec->bucket.len)
        || !s3ctl_name_valid(rec->owner.data, rec->owner.len)
        || (rec->acl.len != 0
            && !s3ctl_state_same(&rec->acl,
                                 &(s3_str_t) s3_string("public-read"))))
    {
        return 0;
    }

    for (i = 0, nuls = 0; i < rec->tags.len; i++) {
        nuls += (rec->tags.data[i] == '\0');
    }

    if (nuls % 2 != 0
        || (rec->tags.len > 0 && rec->tags.data[rec->tags.len - 1] != '\0'))
    {
        return 0;
    }

    pos = 0;

    while ((rc = s3_cors_next_rule(&rec->cors, &pos, &rule)) == 1) {
        /* void */
    }

    return rc == 0;
}


static unsigned
s3ctl_state_bucket_diff(const s3_record_t *old, const s3_record_t *rec)
{
    unsigned  which;

    which = 0;

    if (!s3ctl_state_same(&old->acl, &rec->acl)) {
        which |= S3_STORE_ATTR_ACL;
    }

    if (!s3ctl_state_same(&old->tags, &rec->tags)) {
        which |= S3_STORE_ATTR_TAGS;
    }

    if (!s3ctl_state_same(&old->cors, &rec->cors)) {
        which |= S3_STORE_ATTR_CORS;
    }

    return which;
}


static int
s3ctl_state_end(s3ctl_state_t *s, char *pos, char *end)
{
    uint64_t  n[2];
    s3_str_t  v[2];

    static const char *const  names[] = { "users", "buckets" };

    s->ended = 1;

    if (s3_line_fields(pos, end, names, 2, v) != 3
        || s3_line_parse_number(&v[0], &n[0]) != S3_OK
        || s3_line_parse_number(&v[1], &n[1]) != S3_OK
        || n[0] != s->users || n[1] != s->buckets)
    {
        fprintf(stderr, "s3ctl: the end line does not count the lines "
                "read (%llu users, %llu buckets)\n",
                (unsigned long long) s->users,
                (unsigned long long) s->buckets);
        s->failed++;
    }

    return S3CTL_OK;
}


static int
s3ctl_state_same(const s3_str_t *a, const s3_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}


/* Prints what the import did to one user or bucket; counts it. */

static int
s3ctl_state_report(s3ctl_state_t *s, const char *kind, const s3_str_t *name,
    const char *what)
{
    if (strcmp(what, "created") == 0) {
        s->created++;

    } else if (strcmp(what, "updated") == 0) {
        s->updated++;

    } else if (strcmp(what, "unchanged") == 0) {
        s->unchanged++;

    } else {
        s->failed++;
        fprintf(stderr, "s3ctl: %s \"%.*s\": %s\n", kind,
                name ? (int) name->len : 0, name ? name->data : "", what);
        return S3CTL_OK;
    }

    printf("%s %.*s: %s\n", kind, (int) name->len, name->data, what);

    return S3CTL_OK;
}
