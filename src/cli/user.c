/* medgatectl user: accounts from a shell (add, list, disable, enable,
 * reset-password, unlock), and the API route table. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/password.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/timefmt.h"
#include "crypto/password.h"
#include "web/api.h"

#define PASSWORD_FILE_MAX 8192

static int user_usage(void)
{
	fprintf(stderr,
		"usage: medgatectl user add NAME --role ROLE [--role ...] [--tenant T ...]\n"
		"                      --password-file F [--email ADDRESS] [--display-name TEXT]\n"
		"       medgatectl user list\n"
		"       medgatectl user disable|enable|unlock NAME\n"
		"       medgatectl user reset-password NAME --password-file F\n"
		"roles: clinician, admin, tenant-admin, device-admin, service, security-officer\n");
	return 2;
}

/* Check the password read from a file (text, len) against the policy for
 * account name; hash it into hash. Prints the reason on failure. */
static int password_check_hash(struct cli *cli, const char *text, size_t len, const char *name,
			       char *hash, size_t hashlen)
{
	struct mg_password_policy policy;
	char why[128];
	int r;

	mg_password_policy_from_config(&cli->cfg, &policy);
	if ((r = mg_password_check(&policy, name, text, len, why, sizeof(why))) != 0)
		fprintf(stderr, "medgatectl: password refused: %s\n", why);
	else if ((r = mg_password_hash(text, len, hash, hashlen)) != 0)
		fprintf(stderr, "medgatectl: cannot hash the password\n");
	return r;
}

static void password_free(char *text, size_t len)
{
	if (text != NULL)
		sodium_memzero(text, len);
	free(text);
}

static int user_add(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "tenant", required_argument, NULL, 't' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "email", required_argument, NULL, 'e' },
		{ "display-name", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tenant_names[MG_USER_TENANTS_MAX], *file = NULL;
	char hash[MG_PASSWORD_HASH_MAX];
	struct mg_user_new u;
	int64_t tenants[MG_USER_TENANTS_MAX], id;
	size_t ntenants = 0, len = 0;
	char *text = NULL, details[MG_NAME_MAX + 48];
	unsigned role;
	int opt, r;

	memset(&u, 0, sizeof(u));
	u.display_name = u.email = "";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (mg_role_parse(optarg, &role) != 0) {
				fprintf(stderr, "medgatectl: unknown role %s\n", optarg);
				return 2;
			}
			u.roles |= role;
			break;
		case 't':
			if (ntenants == MG_USER_TENANTS_MAX)
				return user_usage();
			tenant_names[ntenants++] = optarg;
			break;
		case 'p': file = optarg; break;
		case 'e': u.email = optarg; break;
		case 'd': u.display_name = optarg; break;
		default: return user_usage();
		}
	}
	if (optind + 1 != argc || u.roles == 0 || file == NULL)
		return user_usage();
	if (mg_roles_conflict(u.roles) != NULL) {
		fprintf(stderr, "medgatectl: roles conflict: %s (separation of duties: a clinician "
			"holds no administrative role, and admin and tenant-admin are two people)\n",
			mg_roles_conflict(u.roles));
		return 2;
	}
	u.name = argv[optind];
	if (strlen(u.name) == 0 || strlen(u.name) > MG_NAME_MAX ||
	    strspn(u.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") !=
		    strlen(u.name)) {
		fprintf(stderr, "medgatectl: user name: 1 to %d letters, digits and . _ - @\n",
			MG_NAME_MAX);
		return 2;
	}
	/* Read while still the caller (root may switch accounts in cli_open). */
	if (cli_file_read(file, PASSWORD_FILE_MAX, &text, &len) != 0)
		return 1;
	r = cli_open(cli, true);
	for (size_t i = 0; r == 0 && i < ntenants; i++)
		r = cli_tenant_id(cli, tenant_names[i], &tenants[i]);
	if (r == 0)
		r = password_check_hash(cli, text, len, u.name, hash, sizeof(hash));
	password_free(text, len);
	if (r != 0)
		return 1;
	u.password_hash = hash;
	u.must_change_password = true;
	u.tenants = tenants;
	u.ntenants = ntenants;
	/* The name is checked above: letters, digits and . _ - @ only. */
	snprintf(details, sizeof(details), "{\"name\":\"%s\",\"roles\":%u}", u.name, u.roles);
	/* Recorded first: an account the trail cannot account for is not made. */
	if ((r = cli_record(cli, "user.create", NULL, 0, 0, MG_AUDIT_SUCCESS, details)) == 0 &&
	    (r = mg_store_user_create(cli->store, &u, &id)) != 0) {
		fprintf(stderr, "medgatectl: cannot create %s: %s\n", u.name,
			r == MG_ERR_EXISTS ? "an account of this name exists" : mg_strerror(r));
		cli_record(cli, "user.create", NULL, 0, 0, MG_AUDIT_FAILURE, details);
	}
	sodium_memzero(hash, sizeof(hash));
	if (r != 0)
		return 1;
	printf("account %s created (id %lld); the password must be changed at first sign-in\n",
	       u.name, (long long)id);
	if (u.roles & MG_ROLE_SERVICE)
		printf("service account %s: it signs in, but without a maintenance grant it can "
		       "do nothing but ask for one (Maintenance page, POST /api/v1/maintenance); "
		       "a local administrator grants it for a time and a scope (web interface, "
		       "or medgatectl maintenance grant --request ID), and can end it at once "
		       "(maintenance revoke). Every step is audited.\n", u.name);
	return 0;
}

static int print_user(const struct mg_user *u, void *arg)
{
	char roles[96] = "", tenants[128] = "";
	size_t n = 0, m = 0;

	(void)arg;
	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if ((u->roles & mg_role_at(i)) && n < sizeof(roles))
			n += (size_t)snprintf(roles + n, sizeof(roles) - n, "%s%s", n ? "," : "",
					      mg_role_name(mg_role_at(i)));
	}
	for (size_t i = 0; i < u->ntenants && m < sizeof(tenants); i++)
		m += (size_t)snprintf(tenants + m, sizeof(tenants) - m, "%s%lld", m ? "," : "",
				      (long long)u->tenants[i]);
	printf("%-6lld %-20s %-9s %-4s %-6s %-36s %s\n", (long long)u->id, u->name,
	       u->disabled ? "disabled" : u->locked_until_ms > mg_now_ms() ? "locked" : "active",
	       u->totp_len ? "yes" : "no", u->must_change_password ? "yes" : "no", roles,
	       tenants[0] ? tenants : "-");
	return 0;
}

static int user_list(struct cli *cli, int argc)
{
	int r;

	if (argc != 1)
		return user_usage();
	if (cli_open(cli, false) != 0)
		return 1;
	printf("%-6s %-20s %-9s %-4s %-6s %-36s %s\n", "ID", "NAME", "STATE", "2FA", "CHANGE",
	       "ROLES", "TENANTS");
	if ((r = mg_store_user_list(cli->store, print_user, NULL)) != 0) {
		fprintf(stderr, "medgatectl: cannot list accounts: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

static int user_change(struct cli *cli, int argc, char **argv)
{
	const char *what = argv[0];
	const char *action = strcmp(what, "disable") == 0 || strcmp(what, "enable") == 0
				     ? "user.update"
			     : strcmp(what, "unlock") == 0 ? "user.unlock" : "user.password_reset";
	const char *details = strcmp(what, "disable") == 0  ? "{\"disabled\":true}"
			      : strcmp(what, "enable") == 0 ? "{\"disabled\":false}" : NULL;
	char hash[MG_PASSWORD_HASH_MAX] = "", *text = NULL;
	size_t len = 0;
	struct mg_user u;
	int r;

	if (strcmp(what, "reset-password") == 0 ?
		    (argc != 4 || strcmp(argv[2], "--password-file") != 0) : argc != 2)
		return user_usage();
	if (argc == 4 && cli_file_read(argv[3], PASSWORD_FILE_MAX, &text, &len) != 0)
		return 1;
	if (cli_open(cli, true) != 0) {
		password_free(text, len);
		return 1;
	}
	if ((r = mg_store_user_by_name(cli->store, argv[1], &u)) != 0) {
		password_free(text, len);
		fprintf(stderr, "medgatectl: %s: %s\n", argv[1],
			r == MG_ERR_NOT_FOUND ? "no such account" : mg_strerror(r));
		return 1;
	}
	if (strcmp(what, "reset-password") == 0) {
		r = password_check_hash(cli, text, len, u.name, hash, sizeof(hash));
		password_free(text, len);
		if (r != 0)
			return 1;
	}
	/* Recorded first: an action the trail cannot hold does not happen. */
	if (cli_record(cli, action, "user", u.id, 0, MG_AUDIT_SUCCESS, details) != 0) {
		sodium_memzero(hash, sizeof(hash));
		return 1;
	}
	if (strcmp(what, "disable") == 0 || strcmp(what, "enable") == 0) {
		r = mg_store_user_update_profile(cli->store, u.id, u.display_name, u.email,
						    strcmp(what, "disable") == 0);
		if (r == 0 && strcmp(what, "disable") == 0)
			r = mg_store_session_delete_user(cli->store, u.id);
	} else if (strcmp(what, "unlock") == 0) {
		if ((r = mg_store_user_set_lock(cli->store, u.id, 0, 0)) == 0)
			r = mg_store_user_login_succeeded(cli->store, u.id);
	} else {
		r = mg_store_user_set_password(cli->store, u.id, hash, true, mg_now_ms());
		sodium_memzero(hash, sizeof(hash));
		if (r == 0)
			r = mg_store_session_delete_user(cli->store, u.id);
	}
	if (r != 0) {
		fprintf(stderr, "medgatectl: %s %s: %s\n", what, u.name, mg_strerror(r));
		cli_record(cli, action, "user", u.id, 0, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("account %s: %s done\n", u.name, what);
	return 0;
}

int cli_user(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return user_usage();
	if (strcmp(argv[1], "add") == 0)
		return user_add(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return user_list(cli, argc - 1);
	if (strcmp(argv[1], "disable") == 0 || strcmp(argv[1], "enable") == 0 ||
	    strcmp(argv[1], "unlock") == 0 || strcmp(argv[1], "reset-password") == 0)
		return user_change(cli, argc - 1, argv + 1);
	return user_usage();
}

int cli_api_routes(struct cli *cli, int argc, char **argv)
{
	size_t n;
	const struct mg_route *routes = mg_api_routes(&n);

	(void)cli;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: medgatectl api-routes\n");
		return 2;
	}
	/* One line per route: method, path, action, roles needed. */
	for (size_t i = 0; i < n; i++)
		printf("%s %s %s %s\n", mg_http_method_name(routes[i].method), routes[i].pattern,
		       mg_action_name(routes[i].action), mg_action_roles(routes[i].action));
	return 0;
}
