
/*
 * Copyright (C) ngx_s3 developers
 *
 * What the files of s3ctl share: the context, the exit codes, opening
 * the store and reporting a failure.  Each command family has its file:
 * s3ctl.c (main, users, journal), s3ctl_cluster.c, s3ctl_snapshot.c,
 * s3ctl_state.c.
 */


#ifndef _S3CTL_H_INCLUDED_
#define _S3CTL_H_INCLUDED_


#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "s3_store.h"
#include "s3_journal.h"


#define S3CTL_OK              0
#define S3CTL_USAGE           1
#define S3CTL_FAIL            2


typedef struct {
    char                root[PATH_MAX];
    s3_hlc_t            clock;
    s3_store_t          store;
    s3_journal_t        journal;
} s3ctl_t;


/* Prints the usage to out; returns rc. */
int s3ctl_usage(FILE *out, int rc);

/* Prints "s3ctl: " and the message to stderr; returns S3CTL_FAIL. */
int s3ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* s3ctl_fail() of a va_list */
int s3ctl_vfail(const char *fmt, va_list args);

/*
 * Opens the store in data (created if missing) into ctl; with writer set
 * also a journal of our own.  Returns S3CTL_OK or S3CTL_FAIL (reported).
 */
int s3ctl_open(s3ctl_t *ctl, const char *data, int writer);

/* Seals the journal s3ctl_open() opened, if any; returns rc or a failure. */
int s3ctl_close(s3ctl_t *ctl, int rc);

/* 1 when a user name is 1 to 64 of A-Z a-z 0-9 + = , . @ _ - */
int s3ctl_name_valid(const char *name, size_t len);

/* 1 when a secret key is 1 to 128 printable characters, no spaces */
int s3ctl_secret_valid(const char *sk, size_t len);

/* mkdir -p path (0755); returns 0 or -1 with errno */
int s3ctl_mkdir_p(const char *path);

/* s3ctl snapshot create|restore ... (s3ctl_snapshot.c) */
int s3ctl_snapshot(s3ctl_t *ctl, const char *data, int argc, char **argv);

/* s3ctl state export|import FILE (s3ctl_state.c) */
int s3ctl_state(s3ctl_t *ctl, const char *data, int argc, char **argv);

/* The audit log's path: path, else $S3_AUDIT_LOG; none: no lines. */
void s3ctl_audit_init(const char *path);

/*
 * Appends the line of an admin action (op, the user and bucket it is
 * about, NULL: none; rc its exit code) to the audit log, if there is
 * one.  Returns rc, or S3CTL_FAIL when the line could not be written.
 */
int s3ctl_audit(const char *op, const char *user, const char *bucket,
    int rc);

/*
 * Sends the admin request cmd to the repld of the data directory and
 * prints its answer: on stdout when repld says 200 (returns S3CTL_OK),
 * else on stderr (returns S3CTL_FAIL).
 */
int s3ctl_admin(const char *data, const char *cmd);

/* "log-level [LEVEL]": prints or sets repld's log level. */
int s3ctl_log_level(const char *data, int argc, char **argv);

/* "cluster status [--json]": asks the repld of the data directory. */
int s3ctl_cluster(const char *data, int argc, char **argv);
int s3ctl_maintenance(const char *data, int argc, char **argv);


#endif /* _S3CTL_H_INCLUDED_ */
