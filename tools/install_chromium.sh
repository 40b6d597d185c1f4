#!/usr/bin/env bash
# Debian's Chromium for the widget's browser tests (Playwright drives it; it cannot download browsers here).
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
echo "==> installing Chromium from Debian (browser tests of the website widget)"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "error: Chromium is missing; install it as root: apt-get install -y chromium" >&2; exit 2
  fi
else SUDO=""; fi
$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null; }
command -v chromium >/dev/null || { echo "error: apt-get did not install chromium" >&2; exit 2; }
