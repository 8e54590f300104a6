
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl cluster status: an admin request (s3_listproto.h) on the listing
 * socket of the data directory's repld, whose answer is printed as it
 * comes.  repld renders it: s3ctl links neither hiredis nor nanomsg, and
 * knows nothing of Redis.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_admin.h"
#include "s3_listproto.h"

#include "s3ctl.h"


#define S3CTL_CLUSTER_TIMEOUT   5            /* seconds */
#define S3CTL_CLUSTER_MAX       (1024 * 1024)




int
s3ctl_cluster(const char *data, int argc, char **argv)
{
    int  json;

    if (argc < 1 || strcmp(argv[0], "status") != 0 || argc > 2) {
        fprintf(stderr, "s3ctl: usage: cluster status [--json]\n");
        return S3CTL_USAGE;
    }

    json = 0;

    if (argc == 2) {
        if (strcmp(argv[1], "--json") != 0) {
            fprintf(stderr, "s3ctl: unknown option \"%s\"\n", argv[1]);
            return S3CTL_USAGE;
        }

        json = 1;
    }

    return s3ctl_admin(data, json ? "cluster status json"
                                  : "cluster status");
}


int
s3ctl_admin(const char *data, const char *cmd)
{
    int       rc;
    char     *body;
    ssize_t   n;
    unsigned  status;

    body = malloc(S3CTL_CLUSTER_MAX);
    if (body == NULL) {
        return s3ctl_fail("out of memory");
    }

    n = s3_admin_ask(data, cmd, body, S3CTL_CLUSTER_MAX,
                     S3CTL_CLUSTER_TIMEOUT * 1000, &status);

    if (n == -1) {
        rc = s3ctl_fail("%s repld at %s/%s: %s",
                        (errno == EAGAIN || errno == EPROTO
                         || errno == EMSGSIZE)
                        ? "no answer from" : "cannot reach",
                        data, S3_LISTPROTO_LIST_SOCK, strerror(errno));

    } else {
        fwrite(body, 1, n, status == 200 ? stdout : stderr);
        rc = (status == 200) ? S3CTL_OK : S3CTL_FAIL;
    }

    free(body);

    return rc;
}
