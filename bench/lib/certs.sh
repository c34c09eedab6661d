# shellcheck shell=bash
# Throwaway PKI for the nginx reference: one ECDSA P-256 CA that signs both
# the server certificate (localhost, 127.0.0.1) and one device (client)
# certificate, the same kind of keys medgated's device CA issues.
# Usage: certs_make DIR   -> DIR/ca.pem server.pem server-key.pem
#                            client.pem client-key.pem

certs_make() {
	local dir=$1
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	(
		cd "$dir" || exit 1
		umask 077
		cat >ca.tmpl <<-'TMPL'
			cn = "medgate bench throwaway CA"
			ca
			cert_signing_key
			crl_signing_key
			expiration_days = 2
		TMPL
		cat >server.tmpl <<-'TMPL'
			cn = "localhost"
			dns_name = "localhost"
			ip_address = "127.0.0.1"
			tls_www_server
			signing_key
			expiration_days = 2
		TMPL
		cat >client.tmpl <<-'TMPL'
			cn = "bench-device"
			tls_www_client
			signing_key
			expiration_days = 2
		TMPL
		for k in ca server client; do
			certtool --generate-privkey --no-text --key-type ecdsa --curve secp256r1 \
				--outfile "$k-key.pem" 2>/dev/null || exit 1
		done
		certtool --generate-self-signed --no-text --load-privkey ca-key.pem \
			--template ca.tmpl --outfile ca.pem 2>/dev/null || exit 1
		for k in server client; do
			certtool --generate-certificate --no-text --load-privkey "$k-key.pem" \
				--load-ca-certificate ca.pem --load-ca-privkey ca-key.pem \
				--template "$k.tmpl" --outfile "$k.pem" 2>/dev/null || exit 1
		done
	)
}
