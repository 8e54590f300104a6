
/*
 * Copyright (C) ngx_s3 developers
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repld_log.h"


static FILE        *repld_log_out;
static int          repld_log_max = REPLD_LOG_NOTICE;
static const char  *repld_log_names[] = {
    "error", "warn", "notice", "info", "debug", NULL
};


int
repld_log_level(const char *name)
{
    int  i;

    for (i = 0; repld_log_names[i] != NULL; i++) {
        if (strcmp(name, repld_log_names[i]) == 0) {
            return i;
        }
    }

    return -1;
}


int
repld_log_open(const char *file, int level)
{
    FILE  *f;

    repld_log_max = level;

    if (file == NULL || file[0] == '\0' || strcmp(file, "stderr") == 0) {
        f = stderr;

    } else {
        f = fopen(file, "ae");
        if (f == NULL) {
            return -1;
        }

        setvbuf(f, NULL, _IOLBF, 0);
    }

    if (repld_log_out != NULL && repld_log_out != stderr) {
        fclose(repld_log_out);
    }

    repld_log_out = f;

    return 0;
}


void
repld_log_set_level(int level)
{
    repld_log_max = level;
}


const char *
repld_log_level_name(void)
{
    return repld_log_names[repld_log_max];
}


int
repld_log_enabled(int level)
{
    return level <= repld_log_max;
}


void
repld_log(int level, const char *fmt, ...)
{
    FILE       *out;
    char        date[32];
    time_t      now;
    va_list     args;
    struct tm   tm;

    if (level > repld_log_max) {
        return;
    }

    out = repld_log_out ? repld_log_out : stderr;

    now = time(NULL);
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y/%m/%d %H:%M:%S", &tm);

    fprintf(out, "%s [%s] %d: ", date, repld_log_names[level],
            (int) getpid());

    va_start(args, fmt);
    vfprintf(out, fmt, args);
    va_end(args);

    fputc('\n', out);
    fflush(out);
}
