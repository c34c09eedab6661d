/* Listening sockets and dropping root privileges (bind first, then drop). */
#ifndef MG_COMMON_PRIVILEGES_H
#define MG_COMMON_PRIVILEGES_H

#include <stddef.h>

/* Bind and listen on address:port (address "" = every IPv6 and IPv4
 * address). *fd_out is a non-blocking, close-on-exec socket. Returns 0 or
 * MG_ERR_IO with the reason in err. */
int mg_listen_tcp(const char *address, unsigned port, int *fd_out, char *err, size_t errlen);

/* Close and reopen a listening socket without giving up its address: a
 * closed one refuses every connection attempt (and drops those waiting to
 * be accepted) but keeps its port bound, so it can listen again after
 * root has been dropped. On Linux a connect() to AF_UNSPEC takes a socket
 * out of the listening state. Both return 0 or MG_ERR_IO (errno set). */
int mg_listen_close(int fd);
int mg_listen_reopen(int fd);

/* If running as root: switch groups, gid and uid to user for good, and
 * check that root cannot be regained. Returns 0, or < 0 with the reason in
 * err. Not root: does nothing and returns 0. */
int mg_privileges_drop(const char *user, char *err, size_t errlen);

#endif
