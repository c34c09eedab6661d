/* TLS profiles. "NONE" first, then everything named: a GnuTLS upgrade or a
 * system-wide default can never add an algorithm behind our back. The
 * strings are checked by tests/unit/test_tls.c (they parse, they offer what
 * they should and nothing else) and by gnutls-cli --priority ... --list. */
#include "tls/profile.h"

#include <string.h>

/* Handshake signatures: ECDSA and RSA-PSS with SHA-2 of 256 bits or more;
 * RSA PKCS#1 v1.5 with SHA-2 for TLS 1.2 devices with RSA keys (GnuTLS never
 * uses it for TLS 1.3 handshake signatures). GnuTLS needs both spellings of
 * ECDSA: SECPxxxR1-SHAxxx for TLS 1.3, ECDSA-SHAxxx for TLS 1.2 (one code
 * point on the wire, as in GnuTLS's own NORMAL). */
#define PROFILE_SIGNATURES \
	"+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384:" \
	"+SIGN-ECDSA-SECP521R1-SHA512:" \
	"+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512:" \
	"+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512:" \
	"+SIGN-RSA-PSS-SHA256:+SIGN-RSA-PSS-SHA384:+SIGN-RSA-PSS-SHA512:" \
	"+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512"

/* Common to both: TLS 1.3 and 1.2 only, ECDHE only, AEAD only, no
 * compression, X.509 only; safe renegotiation (RFC 5746) required; peer
 * certificates verified at the 112-bit level (RSA >= 2048, SHA-256);
 * no session tickets (devices do not resume, and issuing a ticket costs a
 * third of a handshake, DESIGN.md section 7). The extended master secret
 * (RFC 7627) is always offered and accepted by GnuTLS 3.7; it cannot be
 * required in a priority string there (3.8 has only the system-wide
 * tls-session-hash setting), so mg_tls_session_profile makes every session
 * abort a TLS 1.2 handshake without it. */
#define PROFILE_COMMON \
	"+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-ECDSA:+ECDHE-RSA:+AEAD:" \
	"+COMP-NULL:+CTYPE-X509:" PROFILE_SIGNATURES ":" \
	"%SAFE_RENEGOTIATION:%PROFILE_MEDIUM:%NO_TICKETS"

struct profile {
	const char *name;
	const char *priorities;
};

static const struct profile profiles[] = {
	/* BSI TR-02102-2: AES-GCM, NIST curves P-256 and P-384, server's
	 * preference order (faster P-256 and AES-128 first). */
	{ "bsi",
	  "NONE:+AES-128-GCM:+AES-256-GCM:+GROUP-SECP256R1:+GROUP-SECP384R1:"
	  PROFILE_COMMON ":%SERVER_PRECEDENCE" },
	/* Mozilla "intermediate" (v5.7) without finite-field DHE: adds
	 * ChaCha20-Poly1305 and X25519; the client's order wins, as there. */
	{ "mozilla-intermediate",
	  "NONE:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
	  "+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" PROFILE_COMMON },
};

static const char *const profile_names[] = { "bsi", "mozilla-intermediate", NULL };

const char *mg_tls_priorities(const char *profile)
{
	size_t i;

	if (profile == NULL)
		profile = MG_TLS_PROFILE_DEFAULT;
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, profile) == 0)
			return profiles[i].priorities;
	return NULL;
}

/* After the ServerHello is sent (server) or received (client) both the
 * version and whether the extended master secret was agreed are known. */
static int require_ems(gnutls_session_t session, unsigned int htype, unsigned when,
		       unsigned int incoming, const gnutls_datum_t *msg)
{
	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	if (gnutls_protocol_get_version(session) == GNUTLS_TLS1_2 &&
	    !gnutls_session_ext_master_secret_status(session))
		return GNUTLS_E_INSUFFICIENT_SECURITY;
	return 0;
}

void mg_tls_session_profile(gnutls_session_t session)
{
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_SERVER_HELLO,
					   GNUTLS_HOOK_POST, require_ems);
}

const char *const *mg_tls_profile_names(void)
{
	return profile_names;
}

int mg_tls_profile_describe(const char *profile, mg_tls_name_cb version, mg_tls_name_cb suite,
			    void *arg)
{
	const char *prio = mg_tls_priorities(profile), *name;
	gnutls_priority_t p;
	const unsigned *protos;
	unsigned idx;
	int n, r = 0;

	if (prio == NULL || gnutls_priority_init(&p, prio, NULL) != GNUTLS_E_SUCCESS)
		return -1;
	n = gnutls_priority_protocol_list(p, &protos);
	for (int i = 0; r == 0 && i < n; i++) {
		if ((name = gnutls_protocol_get_name((gnutls_protocol_t)protos[i])) != NULL)
			r = version(name, arg);
	}
	for (unsigned i = 0; r == 0; i++) {
		int rc = gnutls_priority_get_cipher_suite_index(p, i, &idx);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc != GNUTLS_E_SUCCESS)
			continue;
		if ((name = gnutls_cipher_suite_info(idx, NULL, NULL, NULL, NULL, NULL)) != NULL)
			r = suite(name, arg);
	}
	gnutls_priority_deinit(p);
	return r;
}
