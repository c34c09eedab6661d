#include "common/privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"

int mg_listen_tcp(const char *address, unsigned port, int *fd_out, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char service[8];
	int fd = -1, on = 1, off = 0, rc;

	*fd_out = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = address[0] ? AF_UNSPEC : AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(service, sizeof(service), "%u", port);
	if ((rc = getaddrinfo(address[0] ? address : NULL, service, &hints, &ai)) != 0) {
		snprintf(err, errlen, "address %s: %s", address, gai_strerror(rc));
		return MG_ERR_CONFIG;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Every address ("" or "::") serves IPv4 clients too, as mapped addresses. */
	if (ai->ai_family == AF_INET6 && (address[0] == '\0' || strcmp(address, "::") == 0))
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0)
		goto fail;
	freeaddrinfo(ai);
	*fd_out = fd;
	return 0;
fail:
	snprintf(err, errlen, "port %u%s%s: %s", port, address[0] ? " on " : "", address,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return MG_ERR_IO;
}

int mg_listen_close(int fd)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	return connect(fd, &sa, sizeof(sa)) == 0 ? 0 : MG_ERR_IO;
}

int mg_listen_reopen(int fd)
{
	return listen(fd, SOMAXCONN) == 0 ? 0 : MG_ERR_IO;
}

int mg_privileges_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "running as root needs [instance] user, the account to "
				      "switch to after binding");
		return MG_ERR_CONFIG;
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "[instance] user %s: no such account", user);
		return MG_ERR_CONFIG;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "[instance] user %s is root; name an unprivileged account",
			 user);
		return MG_ERR_CONFIG;
	}
	if (setgroups(1, &pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot switch to user %s: %s", user, strerror(errno));
		return MG_ERR_DENIED;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "root privileges could be regained after the switch");
		return MG_ERR_DENIED;
	}
	/* Libraries look for the account's files under HOME (libpq: its
	 * ~/.postgresql/ certificates and ~/.pgpass); root's home is closed
	 * to the account, which libpq treats as an error, not as "none". */
	if (setenv("HOME", pw->pw_dir, 1) != 0) {
		snprintf(err, errlen, "cannot set HOME for user %s", user);
		return MG_ERR_NOMEM;
	}
	return 0;
}
