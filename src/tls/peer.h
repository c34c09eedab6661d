/* The per-connection check of a device's client certificate. */
#ifndef MG_TLS_PEER_H
#define MG_TLS_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "tls/ca.h"

/* Verify the client certificate of an established server-side session
 * against the trust list of its credentials (the device CA): chain,
 * validity period, clientAuth EKU, and for TLS 1.2 the extended master
 * secret. On success fills fingerprint (lowercase hex SHA-256 of the DER,
 * the device's identity) and *not_after_ms (Unix ms). Returns 0,
 * MG_ERR_DENIED (no certificate, another CA, wrong purpose, ...),
 * MG_ERR_EXPIRED, or MG_ERR_TLS; on failure a short reason for logs and
 * answers ("no client certificate", "certificate expired", ...) is written
 * to reason (truncated to reasonlen; reason may be NULL). */
int mg_tls_peer_verify(gnutls_session_t session, char fingerprint[MG_CERT_FINGERPRINT_LEN],
		       int64_t *not_after_ms, char *reason, size_t reasonlen);

#endif
