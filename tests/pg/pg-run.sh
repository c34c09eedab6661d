#!/usr/bin/env bash
# Run a command beside a private PostgreSQL 15 server started for it alone:
#	tests/pg/pg-run.sh COMMAND [ARGS...]
# initdb into a new folder under /tmp (as the unprivileged account medgate
# when run as root: the server refuses to run as root), listening on a
# Unix socket in that folder and on a free loopback port, with a database
# medgate_test owned by the superuser medgate. The command gets
#	MG_TEST_PG_CONNINFO	libpq connection string of that database
#	MG_TEST_PG_HOST, MG_TEST_PG_PORT, MG_PG_BIN, MG_TEST_PG_AS
# (MG_TEST_PG_AS: prefix that runs a server tool as the server's account)
# and its exit status is this script's. The server is stopped and its
# folder removed when the command ends, however it ends.
#
# With MG_TEST_PG_TLS=1 the server also gets a certificate from a CA of its
# own and requires TLS on its TCP port; MG_TEST_PG_CONNINFO then names the
# port with sslmode=verify-full and the CA (MG_TEST_PG_CA).
set -euo pipefail

PG_BIN=${MG_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/postgres" ] || { echo "pg-run: no PostgreSQL in $PG_BIN (apt-get install postgresql-15)" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: pg-run.sh COMMAND [ARGS...]" >&2; exit 2; }

dir=$(mktemp -d /tmp/medgate-pg.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
	id medgate >/dev/null 2>&1 || { echo "pg-run: account medgate missing (make deps creates it)" >&2; exit 1; }
	chown medgate: "$dir"
	as=(setpriv --reuid=medgate --regid="$(id -g medgate)" --init-groups --)
fi
# The daemon under test runs as medgate and must reach the socket.
chmod 711 "$dir"

stop() {
	local status=$?
	if [ -f "$dir/data/postmaster.pid" ]; then
		(cd "$dir" && "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop \
			>/dev/null 2>&1) || true
	fi
	if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
		echo "--- postgresql server.log (last 20 lines) ---" >&2
		tail -n 20 "$dir/server.log" >&2
	fi
	rm -rf "$dir"
	exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

port=$(python3 "$(dirname "$0")/../free_port.py")
cd "$dir"
"${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U medgate --auth=trust --locale=C -E UTF8 \
	>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# Tests only: durability against a crash of the machine is not what they
# check (a gateway is killed, never the server), and fsync on a machine
# shared by parallel builds costs more than the rest. bench/ turns it on.
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 32MB
fsync = ${MG_TEST_PG_FSYNC:-off}
full_page_writes = ${MG_TEST_PG_FSYNC:-off}
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF

host=$dir
conn_extra=
if [ "${MG_TEST_PG_TLS:-0}" = 1 ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=medgate test database CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
		-keyout "$dir/data/server.key" -out "$dir/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/ext"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/ext" -out "$dir/data/server.crt" 2>/dev/null
	[ "$(id -u)" -ne 0 ] || chown medgate: "$dir/data/server.key" "$dir/data/server.crt"
	chmod 600 "$dir/data/server.key"
	chmod 644 "$dir/ca.pem"
	printf "ssl = on\nssl_min_protocol_version = 'TLSv1.2'\n" >>"$dir/data/postgresql.conf"
	# TCP only with TLS; the socket stays for the tools below.
	{ echo "local all all trust"; echo "hostssl all all 127.0.0.1/32 trust";
	  echo "hostnossl all all 0.0.0.0/0 reject"; } >"$dir/data/pg_hba.conf"
	host=localhost
	conn_extra=" sslmode=verify-full sslrootcert=$dir/ca.pem"
	export MG_TEST_PG_CA=$dir/ca.pem
fi

"${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
"${as[@]}" "$PG_BIN/createdb" -h "$dir" -p "$port" -U medgate medgate_test

export MG_PG_BIN=$PG_BIN MG_TEST_PG_HOST=$dir MG_TEST_PG_PORT=$port
export MG_TEST_PG_AS="${as[*]}"
export MG_TEST_PG_CONNINFO="host=$host port=$port dbname=medgate_test user=medgate$conn_extra"
cd - >/dev/null
"$@"
