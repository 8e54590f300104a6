
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl snapshot create DIR, s3ctl snapshot restore SNAPDIR DATADIR.
 *
 * The snapshot is the store's published files (core/s3_store_snapshot.h)
 * and a MANIFEST of lines (core/s3_line.h):
 *
 *     snapshot version=1 node=<node id> started=<ms>
 *     user access_key=AK name=NAME
 *     bucket name=B owner=OWNER
 *     object bucket=B key=K size=N etag=MD5[-PARTS] hlc=N
 *     end objects=N parts=N buckets=N users=N bytes=N mode=link|copy
 *
 * written to MANIFEST.tmp and renamed once every file is captured and
 * the snapshot's filesystem synced: a snapshot without MANIFEST is
 * incomplete.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "s3_line.h"
#include "s3_place.h"
#include "s3_store_snapshot.h"
#include "s3ctl.h"


#define S3CTL_SNAP_VERSION    "1"
#define S3CTL_SNAP_PROBLEMS   20       /* problems printed by a restore */


typedef struct {
    s3_snapshot_t       sn;
    FILE               *out;          /* create: MANIFEST.tmp */
    uint64_t            objects;
    uint64_t            parts;
    uint64_t            bytes;
    uint64_t            buckets;
    uint64_t            users;
    uint64_t            problems;     /* restore: found by the check */
    int                 lay;          /* restore: capture, not only check */
    int                 headed;       /* restore: the header was read */
    int                 ended;        /* restore: the end line was read */
    char                line[S3_SNAPSHOT_LINE_MAX];
} s3ctl_snap_t;


static int s3ctl_snapshot_create(s3ctl_t *ctl, const char *data,
    const char *dir);
static int s3ctl_snapshot_restore(const char *snapdir, const char *datadir);
static int s3ctl_snapshot_empty(const char *dir);
static int s3ctl_snapshot_walk(s3ctl_t *ctl, s3ctl_snap_t *s);
static int s3ctl_snapshot_user(const s3_record_t *rec, void *data);
static int s3ctl_snapshot_bucket(const s3_record_t *rec, void *data);
static int s3ctl_snapshot_object(const s3_record_t *rec, void *data);
static int s3ctl_snapshot_write(s3ctl_snap_t *s, const char *kind,
    const char *n1, const s3_str_t *v1, const char *n2, const s3_str_t *v2);
static int s3ctl_snapshot_finish(s3ctl_snap_t *s, const char *dir);
static int s3ctl_snapshot_sync(const char *dir);
static int s3ctl_snapshot_read(s3ctl_snap_t *s, FILE *f);
static int s3ctl_snapshot_line(s3ctl_snap_t *s, char *line, size_t len);
static int s3ctl_snapshot_header(s3ctl_snap_t *s, char *pos, char *end);
static int s3ctl_snapshot_record(s3ctl_snap_t *s, const s3_str_t *kind,
    char *pos, char *end);
static int s3ctl_snapshot_entry(s3ctl_snap_t *s, char *pos, char *end);
static int s3ctl_snapshot_end(s3ctl_snap_t *s, char *pos, char *end);
static int s3ctl_snapshot_problem(s3ctl_snap_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *s3ctl_snapshot_mode(const s3ctl_snap_t *s);
static double s3ctl_snapshot_now(void);


int
s3ctl_snapshot(s3ctl_t *ctl, const char *data, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "create") == 0) {
        return s3ctl_snapshot_create(ctl, data, argv[1]);
    }

    if (argc == 3 && strcmp(argv[0], "restore") == 0) {
        return s3ctl_snapshot_restore(argv[1], argv[2]);
    }

    fprintf(stderr, "s3ctl: invalid \"snapshot\" command\n");

    return s3ctl_usage(stderr, S3CTL_USAGE);
}


static int
s3ctl_snapshot_create(s3ctl_t *ctl, const char *data, const char *dir)
{
    int            rc;
    char           path[PATH_MAX + 32], snap[PATH_MAX];
    size_t         len;
    double         start;
    struct stat    sb;
    s3ctl_snap_t  *s;

    snprintf(path, sizeof(path), "%s/" S3_STORE_FORMAT_FILE, data);

    if (stat(path, &sb) == -1) {
        return s3ctl_fail("\"%s\" is not a data directory: %s: %s", data,
                          path, strerror(errno));
    }

    rc = s3ctl_open(ctl, data, 0);
    if (rc != S3CTL_OK) {
        return rc;
    }

    rc = s3ctl_snapshot_empty(dir);
    if (rc != 1) {
        return (rc == 0) ? s3ctl_fail("\"%s\" is not empty", dir)
                         : s3ctl_fail("cannot use \"%s\": %s", dir,
                                      strerror(errno));
    }

    if (s3ctl_mkdir_p(dir) != 0 || realpath(dir, snap) == NULL) {
        return s3ctl_fail("cannot create \"%s\": %s", dir, strerror(errno));
    }

    len = strlen(ctl->root);

    if (strncmp(snap, ctl->root, len) == 0
        && (snap[len] == '/' || snap[len] == '\0'))
    {
        (void) rmdir(snap);
        return s3ctl_fail("\"%s\" is inside the data directory", snap);
    }

    s = calloc(1, sizeof(s3ctl_snap_t));
    if (s == NULL) {
        return s3ctl_fail("out of memory");
    }

    start = s3ctl_snapshot_now();

    s->sn.from = ctl->root;
    s->sn.to = snap;

    snprintf(path, sizeof(path), "%s/" S3_SNAPSHOT_MANIFEST ".tmp", snap);

    rc = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    s->out = (rc == -1) ? NULL : fdopen(rc, "w");

    if (s->out == NULL) {
        free(s);
        return s3ctl_fail("cannot create \"%s\": %s", path, strerror(errno));
    }

    fprintf(s->out, "snapshot version=" S3CTL_SNAP_VERSION " node=%08x "
            "started=%llu\n", ctl->store.node_id,
            (unsigned long long) (time(NULL) * 1000ULL));

    rc = s3ctl_snapshot_walk(ctl, s);

    if (rc == S3CTL_OK) {
        rc = s3ctl_snapshot_finish(s, snap);
    }

    if (s->out != NULL) {
        fclose(s->out);
    }

    if (rc == S3CTL_OK) {
        printf("snapshot of %s in %s: %llu objects (%llu parts, %llu "
               "bytes), %llu buckets, %llu users, by %s in %.2f s\n",
               ctl->root, snap, (unsigned long long) s->objects,
               (unsigned long long) s->parts,
               (unsigned long long) s->bytes,
               (unsigned long long) s->buckets,
               (unsigned long long) s->users, s3ctl_snapshot_mode(s),
               s3ctl_snapshot_now() - start);

        if (s->sn.skipped) {
            printf("left out %llu files under obj/ that are not objects\n",
                   (unsigned long long) s->sn.skipped);
        }

    } else {
        fprintf(stderr, "s3ctl: the snapshot in %s is incomplete (it has "
                "no " S3_SNAPSHOT_MANIFEST "): remove it\n", snap);
    }

    free(s);

    return rc;
}


/* Returns 1 when dir is missing or an empty directory, 0 when not. */

static int
s3ctl_snapshot_empty(const char *dir)
{
    DIR            *d;
    struct dirent  *de;

    d = opendir(dir);
    if (d == NULL) {
        return (errno == ENOENT) ? 1 : -1;
    }

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            break;
        }
    }

    closedir(d);

    return de == NULL;
}


/* FORMAT, the users, then each bucket's record and objects. */

static int
s3ctl_snapshot_walk(s3ctl_t *ctl, s3ctl_snap_t *s)
{
    int  rc;

    rc = s3_snapshot_file(&s->sn, S3_STORE_FORMAT_FILE);

    if (rc != S3_OK) {
        return s3ctl_fail("cannot capture \"%s/" S3_STORE_FORMAT_FILE "\": %s",
                          ctl->root, strerror(errno));
    }

    rc = s3_store_list_users(ctl->root, s3ctl_snapshot_user, s);

    if (rc == S3_OK) {
        rc = s3_store_list_buckets(ctl->root, s3ctl_snapshot_bucket, s);
    }

    if (rc == S3_ERR) {
        return s3ctl_fail("cannot list \"%s\": %s", ctl->root,
                          strerror(errno));
    }

    return rc;
}


static int
s3ctl_snapshot_user(const s3_record_t *rec, void *data)
{
    int            rc;
    char           rel[S3_PLACE_MAX_LEN];
    s3ctl_snap_t  *s;

    s = data;

    if (s3_place_user(rel, sizeof(rel), rec->access_key.data,
                      rec->access_key.len)
        == -1)
    {
        return S3_OK;
    }

    rc = s3_snapshot_file(&s->sn, rel);

    if (rc == S3_STORE_NOT_FOUND) {
        return S3_OK;               /* removed meanwhile */
    }

    if (rc != S3_OK) {
        return s3ctl_fail("cannot capture \"%s\": %s", rel, strerror(errno));
    }

    s->users++;

    return s3ctl_snapshot_write(s, "user", "access_key", &rec->access_key,
                                "name", &rec->user);
}


static int
s3ctl_snapshot_bucket(const s3_record_t *rec, void *data)
{
    int            rc;
    char           rel[S3_PLACE_MAX_LEN];
    s3ctl_snap_t  *s;

    s = data;

    if (s3_place_bucket_record(rel, sizeof(rel), rec->bucket.data,
                               rec->bucket.len)
        == -1)
    {
        return S3_OK;
    }

    rc = s3_snapshot_file(&s->sn, rel);

    if (rc == S3_STORE_NOT_FOUND) {
        return S3_OK;               /* deleted meanwhile */
    }

    if (rc != S3_OK) {
        return s3ctl_fail("cannot capture \"%s\": %s", rel, strerror(errno));
    }

    s->buckets++;

    rc = s3ctl_snapshot_write(s, "bucket", "name", &rec->bucket, "owner",
                              &rec->owner);
    if (rc != S3_OK) {
        return rc;
    }

    rc = s3_snapshot_bucket(&s->sn, rec->bucket.data, rec->bucket.len,
                            s3ctl_snapshot_object, s);

    if (rc == S3_ERR) {
        return s3ctl_fail("cannot capture the objects of bucket \"%.*s\": "
                          "%s", (int) rec->bucket.len, rec->bucket.data,
                          strerror(errno));
    }

    return rc;
}


static int
s3ctl_snapshot_object(const s3_record_t *rec, void *data)
{
    ssize_t        n;
    s3ctl_snap_t  *s;

    s = data;

    n = s3_snapshot_line(s->line, sizeof(s->line), rec);

    if (n == -1 || fwrite(s->line, 1, n, s->out) != (size_t) n) {
        return s3ctl_fail("cannot write the manifest: %s", strerror(errno));
    }

    s->objects++;
    s->parts += s3_record_nparts(rec);
    s->bytes += rec->size;

    return S3_OK;
}


static int
s3ctl_snapshot_write(s3ctl_snap_t *s, const char *kind, const char *n1,
    const s3_str_t *v1, const char *n2, const s3_str_t *v2)
{
    ssize_t      len;
    s3_str_t     v[2];
    const char  *names[2];

    names[0] = n1;
    names[1] = n2;
    v[0] = *v1;
    v[1] = *v2;

    len = s3_line_format(s->line, sizeof(s->line), kind, names, v, 2);

    if (len == -1 || fwrite(s->line, 1, len, s->out) != (size_t) len) {
        return s3ctl_fail("cannot write the manifest: %s", strerror(errno));
    }

    return S3_OK;
}


/* The end line, then MANIFEST synced and renamed, then the snapshot. */

static int
s3ctl_snapshot_finish(s3ctl_snap_t *s, const char *dir)
{
    int   rc;
    char  tmp[PATH_MAX + 32], path[PATH_MAX + 32];

    fprintf(s->out, "end objects=%llu parts=%llu buckets=%llu users=%llu "
            "bytes=%llu mode=%s\n", (unsigned long long) s->objects,
            (unsigned long long) s->parts, (unsigned long long) s->buckets,
            (unsigned long long) s->users, (unsigned long long) s->bytes,
            s->sn.copy ? "copy" : "link");

    rc = fflush(s->out);

    if (rc == 0) {
        rc = fsync(fileno(s->out));
    }

    if (fclose(s->out) != 0) {
        rc = -1;
    }

    s->out = NULL;

    snprintf(tmp, sizeof(tmp), "%s/" S3_SNAPSHOT_MANIFEST ".tmp", dir);
    snprintf(path, sizeof(path), "%s/" S3_SNAPSHOT_MANIFEST, dir);

    if (rc != 0 || s3ctl_snapshot_sync(dir) != 0 || rename(tmp, path) == -1
        || s3ctl_snapshot_sync(dir) != 0)
    {
        return s3ctl_fail("cannot write \"%s\": %s", path, strerror(errno));
    }

    return S3CTL_OK;
}


/*
 * One syncfs() makes every file and directory of the snapshot durable,
 * instead of an fsync of each of its thousands of directories.
 */

static int
s3ctl_snapshot_sync(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = syncfs(fd);

    if (rc == 0) {
        rc = fsync(fd);
    }

    close(fd);

    return rc;
}


static int
s3ctl_snapshot_restore(const char *snapdir, const char *datadir)
{
    int            rc;
    FILE          *f;
    char           from[PATH_MAX], to[PATH_MAX], path[PATH_MAX + 32];
    double         start;
    uint32_t       node_id;
    s3ctl_snap_t  *s;

    rc = s3ctl_snapshot_empty(datadir);
    if (rc != 1) {
        return (rc == 0) ? s3ctl_fail("\"%s\" is not empty: restore into "
                                      "a new or empty directory", datadir)
                         : s3ctl_fail("cannot use \"%s\": %s", datadir,
                                      strerror(errno));
    }

    if (realpath(snapdir, from) == NULL) {
        return s3ctl_fail("no snapshot \"%s\": %s", snapdir, strerror(errno));
    }

    snprintf(path, sizeof(path), "%s/" S3_SNAPSHOT_MANIFEST, from);

    f = fopen(path, "r");
    if (f == NULL) {
        return s3ctl_fail("cannot open \"%s\": %s (an incomplete snapshot?)",
                          path, strerror(errno));
    }

    s = calloc(1, sizeof(s3ctl_snap_t));
    if (s == NULL) {
        fclose(f);
        return s3ctl_fail("out of memory");
    }

    start = s3ctl_snapshot_now();

    s->sn.from = from;
    s->sn.to = to;

    rc = s3ctl_snapshot_read(s, f);

    if (rc == S3CTL_OK) {
        if (s3ctl_mkdir_p(datadir) != 0 || realpath(datadir, to) == NULL) {
            rc = s3ctl_fail("cannot create \"%s\": %s", datadir,
                            strerror(errno));

        } else if (s3_snapshot_file(&s->sn, S3_STORE_FORMAT_FILE) != S3_OK) {
            rc = s3ctl_fail("cannot restore \"%s/" S3_STORE_FORMAT_FILE
                            "\": %s", from, strerror(errno));

        } else {
            s->lay = 1;
            rewind(f);
            rc = s3ctl_snapshot_read(s, f);
        }
    }

    fclose(f);

    if (rc == S3CTL_OK
        && (s3_store_init(to, &node_id) != S3_OK
            || s3ctl_snapshot_sync(to) != 0))
    {
        rc = s3ctl_fail("cannot lay out the store in \"%s\": %s", to,
                        strerror(errno));
    }

    if (rc == S3CTL_OK) {
        printf("restored %s into %s: node %08x, %llu objects (%llu bytes), "
               "%llu buckets, %llu users, by %s in %.2f s\n", from, to,
               node_id, (unsigned long long) s->objects,
               (unsigned long long) s->bytes,
               (unsigned long long) s->buckets,
               (unsigned long long) s->users, s3ctl_snapshot_mode(s),
               s3ctl_snapshot_now() - start);
    }

    free(s);

    return rc;
}


/*
 * Reads the MANIFEST: checks every line against the snapshot and, with
 * s->lay, captures its files into the data directory.
 */

static int
s3ctl_snapshot_read(s3ctl_snap_t *s, FILE *f)
{
    int      rc;
    char    *line;
    size_t   cap;
    ssize_t  n;

    s->objects = s->parts = s->bytes = s->buckets = s->users = 0;
    s->problems = 0;
    s->headed = 0;
    s->ended = 0;

    line = NULL;
    cap = 0;
    rc = S3CTL_OK;

    for (n = 0; rc == S3CTL_OK && (n = getline(&line, &cap, f)) != -1; ) {
        if (n > 0 && line[n - 1] == '\n') {
            n--;
        }

        rc = s3ctl_snapshot_line(s, line, n);
    }

    free(line);

    if (rc != S3CTL_OK) {
        return rc;
    }

    if (ferror(f)) {
        return s3ctl_fail("cannot read the manifest: %s", strerror(errno));
    }

    if (!s->ended) {
        s3ctl_snapshot_problem(s, "the manifest ends before its end line");
    }

    if (s->problems) {
        return s3ctl_fail("snapshot %s: %llu problems, nothing restored",
                          s->sn.from, (unsigned long long) s->problems);
    }

    return S3CTL_OK;
}


static int
s3ctl_snapshot_line(s3ctl_snap_t *s, char *line, size_t len)
{
    char      *pos, *end;
    s3_str_t   kind;

    end = line + len;
    kind = s3_line_kind(line, end, &pos);

    if (s->ended) {
        return s3ctl_snapshot_problem(s, "a line after the end line");
    }

    if (kind.len == 8 && memcmp(kind.data, "snapshot", 8) == 0) {
        return s3ctl_snapshot_header(s, pos, end);
    }

    if (!s->headed) {
        return s3ctl_fail("%s: not a snapshot manifest", s->sn.from);
    }

    if (kind.len == 6 && memcmp(kind.data, "object", 6) == 0) {
        return s3ctl_snapshot_entry(s, pos, end);
    }

    if (kind.len == 3 && memcmp(kind.data, "end", 3) == 0) {
        return s3ctl_snapshot_end(s, pos, end);
    }

    return s3ctl_snapshot_record(s, &kind, pos, end);
}


static int
s3ctl_snapshot_header(s3ctl_snap_t *s, char *pos, char *end)
{
    int64_t   seen;
    s3_str_t  v;

    static const char *const  names[] = { "version" };

    if (s->headed) {
        return s3ctl_snapshot_problem(s, "a second header line");
    }

    s->headed = 1;

    seen = s3_line_fields(pos, end, names, 1, &v);

    if (seen != 1 || v.len != sizeof(S3CTL_SNAP_VERSION) - 1
        || memcmp(v.data, S3CTL_SNAP_VERSION, v.len) != 0)
    {
        return s3ctl_fail("%s: not a snapshot of version "
                          S3CTL_SNAP_VERSION, s->sn.from);
    }

    return S3CTL_OK;
}


/* user and bucket lines; other kinds are skipped */

static int
s3ctl_snapshot_record(s3ctl_snap_t *s, const s3_str_t *kind, char *pos,
    char *end)
{
    int            rc, user;
    char           rel[S3_PLACE_MAX_LEN];
    ssize_t        n;
    int64_t        seen;
    s3_str_t       v;
    s3_record_t    rec;
    unsigned char  buf[S3_STORE_BUCKET_BUF];

    static const char *const  user_name[] = { "access_key" };
    static const char *const  bucket_name[] = { "name" };

    user = (kind->len == 4 && memcmp(kind->data, "user", 4) == 0);

    if (!user && !(kind->len == 6 && memcmp(kind->data, "bucket", 6) == 0)) {
        return S3CTL_OK;
    }

    seen = s3_line_fields(pos, end, user ? user_name : bucket_name, 1, &v);

    if (seen != 1) {
        return s3ctl_snapshot_problem(s, "a malformed %s line",
                                      user ? "user" : "bucket");
    }

    if (user) {
        rc = s3_store_read_user(s->sn.from, v.data, v.len, buf, sizeof(buf),
                                &rec);
        n = s3_place_user(rel, sizeof(rel), v.data, v.len);
        s->users++;

    } else {
        rc = s3_store_read_bucket(s->sn.from, v.data, v.len, buf,
                                  sizeof(buf), &rec);
        n = s3_place_bucket_record(rel, sizeof(rel), v.data, v.len);
        s->buckets++;
    }

    if (rc != S3_OK || n == -1) {
        return s3ctl_snapshot_problem(s, "%s \"%.*s\": no readable record",
                                      user ? "user" : "bucket", (int) v.len,
                                      v.data);
    }

    if (s->lay && s3_snapshot_file(&s->sn, rel) != S3_OK) {
        return s3ctl_fail("cannot restore \"%s\": %s", rel, strerror(errno));
    }

    return S3CTL_OK;
}


static int
s3ctl_snapshot_entry(s3ctl_snap_t *s, char *pos, char *end)
{
    char                 path[PATH_MAX], rel[S3_PLACE_MAX_LEN];
    s3_record_t          rec;
    s3_snapshot_entry_t  e;
    static unsigned char buf[S3_STORE_BUCKET_BUF];

    if (s3_snapshot_parse(pos, end, &e) != S3_OK) {
        return s3ctl_snapshot_problem(s, "a malformed object line");
    }

    s->objects++;
    s->parts += e.parts;
    s->bytes += e.size;

    if (s3_snapshot_check(s->sn.from, &e, buf, sizeof(buf), &rec, path)
        != S3_OK)
    {
        return s3ctl_snapshot_problem(s, "object \"%.*s\" of bucket \"%.*s\":"
                                      " %s: %s", (int) e.key.len, e.key.data,
                                      (int) e.bucket.len, e.bucket.data,
                                      path, errno == EINVAL
                                      ? "does not match the manifest"
                                      : strerror(errno));
    }

    if (!s->lay) {
        return S3CTL_OK;
    }

    if (s3_place_object(rel, sizeof(rel), e.bucket.data, e.bucket.len,
                        e.key.data, e.key.len)
        == -1
        || s3_snapshot_file(&s->sn, rel) != S3_OK
        || (e.parts && s3_snapshot_parts(&s->sn, &rec) != S3_OK))
    {
        return s3ctl_fail("cannot restore object \"%.*s\" of bucket \"%.*s\""
                          ": %s", (int) e.key.len, e.key.data,
                          (int) e.bucket.len, e.bucket.data, strerror(errno));
    }

    return S3CTL_OK;
}


static int
s3ctl_snapshot_end(s3ctl_snap_t *s, char *pos, char *end)
{
    int64_t   seen;
    uint64_t  n[3];
    s3_str_t  v[3];

    static const char *const  names[] = { "objects", "buckets", "users" };

    s->ended = 1;

    seen = s3_line_fields(pos, end, names, 3, v);

    if (seen != 7
        || s3_line_parse_number(&v[0], &n[0]) != S3_OK
        || s3_line_parse_number(&v[1], &n[1]) != S3_OK
        || s3_line_parse_number(&v[2], &n[2]) != S3_OK)
    {
        return s3ctl_snapshot_problem(s, "a malformed end line");
    }

    if (n[0] != s->objects || n[1] != s->buckets || n[2] != s->users) {
        return s3ctl_snapshot_problem(s, "the end line counts %llu objects, "
                                      "%llu buckets, %llu users; the manifest"
                                      " lists %llu, %llu, %llu",
                                      (unsigned long long) n[0],
                                      (unsigned long long) n[1],
                                      (unsigned long long) n[2],
                                      (unsigned long long) s->objects,
                                      (unsigned long long) s->buckets,
                                      (unsigned long long) s->users);
    }

    return S3CTL_OK;
}


/* Prints the first problems of a restore's check; the check goes on. */

static int
s3ctl_snapshot_problem(s3ctl_snap_t *s, const char *fmt, ...)
{
    va_list  args;

    if (s->problems++ < S3CTL_SNAP_PROBLEMS) {
        va_start(args, fmt);
        s3ctl_vfail(fmt, args);
        va_end(args);
    }

    return S3CTL_OK;
}


static const char *
s3ctl_snapshot_mode(const s3ctl_snap_t *s)
{
    return s->sn.copy ? "copies (another filesystem)" : "hard links";
}


static double
s3ctl_snapshot_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}
