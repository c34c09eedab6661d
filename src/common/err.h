/* One error convention for all of medgate: 0 on success or a negative
 * MG_ERR_* value. mg_strerror() names an error for people. */
#ifndef MG_COMMON_ERR_H
#define MG_COMMON_ERR_H

enum mg_err {
	MG_OK = 0,
	MG_ERR_NOMEM = -1,	/* allocation failed */
	MG_ERR_INVALID = -2,	/* input does not follow its format or rules */
	MG_ERR_IO = -3,		/* file or socket I/O failed */
	MG_ERR_NOT_FOUND = -4,	/* no such object */
	MG_ERR_EXISTS = -5,	/* object exists already */
	MG_ERR_LIMIT = -6,	/* a named limit would be exceeded */
	MG_ERR_CRYPTO = -7,	/* a cryptographic operation failed */
	MG_ERR_STORE = -8,	/* the store failed */
	MG_ERR_AGAIN = -9,	/* incomplete; try again with more input */
	MG_ERR_DENIED = -10,	/* not allowed */
	MG_ERR_EXPIRED = -11,	/* token, certificate or session expired */
	MG_ERR_TLS = -12,	/* TLS or X.509 operation failed */
	MG_ERR_CONFIG = -13,	/* configuration is wrong */
	MG_ERR_BUSY = -14,	/* resource busy; retry later */
	MG_ERR_UNAVAILABLE = -15, /* a peer cannot be reached */
	MG_ERR_RANGE = -16,	/* a measured value outside its plausible range */
	MG_ERR_CONFLICT = -17,	/* conflicts with a rule (roles held together, state) */
};

/* A short English description of err; never NULL. */
const char *mg_strerror(int err);

#endif
