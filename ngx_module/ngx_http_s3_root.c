
/*
 * Copyright (C) ngx_s3 developers
 *
 * The store's data directory (a root): made and checked when the
 * configuration is read (its format, the workers' right to search every
 * directory above it), kept open for openat(), given to the workers' user,
 * and its tmp/ swept at the first start.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3_module.h"


static ngx_int_t ngx_http_s3_open_root(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static void ngx_http_s3_root_sockets(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static ngx_int_t ngx_http_s3_check_workers(ngx_conf_t *cf,
    ngx_http_s3_root_t *root);
static ngx_uint_t ngx_http_s3_may_search(ngx_file_info_t *fi, ngx_uid_t uid,
    gid_t *groups, int ngroups);
static socklen_t ngx_http_s3_sockaddr(ngx_http_s3_root_t *root,
    struct sockaddr_un *sun, char *name);
static void ngx_http_s3_chown_layout(ngx_cycle_t *cycle,
    ngx_http_s3_root_t *root, ngx_uid_t user);
static void ngx_http_s3_chown_users(ngx_cycle_t *cycle,
    ngx_http_s3_root_t *root, ngx_uid_t user);
static void ngx_http_s3_chown(ngx_cycle_t *cycle, u_char *name,
    ngx_uid_t user);


static ngx_str_t  ngx_http_s3_tmp = ngx_string("/" S3_PLACE_TMP);


ngx_http_s3_root_t *
ngx_http_s3_root_add(ngx_conf_t *cf, ngx_str_t *path)
{
    ngx_err_t                  err;
    ngx_uint_t                 i;
    ngx_http_s3_root_t        *root, **rootp;
    ngx_http_s3_main_conf_t   *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    rootp = smcf->roots.elts;
    for (i = 0; i < smcf->roots.nelts; i++) {
        if (rootp[i]->path.len == path->len
            && ngx_strncmp(rootp[i]->path.data, path->data, path->len) == 0)
        {
            return rootp[i];
        }
    }

    root = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_root_t));
    if (root == NULL) {
        return NULL;
    }

    root->path.len = path->len;
    root->path.data = ngx_pnalloc(cf->pool, path->len + 1);
    if (root->path.data == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn(root->path.data, path->data, path->len + 1);

    if (s3_store_init((char *) root->path.data, &root->node_id) != S3_OK) {
        err = ngx_errno;
        if (err == EPROTO) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_store \"%s\" is not a store of format "
                               "\"%s\" (see its FORMAT file)",
                               root->path.data, S3_STORE_FORMAT);
            return NULL;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "s3_store \"%s\" cannot be used",
                           root->path.data);
        return NULL;
    }

    if (ngx_http_s3_check_workers(cf, root) != NGX_OK
        || ngx_http_s3_open_root(cf, root) != NGX_OK)
    {
        return NULL;
    }

    ngx_http_s3_root_sockets(cf, root);

    rootp = ngx_array_push(&smcf->roots);
    if (rootp == NULL) {
        return NULL;
    }

    *rootp = root;

    return root;
}


/*
 * The store's directory stays open in the master, and the workers inherit
 * it: every record and object is opened relative to it, so that a path
 * walk starts at the store and not at "/".  Closed with the cycle.
 */

static ngx_int_t
ngx_http_s3_open_root(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    ngx_pool_cleanup_t       *cln;
    ngx_pool_cleanup_file_t  *clnf;

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_pool_cleanup_file_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    root->fd = open((char *) root->path.data,
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (root->fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "open(\"%s\") failed", root->path.data);
        return NGX_ERROR;
    }

    cln->handler = ngx_pool_cleanup_file;
    clnf = cln->data;
    clnf->fd = root->fd;
    clnf->name = root->path.data;
    clnf->log = cf->log;

    return NGX_OK;
}


static void
ngx_http_s3_root_sockets(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    root->list_socklen = ngx_http_s3_sockaddr(root, &root->list_addr,
                                              S3_LISTPROTO_LIST_SOCK);
    root->hint_socklen = ngx_http_s3_sockaddr(root, &root->hint_addr,
                                              S3_LISTPROTO_HINT_SOCK);

    if (root->list_socklen == 0 || root->hint_socklen == 0) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "s3_store \"%s\" is too long a path for repld's "
                           "Unix sockets (%uz bytes at most): listings "
                           "will answer 503",
                           root->path.data,
                           sizeof(root->list_addr.sun_path)
                           - sizeof("/" S3_LISTPROTO_LIST_SOCK));
    }
}


/*
 * s3_store_init() ran as the master.  A master running as root passes its
 * checks whatever the modes, while the workers run as the "user"
 * directive says: each directory from "/" to the store must let that user
 * search it, or every request would fail.  The entries inside the store
 * are given to the user by ngx_http_s3_chown_layout().  Checked from the
 * modes (ACLs are not read), with the user's supplementary groups; the
 * "user" directive must precede the http block, as it always does.
 */

static ngx_int_t
ngx_http_s3_check_workers(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    int               ngroups;
    char             *name;
    u_char           *p, *end, path[NGX_MAX_PATH], mode[5];
    gid_t             gid, groups[64];
    ngx_uid_t         uid;
    struct passwd    *pwd;
    struct group     *grp;
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;

    if (geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        name = ccf->username;
        uid = ccf->user;
        gid = ccf->group;

    } else {
        /* what ngx_core_module_init_conf() will choose */

        pwd = getpwnam(NGX_USER);
        grp = getgrnam(NGX_GROUP);

        if (pwd == NULL || grp == NULL) {
            return NGX_OK;
        }

        name = NGX_USER;
        uid = pwd->pw_uid;
        gid = grp->gr_gid;
    }

    if (uid == 0 || root->path.len >= NGX_MAX_PATH) {
        return NGX_OK;
    }

    ngroups = sizeof(groups) / sizeof(gid_t);

    if (getgrouplist(name, gid, groups, &ngroups) == -1) {
        ngroups = sizeof(groups) / sizeof(gid_t);
    }

    end = ngx_cpymem(path, root->path.data, root->path.len);
    *end = '\0';

    for (p = path + 1; p <= end; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        *p = '\0';

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "s3_store \"%s\": " ngx_file_info_n
                               " \"%s\" failed", root->path.data, path);
            return NGX_ERROR;
        }

        if (!ngx_http_s3_may_search(&fi, uid, groups, ngroups)) {

            /* ngx_sprintf() has no octal */

            mode[0] = '0' + ((fi.st_mode >> 9) & 7);
            mode[1] = '0' + ((fi.st_mode >> 6) & 7);
            mode[2] = '0' + ((fi.st_mode >> 3) & 7);
            mode[3] = '0' + (fi.st_mode & 7);
            mode[4] = '\0';

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_store \"%s\" cannot be used by the "
                               "worker processes: their user \"%s\" "
                               "(uid %d) may not search \"%s\" (owner "
                               "uid %d, gid %d, mode %s)",
                               root->path.data, name, (int) uid, path,
                               (int) fi.st_uid, (int) fi.st_gid, mode);
            return NGX_ERROR;
        }

        if (p < end) {
            *p = '/';
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s3_may_search(ngx_file_info_t *fi, ngx_uid_t uid, gid_t *groups,
    int ngroups)
{
    int  i;

    if (fi->st_uid == uid) {
        return (fi->st_mode & S_IXUSR) != 0;
    }

    for (i = 0; i < ngroups; i++) {
        if (fi->st_gid == groups[i]) {
            return (fi->st_mode & S_IXGRP) != 0;
        }
    }

    return (fi->st_mode & S_IXOTH) != 0;
}


/* returns the address length, or 0 when the path does not fit */

static socklen_t
ngx_http_s3_sockaddr(ngx_http_s3_root_t *root, struct sockaddr_un *sun,
    char *name)
{
    u_char  *p;
    size_t   len;

    len = root->path.len + 1 + ngx_strlen(name);

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    if (len >= sizeof(sun->sun_path)) {
        (void) ngx_cpystrn((u_char *) sun->sun_path, root->path.data,
                           sizeof(sun->sun_path));
        return 0;
    }

    p = ngx_sprintf((u_char *) sun->sun_path, "%V/%s", &root->path, name);
    *p = '\0';

    return offsetof(struct sockaddr_un, sun_path) + len + 1;
}


char *
ngx_http_s3_root_temp_path(ngx_conf_t *cf, ngx_http_s3_root_t *root)
{
    u_char                    *p;
    ngx_path_t                *path;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->client_body_temp_path != NULL) {
        return "conflicts with client_body_temp_path in the same location";
    }

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name.len = root->path.len + ngx_http_s3_tmp.len;
    path->name.data = ngx_pnalloc(cf->pool, path->name.len + 1);
    if (path->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(path->name.data, root->path.data, root->path.len);
    p = ngx_cpymem(p, ngx_http_s3_tmp.data, ngx_http_s3_tmp.len);
    *p = '\0';

    /*
     * tmp/N/: every create and every commit's rename locks the directory
     * it takes the file from, and with one directory the pool's threads
     * spun on that lock (22% of the CPU time of 4 KiB PUTs)
     */

    path->level[0] = 1;
    path->len = 2;

    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    clcf->client_body_temp_path = path;

    if (ngx_add_path(cf, &clcf->client_body_temp_path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The master's start and every reload: the store's entries go to the
 * workers' user; tmp/ is swept at the first start only.
 */

void
ngx_http_s3_root_init_module(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf)
{
    int                        n;
    ngx_uint_t                 i;
    ngx_core_conf_t           *ccf;
    ngx_http_s3_root_t       **rootp;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);
    rootp = smcf->roots.elts;

    for (i = 0; i < smcf->roots.nelts; i++) {
        if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
            ngx_http_s3_chown_layout(cycle, rootp[i], ccf->user);
        }
    }

    /* sweep at the first start only: no reload, test or binary upgrade */

    if (ngx_test_config || ngx_inherited || ngx_process == NGX_PROCESS_SIGNALLER
        || cycle->old_cycle == NULL || cycle->old_cycle->conf_ctx != NULL)
    {
        return;
    }

    for (i = 0; i < smcf->roots.nelts; i++) {
        n = s3_store_sweep_tmp((char *) rootp[i]->path.data);

        if (n == -1) {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          "s3_store_sweep_tmp(\"%s\") failed",
                          rootp[i]->path.data);
            continue;
        }

        if (n > 0) {
            ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                          "s3 store \"%s\": %d entries of tmp/ swept",
                          rootp[i]->path.data, n);
        }
    }
}


static void
ngx_http_s3_chown_layout(ngx_cycle_t *cycle, ngx_http_s3_root_t *root,
    ngx_uid_t user)
{
    u_char      *p, name[NGX_MAX_PATH];
    ngx_uint_t   i;

    static char  *entries[] = {
        "FORMAT", "lock", S3_PLACE_TMP, S3_JOURNAL_DIR, S3_PLACE_USERS,
        S3_PLACE_BUCKETS, NULL
    };

    for (i = 0; entries[i] != NULL; i++) {
        p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s", &root->path,
                         entries[i]);
        *p = '\0';

        ngx_http_s3_chown(cycle, name, user);
    }

    ngx_http_s3_chown_users(cycle, root, user);
}


/* user records written by s3ctl running as root must be readable */

static void
ngx_http_s3_chown_users(ngx_cycle_t *cycle, ngx_http_s3_root_t *root,
    ngx_uid_t user)
{
    u_char      *p, name[NGX_MAX_PATH];
    ngx_dir_t    dir;
    ngx_str_t    path;

    p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s", &root->path,
                     S3_PLACE_USERS);
    *p = '\0';

    path.data = name;
    path.len = p - name;

    if (ngx_open_dir(&path, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      ngx_open_dir_n " \"%s\" failed", name);
        return;
    }

    while (ngx_read_dir(&dir) == NGX_OK) {
        if (ngx_de_name(&dir)[0] == '.') {
            continue;
        }

        p = ngx_snprintf(name, NGX_MAX_PATH - 1, "%V/%s/%s", &root->path,
                         S3_PLACE_USERS, ngx_de_name(&dir));
        *p = '\0';

        ngx_http_s3_chown(cycle, name, user);
    }

    if (ngx_close_dir(&dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      ngx_close_dir_n " \"%V\" failed", &path);
    }
}


static void
ngx_http_s3_chown(ngx_cycle_t *cycle, u_char *name, ngx_uid_t user)
{
    ngx_file_info_t  fi;

    if (ngx_file_info(name, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      ngx_file_info_n " \"%s\" failed", name);
        return;
    }

    if (fi.st_uid == user) {
        return;
    }

    if (chown((const char *) name, user, -1) == -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      "chown(\"%s\", %d) failed", name, (int) user);
    }
}
