
/*
 * Copyright (C) ngx_s3 developers
 *
 * The store the store tests run against: in a mkdtemp() directory, with
 * its own clock and journal, removed at the end when every check passed.
 */


#ifndef _TEST_TMPSTORE_H_INCLUDED_
#define _TEST_TMPSTORE_H_INCLUDED_


#include <fcntl.h>
#include <string.h>

#include "s3_journal.h"
#include "s3_store.h"
#include "s3_store_int.h"
#include "test.h"


/* Lays out a store in root, a directory mkdtemp() made. */

static void
test_store_open(char *root, s3_store_t *st, s3_hlc_t *clock,
    s3_journal_t *journal, int fsync)
{
    memset(st, 0, sizeof(*st));
    clock->last = 0;
    st->root = root;
    st->fsync = fsync;
    st->clock = clock;
    s3_store_init(root, &st->node_id);
    s3_journal_open(journal, root, 0);
    st->journal = journal;
}


/* Prints the report; removes root when every check passed. */

static int
test_store_report(const char *name, const char *root)
{
    int  rc;

    rc = test_report(name);

    if (rc == 0) {
        s3_store_remove_tree(AT_FDCWD, root, S3_STORE_TREE_DEPTH);

    } else {
        printf("store left in %s\n", root);
    }

    return rc;
}


#endif /* _TEST_TMPSTORE_H_INCLUDED_ */
