
/*
 * Copyright (C) ngx_s3 developers
 *
 * repld's log: one line per message, shaped like nginx's error log
 * ("2024/11/21 10:00:00 [notice] 1234: message"), to a file or stderr.
 */


#ifndef _REPLD_LOG_H_INCLUDED_
#define _REPLD_LOG_H_INCLUDED_


#define REPLD_LOG_ERR        0
#define REPLD_LOG_WARN       1
#define REPLD_LOG_NOTICE     2
#define REPLD_LOG_INFO       3
#define REPLD_LOG_DEBUG      4


/* Returns the level called name ("error" ... "debug"), or -1. */
int repld_log_level(const char *name);

/*
 * Sends the log to file (appended to; NULL, "" or "stderr": stderr) at
 * level, replacing the previous destination.  Returns 0, or -1 with
 * errno set (the previous destination stays).
 */
int repld_log_open(const char *file, int level);

/* Sets the level messages are written up to, keeping the destination. */
void repld_log_set_level(int level);

/* Returns the name of the level messages are written up to. */
const char *repld_log_level_name(void);

/* Returns 1 when messages of level are written. */
int repld_log_enabled(int level);

void repld_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


#endif /* _REPLD_LOG_H_INCLUDED_ */
