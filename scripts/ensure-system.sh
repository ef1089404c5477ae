#!/usr/bin/env bash
# Installs the Debian packages variantlab uses when they are missing and we may:
#   fashion-mnist  the real FashionMNIST (package dataset-fashion-mnist)
#   chromium       headless Chromium, for the test that renders report.html
#   poppler        pdftoppm, pdftotext, pdfimages, pdfinfo, for the tests that read report.pdf
# Without root or apt-get it says what is missing and carries on: the data
# locator then looks elsewhere (cache, --data-dir, download) and says what it tried.
set -euo pipefail
want=()
for item in "$@"; do
  case "$item" in
    fashion-mnist) [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || want+=(dataset-fashion-mnist) ;;
    chromium) command -v chromium >/dev/null || want+=(chromium) ;;
    poppler) command -v pdftotext >/dev/null || want+=(poppler-utils) ;;
    *) echo "ensure-system.sh: unknown item '$item' (known: fashion-mnist, chromium, poppler)" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${want[*]} with apt-get"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want[@]}" >/dev/null
else
  echo "note: missing ${want[*]}; install with: sudo apt-get install ${want[*]}" >&2
fi
