/* Backups on SQLite: a copy through the online backup API while writers
 * go on, and the database's own integrity check. */
#include "store/sqlite/sq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

#define SNAPSHOT_STEP_PAGES 1024	/* pages copied between progress reports */

/* Copy page by page from src, whose read transaction the caller holds, so
 * that every step sees the same snapshot: in WAL mode writers go on
 * beside it and never restart the copy. */
static int copy_pages(sqlite3 *dest, sqlite3 *src, mg_store_progress_fn progress, void *arg,
		      char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", src, "main");
	int rc;

	if (b == NULL) {
		snprintf(err, errlen, "cannot start the copy: %s", sqlite3_errmsg(dest));
		return MG_ERR_STORE;
	}
	do {
		rc = sqlite3_backup_step(b, SNAPSHOT_STEP_PAGES);
		if (progress != NULL) {
			int total = sqlite3_backup_pagecount(b);

			progress(arg, (uint64_t)(total - sqlite3_backup_remaining(b)),
				 (uint64_t)total);
		}
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) {
		snprintf(err, errlen, "copy failed: %s", sqlite3_errmsg(dest));
		return MG_ERR_STORE;
	}
	return 0;
}

int sq_snapshot(struct mg_store *s, const char *path, mg_store_progress_fn progress, void *arg,
		char *err, size_t errlen)
{
	struct sq_conn *c;
	sqlite3 *dest = NULL;
	int fd, r;

	/* Made here, so that the copy never lands on a file someone else put
	 * there first; SQLite then fills the empty file. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	}
	close(fd);
	if (sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, dest ? sqlite3_errmsg(dest) : "cannot open");
		sqlite3_close(dest);
		unlink(path);
		return MG_ERR_STORE;
	}
	c = SQ_ACQUIRE(s);
	if (sq_exec(c, "BEGIN; SELECT count(*) FROM sqlite_master") != 0) {
		snprintf(err, errlen, "cannot start a read transaction: %s", sqlite3_errmsg(c->db));
		r = MG_ERR_STORE;
	} else {
		r = copy_pages(dest, c->db, progress, arg, err, errlen);
		sq_exec(c, "COMMIT");
	}
	sq_release(c);
	if (sqlite3_close(dest) != SQLITE_OK && r == 0) {
		snprintf(err, errlen, "%s: cannot close the copy", path);
		r = MG_ERR_STORE;
	}
	if (r != 0)
		unlink(path);
	return r;
}

int sq_integrity_check(struct mg_store *s, char *problem, size_t problemlen)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r = MG_ERR_STORE, rc;

	if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(problem, problemlen, "%s", sqlite3_errmsg(c->db));
		goto out;
	}
	/* One row "ok", or one row per problem: report the first. */
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		snprintf(problem, problemlen, "%s", sqlite3_errmsg(c->db));
		goto out;
	}
	if (sq_copy_text(st, 0, problem, problemlen) != 0 || strcmp(problem, "ok") != 0) {
		if (problem[0] == '\0')
			snprintf(problem, problemlen, "integrity check failed");
		goto out;
	}
	problem[0] = '\0';
	r = 0;
out:
	sqlite3_finalize(st);
	sq_release(c);
	return r;
}
