/* The device agent's file queue: send order across restarts, sequence
 * numbers that never repeat (even with a lost sequence file), crash safety
 * (a writer killed at any instant never leaves a partial file that would be
 * listed and sent), rejection, size caps and the delivery lock.
 * src/device/ is not in mgcore, so the code under test is compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/device/file.c"
#include "../../src/device/queue.c"

/* A buffer length the compiler cannot see through: these calls are meant to
 * be too small, and gcc would warn about the truncation at -O2. */
static size_t opaque_size(size_t n)
{
	volatile size_t v = n;

	return v;
}

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct fixture {
	char dir[MG_PATH_MAX];
	struct mg_device_queue q;
};

/* Body builder for tests: "<seq>:<text>". */
struct body_spec {
	const char *text;
	size_t size;		/* if non-zero: a body of exactly this many bytes */
	int fail;		/* return this error instead */
};

static int test_body(uint64_t seq, void *arg, char **body, size_t *len)
{
	const struct body_spec *spec = arg;
	char *b;
	int n;

	if (spec->fail != 0)
		return spec->fail;
	if (spec->size != 0) {
		if ((b = malloc(spec->size)) == NULL)
			return MG_ERR_NOMEM;
		memset(b, 'x', spec->size);
		*body = b;
		*len = spec->size;
		return 0;
	}
	if ((b = malloc(128)) == NULL)
		return MG_ERR_NOMEM;
	n = snprintf(b, 128, "%" PRIu64 ":%s", seq, spec->text);
	*body = b;
	*len = (size_t)n;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mg-devq-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(mg_device_queue_open(&f->q, f->dir), 0);
	*state = f;
	return 0;
}

static void remove_tree(const char *path)
{
	char sub[MG_PATH_MAX];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (mg_device_path_join(sub, sizeof(sub), path, e->d_name) == 0)
			remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mg_device_queue_close(&f->q);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static uint64_t add(struct mg_device_queue *q, int64_t now_ms, const char *text)
{
	struct body_spec spec = { text, 0, 0 };
	uint64_t seq = 0;

	assert_int_equal(mg_device_queue_add(q, now_ms, test_body, &spec, &seq), 0);
	assert_true(seq > 0);
	return seq;
}

static void expect_body(struct mg_device_queue *q, uint64_t seq, const char *text)
{
	char want[128], *body = NULL;
	size_t len;

	snprintf(want, sizeof(want), "%" PRIu64 ":%s", seq, text);
	assert_int_equal(mg_device_queue_read(q, seq, &body, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(body, want);
	free(body);
}

static void write_raw(const char *dir, const char *name, const char *text)
{
	char path[MG_PATH_MAX];
	FILE *fp;

	assert_int_equal(mg_device_path_join(path, sizeof(path), dir, name), 0);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
		uint64_t seq;
	} cases[] = {
		{ "00000000000000000001.json", 1, 1 },
		{ "18446744073709551615.json", 1, UINT64_MAX },
		{ "18446744073709551616.json", 0, 0 },	/* overflows */
		{ "0000000000000000001.json", 0, 0 },	/* 19 digits */
		{ "000000000000000000001.json", 0, 0 },	/* 21 digits */
		{ ".tmp-00000000000000000001.json", 0, 0 },
		{ "00000000000000000001.json.tmp", 0, 0 },
		{ "0000000000000000000a.json", 0, 0 },
		{ "00000000000000000001.error", 0, 0 },
		{ "-0000000000000000001.json", 0, 0 },
		{ "", 0, 0 },
	};
	char name[MG_DEVICE_SEQ_NAME_LEN + 1];
	uint64_t seq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = mg_device_queue_parse_name(cases[i].name, &seq);

		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_true(seq == cases[i].seq);
			assert_int_equal(mg_device_queue_file_name(seq, name, sizeof(name)), 0);
			assert_string_equal(name, cases[i].name);
		} else {
			assert_int_equal(r, MG_ERR_INVALID);
		}
	}
	/* Lexical order is numeric order. */
	assert_int_equal(mg_device_queue_file_name(9, name, sizeof(name)), 0);
	assert_true(strcmp(name, "00000000000000000010.json") < 0);
	assert_int_equal(mg_device_queue_file_name(1, name, opaque_size(10)), MG_ERR_LIMIT);
	assert_string_equal(name, "");
}

static void test_order_across_restarts(void **state)
{
	struct fixture *f = *state;
	struct mg_device_queue_list list;
	uint64_t seqs[8];
	char text[16];
	size_t i;

	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "m%zu", i);
		seqs[i] = add(&f->q, 0, text);
		if (i > 0)
			assert_true(seqs[i] > seqs[i - 1]);
	}
	/* A new process: nothing but the folder carries over. */
	mg_device_queue_close(&f->q);
	memset(&f->q, 0, sizeof(f->q));
	assert_int_equal(mg_device_queue_open(&f->q, f->dir), 0);
	for (i = 5; i < 8; i++) {
		snprintf(text, sizeof(text), "m%zu", i);
		seqs[i] = add(&f->q, 0, text);
		assert_true(seqs[i] > seqs[i - 1]);
	}
	assert_int_equal(mg_device_queue_list(&f->q, &list), 0);
	assert_int_equal(list.count, 8);
	for (i = 0; i < 8; i++) {
		assert_true(list.seq[i] == seqs[i]);
		snprintf(text, sizeof(text), "m%zu", i);
		expect_body(&f->q, list.seq[i], text);
	}
	mg_device_queue_list_free(&list);
	mg_device_queue_list_free(&list);	/* twice is harmless */
	/* Delivered ones leave; order of the rest stays. */
	assert_int_equal(mg_device_queue_remove(&f->q, seqs[0]), 0);
	assert_int_equal(mg_device_queue_remove(&f->q, seqs[0]), 0);	/* gone already */
	assert_int_equal(mg_device_queue_list(&f->q, &list), 0);
	assert_int_equal(list.count, 7);
	assert_true(list.seq[0] == seqs[1]);
	mg_device_queue_list_free(&list);
}

static void test_sequence_never_repeats(void **state)
{
	struct fixture *f = *state;
	char path[MG_PATH_MAX];
	uint64_t a, b, c, d, e;

	/* The clock is a floor: after a restore from an old copy the numbers
	 * still rise. */
	a = add(&f->q, 1000, "a");
	assert_true(a >= 1000 * 1000);
	b = add(&f->q, 0, "b");
	assert_true(b == a + 1);
	/* The sequence file lost: never below what the queue holds. */
	assert_int_equal(mg_device_path_join(path, sizeof(path), f->dir,
					     MG_DEVICE_SEQUENCE_FILE), 0);
	assert_int_equal(unlink(path), 0);
	c = add(&f->q, 0, "c");
	assert_true(c > b);
	/* Damaged, with the highest number only in rejected/. */
	assert_int_equal(mg_device_queue_reject(&f->q, c, "bad"), 0);
	assert_int_equal(mg_device_queue_remove(&f->q, a), 0);
	assert_int_equal(mg_device_queue_remove(&f->q, b), 0);
	write_raw(f->dir, MG_DEVICE_SEQUENCE_FILE, "12x\n");
	d = add(&f->q, 0, "d");
	assert_true(d > c);
	/* An old but intact sequence file loses to the queue's content. */
	write_raw(f->dir, MG_DEVICE_SEQUENCE_FILE, "5\n");
	e = add(&f->q, 0, "e");
	assert_true(e > d);
}

static void test_partial_files_never_listed(void **state)
{
	struct fixture *f = *state;
	struct mg_device_queue_list list;
	uint64_t seq;
	size_t queued, rejected;

	seq = add(&f->q, 0, "whole");
	/* What a crash mid-write leaves: a temporary file, half written. */
	write_raw(f->q.queue_dir, ".tmp-00000000000000000099.json", "{\"id\": \"half");
	write_raw(f->q.queue_dir, "notes.txt", "not ours");
	write_raw(f->q.queue_dir, "99.json", "{}");
	assert_int_equal(mg_device_queue_list(&f->q, &list), 0);
	assert_int_equal(list.count, 1);
	assert_true(list.seq[0] == seq);
	mg_device_queue_list_free(&list);
	assert_int_equal(mg_device_queue_count(&f->q, &queued, &rejected), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(rejected, 0);
	/* The next writer, holding the lock, clears leftovers. */
	add(&f->q, 0, "next");
	assert_false(mg_device_path_exists("/nonexistent/path"));
	{
		char path[MG_PATH_MAX];

		assert_int_equal(mg_device_path_join(path, sizeof(path), f->q.queue_dir,
						     ".tmp-00000000000000000099.json"), 0);
		assert_false(mg_device_path_exists(path));
	}
}

/* A body that says how long it is, so a cut one is recognised. */
static int sized_body(uint64_t seq, void *arg, char **body, size_t *len)
{
	uint64_t *rng = arg;
	size_t n, pad, i;
	char *b;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	pad = (size_t)(*rng % 40000);
	if ((b = malloc(pad + 64)) == NULL)
		return MG_ERR_NOMEM;
	n = (size_t)snprintf(b, 64, "%020" PRIu64 ":%08zu:", seq, pad);
	for (i = 0; i < pad; i++)
		b[n + i] = (char)('a' + (i % 26));
	memcpy(b + n + pad, "END", 3);
	*body = b;
	*len = n + pad + 3;
	return 0;
}

static void check_whole(struct mg_device_queue *q, uint64_t seq)
{
	char *body = NULL, head[32];
	size_t len, pad;

	assert_int_equal(mg_device_queue_read(q, seq, &body, &len), 0);
	assert_true(len >= 33);
	snprintf(head, sizeof(head), "%020" PRIu64 ":", seq);
	assert_memory_equal(body, head, 21);
	pad = (size_t)strtoul(body + 21, NULL, 10);
	assert_int_equal(len, 30 + pad + 3);
	assert_memory_equal(body + len - 3, "END", 3);
	free(body);
}

static size_t count_temp_files(const char *path)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, MG_DEVICE_TEMP_PREFIX, strlen(MG_DEVICE_TEMP_PREFIX)) == 0;
	closedir(d);
	return n;
}

/* Kill a writer at random instants; every listed file must be whole and the
 * sequence must keep rising. */
static void test_killed_writer_leaves_no_partial_file(void **state)
{
	struct fixture *f = *state;
	struct mg_device_queue_list list;
	uint64_t last = 0, rng = 88172645463325252ULL;	/* xorshift seed */
	size_t i, round, total = 0, temps = 0;
	int status;
	pid_t pid;

	for (round = 0; round < 25; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			uint64_t seed = rng + round * 7919, seq;

			for (;;)
				if (mg_device_queue_add(&f->q, 0, sized_body, &seed, &seq) != 0)
					_exit(1);
		}
		sleep_ms((long)(1 + round % 7));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		temps += count_temp_files(f->q.queue_dir);
		assert_int_equal(mg_device_queue_list(&f->q, &list), 0);
		for (i = 0; i < list.count; i++) {
			check_whole(&f->q, list.seq[i]);
			if (i > 0)
				assert_true(list.seq[i] > list.seq[i - 1]);
		}
		if (list.count > 0)
			assert_true(list.seq[list.count - 1] >= last);
		/* New numbers after a crash are above everything before it. */
		if (list.count > 0)
			last = list.seq[list.count - 1];
		total = list.count;
		mg_device_queue_list_free(&list);
		{
			uint64_t seed = round + 1, seq = 0;

			assert_int_equal(mg_device_queue_add(&f->q, 0, sized_body, &seed, &seq), 0);
			assert_true(seq > last);
			last = seq;
		}
	}
	/* temps > 0 shows the kill hit mid-write at least once. */
	print_message("  %zu whole files, %zu cut writes left behind, 25 killed writers\n",
		      total, temps);
}

static void test_reject(void **state)
{
	struct fixture *f = *state;
	struct mg_device_queue_list list;
	char path[MG_PATH_MAX], name[64], *text = NULL;
	uint64_t a, b, c;
	size_t len, queued, rejected;

	a = add(&f->q, 0, "a");
	b = add(&f->q, 0, "b");
	c = add(&f->q, 0, "c");
	assert_int_equal(mg_device_queue_reject(&f->q, b, "values[0]: bad\nsecond line\x1b[31m"), 0);
	assert_int_equal(mg_device_queue_list(&f->q, &list), 0);
	assert_int_equal(list.count, 2);
	assert_true(list.seq[0] == a && list.seq[1] == c);
	mg_device_queue_list_free(&list);
	assert_int_equal(mg_device_queue_count(&f->q, &queued, &rejected), 0);
	assert_int_equal(queued, 2);
	assert_int_equal(rejected, 1);
	/* The measurement, unchanged, and its reason as one plain line. */
	assert_int_equal(mg_device_queue_file_name(b, name, sizeof(name)), 0);
	assert_int_equal(mg_device_path_join(path, sizeof(path), f->q.rejected_dir, name), 0);
	assert_int_equal(mg_device_file_read(path, 1024, &text, &len), 0);
	snprintf(name, sizeof(name), "%" PRIu64 ":b", b);
	assert_string_equal(text, name);
	free(text);
	snprintf(name, sizeof(name), "%020" PRIu64 ".error", b);
	assert_int_equal(mg_device_path_join(path, sizeof(path), f->q.rejected_dir, name), 0);
	assert_int_equal(mg_device_file_read(path, 4096, &text, &len), 0);
	assert_string_equal(text, "values[0]: bad second line [31m\n");
	free(text);
	/* Rejecting what is not queued changes nothing. */
	assert_int_equal(mg_device_queue_reject(&f->q, 12345, "x"), MG_ERR_NOT_FOUND);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct body_spec big = { NULL, MG_DEVICE_QUEUE_FILE_MAX + 1, 0 };
	struct body_spec max = { NULL, MG_DEVICE_QUEUE_FILE_MAX, 0 };
	struct body_spec failing = { NULL, 0, MG_ERR_INVALID };
	struct mg_device_queue q2;
	char longdir[MG_PATH_MAX + 16], name[64], *body = NULL;
	uint64_t seq = 7;
	size_t len, queued;

	assert_int_equal(mg_device_queue_add(&f->q, 0, test_body, &big, &seq), MG_ERR_LIMIT);
	assert_true(seq == 0);
	assert_int_equal(mg_device_queue_add(&f->q, 0, test_body, &failing, &seq), MG_ERR_INVALID);
	assert_int_equal(mg_device_queue_count(&f->q, &queued, NULL), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(mg_device_queue_add(&f->q, 0, test_body, &max, &seq), 0);
	assert_int_equal(mg_device_queue_read(&f->q, seq, &body, &len), 0);
	assert_int_equal(len, MG_DEVICE_QUEUE_FILE_MAX);
	free(body);
	/* A file grown past the cap by someone else is refused when read. */
	assert_int_equal(mg_device_queue_file_name(seq + 1, name, sizeof(name)), 0);
	{
		char path[MG_PATH_MAX];
		FILE *fp;

		assert_int_equal(mg_device_path_join(path, sizeof(path), f->q.queue_dir, name), 0);
		assert_non_null(fp = fopen(path, "w"));
		for (len = 0; len <= MG_DEVICE_QUEUE_FILE_MAX; len++)
			fputc('x', fp);
		fclose(fp);
	}
	assert_int_equal(mg_device_queue_read(&f->q, seq + 1, &body, &len), MG_ERR_LIMIT);
	assert_null(body);
	assert_int_equal(mg_device_queue_read(&f->q, seq + 2, &body, &len), MG_ERR_NOT_FOUND);
	/* Paths that do not fit are refused, not cut. */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(mg_device_queue_open(&q2, longdir), MG_ERR_LIMIT);
	longdir[MG_PATH_MAX - 8] = '\0';
	assert_int_equal(mg_device_queue_open(&q2, longdir), MG_ERR_LIMIT);
}

static void test_delivery_lock(void **state)
{
	struct fixture *f = *state;
	struct mg_device_queue other;

	assert_int_equal(mg_device_queue_open(&other, f->dir), 0);
	assert_int_equal(mg_device_queue_lock_delivery(&f->q, 0), 0);
	assert_int_equal(mg_device_queue_lock_delivery(&f->q, 0), 0);	/* held: no-op */
	assert_int_equal(mg_device_queue_lock_delivery(&other, 0), MG_ERR_BUSY);
	assert_int_equal(mg_device_queue_lock_delivery(&other, 120), MG_ERR_BUSY);
	mg_device_queue_unlock_delivery(&f->q);
	mg_device_queue_unlock_delivery(&f->q);	/* not held: no-op */
	assert_int_equal(mg_device_queue_lock_delivery(&other, 0), 0);
	mg_device_queue_close(&other);
}

static void test_file_write_replaces_whole(void **state)
{
	struct fixture *f = *state;
	char path[MG_PATH_MAX], *text = NULL;
	size_t len;

	assert_int_equal(mg_device_file_write(f->dir, "config", "one\n", 4, 0600), 0);
	assert_int_equal(mg_device_file_write(f->dir, "config", "two!\n", 5, 0600), 0);
	assert_int_equal(mg_device_path_join(path, sizeof(path), f->dir, "config"), 0);
	assert_int_equal(mg_device_file_read(path, 100, &text, &len), 0);
	assert_string_equal(text, "two!\n");
	free(text);
	assert_int_equal(mg_device_file_read(path, 4, &text, &len), MG_ERR_LIMIT);
	assert_int_equal(mg_device_file_write_new(f->dir, "config", "x", 1, 0600), MG_ERR_EXISTS);
	assert_int_equal(mg_device_file_read(path, 100, &text, &len), 0);
	assert_string_equal(text, "two!\n");
	free(text);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	/* A symlink is not followed when reading. */
	assert_int_equal(mg_device_path_join(path, sizeof(path), f->dir, "link"), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_int_equal(mg_device_file_read(path, 100, &text, &len), MG_ERR_INVALID);
	assert_int_equal(mg_device_dir_make(path), MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_order_across_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_never_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_files_never_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_writer_leaves_no_partial_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_write_replaces_whole, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
