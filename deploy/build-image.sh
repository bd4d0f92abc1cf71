#!/bin/sh
# build-image.sh: builds campus's container image from deploy/Containerfile
# without a Docker daemon (buildah, or podman, with the vfs storage driver,
# which needs no kernel overlay support).
#
#   sh deploy/build-image.sh [TAG]        # default campus:dev
#
# The binary is built here (CGO_ENABLED=0, -trimpath, the version and
# commit stamped in, and root refused unless --allow-root) and copied into
# an image FROM scratch with the CA certificates of this machine and an
# empty /data owned by uid 65532.
# STORAGE_DRIVER (default vfs) and BUILDER (default: buildah, else podman)
# may be set.
set -eu
TAG=${1:-campus:dev}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT INT TERM
VERSION=${VERSION:-$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}
CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CA=${CA_CERTIFICATES:-/etc/ssl/certs/ca-certificates.crt}
[ -r "$CA" ] || { echo "no CA certificates at $CA (install ca-certificates, or set CA_CERTIFICATES)" >&2; exit 1; }

(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION -X main.rootPolicy=refuse" -o "$CTX/campus" ./cmd/campus)
mkdir -p "$CTX/rootfs/etc/ssl/certs" "$CTX/rootfs/data"
cp "$CA" "$CTX/rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'campus:x:65532:65532:campus:/data:/sbin/nologin\n' >"$CTX/rootfs/etc/passwd"
printf 'campus:x:65532:\n' >"$CTX/rootfs/etc/group"
chmod 0700 "$CTX/rootfs/data"
cp "$ROOT/deploy/Containerfile" "$CTX/Containerfile"

BUILDER=${BUILDER:-$(command -v buildah || command -v podman || true)}
[ -n "$BUILDER" ] || { echo "neither buildah nor podman is installed" >&2; exit 1; }
DRIVER=${STORAGE_DRIVER:-vfs}
case "$(basename "$BUILDER")" in
buildah) set -- "$BUILDER" --storage-driver "$DRIVER" bud --isolation chroot ;;
*) set -- "$BUILDER" --storage-driver "$DRIVER" build --isolation chroot ;;
esac
# --format docker keeps HEALTHCHECK, which the OCI format has no field for.
"$@" --format docker --layers=false -t "$TAG" \
	--build-arg "VERSION=$VERSION" --build-arg "COMMIT=$COMMIT" --build-arg "CREATED=$CREATED" \
	-f "$CTX/Containerfile" "$CTX"
echo "built $TAG ($VERSION, $COMMIT)"
