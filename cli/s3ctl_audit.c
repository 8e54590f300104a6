
/*
 * Copyright (C) ngx_s3 developers
 *
 * The admin actions s3ctl does, one JSON line each, appended to the
 * audit log nginx writes (s3_audit_log) when s3ctl is given its path
 * (--audit-log PATH, or $S3_AUDIT_LOG).  One O_APPEND write() a line, as
 * nginx writes its own, so the lines of both never interleave.
 */


#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s3_json_escape.h"

#include "s3ctl.h"


#define S3CTL_AUDIT_FIELD_MAX   1024


static char *s3ctl_audit_str(char *p, const char *name, const char *value);


static const char  *s3ctl_audit_path;


void
s3ctl_audit_init(const char *path)
{
    if (path == NULL) {
        path = getenv("S3_AUDIT_LOG");
    }

    s3ctl_audit_path = (path != NULL && path[0] != '\0') ? path : NULL;
}


int
s3ctl_audit(const char *op, const char *user, const char *bucket, int rc)
{
    int              fd;
    char             line[S3CTL_AUDIT_FIELD_MAX * S3_JSON_ESCAPE_MAX], *p;
    size_t           len;
    ssize_t          n;
    struct tm        tm;
    struct passwd   *pw;
    struct timespec  ts;

    if (s3ctl_audit_path == NULL) {
        return rc;
    }

    (void) clock_gettime(CLOCK_REALTIME, &ts);
    (void) gmtime_r(&ts.tv_sec, &tm);

    p = line;
    p += strftime(p, 64, "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    p += sprintf(p, ".%03dZ\",\"source\":\"s3ctl\"",
                 (int) (ts.tv_nsec / 1000000));

    pw = getpwuid(getuid());

    p = s3ctl_audit_str(p, "os_user", pw ? pw->pw_name : "");
    p = s3ctl_audit_str(p, "operation", op);
    p = s3ctl_audit_str(p, "user", user ? user : "");
    p = s3ctl_audit_str(p, "bucket", bucket ? bucket : "");
    p += sprintf(p, ",\"status\":%d}\n", rc);

    len = p - line;

    fd = open(s3ctl_audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
              0640);
    if (fd == -1) {
        return s3ctl_fail("cannot open the audit log \"%s\": %s",
                          s3ctl_audit_path, strerror(errno));
    }

    n = write(fd, line, len);

    if (n != (ssize_t) len) {
        rc = s3ctl_fail("cannot write the audit log \"%s\": %s",
                        s3ctl_audit_path,
                        n == -1 ? strerror(errno) : "short write");
    }

    if (close(fd) == -1) {
        rc = s3ctl_fail("cannot close the audit log \"%s\": %s",
                        s3ctl_audit_path, strerror(errno));
    }

    return rc;
}


/* values longer than S3CTL_AUDIT_FIELD_MAX / 5 are cut: names, numbers */

static char *
s3ctl_audit_str(char *p, const char *name, const char *value)
{
    size_t  len;

    len = strlen(value);

    if (len > S3CTL_AUDIT_FIELD_MAX / 5) {
        len = S3CTL_AUDIT_FIELD_MAX / 5;
    }

    p += sprintf(p, ",\"%s\":\"", name);
    p += s3_json_escape(p, value, len);
    *p++ = '"';

    return p;
}
