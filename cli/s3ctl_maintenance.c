
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl maintenance on|off|status [--message TEXT]: this node's
 * maintenance mode, the file s3_maintenance.h describes.  The workers
 * see a change within a millisecond of their next write.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s3_maintenance.h"

#include "s3ctl.h"


#define S3CTL_MAINTENANCE_MESSAGE                                            \
    "This node is in maintenance; please try again later."


static int s3ctl_maintenance_status(const char *data);


int
s3ctl_maintenance(const char *data, int argc, char **argv)
{
    const char  *msg;

    msg = S3CTL_MAINTENANCE_MESSAGE;

    if (argc == 3 && strcmp(argv[0], "on") == 0
        && strcmp(argv[1], "--message") == 0)
    {
        msg = argv[2];

    } else if (argc != 1) {
        fprintf(stderr, "s3ctl: usage: maintenance on|off|status "
                "[--message TEXT]\n");
        return S3CTL_USAGE;
    }

    if (strcmp(argv[0], "status") == 0) {
        return s3ctl_maintenance_status(data);
    }

    if (strcmp(argv[0], "off") == 0) {
        if (s3_maintenance_clear(data) != S3_OK) {
            return s3ctl_audit("maintenance off", NULL, NULL,
                               s3ctl_fail("cannot leave maintenance: %s",
                                          strerror(errno)));
        }

        printf("maintenance off\n");
        return s3ctl_audit("maintenance off", NULL, NULL, S3CTL_OK);
    }

    if (strcmp(argv[0], "on") != 0) {
        fprintf(stderr, "s3ctl: unknown maintenance command \"%s\"\n",
                argv[0]);
        return S3CTL_USAGE;
    }

    if (strlen(msg) > S3_MAINTENANCE_MAX) {
        return s3ctl_fail("the message is longer than %d bytes",
                          S3_MAINTENANCE_MAX);
    }

    if (s3_maintenance_set(data, msg, strlen(msg)) != S3_OK) {
        return s3ctl_audit("maintenance on", NULL, NULL,
                           s3ctl_fail("cannot enter maintenance: %s",
                                      strerror(errno)));
    }

    printf("maintenance on: %s\n", msg);

    return s3ctl_audit("maintenance on", NULL, NULL, S3CTL_OK);
}


static int
s3ctl_maintenance_status(const char *data)
{
    int     rc;
    char    msg[S3_MAINTENANCE_MAX];
    size_t  len;

    rc = s3_maintenance_get(data, msg, sizeof(msg), &len);

    if (rc == -1) {
        return s3ctl_fail("cannot read the maintenance state: %s",
                          strerror(errno));
    }

    if (rc == 0) {
        printf("maintenance off\n");

    } else {
        printf("maintenance on: %.*s\n", (int) len, msg);
    }

    return S3CTL_OK;
}
