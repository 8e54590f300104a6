
/*
 * Copyright (C) ngx_s3 developers
 *
 * s3ctl log-level: repld's log level, read or changed without a restart
 * through an admin request; repld checks the level's name.
 */


#include <stdio.h>
#include <string.h>

#include "s3ctl.h"


#define S3CTL_LOG_LEVEL_MAX   16


int
s3ctl_log_level(const char *data, int argc, char **argv)
{
    char  cmd[sizeof("log-level ") + S3CTL_LOG_LEVEL_MAX];

    if (argc > 1 || (argc == 1 && strlen(argv[0]) > S3CTL_LOG_LEVEL_MAX)) {
        fprintf(stderr, "s3ctl: usage: log-level [LEVEL]\n");
        return S3CTL_USAGE;
    }

    if (argc == 0) {
        return s3ctl_admin(data, "log-level");
    }

    snprintf(cmd, sizeof(cmd), "log-level %s", argv[0]);

    return s3ctl_audit(cmd, NULL, NULL, s3ctl_admin(data, cmd));
}
