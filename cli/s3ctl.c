
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl: the admin CLI.  It works on the data directory directly through
 * the core store (users), reads the change journals, and asks the local
 * repld for the cluster's status (s3ctl_cluster.c).
 *
 * Exit codes: 0 ok, 1 usage error, 2 failure.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "s3_place.h"
#include "s3ctl.h"


#define S3CTL_VERSION         "0.1.0"

#define S3CTL_AK_LEN          20
#define S3CTL_SK_LEN          40
#define S3CTL_NAME_MAX        64
#define S3CTL_SK_MAX          128
#define S3CTL_ARGS_MAX        32
#define S3CTL_POLL_MS         200
#define S3CTL_TORN_POLLS      5      /* polls a partial frame must stay */
#define S3CTL_READ_LEN        65536


typedef struct {
    char               *name;
    char               *ak;
} s3ctl_user_t;


typedef struct {
    s3ctl_user_t       *users;
    size_t              n;
    size_t              cap;
} s3ctl_users_t;


typedef struct {
    char                name[NAME_MAX + 1];
    uint64_t            start_ms;
    long                pid;
    off_t               offset;      /* of the first frame not printed */
    off_t               torn_at;     /* file size when a tail was partial */
    int                 polls;       /* polls the partial tail stayed */
    unsigned            done:1;      /* stopped at a bad frame */
    unsigned            reported:1;
} s3ctl_jfile_t;


typedef struct {
    s3ctl_jfile_t      *files;
    size_t              n;
    size_t              cap;
    int                 follow;
} s3ctl_journal_t;


static int s3ctl_become_owner(const char *root);
static int s3ctl_node(s3ctl_t *ctl, const char *data, int argc,
    char **argv);
static int s3ctl_user(s3ctl_t *ctl, const char *data, int argc,
    char **argv);
static int s3ctl_user_add(s3ctl_t *ctl, int argc, char **argv);
static int s3ctl_user_list(s3ctl_t *ctl);
static int s3ctl_user_remove(s3ctl_t *ctl, const char *name);
static int s3ctl_random(char *buf, size_t len, const char *alphabet,
    size_t n);
static int s3ctl_users_load(s3ctl_t *ctl, s3ctl_users_t *users);
static int s3ctl_users_collect(const s3_record_t *rec, void *data);
static int s3ctl_users_cmp(const void *a, const void *b);
static void s3ctl_users_free(s3ctl_users_t *users);
static int s3ctl_journal(s3ctl_t *ctl, const char *data, int argc,
    char **argv);
static int s3ctl_journal_scan(s3ctl_t *ctl, s3ctl_journal_t *j);
static int s3ctl_journal_add(s3ctl_journal_t *j, const char *name);
static int s3ctl_jfile_cmp(const void *a, const void *b);
static int s3ctl_journal_file(s3ctl_t *ctl, s3ctl_journal_t *j,
    s3ctl_jfile_t *jf);
static void s3ctl_journal_partial(s3ctl_journal_t *j, s3ctl_jfile_t *jf,
    size_t len);
static void s3ctl_journal_print(const s3ctl_jfile_t *jf, off_t offset,
    const s3_journal_entry_t *e);
static void s3ctl_print_field(const char *p, size_t len);
static void s3ctl_on_signal(int signo);


static volatile sig_atomic_t  s3ctl_stop;


int
main(int argc, char **argv)
{
    int          i, n;
    char        *args[S3CTL_ARGS_MAX];
    s3ctl_t      ctl;
    const char  *data, *audit;

    audit = NULL;

    data = getenv("S3_DATA_DIR");
    if (data == NULL || data[0] == '\0') {
        data = "./var/data";
    }

    n = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "-d") == 0) {
            if (++i == argc) {
                fprintf(stderr, "s3ctl: %s needs a directory\n", argv[i - 1]);
                return S3CTL_USAGE;
            }

            data = argv[i];

        } else if (strcmp(argv[i], "--audit-log") == 0) {
            if (++i == argc) {
                fprintf(stderr, "s3ctl: --audit-log needs a path\n");
                return S3CTL_USAGE;
            }

            audit = argv[i];

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            return s3ctl_usage(stdout, S3CTL_OK);

        } else if (strcmp(argv[i], "--version") == 0) {
            printf("s3ctl " S3CTL_VERSION "\n");
            return S3CTL_OK;

        } else if (n == S3CTL_ARGS_MAX) {
            return s3ctl_usage(stderr, S3CTL_USAGE);

        } else {
            args[n++] = argv[i];
        }
    }

    memset(&ctl, 0, sizeof(s3ctl_t));
    s3ctl_audit_init(audit);

    if (n >= 1 && strcmp(args[0], "user") == 0) {
        return s3ctl_close(&ctl, s3ctl_user(&ctl, data, n - 1, args + 1));
    }

    if (n >= 1 && strcmp(args[0], "cluster") == 0) {
        return s3ctl_cluster(data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "log-level") == 0) {
        return s3ctl_log_level(data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "maintenance") == 0) {
        return s3ctl_maintenance(data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "node") == 0) {
        return s3ctl_node(&ctl, data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "journal") == 0) {
        return s3ctl_journal(&ctl, data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "snapshot") == 0) {
        return s3ctl_snapshot(&ctl, data, n - 1, args + 1);
    }

    if (n >= 1 && strcmp(args[0], "state") == 0) {
        return s3ctl_close(&ctl, s3ctl_state(&ctl, data, n - 1, args + 1));
    }

    if (n >= 1) {
        fprintf(stderr, "s3ctl: unknown command \"%s\"\n", args[0]);
    }

    return s3ctl_usage(stderr, S3CTL_USAGE);
}


int
s3ctl_usage(FILE *out, int rc)
{
    fprintf(out,
        "usage: s3ctl [--data DIR] COMMAND\n"
        "\n"
        "  user add NAME [--access-key AK] [--secret-key SK]\n"
        "                        add a user; prints its keys\n"
        "  user list             list users: name and access key\n"
        "  user remove NAME      remove a user\n"
        "  journal tail [-f]     print the change journals; -f follows\n"
        "  log-level [LEVEL]     print or set repld's log level (error,\n"
        "                        warn, notice, info, debug)\n"
        "  node id               print the store's node id (created if new)\n"
        "  cluster status [--json]\n"
        "                        every node of the cluster, as the local\n"
        "                        repld sees it\n"
        "  snapshot create DIR   copy the data directory into DIR (new or\n"
        "                        empty), by hard links where it can\n"
        "  snapshot restore SNAPDIR DATADIR\n"
        "                        check the snapshot SNAPDIR, then lay it\n"
        "                        out in DATADIR (new or empty)\n"
        "  state export FILE     write buckets and users to FILE (0600)\n"
        "  state import FILE     create or update the buckets and users\n"
        "                        of FILE; never deletes\n"
        "  maintenance on|off|status [--message TEXT]\n"
        "                        this node refuses writes (503) while on\n"
        "\n"
        "  -d, --data DIR        data directory (default: $S3_DATA_DIR,\n"
        "                        else ./var/data)\n"
        "  --audit-log PATH      append a JSON line per admin action\n"
        "                        (default: $S3_AUDIT_LOG, else none)\n"
        "  -h, --help            print this help\n"
        "  --version             print the version\n"
        "\n"
        "exit codes: 0 ok, 1 usage error, 2 failure\n");

    return rc;
}


int
s3ctl_fail(const char *fmt, ...)
{
    int      rc;
    va_list  args;

    va_start(args, fmt);
    rc = s3ctl_vfail(fmt, args);
    va_end(args);

    return rc;
}


int
s3ctl_vfail(const char *fmt, va_list args)
{
    fputs("s3ctl: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);

    return S3CTL_FAIL;
}


/*
 * Initializes the store under data (created if missing) and, for a
 * command that changes it, opens a journal of our own so that the change
 * is journaled like any other.
 */

int
s3ctl_open(s3ctl_t *ctl, const char *data, int writer)
{
    if (s3ctl_mkdir_p(data) != 0) {
        return s3ctl_fail("cannot create \"%s\": %s", data, strerror(errno));
    }

    if (realpath(data, ctl->root) == NULL) {
        return s3ctl_fail("realpath(\"%s\") failed: %s", data,
                          strerror(errno));
    }

    if (s3ctl_become_owner(ctl->root) != 0) {
        return s3ctl_fail("cannot act as the owner of \"%s\": %s", ctl->root,
                          strerror(errno));
    }

    ctl->store.root = ctl->root;
    ctl->store.fsync = 1;
    ctl->store.journal = NULL;
    ctl->store.clock = &ctl->clock;

    if (s3_store_init(ctl->root, &ctl->store.node_id) != S3_OK) {
        return s3ctl_fail("cannot initialize the store in \"%s\": %s",
                          ctl->root, strerror(errno));
    }

    if (!writer) {
        return S3CTL_OK;
    }

    /* sealed when the process ends, see s3ctl_close() */

    if (s3_journal_open(&ctl->journal, ctl->root, 0) != S3_OK) {
        return s3ctl_fail("cannot open a journal in \"%s\": %s", ctl->root,
                          strerror(errno));
    }

    ctl->store.journal = &ctl->journal;

    return S3CTL_OK;
}


/* Seals our journal file, so that repld may remove it once applied. */

int
s3ctl_close(s3ctl_t *ctl, int rc)
{
    if (ctl->store.journal == NULL) {
        return rc;
    }

    ctl->store.journal = NULL;

    if (s3_journal_close(&ctl->journal) != S3_OK) {
        return s3ctl_fail("cannot seal the journal \"%s\": %s",
                          ctl->journal.name, strerror(errno));
    }

    return rc;
}


/*
 * Run as root on a data directory that nginx workers own (nginx gives the
 * layout to its worker user), s3ctl takes that owner's identity, so that
 * the records it writes stay readable by the workers.
 */

static int
s3ctl_become_owner(const char *root)
{
    struct stat  st;

    if (geteuid() != 0) {
        return 0;
    }

    if (stat(root, &st) == -1) {
        return -1;
    }

    if (st.st_uid == 0) {
        return 0;
    }

    if (setgroups(0, NULL) == -1 || setgid(st.st_gid) == -1
        || setuid(st.st_uid) == -1)
    {
        return -1;
    }

    return 0;
}


int
s3ctl_mkdir_p(const char *path)
{
    char    buf[PATH_MAX], *p;
    size_t  len;

    len = strlen(path);

    if (len == 0 || len >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    memcpy(buf, path, len + 1);

    for (p = buf + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }

        *p = '\0';

        if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
            return -1;
        }

        *p = '/';
    }

    if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
        return -1;
    }

    return 0;
}


/* the id a cluster's configuration names this node by */

static int
s3ctl_node(s3ctl_t *ctl, const char *data, int argc, char **argv)
{
    int  rc;

    if (argc != 1 || strcmp(argv[0], "id") != 0) {
        fprintf(stderr, "s3ctl: usage: node id\n");
        return S3CTL_USAGE;
    }

    rc = s3ctl_open(ctl, data, 0);
    if (rc != S3CTL_OK) {
        return rc;
    }

    printf("%08x\n", ctl->store.node_id);

    return S3CTL_OK;
}


static int
s3ctl_user(s3ctl_t *ctl, const char *data, int argc, char **argv)
{
    int  rc, writer;

    if (argc == 0) {
        return s3ctl_usage(stderr, S3CTL_USAGE);
    }

    if (strcmp(argv[0], "add") == 0 && argc >= 2) {
        writer = 1;

    } else if (strcmp(argv[0], "list") == 0 && argc == 1) {
        writer = 0;

    } else if (strcmp(argv[0], "remove") == 0 && argc == 2) {
        writer = 1;

    } else {
        fprintf(stderr, "s3ctl: invalid \"user\" command\n");
        return s3ctl_usage(stderr, S3CTL_USAGE);
    }

    if (writer && argv[0][0] == 'a') {
        /* check the arguments before anything is created */

        rc = s3ctl_user_add(NULL, argc - 1, argv + 1);
        if (rc != S3CTL_OK) {
            return rc;
        }
    }

    rc = s3ctl_open(ctl, data, writer);
    if (rc != S3CTL_OK) {
        return rc;
    }

    switch (argv[0][0]) {

    case 'a':
        return s3ctl_user_add(ctl, argc - 1, argv + 1);

    case 'l':
        return s3ctl_user_list(ctl);

    default:
        return s3ctl_user_remove(ctl, argv[1]);
    }
}


/* With ctl == NULL only checks the arguments. */

static int
s3ctl_user_add(s3ctl_t *ctl, int argc, char **argv)
{
    int          i, rc;
    char         ak_buf[S3CTL_AK_LEN + 1], sk_buf[S3CTL_SK_LEN + 1];
    const char  *name, *ak, *sk;

    name = NULL;
    ak = NULL;
    sk = NULL;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--access-key") == 0 && i + 1 < argc) {
            ak = argv[++i];

        } else if (strcmp(argv[i], "--secret-key") == 0 && i + 1 < argc) {
            sk = argv[++i];

        } else if (name == NULL && argv[i][0] != '-') {
            name = argv[i];

        } else {
            fprintf(stderr, "s3ctl: invalid argument \"%s\"\n", argv[i]);
            return S3CTL_USAGE;
        }
    }

    if (name == NULL || !s3ctl_name_valid(name, strlen(name))) {
        fprintf(stderr, "s3ctl: invalid user name \"%s\" (1 to %d of "
                "A-Z a-z 0-9 + = , . @ _ -)\n", name ? name : "",
                S3CTL_NAME_MAX);
        return S3CTL_USAGE;
    }

    if (ak != NULL && !s3_access_key_valid(ak, strlen(ak))) {
        fprintf(stderr, "s3ctl: invalid access key \"%s\" (%d to %d of "
                "A-Z a-z 0-9)\n", ak, S3_ACCESS_KEY_MIN_LEN,
                S3_ACCESS_KEY_MAX_LEN);
        return S3CTL_USAGE;
    }

    if (sk != NULL && !s3ctl_secret_valid(sk, strlen(sk))) {
        fprintf(stderr, "s3ctl: invalid secret key (1 to %d printable "
                "characters, no spaces)\n", S3CTL_SK_MAX);
        return S3CTL_USAGE;
    }

    if (ctl == NULL) {
        return S3CTL_OK;
    }

    if (ak == NULL) {
        if (s3ctl_random(ak_buf, S3CTL_AK_LEN,
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 36)
            != 0)
        {
            return s3ctl_fail("getrandom() failed: %s", strerror(errno));
        }

        ak = ak_buf;
    }

    if (sk == NULL) {
        if (s3ctl_random(sk_buf, S3CTL_SK_LEN,
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789+/", 64)
            != 0)
        {
            return s3ctl_fail("getrandom() failed: %s", strerror(errno));
        }

        sk = sk_buf;
    }

    rc = s3_store_add_user(&ctl->store, name, strlen(name), ak, strlen(ak),
                           sk, strlen(sk));

    if (rc == S3_STORE_USER_EXISTS) {
        rc = s3ctl_fail("user \"%s\" or access key \"%s\" already exists",
                        name, ak);
        return s3ctl_audit("user add", name, NULL, rc);
    }

    if (rc != S3_OK) {
        rc = s3ctl_fail("cannot add user \"%s\": %s", name,
                        strerror(errno));
        return s3ctl_audit("user add", name, NULL, rc);
    }

    printf("access_key %s\nsecret_key %s\n", ak, sk);

    return s3ctl_audit("user add", name, NULL, S3CTL_OK);
}


static int
s3ctl_user_list(s3ctl_t *ctl)
{
    int            rc;
    size_t         i;
    s3ctl_users_t  users;

    rc = s3ctl_users_load(ctl, &users);
    if (rc != S3CTL_OK) {
        return rc;
    }

    for (i = 0; i < users.n; i++) {
        printf("%s %s\n", users.users[i].name, users.users[i].ak);
    }

    s3ctl_users_free(&users);

    return S3CTL_OK;
}


static int
s3ctl_user_remove(s3ctl_t *ctl, const char *name)
{
    int            rc;
    size_t         i;
    s3ctl_users_t  users;

    rc = s3ctl_users_load(ctl, &users);
    if (rc != S3CTL_OK) {
        return rc;
    }

    for (i = 0; i < users.n; i++) {
        if (strcmp(users.users[i].name, name) == 0) {
            break;
        }
    }

    if (i == users.n) {
        s3ctl_users_free(&users);
        return s3ctl_fail("no user \"%s\"", name);
    }

    rc = s3_store_remove_user(&ctl->store, users.users[i].ak,
                              strlen(users.users[i].ak));

    if (rc == S3_STORE_NOT_FOUND) {
        rc = s3ctl_fail("user \"%s\" was removed meanwhile", name);

    } else if (rc != S3_OK) {
        rc = s3ctl_fail("cannot remove user \"%s\": %s", name,
                        strerror(errno));

    } else {
        rc = S3CTL_OK;
    }

    s3ctl_users_free(&users);

    return s3ctl_audit("user remove", name, NULL, rc);
}


int
s3ctl_name_valid(const char *name, size_t len)
{
    size_t  i;

    if (len < 1 || len > S3CTL_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789+=,.@_-", name[i]) == NULL
            || name[i] == '\0')
        {
            return 0;
        }
    }

    return 1;
}


int
s3ctl_secret_valid(const char *sk, size_t len)
{
    size_t  i;

    if (len == 0 || len > S3CTL_SK_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (sk[i] <= ' ' || sk[i] > '~') {
            return 0;
        }
    }

    return 1;
}


/*
 * Fills buf with len characters drawn uniformly from alphabet (n
 * characters) and a terminating NUL.  Bytes that would bias the draw are
 * rejected.
 */

static int
s3ctl_random(char *buf, size_t len, const char *alphabet, size_t n)
{
    size_t         i, j, limit;
    ssize_t        got;
    unsigned char  rnd[64];

    limit = 256 - 256 % n;
    i = 0;

    while (i < len) {
        got = getrandom(rnd, sizeof(rnd), 0);

        if (got == -1) {
            if (errno == EINTR) {
                continue;
            }

            return -1;
        }

        for (j = 0; j < (size_t) got && i < len; j++) {
            if (rnd[j] < limit) {
                buf[i++] = alphabet[rnd[j] % n];
            }
        }
    }

    buf[len] = '\0';

    return 0;
}


static int
s3ctl_users_load(s3ctl_t *ctl, s3ctl_users_t *users)
{
    int  rc;

    memset(users, 0, sizeof(s3ctl_users_t));

    rc = s3_store_list_users(ctl->root, s3ctl_users_collect, users);

    if (rc != S3_OK) {
        s3ctl_users_free(users);
        return s3ctl_fail("cannot list users in \"%s\": %s", ctl->root,
                          strerror(errno));
    }

    qsort(users->users, users->n, sizeof(s3ctl_user_t), s3ctl_users_cmp);

    return S3CTL_OK;
}


static int
s3ctl_users_collect(const s3_record_t *rec, void *data)
{
    size_t          cap;
    s3ctl_user_t   *u;
    s3ctl_users_t  *users;

    users = data;

    if (users->n == users->cap) {
        cap = users->cap ? users->cap * 2 : 16;

        u = realloc(users->users, cap * sizeof(s3ctl_user_t));
        if (u == NULL) {
            return S3_ERR;
        }

        users->users = u;
        users->cap = cap;
    }

    u = &users->users[users->n];

    u->name = strndup(rec->user.data ? rec->user.data : "", rec->user.len);
    u->ak = strndup(rec->access_key.data ? rec->access_key.data : "",
                    rec->access_key.len);

    if (u->name == NULL || u->ak == NULL) {
        free(u->name);
        free(u->ak);
        errno = ENOMEM;
        return S3_ERR;
    }

    users->n++;

    return S3_OK;
}


static int
s3ctl_users_cmp(const void *a, const void *b)
{
    const s3ctl_user_t  *ua, *ub;
    int                  rc;

    ua = a;
    ub = b;

    rc = strcmp(ua->name, ub->name);

    return rc ? rc : strcmp(ua->ak, ub->ak);
}


static void
s3ctl_users_free(s3ctl_users_t *users)
{
    size_t  i;

    for (i = 0; i < users->n; i++) {
        free(users->users[i].name);
        free(users->users[i].ak);
    }

    free(users->users);
    memset(users, 0, sizeof(s3ctl_users_t));
}


static int
s3ctl_journal(s3ctl_t *ctl, const char *data, int argc, char **argv)
{
    int                rc;
    size_t             i;
    s3ctl_journal_t    j;
    struct sigaction   sa;
    struct timespec    ts;

    memset(&j, 0, sizeof(s3ctl_journal_t));

    if (argc == 2 && strcmp(argv[0], "tail") == 0
        && strcmp(argv[1], "-f") == 0)
    {
        j.follow = 1;

    } else if (argc != 1 || strcmp(argv[0], "tail") != 0) {
        fprintf(stderr, "s3ctl: invalid \"journal\" command\n");
        return s3ctl_usage(stderr, S3CTL_USAGE);
    }

    rc = s3ctl_open(ctl, data, 0);
    if (rc != S3CTL_OK) {
        return rc;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s3ctl_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    ts.tv_sec = 0;
    ts.tv_nsec = S3CTL_POLL_MS * 1000000L;

    do {
        rc = s3ctl_journal_scan(ctl, &j);

        for (i = 0; rc == S3CTL_OK && i < j.n && !s3ctl_stop; i++) {
            rc = s3ctl_journal_file(ctl, &j, &j.files[i]);
        }

        fflush(stdout);

        if (rc != S3CTL_OK || !j.follow || s3ctl_stop) {
            break;
        }

        nanosleep(&ts, NULL);

    } while (!s3ctl_stop);

    free(j.files);

    return rc;
}


/* Adds journal files not seen yet, oldest first. */

static int
s3ctl_journal_scan(s3ctl_t *ctl, s3ctl_journal_t *j)
{
    int             rc;
    DIR            *dir;
    size_t          i, old, len;
    char            path[PATH_MAX + 16];
    struct dirent  *de;

    snprintf(path, sizeof(path), "%s/" S3_JOURNAL_DIR, ctl->root);

    dir = opendir(path);
    if (dir == NULL) {
        return s3ctl_fail("opendir(\"%s\") failed: %s", path,
                          strerror(errno));
    }

    old = j->n;
    rc = S3CTL_OK;

    while (rc == S3CTL_OK && (de = readdir(dir)) != NULL) {
        len = strlen(de->d_name);

        if (len <= sizeof(S3_JOURNAL_SUFFIX) - 1
            || strcmp(de->d_name + len - (sizeof(S3_JOURNAL_SUFFIX) - 1),
                      S3_JOURNAL_SUFFIX) != 0)
        {
            continue;
        }

        for (i = 0; i < old; i++) {
            if (strcmp(j->files[i].name, de->d_name) == 0) {
                break;
            }
        }

        if (i == old) {
            rc = s3ctl_journal_add(j, de->d_name);
        }
    }

    closedir(dir);

    if (j->n - old > 1) {
        qsort(j->files + old, j->n - old, sizeof(s3ctl_jfile_t),
              s3ctl_jfile_cmp);
    }

    return rc;
}


static int
s3ctl_journal_add(s3ctl_journal_t *j, const char *name)
{
    size_t          cap;
    char           *p;
    s3ctl_jfile_t  *jf;

    if (j->n == j->cap) {
        cap = j->cap ? j->cap * 2 : 16;

        jf = realloc(j->files, cap * sizeof(s3ctl_jfile_t));
        if (jf == NULL) {
            return s3ctl_fail("out of memory");
        }

        j->files = jf;
        j->cap = cap;
    }

    jf = &j->files[j->n++];
    memset(jf, 0, sizeof(s3ctl_jfile_t));

    snprintf(jf->name, sizeof(jf->name), "%s", name);

    /* "<pid>-<start ms>.jnl"; other names sort last, by name */

    jf->pid = strtol(name, &p, 10);
    jf->start_ms = (*p == '-') ? strtoull(p + 1, NULL, 10) : UINT64_MAX;

    return S3CTL_OK;
}


static int
s3ctl_jfile_cmp(const void *a, const void *b)
{
    const s3ctl_jfile_t  *fa, *fb;

    fa = a;
    fb = b;

    if (fa->start_ms != fb->start_ms) {
        return fa->start_ms < fb->start_ms ? -1 : 1;
    }

    if (fa->pid != fb->pid) {
        return fa->pid < fb->pid ? -1 : 1;
    }

    return strcmp(fa->name, fb->name);
}


/* Prints the frames of jf past jf->offset. */

static int
s3ctl_journal_file(s3ctl_t *ctl, s3ctl_journal_t *j, s3ctl_jfile_t *jf)
{
    int                  fd, rc;
    size_t               pos, used;
    ssize_t              n;
    char                 path[PATH_MAX + NAME_MAX + 16];
    s3_journal_entry_t   e;
    static unsigned char buf[S3CTL_READ_LEN];

    if (jf->done) {
        return S3CTL_OK;
    }

    snprintf(path, sizeof(path), "%s/" S3_JOURNAL_DIR "/%s", ctl->root,
             jf->name);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) {
            jf->done = 1;
            return S3CTL_OK;
        }

        return s3ctl_fail("open(\"%s\") failed: %s", path, strerror(errno));
    }

    for ( ;; ) {
        n = pread(fd, buf, sizeof(buf), jf->offset);

        if (n == -1) {
            close(fd);
            return s3ctl_fail("read(\"%s\") failed: %s", path,
                              strerror(errno));
        }

        pos = 0;
        rc = S3_AGAIN;

        while (pos < (size_t) n) {
            rc = s3_journal_decode(buf + pos, n - pos, &e, &used);

            if (rc != S3_OK) {
                break;
            }

            s3ctl_journal_print(jf, jf->offset + pos, &e);
            pos += used;
        }

        jf->offset += pos;

        if (rc == S3_AGAIN && pos == 0 && (size_t) n == sizeof(buf)) {
            rc = S3_ERR;
        }

        if (rc == S3_ERR) {
            fprintf(stderr, "s3ctl: %s: bad frame at offset %lld, "
                    "the rest of the file is skipped\n", jf->name,
                    (long long) jf->offset);
            jf->done = 1;
            break;
        }

        if ((size_t) n < sizeof(buf)) {
            s3ctl_journal_partial(j, jf, n - pos);
            break;
        }
    }

    close(fd);

    return S3CTL_OK;
}


/*
 * len bytes of a frame are at the end of the file.  Without -f that is a
 * torn tail; with -f it may be a frame being written, so it is reported
 * only when it stays the same for a while.  Reported once either way.
 */

static void
s3ctl_journal_partial(s3ctl_journal_t *j, s3ctl_jfile_t *jf, size_t len)
{
    off_t  size;

    if (len == 0) {
        jf->polls = 0;
        return;
    }

    size = jf->offset + len;

    if (j->follow) {
        jf->polls = (jf->torn_at == size) ? jf->polls + 1 : 0;
        jf->torn_at = size;

        if (jf->polls < S3CTL_TORN_POLLS) {
            return;
        }
    }

    if (!jf->reported) {
        fprintf(stderr, "s3ctl: %s: torn frame at offset %lld (%zu bytes), "
                "ignored\n", jf->name, (long long) jf->offset, len);
        jf->reported = 1;
    }
}


/* FILE OFFSET OP HLC BUCKET KEY SIZE ETAG */

static void
s3ctl_journal_print(const s3ctl_jfile_t *jf, off_t offset,
    const s3_journal_entry_t *e)
{
    size_t  i;
    char    etag[2 * S3_MD5_LEN + 1];

    printf("%s %lld %s %llu ", jf->name, (long long) offset,
           s3_journal_op_name(e->op), (unsigned long long) e->hlc);

    s3ctl_print_field(e->bucket.data, e->bucket.len);
    putchar(' ');
    s3ctl_print_field(e->key.data, e->key.len);

    for (i = 0; i < S3_MD5_LEN && e->md5[i] == 0; i++) {
        /* void */
    }

    if (i == S3_MD5_LEN) {
        etag[0] = '-';
        etag[1] = '\0';

    } else {
        *s3_hex_encode(etag, e->md5, S3_MD5_LEN) = '\0';
    }

    printf(" %llu %s", (unsigned long long) e->size, etag);

    if (s3_journal_op_upload(e->op)) {
        putchar(' ');
        s3ctl_print_field(e->upload_id.data, e->upload_id.len);
    }

    if (e->op == S3_JOURNAL_COMPLETE_UPLOAD) {
        printf(" %u", (unsigned) e->parts);
    }

    putchar('\n');
}


/*
 * Prints a bucket or key as is when it is one word of printable bytes
 * (UTF-8 included), else quoted with \" \\ and \xHH escapes; the empty
 * string is "".
 */

static void
s3ctl_print_field(const char *p, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) {
            break;
        }
    }

    if (len > 0 && i == len) {
        fwrite(p, 1, len, stdout);
        return;
    }

    putchar('"');

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c == '"' || c == '\\') {
            printf("\\%c", c);

        } else if (c < ' ' || c == 0x7f) {
            printf("\\x%02x", c);

        } else {
            putchar(c);
        }
    }

    putchar('"');
}


static void
s3ctl_on_signal(int signo)
{
    (void) signo;

    s3ctl_stop = 1;
}
