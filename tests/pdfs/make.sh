#!/usr/bin/env bash
# Rebuilds the PDF fixtures of tests/test_pdftext.py from the sources in src/ (text written for these
# tests), each with the program students make such PDFs with. Needs Debian's pandoc, libreoffice-writer-nogui,
# chromium, texlive-latex-recommended and texlive-xetex, and nbconvert (pip) in the venv:
#   bash tests/pdfs/make.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../../.venv/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000  # the same bytes each time, where the producer honours it

# LibreOffice Writer: a table in a .docx (pandoc), as Word or Writer exports it
pandoc "$here/src/table.md" -o "$work/table.docx"
soffice --headless --convert-to pdf --outdir "$work" "$work/table.docx" >/dev/null
cp "$work/table.pdf" "$here/table-libreoffice.pdf"

# pdflatex: a narrow paragraph, so that TeX hyphenates words at its lines' ends
(cd "$work" && pdflatex -interaction=batchmode "$here/src/hyphen.tex" >/dev/null)
cp "$work/hyphen.pdf" "$here/hyphen-latex.pdf"

# Chromium's print-to-PDF: DejaVu Sans draws "fi" and "fl" as ligature glyphs
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$work/ligature.pdf" \
  "$here/src/ligature.html" 2>/dev/null
cp "$work/ligature.pdf" "$here/ligature-chromium.pdf"

# A notebook printed: nbconvert's own PDF (xelatex), and Chromium's print of nbconvert's HTML
"$venv/jupyter-nbconvert" --to pdf "$here/src/notebook.ipynb" --output notebook --output-dir "$work" 2>/dev/null
cp "$work/notebook.pdf" "$here/notebook-nbconvert.pdf"
"$venv/jupyter-nbconvert" --to html "$here/src/notebook.ipynb" --output notebook --output-dir "$work" 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$work/notebook-chromium.pdf" \
  "$work/notebook.html" 2>/dev/null
cp "$work/notebook-chromium.pdf" "$here/notebook-chromium.pdf"
ls -l "$here"/*.pdf
