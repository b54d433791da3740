"""Write roles/transfer_check/files/probe/probe-javascript.pdf: a one-page PDF whose JavaScript is
harmless (an alert) but sits where a sanitiser must find it: the document's /OpenAction, the
/Names/JavaScript tree and a page's additional actions (/AA). Run: .venv/bin/python tools/make_probe_pdf.py
"""

import sys
from pathlib import Path

import pikepdf

OUT = (
    Path(__file__).resolve().parent.parent
    / "roles"
    / "transfer_check"
    / "files"
    / "probe"
    / "probe-javascript.pdf"
)


def js(pdf: pikepdf.Pdf, code: str) -> pikepdf.Object:
    return pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))
    )


def main() -> int:
    pdf = pikepdf.new()
    pdf.docinfo["/Title"] = "jichitai-ops transfer probe (JavaScript)"
    pdf.docinfo["/Producer"] = "tools/make_probe_pdf.py"
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    text = b"BT /F1 14 Tf 72 720 Td (jichitai-ops transfer probe: this PDF carries JavaScript) Tj ET"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(text),
        AA=pikepdf.Dictionary(O=js(pdf, "app.alert('probe: page open');")),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.Root.OpenAction = js(pdf, "app.alert('probe: document open');")
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(
            Names=[pikepdf.String("probe"), js(pdf, "app.alert('probe: name tree');")]
        )
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # fixed ID and no timestamps: the committed file is the script's output, byte for byte
    pdf.save(OUT, deterministic_id=True, static_id=False)
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
