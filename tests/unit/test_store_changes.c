/* Changes to review in the store, on both back ends (store_fixture.h):
 * which audit records are changes, paging newest first, the unreviewed
 * count, a review written once, and the list of change actions kept the
 * same in C and in SQL (model/review.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/review.h"
#include "store_fixture.h"

static int no_hash(void *arg, struct mg_audit_record *rec)
{
	(void)arg;
	memset(rec->hash, 7, sizeof(rec->hash));
	return 0;
}

/* Append one record; returns its seq. */
static int64_t record(struct store_fixture *f, const char *action, const char *outcome)
{
	struct mg_audit_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.time_ms = STORE_T0;
	snprintf(rec.actor, sizeof(rec.actor), "alice");
	snprintf(rec.action, sizeof(rec.action), "%s", action);
	snprintf(rec.object, sizeof(rec.object), "device:1");
	snprintf(rec.outcome, sizeof(rec.outcome), "%s", outcome);
	snprintf(rec.details, sizeof(rec.details), "{}");
	assert_int_equal(mg_store_audit_append(f->store, &rec, no_hash, NULL), 0);
	return rec.seq;
}

struct page {
	size_t n;
	int64_t seq[8];
	struct mg_change_entry last;
};

static int collect(const struct mg_change_entry *c, void *arg)
{
	struct page *p = arg;

	if (p->n < 8)
		p->seq[p->n] = c->seq;
	p->n++;
	p->last = *c;
	return 0;
}

static struct page list(struct store_fixture *f, enum mg_change_state state, int64_t before,
			unsigned limit)
{
	struct mg_change_filter flt = { .state = state, .before_seq = before, .limit = limit };
	struct page p = { 0 };

	assert_int_equal(mg_store_change_list(f->store, &flt, collect, &p), 0);
	return p;
}

static int64_t unreviewed(struct store_fixture *f)
{
	int64_t n = -1;

	assert_int_equal(mg_store_change_count(f->store, &n), 0);
	return n;
}

static void test_changes_list_and_review(void **state)
{
	struct store_fixture *f = *state;
	int64_t enrol = record(f, "device.enrol", "success");
	int64_t login = record(f, "login.success", "success");
	int64_t denied = record(f, "device.enrol", "denied");
	int64_t sw = record(f, "interface.switch", "success");
	int64_t conf = record(f, "config.file", "success");
	struct page p;
	char note[MG_CHANGE_NOTE_MAX + 2];

	(void)login;
	assert_int_equal(unreviewed(f), 3);
	p = list(f, MG_CHANGES_UNREVIEWED, 0, 10);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.seq[0], conf);
	assert_int_equal(p.seq[1], sw);
	assert_int_equal(p.seq[2], enrol);
	assert_string_equal(p.last.action, "device.enrol");
	assert_string_equal(p.last.actor, "alice");
	assert_false(p.last.reviewed);
	/* Paging: two, then the rest before the last seq seen. */
	p = list(f, MG_CHANGES_UNREVIEWED, 0, 2);
	assert_int_equal(p.n, 2);
	p = list(f, MG_CHANGES_UNREVIEWED, p.seq[1], 2);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.seq[0], enrol);

	/* A review, once; what is no change cannot be reviewed. */
	assert_int_equal(mg_store_change_review(f->store, sw, "sec", STORE_T0 + 5, "as planned"), 0);
	assert_int_equal(mg_store_change_review(f->store, sw, "sec2", STORE_T0 + 6, ""),
			 MG_ERR_EXISTS);
	assert_int_equal(mg_store_change_review(f->store, login, "sec", STORE_T0, ""),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_change_review(f->store, denied, "sec", STORE_T0, ""),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_change_review(f->store, 999, "sec", STORE_T0, ""),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(unreviewed(f), 2);
	p = list(f, MG_CHANGES_REVIEWED, 0, 10);
	assert_int_equal(p.n, 1);
	assert_true(p.last.reviewed);
	assert_string_equal(p.last.reviewer, "sec");
	assert_string_equal(p.last.note, "as planned");
	assert_int_equal(p.last.reviewed_ms, STORE_T0 + 5);
	assert_int_equal(list(f, MG_CHANGES_UNREVIEWED, 0, 10).n, 2);

	/* Bad calls change nothing. */
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	assert_int_equal(mg_store_change_review(f->store, enrol, "sec", STORE_T0, note),
			 MG_ERR_LIMIT);
	assert_int_equal(mg_store_change_review(f->store, enrol, "", STORE_T0, ""), MG_ERR_INVALID);
	assert_int_equal(mg_store_change_review(f->store, 0, "sec", STORE_T0, ""), MG_ERR_INVALID);
	assert_int_equal(mg_store_change_list(f->store, &(struct mg_change_filter){ .limit = 0 },
					      collect, &p), MG_ERR_INVALID);
	assert_int_equal(mg_store_change_list(f->store,
					      &(struct mg_change_filter){ .limit = MG_CHANGE_PAGE_MAX + 1 },
					      collect, &p), MG_ERR_LIMIT);
	assert_int_equal(unreviewed(f), 2);
}

/* Every action the C list knows is a change in SQL too, and the reverse:
 * one record of each, and the count agrees with the C answer. */
static void test_changes_actions_agree(void **state)
{
	struct store_fixture *f = *state;
	static const char *const probe[] = {
		"device.enrol", "device.update", "device.block", "device.revoke", "device.firmware_changed",
		"interface.switch", "config.change", "config.file", "user.create", "user.update",
		"user.delete", "user.totp_remove", "tenant.create", "tenant.delete",
		"tenant.member_add", "tenant.member_remove", "tenant.member_confirm",
		"backup.restore", "maintenance.grant", "login.success", "patient.read", "audit.export", "device.refused",
		"tenant.member_suspend", "session.logout", "maintenance.request",
	};
	int64_t expected = 0;
	enum mg_change_state st;

	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		record(f, probe[i], "success");
		expected += mg_change_action(probe[i]);
	}
	assert_int_equal(expected, 19);
	assert_int_equal(unreviewed(f), expected);
	assert_int_equal(mg_change_state_parse("reviewed", &st), 0);
	assert_int_equal(st, MG_CHANGES_REVIEWED);
	assert_int_equal(mg_change_state_parse("all", &st), MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes_list_and_review, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_changes_actions_agree, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
