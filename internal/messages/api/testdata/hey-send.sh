#!/bin/sh
# hey-send.sh: sending a message against /healthz, in the same run, on a
# running `campus serve` (SQLite, --log-level warn), with hey over TLS and
# keep-alive, as docs/performance.md measures the token endpoint.
#
#   go build -o /tmp/campus ./cmd/campus
#   sh internal/messages/api/testdata/hey-send.sh /tmp/campus [concurrency...]
#
# It starts campus serve on a fresh data directory (port $PORT, default
# 18500), registers a first-party client that may ask for messages:write,
# signs the administrator in with the authorization code flow (curl: the
# sign-in form, PKCE), creates a group and runs hey for 10 s per figure:
# /healthz (the process's probe), /messages/healthz (the messages
# service's, which the issue names), then POST
# /messages/v1/conversations/{id}/messages, at each concurrency (default
# 16 32). Needs curl, hey, jq, openssl, bc.
set -eu
CAMPUS=${1:?usage: hey-send.sh PATH-TO-CAMPUS [concurrency...]}
shift
CONC=${*:-16 32}
PORT=${PORT:-18500}
DUR=${DUR:-10s}
OUT=${OUT:-$(mktemp -d)}
DATA=$OUT/data
BASE=https://127.0.0.1:$PORT
PW=bench-$(openssl rand -hex 12)
mkdir -p "$DATA"

# The send limit stays on, at a rate no run reaches, so that its cost is
# counted.
CAMPUS_ADMIN_PASSWORD=$PW "$CAMPUS" serve --data "$DATA" --addr "127.0.0.1:$PORT" --log-level warn \
	--send-every 1us --send-burst 1000000 >"$OUT/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT INT TERM
i=0
until curl -ksf "$BASE/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$OUT/serve.log"; exit 1; }
	sleep 0.1
done

SECRET=$("$CAMPUS" clients add --data "$DATA" --id heybench --first-party --redirect-uri https://bench.invalid/cb \
	--scope openid,messages:read,messages:write --json | jq -r .client_secret)
[ -n "$SECRET" ] || { echo "no client secret" >&2; exit 1; }

# The authorization code flow with PKCE (RFC 7636), as a browser would.
JAR=$OUT/cookies
VERIFIER=$(openssl rand -hex 32)
CHALLENGE=$(printf %s "$VERIFIER" | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
PAGE=$(curl -ksL -c "$JAR" -b "$JAR" "$BASE/idp/authorize?response_type=code&client_id=heybench&redirect_uri=https%3A%2F%2Fbench.invalid%2Fcb&scope=openid+messages%3Aread+messages%3Awrite&state=s1&code_challenge=$CHALLENGE&code_challenge_method=S256")
AR=$(printf %s "$PAGE" | sed -n 's/.*name="authRequestID" value="\([^"]*\)".*/\1/p' | head -1)
CSRF=$(printf %s "$PAGE" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
LOC=$(curl -ks -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$BASE/idp/login" \
	--data-urlencode "authRequestID=$AR" --data-urlencode "csrf=$CSRF" --data-urlencode username=admin --data-urlencode "password=$PW")
# identity answers the form with its callback, which redirects to the client.
LOC=$(curl -ks -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' "$LOC")
CODE=$(printf %s "$LOC" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
[ -n "$CODE" ] || { echo "no code: $LOC" >&2; exit 1; }
TOKEN=$(curl -ks -u "heybench:$SECRET" "$BASE/idp/oauth/token" -d grant_type=authorization_code -d "code=$CODE" \
	--data-urlencode redirect_uri=https://bench.invalid/cb -d "code_verifier=$VERIFIER" | jq -r '.access_token // empty')
[ -n "$TOKEN" ] || { echo "no access token" >&2; exit 1; }

CONV=$(curl -ks -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"kind":"group","name":"hey","members":[]}' "$BASE/messages/v1/conversations" | jq -r '.id // empty')
[ -n "$CONV" ] || { echo "no conversation" >&2; exit 1; }
BODY='{"text":"Hallo **alle**, das Skript liegt unter https://uni.example/skript"}'
curl -ksf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$BODY" \
	"$BASE/messages/v1/conversations/$CONV/messages" || { echo "cannot send" >&2; exit 1; }

rate() { awk '/Requests\/sec:/ {print $2}' "$1"; }
p99() { awk '/ 99%+ in/ {print $3}' "$1"; }
echo "concurrency healthz/s messages-healthz/s send/s send-p99-s send/healthz send/messages-healthz non-2xx"
for c in $CONC; do
	hey -z "$DUR" -c "$c" "$BASE/healthz" >"$OUT/healthz-$c.txt"
	hey -z "$DUR" -c "$c" "$BASE/messages/healthz" >"$OUT/messages-healthz-$c.txt"
	hey -z "$DUR" -c "$c" -m POST -H "Authorization: Bearer $TOKEN" -T application/json -d "$BODY" \
		"$BASE/messages/v1/conversations/$CONV/messages" >"$OUT/send-$c.txt"
	h=$(rate "$OUT/healthz-$c.txt")
	m=$(rate "$OUT/messages-healthz-$c.txt")
	s=$(rate "$OUT/send-$c.txt")
	bad=$(grep -E '^ *\[[0-9]+\]' "$OUT/send-$c.txt" | grep -v '^ *\[201\]' | tr -s ' ' | tr '\n' ';' || true)
	echo "$c $h $m $s $(p99 "$OUT/send-$c.txt") $(echo "scale=3; $s / $h" | bc) $(echo "scale=3; $s / $m" | bc) ${bad:-none}"
done
echo "output in $OUT"
