/* Named TLS profiles, each one GnuTLS priority string, shared by every TLS
 * endpoint (device HTTPS, web, MLLP, forwarders). docs/internals/tls.md
 * explains what each allows and why. */
#ifndef MG_TLS_PROFILE_H
#define MG_TLS_PROFILE_H

#include <gnutls/gnutls.h>

#define MG_TLS_PROFILE_DEFAULT "bsi"

/* The GnuTLS priority string of a named profile: "bsi" (BSI TR-02102-2:
 * TLS 1.2/1.3, ECDHE with AES-GCM, groups P-256/P-384) or
 * "mozilla-intermediate" (adds ChaCha20-Poly1305 and X25519). NULL profile
 * means the default. Returns a static string, or NULL for an unknown name. */
const char *mg_tls_priorities(const char *profile);

/* The part of the profile a priority string cannot say in GnuTLS 3.7:
 * a TLS 1.2 handshake without the extended master secret (RFC 7627) is
 * aborted once the hello messages are exchanged. Call it on every session
 * (server or client) right after gnutls_init, before the handshake. */
void mg_tls_session_profile(gnutls_session_t session);

/* The profile names, NULL-terminated, for help texts and config checks. */
const char *const *mg_tls_profile_names(void);

/* What a profile allows, as GnuTLS reads its priority string: each TLS
 * version ("TLS1.3"), then each cipher suite ("TLS_AES_128_GCM_SHA256",
 * "TLS_ECDHE_ECDSA_AES_128_GCM_SHA256"), in the profile's order, to the
 * callbacks (a non-zero answer stops and is returned). Returns 0, or -1
 * for an unknown profile. For the security sheet (docs/security-sheet.md). */
typedef int (*mg_tls_name_cb)(const char *name, void *arg);
int mg_tls_profile_describe(const char *profile, mg_tls_name_cb version, mg_tls_name_cb suite,
			    void *arg);

#endif
