
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

/* "cluster status [--json]": asks the repld of the data directory. */
int s3ctl_cluster(const char *data, int argc, char **argv);
int s3ctl_maintenance(const char *data, int argc, char **argv);


#endif /* _S3CTL_H_INCLUDED_ */
