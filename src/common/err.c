#include "common/err.h"

const char *mg_strerror(int err)
{
	switch (err) {
	case MG_OK: return "success";
	case MG_ERR_NOMEM: return "out of memory";
	case MG_ERR_INVALID: return "invalid input";
	case MG_ERR_IO: return "input/output error";
	case MG_ERR_NOT_FOUND: return "not found";
	case MG_ERR_EXISTS: return "already exists";
	case MG_ERR_LIMIT: return "limit exceeded";
	case MG_ERR_CRYPTO: return "cryptographic operation failed";
	case MG_ERR_STORE: return "store error";
	case MG_ERR_AGAIN: return "incomplete, try again";
	case MG_ERR_DENIED: return "permission denied";
	case MG_ERR_EXPIRED: return "expired";
	case MG_ERR_TLS: return "TLS error";
	case MG_ERR_CONFIG: return "configuration error";
	case MG_ERR_BUSY: return "busy";
	case MG_ERR_UNAVAILABLE: return "unavailable";
	case MG_ERR_RANGE: return "value out of plausible range";
	case MG_ERR_CONFLICT: return "conflicting roles or state";
	}
	return "unknown error";
}
