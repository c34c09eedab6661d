#include "device/queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "device/file.h"

#define STATE_LOCK_FILE		"lock"
#define DELIVERY_LOCK_FILE	"delivery.lock"
#define STATE_LOCK_WAIT_MS	10000
#define SEQUENCE_TEXT_MAX	64

int mg_device_queue_file_name(uint64_t seq, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%020" PRIu64 ".json", seq);

	if (n < 0 || (size_t)n >= buflen) {
		if (buflen > 0)
			buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	return 0;
}

/* Parse exactly 20 decimal digits followed by suffix. */
static int parse_seq_with_suffix(const char *name, const char *suffix, uint64_t *seq)
{
	uint64_t v = 0;
	size_t i;

	*seq = 0;
	if (strlen(name) != 20 + strlen(suffix) || strcmp(name + 20, suffix) != 0)
		return MG_ERR_INVALID;
	for (i = 0; i < 20; i++) {
		unsigned d;

		if (name[i] < '0' || name[i] > '9')
			return MG_ERR_INVALID;
		d = (unsigned)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return MG_ERR_INVALID;
		v = v * 10 + d;
	}
	*seq = v;
	return 0;
}

int mg_device_queue_parse_name(const char *name, uint64_t *seq)
{
	return parse_seq_with_suffix(name, ".json", seq);
}

int mg_device_queue_open(struct mg_device_queue *q, const char *dir)
{
	size_t len;
	int r;

	memset(q, 0, sizeof(*q));
	q->delivery_lock = -1;
	len = strlen(dir);
	if (len == 0 || len >= sizeof(q->dir))
		return MG_ERR_LIMIT;
	memcpy(q->dir, dir, len + 1);
	if ((r = mg_device_path_join(q->queue_dir, sizeof(q->queue_dir), dir,
				     MG_DEVICE_QUEUE_DIR)) != 0 ||
	    (r = mg_device_path_join(q->rejected_dir, sizeof(q->rejected_dir), dir,
				     MG_DEVICE_REJECTED_DIR)) != 0)
		return r;
	/* Room for the longest name we put inside. */
	if (strlen(q->rejected_dir) + 2 + sizeof(MG_DEVICE_TEMP_PREFIX) + MG_DEVICE_SEQ_NAME_LEN >=
	    MG_PATH_MAX)
		return MG_ERR_LIMIT;
	if ((r = mg_device_dir_make(q->queue_dir)) != 0 ||
	    (r = mg_device_dir_make(q->rejected_dir)) != 0)
		return r;
	return 0;
}

void mg_device_queue_close(struct mg_device_queue *q)
{
	mg_device_queue_unlock_delivery(q);
}

void mg_device_queue_list_free(struct mg_device_queue_list *list)
{
	if (list == NULL)
		return;
	free(list->seq);
	list->seq = NULL;
	list->count = 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Open and flock dir/name exclusively, polling up to wait_ms. */
static int lock_take(const char *dir, const char *name, int wait_ms, int *fd_out)
{
	char path[MG_PATH_MAX];
	int fd, r, waited = 0;

	*fd_out = -1;
	if ((r = mg_device_path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return MG_ERR_IO;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			close(fd);
			return errno == EWOULDBLOCK ? MG_ERR_BUSY : MG_ERR_IO;
		}
		sleep_ms(50);
		waited += 50;
	}
	*fd_out = fd;
	return 0;
}

static void lock_give(int fd)
{
	if (fd >= 0)
		close(fd);	/* closing drops the flock */
}

int mg_device_queue_lock_delivery(struct mg_device_queue *q, int wait_ms)
{
	if (q->delivery_lock >= 0)
		return 0;
	return lock_take(q->dir, DELIVERY_LOCK_FILE, wait_ms, &q->delivery_lock);
}

void mg_device_queue_unlock_delivery(struct mg_device_queue *q)
{
	lock_give(q->delivery_lock);
	q->delivery_lock = -1;
}

static int list_push(struct mg_device_queue_list *list, size_t *cap, uint64_t seq)
{
	uint64_t *grown;
	size_t ncap;

	if (list->count == *cap) {
		if (*cap >= MG_DEVICE_QUEUE_MAX)
			return MG_ERR_LIMIT;
		ncap = *cap == 0 ? 64 : *cap * 2;
		if (ncap > MG_DEVICE_QUEUE_MAX)
			ncap = MG_DEVICE_QUEUE_MAX;
		if ((grown = realloc(list->seq, ncap * sizeof(*grown))) == NULL)
			return MG_ERR_NOMEM;
		list->seq = grown;
		*cap = ncap;
	}
	list->seq[list->count++] = seq;
	return 0;
}

/* Walk folder path: count its <seq>.json files, note the highest sequence
 * number, collect them into list if given, and delete leftover temporary
 * files if remove_temp (only under the lock their writer takes). */
static int scan(const char *path, struct mg_device_queue_list *list, size_t *count,
		uint64_t *max, int remove_temp)
{
	struct dirent *e;
	size_t cap = 0;
	uint64_t seq;
	DIR *d;
	int r = 0;

	*count = 0;
	*max = 0;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : MG_ERR_IO;
	while ((e = readdir(d)) != NULL) {
		if (parse_seq_with_suffix(e->d_name, ".json", &seq) == 0) {
			(*count)++;
			if (seq > *max)
				*max = seq;
			if (list != NULL && (r = list_push(list, &cap, seq)) != 0)
				break;
		} else if (remove_temp &&
			   strncmp(e->d_name, MG_DEVICE_TEMP_PREFIX,
				   sizeof(MG_DEVICE_TEMP_PREFIX) - 1) == 0) {
			if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT) {
				r = MG_ERR_IO;
				break;
			}
		}
	}
	closedir(d);
	return r;
}

static int compare_seq(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int mg_device_queue_list(const struct mg_device_queue *q, struct mg_device_queue_list *list)
{
	size_t count;
	uint64_t max;
	int r;

	memset(list, 0, sizeof(*list));
	if ((r = scan(q->queue_dir, list, &count, &max, 0)) != 0) {
		mg_device_queue_list_free(list);
		return r;
	}
	if (list->count > 1)
		qsort(list->seq, list->count, sizeof(*list->seq), compare_seq);
	return 0;
}

int mg_device_queue_count(const struct mg_device_queue *q, size_t *queued,
			  size_t *rejected)
{
	size_t count;
	uint64_t max;
	int r;

	if (queued != NULL) {
		*queued = 0;
		if ((r = scan(q->queue_dir, NULL, &count, &max, 0)) != 0)
			return r;
		*queued = count;
	}
	if (rejected != NULL) {
		*rejected = 0;
		if ((r = scan(q->rejected_dir, NULL, &count, &max, 0)) != 0)
			return r;
		*rejected = count;
	}
	return 0;
}

/* The last sequence number recorded in the state folder, or 0 with
 * *valid = 0 if the file is missing or damaged. */
static int sequence_load(const struct mg_device_queue *q, uint64_t *last, int *valid)
{
	char path[MG_PATH_MAX];
	char *text = NULL, *end = NULL;
	unsigned long long v;
	size_t len;
	int r;

	*last = 0;
	*valid = 0;
	if ((r = mg_device_path_join(path, sizeof(path), q->dir, MG_DEVICE_SEQUENCE_FILE)) != 0)
		return r;
	r = mg_device_file_read(path, SEQUENCE_TEXT_MAX, &text, &len);
	if (r == MG_ERR_NOT_FOUND || r == MG_ERR_LIMIT || r == MG_ERR_INVALID)
		return 0;
	if (r != 0)
		return r;
	if (len >= 2 && text[len - 1] == '\n' && strspn(text, "0123456789") == len - 1) {
		errno = 0;
		v = strtoull(text, &end, 10);
		if (errno == 0 && end == text + len - 1) {
			*last = v;
			*valid = 1;
		}
	}
	free(text);
	return 0;
}

static int sequence_store(const struct mg_device_queue *q, uint64_t seq)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", seq);

	if (n < 0 || (size_t)n >= sizeof(text))
		return MG_ERR_LIMIT;
	return mg_device_file_write(q->dir, MG_DEVICE_SEQUENCE_FILE, text, (size_t)n, 0600);
}

/* Under the state lock: the next sequence number, recorded durably. */
static int sequence_next(const struct mg_device_queue *q, int64_t now_ms, uint64_t *seq_out)
{
	uint64_t last, queued_max, rejected_max, next;
	size_t queued, rejected;
	int valid, r;

	*seq_out = 0;
	if ((r = scan(q->queue_dir, NULL, &queued, &queued_max, 1)) != 0)
		return r;
	if (queued >= MG_DEVICE_QUEUE_MAX)
		return MG_ERR_LIMIT;
	if ((r = sequence_load(q, &last, &valid)) != 0)
		return r;
	if (!valid) {
		/* Lost or damaged: never go below what the folders still show. */
		if ((r = scan(q->rejected_dir, NULL, &rejected, &rejected_max, 0)) != 0)
			return r;
		last = rejected_max > queued_max ? rejected_max : queued_max;
	} else if (queued_max > last) {
		last = queued_max;
	}
	if (last >= UINT64_MAX / 2)
		return MG_ERR_LIMIT;
	next = last + 1;
	/* Time as a floor keeps numbers rising even if the state folder is
	 * restored from an old copy, as long as the clock does not go back. */
	if (now_ms > 0 && (uint64_t)now_ms < UINT64_MAX / 4000 && (uint64_t)now_ms * 1000 > next)
		next = (uint64_t)now_ms * 1000;
	if ((r = sequence_store(q, next)) != 0)
		return r;
	*seq_out = next;
	return 0;
}

int mg_device_queue_add(struct mg_device_queue *q, int64_t now_ms,
			mg_device_queue_body_fn make_body, void *arg, uint64_t *seq_out)
{
	char name[MG_DEVICE_SEQ_NAME_LEN + 1];
	char *body = NULL;
	uint64_t seq = 0;
	size_t len = 0;
	int lock = -1, r;

	*seq_out = 0;
	if ((r = lock_take(q->dir, STATE_LOCK_FILE, STATE_LOCK_WAIT_MS, &lock)) != 0)
		goto out;
	if ((r = sequence_next(q, now_ms, &seq)) != 0)
		goto out;
	if ((r = make_body(seq, arg, &body, &len)) != 0)
		goto out;
	if (len == 0 || len > MG_DEVICE_QUEUE_FILE_MAX) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	if ((r = mg_device_queue_file_name(seq, name, sizeof(name))) != 0)
		goto out;
	if ((r = mg_device_file_write_new(q->queue_dir, name, body, len, 0600)) != 0)
		goto out;
	*seq_out = seq;
out:
	free(body);
	lock_give(lock);
	return r;
}

int mg_device_queue_read(const struct mg_device_queue *q, uint64_t seq, char **body,
			 size_t *len)
{
	char name[MG_DEVICE_SEQ_NAME_LEN + 1], path[MG_PATH_MAX];
	int r;

	*body = NULL;
	*len = 0;
	if ((r = mg_device_queue_file_name(seq, name, sizeof(name))) != 0 ||
	    (r = mg_device_path_join(path, sizeof(path), q->queue_dir, name)) != 0)
		return r;
	return mg_device_file_read(path, MG_DEVICE_QUEUE_FILE_MAX, body, len);
}

int mg_device_queue_remove(const struct mg_device_queue *q, uint64_t seq)
{
	char name[MG_DEVICE_SEQ_NAME_LEN + 1];
	int r;

	if ((r = mg_device_queue_file_name(seq, name, sizeof(name))) != 0)
		return r;
	return mg_device_file_remove(q->queue_dir, name);
}

int mg_device_queue_reject(const struct mg_device_queue *q, uint64_t seq,
			   const char *reason)
{
	char name[MG_DEVICE_SEQ_NAME_LEN + 1], error_name[MG_DEVICE_SEQ_NAME_LEN + 8];
	char text[MG_DEVICE_REASON_MAX + 2];
	size_t i, len;
	int r, n;

	if ((r = mg_device_queue_file_name(seq, name, sizeof(name))) != 0)
		return r;
	n = snprintf(error_name, sizeof(error_name), "%020" PRIu64 ".error", seq);
	if (n < 0 || (size_t)n >= sizeof(error_name))
		return MG_ERR_LIMIT;
	/* One line of plain text, whatever the server sent. */
	len = strlen(reason);
	if (len > MG_DEVICE_REASON_MAX)
		len = MG_DEVICE_REASON_MAX;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)reason[i];

		text[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	text[len++] = '\n';
	/* The reason first: a crash before the move leaves the measurement
	 * queued (it is sent and refused again), never rejected without one. */
	if ((r = mg_device_file_write(q->rejected_dir, error_name, text, len, 0600)) != 0)
		return r;
	return mg_device_file_move(q->queue_dir, name, q->rejected_dir, name);
}
