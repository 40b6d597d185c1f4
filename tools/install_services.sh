#!/usr/bin/env bash
# Debian's PostgreSQL or Redis for tests and benchmarks that need a real server (tools/services.py starts throwaway ones).
# Usage: tools/install_services.sh postgresql|redis
set -euo pipefail
case "${1:-}" in
  postgresql) PACKAGES="postgresql"; present() { compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; } ;;
  redis) PACKAGES="redis-server"; present() { [ -x /usr/bin/redis-server ]; } ;;
  *) echo "usage: $0 postgresql|redis" >&2; exit 2 ;;
esac
if present; then exit 0; fi
echo "==> installing $PACKAGES from Debian (throwaway servers for tests and benchmarks)" >&2
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "error: $PACKAGES is missing; install it as root: apt-get install -y --no-install-recommends $PACKAGES" >&2; exit 2
  fi
else SUDO=""; fi
install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$PACKAGES"; }
install >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && install >/dev/null; }
present || { echo "error: apt-get did not install $PACKAGES" >&2; exit 2; }
