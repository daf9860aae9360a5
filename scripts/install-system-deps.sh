#!/usr/bin/env bash
# System packages foiatrace uses beyond PyPI (Debian names). Idempotent: installs only what is
# missing. Without root (a user's machine), it says what to install and goes on: the features
# that need them report a clear error instead.
set -euo pipefail
PACKAGES=(
  tesseract-ocr tesseract-ocr-eng  # OCR of scanned productions (ocrmypdf runs tesseract)
  chromium                         # the HTML report, checked in a real browser by the tests
  libreoffice-calc-nogui           # XLSX exports, opened and converted by a spreadsheet engine
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "note: not root; install these Debian packages for all features: ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
