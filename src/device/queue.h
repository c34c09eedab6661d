/* The device's durable outgoing queue: one file per measurement in
 * DIR/queue/, named by a 20-digit sequence number so that lexical order is
 * send order; measurements the gateway refused move to DIR/rejected/ with
 * the reason beside them. How it stays crash-safe: docs/internals/device.md. */
#ifndef MG_DEVICE_QUEUE_H
#define MG_DEVICE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define MG_DEVICE_QUEUE_DIR	"queue"
#define MG_DEVICE_REJECTED_DIR	"rejected"
#define MG_DEVICE_SEQUENCE_FILE	"sequence"	/* last sequence number used */
#define MG_DEVICE_QUEUE_MAX	100000		/* measurements waiting */
#define MG_DEVICE_QUEUE_FILE_MAX MG_DEVICE_BODY_MAX_DEFAULT /* bytes per file */
#define MG_DEVICE_SEQ_NAME_LEN	25		/* "%020llu.json" */
#define MG_DEVICE_REASON_MAX	1024		/* stored rejection reason */

struct mg_device_queue {
	char dir[MG_PATH_MAX];		/* the state folder */
	char queue_dir[MG_PATH_MAX];	/* dir/queue */
	char rejected_dir[MG_PATH_MAX];	/* dir/rejected */
	int delivery_lock;		/* fd while delivering, else -1 */
};

/* Sequence numbers of queued files, ascending. */
struct mg_device_queue_list {
	uint64_t *seq;
	size_t count;
};

/* Builds the file body for sequence number seq; *body is the caller's
 * (free). Returns 0 or < 0, which aborts the add. */
typedef int (*mg_device_queue_body_fn)(uint64_t seq, void *arg, char **body,
				       size_t *len);

/* Open the queue of state folder dir, making queue/ and rejected/ if
 * missing. Returns 0 or < 0 (MG_ERR_LIMIT for a too long path). */
int mg_device_queue_open(struct mg_device_queue *q, const char *dir);

/* Release what q holds (the delivery lock); q stays reusable by open. */
void mg_device_queue_close(struct mg_device_queue *q);

/* Under the state folder's lock: take a sequence number greater than every
 * one used before (durably recorded first, so never reused, at least
 * now_ms * 1000 so a lost sequence file cannot repeat one), let make_body
 * build the body and store it as the queue's newest file. *seq_out is set
 * on success. Returns 0, MG_ERR_LIMIT if the queue is full or the body too
 * big, or < 0. */
int mg_device_queue_add(struct mg_device_queue *q, int64_t now_ms,
			mg_device_queue_body_fn make_body, void *arg, uint64_t *seq_out);

/* The queued sequence numbers in send order into *list (the caller's:
 * mg_device_queue_list_free). Unfinished temporary files are never listed.
 * Returns 0 or < 0. */
int mg_device_queue_list(const struct mg_device_queue *q, struct mg_device_queue_list *list);

/* Free list's array; safe on a cleared or freed list. */
void mg_device_queue_list_free(struct mg_device_queue_list *list);

/* Read queued file seq into *body (NUL-terminated; the caller's, free).
 * Returns 0, MG_ERR_NOT_FOUND, MG_ERR_LIMIT or < 0. */
int mg_device_queue_read(const struct mg_device_queue *q, uint64_t seq, char **body,
			 size_t *len);

/* Remove queued file seq for good (delivered). Returns 0 or < 0. */
int mg_device_queue_remove(const struct mg_device_queue *q, uint64_t seq);

/* Move queued file seq to rejected/ and store reason (one line, truncated
 * to MG_DEVICE_REASON_MAX) beside it as <seq>.error. Returns 0 or < 0. */
int mg_device_queue_reject(const struct mg_device_queue *q, uint64_t seq,
			   const char *reason);

/* Count queued and rejected measurements (either pointer may be NULL).
 * Returns 0 or < 0. */
int mg_device_queue_count(const struct mg_device_queue *q, size_t *queued,
			  size_t *rejected);

/* Take the delivery lock so only one process sends this queue, waiting up
 * to wait_ms. Returns 0, MG_ERR_BUSY if another process holds it, or < 0. */
int mg_device_queue_lock_delivery(struct mg_device_queue *q, int wait_ms);

/* Give the delivery lock back (no-op if not held). */
void mg_device_queue_unlock_delivery(struct mg_device_queue *q);

/* Name of the queue file for seq into buf (at least MG_DEVICE_SEQ_NAME_LEN
 * + 1 bytes). Returns 0 or MG_ERR_LIMIT. */
int mg_device_queue_file_name(uint64_t seq, char *buf, size_t buflen);

/* Parse a queue file name ("%020llu.json", exactly) into *seq. Returns 0 or
 * MG_ERR_INVALID (temporary and foreign files). */
int mg_device_queue_parse_name(const char *name, uint64_t *seq);

#endif
