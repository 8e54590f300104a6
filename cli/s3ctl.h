
/*
 * Copyright (C) ngx_s3 developers
 *
 * What the files of s3ctl share.
 */


#ifndef _S3CTL_H_INCLUDED_
#define _S3CTL_H_INCLUDED_


#define S3CTL_OK              0
#define S3CTL_USAGE           1
#define S3CTL_FAIL            2


/* Prints "s3ctl: MESSAGE" on stderr; returns S3CTL_FAIL. */
int s3ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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


#endif /* _S3CTL_H_INCLUDED_ */
